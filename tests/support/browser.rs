//! Running the browser checks of `tests/browser` (real headless Chromium through
//! playwright-core, Debian's chromium, never a downloaded browser) on a report the real
//! binary wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{ci_tracing, text};

/// Writes `traces.html` in `dir` from `input` with `ci-tracing report`.
pub fn write_report(dir: &Path, input: &Path) -> PathBuf {
    let out = dir.join("traces.html");
    ci_tracing(dir)
        .args([
            "report",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ])
        .assert()
        .success();
    out
}

/// Runs a `tests/browser` script; fails (never skips) when Chromium or Node is missing.
pub fn run_browser_script(script: &str, args: &[&std::ffi::OsStr]) {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: run scripts/setup-test.sh (it installs Debian's chromium)"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for package in ["playwright-core", "mermaid"] {
        assert!(
            root.join("node_modules").join(package).exists(),
            "node_modules/{package} is missing: run scripts/setup-test.sh"
        );
    }
    let output = Command::new("node")
        .arg(root.join("tests/browser").join(script))
        .args(args)
        .current_dir(root)
        .output()
        .expect("node is missing: run scripts/setup-test.sh");
    assert!(
        output.status.success(),
        "browser checks failed:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}
