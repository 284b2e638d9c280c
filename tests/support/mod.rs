//! Shared test support: run the real binary in a clean environment, and local servers.
//!
//! The binary is run with every `GITHUB_*`, `ACTIONS_*`, `RUNNER_*`, `GH_*`, `OTEL_*`
//! variable and `CI` removed, so tests behave the same on a laptop and inside CI.

#![allow(dead_code)]

pub mod browser;
pub mod collect;
pub mod fetch;
pub mod generate;
pub mod github;
pub mod http;
pub mod job;
pub mod pairs;
pub mod results;
pub mod rotel;

use std::path::Path;

/// Prefixes of the variables a test must not inherit.
const SCRUBBED_PREFIXES: &[&str] = &[
    "GITHUB_",
    "ACTIONS_",
    "RUNNER_",
    "GH_",
    "OTEL_",
    "CI_TRACING_",
];

/// The `ci-tracing` binary with a scrubbed environment, run in `dir`.
pub fn ci_tracing(dir: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(ci_tracing_std(dir))
}

/// [`ci_tracing`] as a `std` command, for tests that watch a running process.
pub fn ci_tracing_std(dir: &Path) -> std::process::Command {
    scrubbed(env!("CARGO_BIN_EXE_ci-tracing"), dir)
}

/// `program` run in `dir` with the same scrubbed environment as [`ci_tracing`] (for a
/// shell that calls the binary, say).
pub fn scrubbed(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(program);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key == "CI" || SCRUBBED_PREFIXES.iter().any(|p| key.starts_with(p)) {
            cmd.env_remove(&key);
        }
    }
    // Git must not find the checkout the tests run from, nor a user's configuration.
    cmd.env("GIT_CEILING_DIRECTORIES", dir.parent().unwrap_or(dir));
    cmd.env("GIT_CONFIG_NOSYSTEM", "1");
    cmd.env("HOME", dir);
    cmd.current_dir(dir);
    cmd
}

/// Makes a named FIFO at `path` (with the real `mkfifo`).
pub fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// Output as text, for assertions.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
