//! Opening a file in the user's browser, for `report --open`.
//!
//! The command comes from `BROWSER` when it is set (a list separated by `:`, `;` on
//! Windows, as xdg-utils and Python's `webbrowser` read it; `%s` in an entry stands for
//! the file, otherwise the file is appended), else from the desktop: `xdg-open`, macOS
//! `open`, Windows `start`. Opening is a convenience: a failure comes back as a sentence
//! for a warning, never as the command's failure. Nothing waits for the browser to be
//! closed, and no wait is unbounded.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long an opener has to fail; one still running after that has started a browser
/// (or is one) and is left running.
const SETTLE: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(20);

/// Opens `file` in the browser. `Err` says why not, for a warning.
pub(crate) fn open(file: &Path) -> Result<(), String> {
    let file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let file = file.to_string_lossy();
    let commands = match crate::config::env_var("BROWSER") {
        Some(list) => from_browser_var(&list, &file),
        None => vec![desktop_opener(&file)],
    };
    let mut failures = Vec::new();
    for (program, args) in commands {
        match run(&program, &args) {
            Ok(()) => return Ok(()),
            Err(why) => failures.push(format!("`{program}` {why}")),
        }
    }
    if failures.is_empty() {
        failures.push("BROWSER names no command".to_owned());
    }
    Err(failures.join("; "))
}

/// The commands of a `BROWSER` list, each with `file` in place of `%s` or appended.
fn from_browser_var(list: &str, file: &str) -> Vec<(String, Vec<String>)> {
    let separator = if cfg!(windows) { ';' } else { ':' };
    list.split(separator)
        .filter_map(|entry| {
            let mut words = entry.split_whitespace();
            let program = words.next()?.to_owned();
            let mut args: Vec<String> = words.map(|w| w.replace("%s", file)).collect();
            if !entry.contains("%s") {
                args.push(file.to_owned());
            }
            Some((program, args))
        })
        .collect()
}

/// The desktop's own way to open a file with its default application.
fn desktop_opener(file: &str) -> (String, Vec<String>) {
    let (program, first): (&str, &[&str]) = if cfg!(windows) {
        ("cmd", &["/C", "start", ""])
    } else if cfg!(target_os = "macos") {
        ("open", &[])
    } else {
        ("xdg-open", &[])
    };
    let mut args: Vec<String> = first.iter().map(|&a| a.to_owned()).collect();
    args.push(file.to_owned());
    (program.to_owned(), args)
}

/// Starts one opener; fails if it cannot start or exits unsuccessfully within [`SETTLE`].
fn run(program: &str, args: &[String]) -> Result<(), String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| format!("could not start: {err}"))?;
    let deadline = Instant::now() + SETTLE;
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("failed ({status})")),
            Ok(None) => std::thread::sleep(POLL),
            Err(err) => return Err(format!("could not be watched: {err}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_entries_take_the_file_in_place_of_percent_s_or_at_the_end() {
        let list = if cfg!(windows) {
            "a --new;;b %s --x"
        } else {
            "a --new::b %s --x"
        };
        assert_eq!(
            from_browser_var(list, "/t/r.html"),
            [
                (
                    "a".to_owned(),
                    vec!["--new".to_owned(), "/t/r.html".to_owned()]
                ),
                (
                    "b".to_owned(),
                    vec!["/t/r.html".to_owned(), "--x".to_owned()]
                ),
            ]
        );
    }
}
