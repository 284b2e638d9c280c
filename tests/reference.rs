//! docs/reference.md stays true: each block marked
//! ``<!-- `ci-tracing ARGS --help`, written by scripts/man.sh: do not edit -->`` holds
//! exactly what the binary prints for `ci-tracing ARGS --help` (without the global
//! options, which the block of `ci-tracing --help` shows once), and every command the
//! top-level help lists has such a block. `scripts/man.sh` rewrites the blocks by running
//! this test with `CI_TRACING_UPDATE_DOCS=1`.

mod support;

use std::path::Path;

const REFERENCE: &str = "docs/reference.md";
const MARK_START: &str = "<!-- `ci-tracing ";
const MARK_END: &str = " --help`, written by scripts/man.sh: do not edit -->";

/// `ci-tracing ARGS --help` as the reference shows it.
fn help(args: &str) -> String {
    let mut command = support::ci_tracing(Path::new("."));
    command
        .env_remove("COLUMNS")
        .args(args.split_whitespace())
        .arg("--help");
    let out = command.output().unwrap();
    assert!(out.status.success(), "ci-tracing {args} --help failed");
    let text = String::from_utf8(out.stdout).unwrap();
    if args.is_empty() {
        return text;
    }
    without_global_options(&text)
}

/// The help without the options every command shares (from `-v, --verbose` to the
/// `Print version` paragraph), and without an `Options:` heading left empty.
fn without_global_options(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut skipping = false;
    let mut skipped_last = false;
    for line in text.lines() {
        if line.starts_with("  -v, --verbose") {
            skipping = true;
        }
        if skipping {
            if line.trim() == "Print version" {
                skipping = false;
                skipped_last = true;
            }
            continue;
        }
        if skipped_last && line.is_empty() && out.last().is_some_and(|l| l.is_empty()) {
            skipped_last = false;
            continue;
        }
        skipped_last = false;
        out.push(line);
    }
    if let Some(at) = out.iter().position(|l| *l == "Options:")
        && out.get(at + 1).is_none_or(|l| l.is_empty())
    {
        out.remove(at);
        if out.get(at).is_some_and(|l| l.is_empty()) && at > 0 && out[at - 1].is_empty() {
            out.remove(at);
        }
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    let mut text = out.join("\n");
    text.push('\n');
    text
}

/// The reference with every generated block rewritten, and the commands it has blocks for.
fn regenerated(reference: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut documented = Vec::new();
    let mut lines = reference.lines();
    while let Some(line) = lines.next() {
        out.push_str(line);
        out.push('\n');
        let Some(args) = line
            .strip_prefix(MARK_START)
            .and_then(|rest| rest.strip_suffix(MARK_END))
            .or_else(|| {
                (line == "<!-- `ci-tracing --help`, written by scripts/man.sh: do not edit -->")
                    .then_some("")
            })
        else {
            continue;
        };
        assert_eq!(
            lines.next(),
            Some("```text"),
            "{REFERENCE}: a fence after {line}"
        );
        for old in lines.by_ref() {
            if old == "```" {
                break;
            }
        }
        out.push_str("```text\n");
        out.push_str(&help(args));
        out.push_str("```\n");
        documented.push(args.to_owned());
    }
    (out, documented)
}

#[test]
fn the_reference_shows_the_help_of_every_command() {
    let reference = std::fs::read_to_string(REFERENCE).unwrap();
    let (fresh, documented) = regenerated(&reference);
    if std::env::var_os("CI_TRACING_UPDATE_DOCS").is_some() {
        if fresh != reference {
            std::fs::write(REFERENCE, &fresh).unwrap();
        }
        return;
    }
    // The commands of the top-level help, `help` aside.
    let top = help("");
    let commands: Vec<&str> = top
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| !l.starts_with("   ")) // a wrapped description
        .filter_map(|l| l.strip_prefix("  ")?.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 8, "commands found: {commands:?}");
    for command in commands {
        assert!(
            documented
                .iter()
                .any(|args| args.split_whitespace().next() == Some(command)),
            "{REFERENCE} has no section with the help of `{command}`: add one (a marked block, see the others) and run `bash scripts/man.sh`"
        );
    }
    assert!(
        fresh == reference,
        "{REFERENCE} shows an old --help: run `bash scripts/man.sh` to rewrite its generated blocks"
    );
}
