//! The command surface: every command answers `--help` and `--version`, and a wrong
//! invocation exits 2 with one line. Help that teaches: examples and exit statuses in every
//! command's long help, GitHub options only where GitHub is called, consistent
//! placeholders, shell completions, and the man pages in docs/man (regenerated and
//! compared).

mod support;

use support::{ci_tracing, text};

/// Every visible command.
const COMMANDS: &[&str] = &[
    "gate",
    "upload",
    "fetch-traces",
    "replay",
    "summary",
    "compare",
    "report",
    "collect",
    "stack",
    "completions",
];

#[test]
fn every_command_has_help_and_version() {
    let dir = tempfile::tempdir().unwrap();
    for command in COMMANDS {
        let out = ci_tracing(dir.path())
            .args([command, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{command} --help");
        assert!(text(&out.stdout).contains("Usage: ci-tracing"), "{command}");
        let out = ci_tracing(dir.path())
            .args([command, "--version"])
            .output()
            .unwrap();
        let version = text(&out.stdout);
        assert!(version.starts_with("ci-tracing"), "{version}");
        assert!(
            version.trim_end().ends_with(env!("CARGO_PKG_VERSION")),
            "{version}"
        );
    }
}

#[test]
fn bad_flags_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["upload", "--compression-level", "12"][..],
        &["upload", "--retention-days", "91"],
        &["upload", "--report-max-spans", "0"],
        &["fetch-traces"],
        &["fetch-traces", "--pr", "abc"],
        &["summary", "--format", "yaml"],
        &["no-such-command"],
    ] {
        let out = ci_tracing(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!text(&out.stderr).contains("panicked"), "{args:?}");
    }
}

fn help(command: &str, flag: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = ci_tracing(dir.path())
        .args([command, flag])
        .output()
        .unwrap();
    assert!(out.status.success(), "{command} {flag}");
    text(&out.stdout)
}

#[test]
fn every_long_help_ends_with_examples_and_exit_statuses() {
    for command in COMMANDS {
        let long = help(command, "--help");
        let examples = long
            .find("\nExamples:\n")
            .unwrap_or_else(|| panic!("{command}:\n{long}"));
        let tail = &long[examples..];
        let shown = tail
            .lines()
            .filter(|l| l.starts_with("  ci-tracing "))
            .count();
        assert!(
            (2..=3).contains(&shown),
            "{command}: {shown} examples\n{tail}"
        );
        assert!(tail.contains("\nExit status: 0 "), "{command}:\n{tail}");
        assert!(
            !help(command, "-h").contains("Examples:"),
            "{command} -h stays short"
        );
    }
}

#[test]
fn github_options_appear_only_on_commands_that_call_github() {
    for command in COMMANDS {
        let long = help(command, "--help");
        let calls_github = matches!(*command, "gate" | "upload" | "fetch-traces");
        for flag in ["--api-url <URL>", "--token <TOKEN>"] {
            assert_eq!(long.contains(flag), calls_github, "{command} {flag}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let out = ci_tracing(dir.path())
        .args(["summary", "--api-url", "http://x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn placeholders_are_short_and_upload_names_its_runtime_token() {
    let upload = help("upload", "--help");
    assert!(upload.contains("--if-no-files-found <WHEN>"), "{upload}");
    assert!(upload.contains("--compression-level <N>"), "{upload}");
    assert!(upload.contains("ACTIONS_RUNTIME_TOKEN"), "{upload}");
    assert!(upload.contains("GitHub Enterprise"), "{upload}");
    assert!(help("report", "--help").contains("--output <FILE>"));
    let fetch = help("fetch-traces", "--help");
    for flag in [
        "-R, --repo <[HOST/]OWNER/REPO>",
        "-n, --name <NAME>",
        "-D, --dir <DIR>",
        "[PR|URL]",
    ] {
        assert!(fetch.contains(flag), "{flag}\n{fetch}");
    }
    for command in COMMANDS {
        let long = help(command, "--help");
        assert!(
            !long.contains("<IF_NO_FILES_FOUND>") && !long.contains("<FILE.html>"),
            "{command}"
        );
    }
}

#[test]
fn completions_are_printed_for_every_shell() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = ci_tracing(dir.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = text(&out.stdout);
        assert!(
            script.contains("fetch-traces") && script.contains("shift-to-now"),
            "{shell}"
        );
    }
    let out = ci_tracing(dir.path())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_man_pages_in_docs_match_the_command_line() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    // Commands with subcommands have a page per subcommand too.
    let pages: Vec<&str> = COMMANDS.iter().copied().chain(["stack init"]).collect();
    let mut expected = vec!["ci-tracing.1".to_owned()];
    expected.extend(
        pages
            .iter()
            .map(|c| format!("ci-tracing-{}.1", c.replace(' ', "-"))),
    );
    expected.sort();
    let mut present: Vec<String> = std::fs::read_dir(root.join("docs/man"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    present.sort();
    assert_eq!(present, expected, "run scripts/man.sh");
    for command in std::iter::once("").chain(pages.iter().copied()) {
        let out = ci_tracing(dir.path())
            .args(["man", command])
            .output()
            .unwrap();
        assert!(out.status.success(), "man {command}");
        let name = if command.is_empty() {
            "ci-tracing.1".to_owned()
        } else {
            format!("ci-tracing-{}.1", command.replace(' ', "-"))
        };
        let kept = std::fs::read(root.join("docs/man").join(&name)).unwrap();
        assert!(
            kept == out.stdout,
            "docs/man/{name} is out of date: run scripts/man.sh"
        );
    }
    let page = std::fs::read_to_string(root.join("docs/man/ci-tracing-fetch-traces.1")).unwrap();
    assert!(page.contains("GH_ENTERPRISE_TOKEN") && page.contains("Exit status"));
}

#[test]
fn a_usage_error_is_one_line_and_exit_2_while_help_and_version_stay_whole() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["fetch-traces", "--pr", "abc"][..],
        &["fetch-traces", "--prr", "1"],
        &["summary", "--format", "yaml"],
        &["upload", "--compression-level", "12"],
        &["no-such-command"],
        &["replay", "--concurrency"],
    ] {
        let out = ci_tracing(dir.path()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let out = ci_tracing(dir.path())
        .args(["summary", "--format", "yaml"])
        .output()
        .unwrap();
    assert!(text(&out.stderr).contains("possible values: text, markdown, json"));
    let out = ci_tracing(dir.path())
        .args(["fetch-traces", "--pr", "abc"])
        .output()
        .unwrap();
    assert_eq!(
        text(&out.stderr),
        "error: invalid value 'abc' for '--pr <N>': invalid digit found in string; see `ci-tracing fetch-traces --help`\n"
    );
    let out = ci_tracing(dir.path()).arg("--help").output().unwrap();
    assert!(out.status.success() && text(&out.stdout).lines().count() > 10);
    let out = ci_tracing(dir.path()).arg("--version").output().unwrap();
    assert_eq!(
        text(&out.stdout),
        format!("ci-tracing {}\n", env!("CARGO_PKG_VERSION"))
    );
}
