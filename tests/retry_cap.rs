//! One cap on `Retry-After` for every protocol: GitHub REST, the results service's
//! Twirp API, the blob PUT of an upload and OTLP/HTTP each answer once with
//! `Retry-After: 99999`, and each command waits at most the cap (60 s, times
//! `CI_TRACING_RETRY_SCALE`, 0.01 here), says so, and finishes.
//!
//! Each run is watched line by line: a "retrying" line that announces a longer wait
//! fails the test at once (and ends the process) instead of waiting for it.

mod replay_support;
mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use replay_support::{SAMPLE, endpoint, ok, write};
use support::fetch::{one_artifact, tracing_dir};
use support::github::{FakeGithub, Fault, TOKEN, error};
use support::http::{Reply, Server};
use support::job::Job;
use support::results::FakeResults;

/// The cap on a server's `Retry-After`, in seconds, times the tests' retry scale.
const CAPPED_WAIT: f64 = 60.0 * 0.01;

/// The answer every protocol gives once.
const FOREVER: &str = "99999";

/// Runs `cmd`, checking every "retrying in N s" line as it comes; returns the exit
/// status and standard error once the run ends.
fn run_capped(mut cmd: Command) -> (i32, String) {
    cmd.env("CI_TRACING_RETRY_SCALE", "0.01")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let mut capped = 0;
    for line in stderr.lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if !line.contains("retrying") {
            continue;
        }
        let wait = announced_wait(&line);
        if !wait.is_some_and(|wait| wait <= CAPPED_WAIT) {
            let _ = child.kill();
            panic!("a wait longer than the cap: {line}\n{seen}");
        }
        capped += usize::from(line.contains("(its Retry-After asked for 99999 s; capped at 60 s)"));
    }
    let code = child.wait().unwrap().code().unwrap_or(-1);
    assert_eq!(capped, 1, "one capped wait announced:\n{seen}");
    (code, seen)
}

/// N of "retrying in N s".
fn announced_wait(line: &str) -> Option<f64> {
    let (_, rest) = line.split_once("retrying in ")?;
    rest.split_once(" s")?.0.parse().ok()
}

#[test]
fn github_rest_caps_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let answered = std::sync::atomic::AtomicBool::new(false);
    let fault: Fault = Box::new(move |request| {
        let first = request.path().contains("/pulls/1347")
            && !answered.swap(true, std::sync::atomic::Ordering::SeqCst);
        first.then(|| error(429, "API rate limit exceeded").header("retry-after", FOREVER))
    });
    let fake = FakeGithub::with_faults(one_artifact(), fault, Box::new(|_| None));
    let mut cmd = support::ci_tracing_std(dir.path());
    cmd.args([
        "-v",
        "--no-progress",
        "fetch-traces",
        "--api-url",
        &fake.api.url(),
    ])
    .args(["--repo", "octo-org/octo-repo", "--pr", "1347"])
    .env("GITHUB_TOKEN", TOKEN);
    let (code, stderr) = run_capped(cmd);
    assert_eq!(code, 0, "{stderr}");
    assert!(tracing_dir(dir.path()).join("trace-data").exists());
    assert_eq!(fake.api_hits("/pulls/1347"), 2);
}

/// Uploads a trace file while the request matching `matches` is answered once with
/// `Retry-After: 99999`; the upload must succeed with `announced` in its output.
fn upload_past(matches: &str, announced: &str) -> FakeResults {
    let job = Job::pull_request(&["enable tracing"]);
    let fake = FakeResults::start(&job.token);
    job.write("trace-data.json", SAMPLE.as_bytes());
    fake.busy_once(matches, FOREVER);
    let mut cmd = job.std_upload(&fake);
    cmd.args(["-v", "trace-data.json", "--no-report"]);
    let (code, stderr) = run_capped(cmd);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(announced), "{stderr}");
    fake
}

#[test]
fn twirp_caps_retry_after() {
    let fake = upload_past("/CreateArtifact", "CreateArtifact: HTTP 503; retrying in");
    assert_eq!(fake.artifacts().len(), 1);
}

#[test]
fn the_blob_put_caps_retry_after() {
    let fake = upload_past("PUT /blob/", "uploading a block: HTTP 503; retrying in");
    assert!(fake.artifacts()[0].finalized.is_some());
}

#[test]
fn otlp_caps_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "trace-data", SAMPLE);
    let answered = std::sync::atomic::AtomicBool::new(false);
    let server = Server::start(move |_| {
        if answered.swap(true, std::sync::atomic::Ordering::SeqCst) {
            ok()
        } else {
            Reply::new(503, "busy").header("retry-after", FOREVER)
        }
    });
    let mut cmd = support::ci_tracing_std(dir.path());
    cmd.args(["-v", "replay", file.to_str().unwrap()]).args([
        "--endpoint",
        &endpoint(&server),
        "--concurrency",
        "1",
    ]);
    let (code, stderr) = run_capped(cmd);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.requests().len(), 3);
}
