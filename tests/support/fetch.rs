//! Running `ci-tracing fetch-traces` against the fake GitHub, and making test zips.
//!
//! Every run goes through [`fetch`], which passes the sentinel token with `-v` and fails
//! the test if the token or the blob signature shows up in any output.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

use super::github::{FakeGithub, SIG, Scenario, TOKEN, sha};

/// Two lines as the Collector's `file` exporter writes them.
pub const SPANS: &str = include_str!("../fixtures/collector-pdata-sample.jsonl");

/// What a run left behind.
#[derive(Debug)]
pub struct Outcome {
    /// Exit status.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Outcome {
    /// The last line of standard error (the error line of a failed run).
    pub fn last_error(&self) -> &str {
        self.stderr.lines().last().unwrap_or_default()
    }

    /// Asserts a failure with exactly this exit status and last line.
    pub fn fails(&self, code: i32, line: &str) {
        assert_eq!(self.code, code, "exit status; stderr:\n{}", self.stderr);
        assert_eq!(self.last_error(), line, "stderr:\n{}", self.stderr);
    }
}

/// `ci-tracing -v --no-progress fetch-traces --api-url FAKE ARGS` in `dir`, with no
/// token and no retry scaling yet.
pub fn fetch_cmd(dir: &Path, fake: &FakeGithub, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = super::ci_tracing(dir);
    cmd.args([
        "-v",
        "--no-progress",
        "fetch-traces",
        "--api-url",
        &fake.api.url(),
    ])
    .args(args);
    cmd
}

/// `ci-tracing -v fetch-traces --repo octo-org/octo-repo --pr 1347 ARGS` in `dir`,
/// against `fake`, with the sentinel token in `GITHUB_TOKEN`.
pub fn fetch(dir: &Path, fake: &FakeGithub, args: &[&str]) -> Outcome {
    fetch_with_env(dir, fake, args, &[])
}

/// [`fetch`] with extra environment variables.
pub fn fetch_with_env(
    dir: &Path,
    fake: &FakeGithub,
    args: &[&str],
    env: &[(&str, &str)],
) -> Outcome {
    let mut cmd = fetch_cmd(dir, fake, &["--repo", "octo-org/octo-repo", "--pr", "1347"]);
    cmd.args(args)
        .env("GITHUB_TOKEN", TOKEN)
        .env("CI_TRACING_RETRY_SCALE", "0.01")
        .envs(env.iter().copied());
    run(cmd)
}

/// A zip of [`SPANS`] as `trace-data.json`, as `actions/upload-artifact` makes it.
pub fn spans_zip() -> Vec<u8> {
    zip_of(&[("trace-data.json", SPANS.as_bytes())])
}

/// PR 1347 whose head commit has run 500 with artifact 71 `trace-data` of [`spans_zip`].
pub fn one_artifact() -> Scenario {
    Scenario::new()
        .run(500, &sha(2))
        .artifact(71, "trace-data", 500, &spans_zip())
}

/// Asserts success and that `.github/tracing/trace-data` under `dir` holds [`SPANS`].
pub fn assert_fetched(dir: &Path, out: &Outcome) {
    assert_eq!(out.code, 0, "{}", out.stderr);
    let written = std::fs::read_to_string(tracing_dir(dir).join("trace-data"));
    assert_eq!(written.expect("trace-data written"), SPANS);
}

/// Runs a prepared command and checks that no secret leaked.
pub fn run(mut cmd: assert_cmd::Command) -> Outcome {
    let out = cmd.output().expect("run ci-tracing");
    let outcome = Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: super::text(&out.stdout),
        stderr: super::text(&out.stderr),
    };
    for secret in [TOKEN, SIG, "SENTINEL"] {
        assert!(
            !outcome.stdout.contains(secret) && !outcome.stderr.contains(secret),
            "a secret leaked into the output:\n{outcome:#?}"
        );
    }
    assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
    outcome
}

/// A zip of `entries` (name, content), deflated, as `actions/upload-artifact` makes them.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        writer.start_file(*name, options).unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// `.github/tracing` under `dir`, where `fetch-traces` writes by default.
pub fn tracing_dir(dir: &Path) -> PathBuf {
    dir.join(".github/tracing")
}

/// Every file name in `dir` (empty when it does not exist).
pub fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}
