//! Helpers of the `replay` integration tests: a trace file in a fresh directory, a fake
//! receiver for it, and the run of `ci-tracing replay` between the two.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::support::http::{Reply, Request, Server};
use crate::support::{ci_tracing, text};

/// `tests/fixtures/collector-pdata-sample.jsonl`: two lines, three spans.
pub const SAMPLE: &str = include_str!("../fixtures/collector-pdata-sample.jsonl");
/// `tests/fixtures/legacy-instrumentation-library.jsonl`: one pre-v0.48 line.
pub const LEGACY: &str = include_str!("../fixtures/legacy-instrumentation-library.jsonl");

/// What a run left behind.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts that standard output contains `text`.
    pub fn prints(&self, text: &str) {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}:\n{}",
            self.stdout
        );
    }

    /// Asserts that standard error contains `text`.
    pub fn says(&self, text: &str) {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}:\n{}",
            self.stderr
        );
    }
}

/// Runs `ci-tracing replay ARGS` in `dir` with quick retries and extra variables.
pub fn replay(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
    let mut cmd = ci_tracing(dir);
    cmd.arg("replay")
        .args(args)
        .env("CI_TRACING_RETRY_SCALE", "0.01");
    for (key, value) in envs {
        cmd.env(key, value);
    }
    let output = cmd.output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: text(&output.stdout),
        stderr: text(&output.stderr),
    }
}

/// A trace file in a fresh directory and a fake receiver for it.
pub struct Case {
    pub dir: tempfile::TempDir,
    pub file: PathBuf,
    pub server: Server,
}

impl Case {
    pub fn new(content: &str, handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "trace-data", content);
        let server = Server::start(handler);
        Self { dir, file, server }
    }

    /// Replays the file to the fake receiver with `flags`.
    pub fn replay(&self, flags: &[&str]) -> Run {
        let endpoint = endpoint(&self.server);
        let mut args = vec![self.file.to_str().unwrap(), "--endpoint", &endpoint];
        args.extend_from_slice(flags);
        replay(self.dir.path(), &args, &[])
    }

    /// What `trace-data.failed` holds.
    pub fn failed(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("trace-data.failed")).unwrap()
    }
}

pub fn endpoint(server: &Server) -> String {
    format!("{}/v1/traces", server.url())
}

pub fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

pub fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

pub fn ok() -> Reply {
    Reply::json(200, &serde_json::json!({"partialSuccess": null}))
}

pub fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .unwrap();
    out
}

pub fn sorted_bodies(requests: &[Request], decode: impl Fn(&[u8]) -> Vec<u8>) -> Vec<String> {
    let mut bodies: Vec<String> = requests
        .iter()
        .map(|r| String::from_utf8(decode(&r.body)).unwrap())
        .collect();
    bodies.sort();
    bodies
}

/// Counts calls per key, for handlers that answer the first attempt differently.
#[derive(Default)]
pub struct Attempts(Mutex<HashMap<String, usize>>);

impl Attempts {
    /// 1 for the first call with `key`, 2 for the second, …
    pub fn next(&self, key: &str) -> usize {
        let mut seen = self.0.lock().unwrap();
        let count = seen.entry(key.to_owned()).or_default();
        *count += 1;
        *count
    }
}
