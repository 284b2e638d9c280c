//! The command surface of SPEC.md: every command answers `--help` and `--version`, and a
//! wrong invocation exits 2 with one line.

mod support;

use support::{ci_tracing, text};

const COMMANDS: &[&str] = &[
    "gate",
    "upload",
    "fetch-traces",
    "replay",
    "summary",
    "report",
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
        &["upload", "--retention-days", "0"],
        &["upload", "--retention-days", "91"],
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
