//! `ci-tracing replay` against fake OTLP/HTTP receivers: what goes over the wire in each
//! mode, what each kind of answer leads to, and what the user sees and keeps.

mod support;

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use support::http::{Reply, Request, Server};
use support::{ci_tracing, text};

const SAMPLE: &str = include_str!("fixtures/collector-pdata-sample.jsonl");
const LEGACY: &str = include_str!("fixtures/legacy-instrumentation-library.jsonl");

/// What a run left behind.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn replay(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Run {
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

fn endpoint(server: &Server) -> String {
    format!("{}/v1/traces", server.url())
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

fn ok() -> Reply {
    Reply::json(200, &serde_json::json!({"partialSuccess": null}))
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn sorted_bodies(requests: &[Request], decode: impl Fn(&[u8]) -> Vec<u8>) -> Vec<String> {
    let mut bodies: Vec<String> = requests
        .iter()
        .map(|r| String::from_utf8(decode(&r.body)).unwrap())
        .collect();
    bodies.sort();
    bodies
}

#[test]
fn json_lines_are_sent_unchanged_one_request_each_with_exact_headers() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "trace-data", SAMPLE);
    let server = Server::start(|_| ok());
    let run = replay(
        dir.path(),
        &[file.to_str().unwrap(), "--endpoint", &endpoint(&server)],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.target, "/v1/traces");
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("content-encoding"), None);
    }
    let mut expected: Vec<String> = lines(SAMPLE).into_iter().map(str::to_owned).collect();
    expected.sort();
    assert_eq!(sorted_bodies(&requests, <[u8]>::to_vec), expected);
    assert!(run.stdout.contains("lines sent:     2"), "{}", run.stdout);
    assert!(run.stdout.contains("spans accepted: 3"), "{}", run.stdout);
    assert!(run.stdout.contains("spans rejected: 0"), "{}", run.stdout);
    assert!(run.stdout.contains("lines failed:   0"), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("1 spans have an empty trace or span id"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("trace-data.failed").exists());
}

#[test]
fn gzip_bodies_decompress_to_the_lines() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "trace-data", SAMPLE);
    let server = Server::start(|_| Reply::new(200, Vec::new()));
    let run = replay(
        dir.path(),
        &[
            file.to_str().unwrap(),
            "--gzip",
            "--endpoint",
            &endpoint(&server),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let requests = server.requests();
    for request in &requests {
        assert_eq!(request.header("content-encoding"), Some("gzip"));
        assert_eq!(request.header("content-type"), Some("application/json"));
    }
    let mut expected: Vec<String> = lines(SAMPLE).into_iter().map(str::to_owned).collect();
    expected.sort();
    assert_eq!(sorted_bodies(&requests, gunzip), expected);
}

#[test]
fn crlf_blank_lines_and_a_missing_final_newline() {
    let dir = tempfile::tempdir().unwrap();
    let sample = lines(SAMPLE);
    let content = format!("\r\n{}\r\n\n   \n{}", sample[0], sample[1]);
    let file = write(dir.path(), "trace-data", &content);
    let server = Server::start(|_| ok());
    let run = replay(
        dir.path(),
        &[file.to_str().unwrap(), "--endpoint", &endpoint(&server)],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut expected = vec![sample[0].to_owned(), sample[1].to_owned()];
    expected.sort();
    assert_eq!(sorted_bodies(&server.requests(), <[u8]>::to_vec), expected);
}

#[test]
fn legacy_lines_are_converted_to_scope_spans_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "trace-data", LEGACY);
    let server = Server::start(|_| ok());
    let run = replay(
        dir.path(),
        &[file.to_str().unwrap(), "--endpoint", &endpoint(&server)],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("line 1 has the pre-v0.48 shape"),
        "{}",
        run.stderr
    );
    let body = server.requests()[0].json();
    let resource = &body["resourceSpans"][0];
    assert!(
        resource.get("instrumentationLibrarySpans").is_none(),
        "{body}"
    );
    assert_eq!(resource["scopeSpans"][0]["scope"]["name"], "name");
    assert!(
        resource["scopeSpans"][0]
            .get("instrumentationLibrary")
            .is_none()
    );
    assert_eq!(
        resource["scopeSpans"][0]["spans"][0]["traceId"],
        "0102030405060708090a0b0c0d0e0f10"
    );
    assert_eq!(
        resource["scopeSpans"][0]["spans"][0]["startTimeUnixNano"],
        "1684617382541971000"
    );
}

/// Counts calls per key, for handlers that answer the first attempt differently.
#[derive(Default)]
struct Attempts(Mutex<HashMap<String, usize>>);

impl Attempts {
    /// 1 for the first call with `key`, 2 for the second, …
    fn next(&self, key: &str) -> usize {
        let mut seen = self.0.lock().unwrap();
        let count = seen.entry(key.to_owned()).or_default();
        *count += 1;
        *count
    }
}

#[test]
fn retry_after_in_seconds_and_as_a_date_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let sample = lines(SAMPLE);
    let file = write(dir.path(), "trace-data", SAMPLE);
    let first = sample[0].to_owned();
    let attempts = Attempts::default();
    let server = Server::start(move |request| {
        let is_first = request.body == first.as_bytes();
        match (is_first, attempts.next(&is_first.to_string())) {
            (true, 1) => Reply::new(503, "busy").header("retry-after", "1"),
            (false, 1) => {
                let later = SystemTime::now() + Duration::from_secs(2);
                Reply::new(429, "slow down").header("retry-after", &httpdate::fmt_http_date(later))
            }
            _ => ok(),
        }
    });
    let run = replay(
        dir.path(),
        &[
            file.to_str().unwrap(),
            "-v",
            "--endpoint",
            &endpoint(&server),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.requests().len(), 4);
    let stderr = &run.stderr;
    assert!(
        stderr.contains("line 1: HTTP 503 Service Unavailable: busy; retrying in"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 2: HTTP 429 Too Many Requests: slow down; retrying in"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("as its Retry-After asks").count(),
        2,
        "{stderr}"
    );
}

#[test]
fn bad_data_400_is_final_and_the_line_is_kept_in_dot_failed() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "trace-data", LEGACY);
    let server =
        Server::start(|_| Reply::json(400, &serde_json::json!({"code": 3, "message": "bad span"})));
    let run = replay(
        dir.path(),
        &[file.to_str().unwrap(), "--endpoint", &endpoint(&server)],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(server.requests().len(), 1);
    assert!(
        run.stderr
            .contains("line 1 not delivered: HTTP 400 Bad Request: bad span"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("lines failed:   1 (HTTP 400: 1)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("lines sent:     0"), "{}", run.stdout);
    let failed = std::fs::read_to_string(dir.path().join("trace-data.failed")).unwrap();
    assert_eq!(failed, LEGACY, "the original line, not the converted one");
    assert!(
        run.stderr
            .contains("error: 1 of 1 lines were not accepted in full; they are in"),
        "{}",
        run.stderr
    );
}

#[test]
fn payload_too_large_413_is_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "trace-data", SAMPLE);
    let server = Server::start(|_| Reply::new(413, "too large"));
    let run = replay(
        dir.path(),
        &[file.to_str().unwrap(), "--endpoint", &endpoint(&server)],
        &[],
    );
    assert_eq!(run.code, 1);
    assert_eq!(server.requests().len(), 2);
    assert!(
        run.stdout.contains("lines failed:   2 (HTTP 413: 2)"),
        "{}",
        run.stdout
    );
    let failed = std::fs::read_to_string(dir.path().join("trace-data.failed")).unwrap();
    let mut got = lines(&failed);
    got.sort_unstable();
    let mut expected = lines(SAMPLE);
    expected.sort_unstable();
    assert_eq!(got, expected);
}

#[test]
fn partial_success_counts_rejected_spans_and_is_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let sample = lines(SAMPLE);
    let file = write(dir.path(), "trace-data", SAMPLE);
    let first = sample[0].to_owned();
    let server = Server::start(move |request| {
        if request.body == first.as_bytes() {
            // Rejected count as a string, as OTLP/JSON writes int64.
            Reply::json(
                200,
                &serde_json::json!({"partialSuccess": {"rejectedSpans": "1", "errorMessage": "no ids"}}),
            )
        } else {
            Reply::json(
                200,
                &serde_json::json!({"partialSuccess": {"rejectedSpans": 1}}),
            )
        }
    });
    let run = replay(
        dir.path(),
        &[file.to_str().unwrap(), "--endpoint", &endpoint(&server)],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(server.requests().len(), 2);
    assert!(run.stdout.contains("lines sent:     2"), "{}", run.stdout);
    assert!(run.stdout.contains("spans accepted: 1"), "{}", run.stdout);
    assert!(run.stdout.contains("spans rejected: 2"), "{}", run.stdout);
    assert!(
        run.stdout.contains("lines failed:   2 (spans rejected: 2)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("line 1: the receiver rejected 1 of 2 spans: no ids"),
        "{}",
        run.stderr
    );
    let failed = std::fs::read_to_string(dir.path().join("trace-data.failed")).unwrap();
    assert_eq!(lines(&failed).len(), 2);
}

#[test]
fn a_closed_connection_is_retried_and_a_receiver_that_always_closes_fails_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "trace-data", LEGACY);
    let attempts = Attempts::default();
    let server = Server::start(move |_| {
        if attempts.next("") == 1 {
            Reply::Close
        } else {
            ok()
        }
    });
    let run = replay(
        dir.path(),
        &[file.to_str().unwrap(), "--endpoint", &endpoint(&server)],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.requests().len(), 2);

    let closing = Server::start(|_| Reply::Close);
    let run = replay(
        dir.path(),
        &[file.to_str().unwrap(), "--endpoint", &endpoint(&closing)],
        &[],
    );
    assert_eq!(run.code, 1);
    assert_eq!(closing.requests().len(), 6, "bounded attempts");
    assert!(
        run.stderr.contains("gave up after 6 attempts"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("(connection: 1)"), "{}", run.stdout);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("trace-data.failed")).unwrap(),
        LEGACY
    );
}

#[test]
fn a_receiver_that_is_down_stops_the_replay_and_keeps_every_line() {
    let dir = tempfile::tempdir().unwrap();
    let content = SAMPLE.repeat(20);
    let file = write(dir.path(), "trace-data", &content);
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/v1/traces");
    let run = replay(
        dir.path(),
        &[
            file.to_str().unwrap(),
            "--endpoint",
            &url,
            "--concurrency",
            "2",
        ],
        &[],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains(&format!("error: cannot reach the OTLP receiver at {url}")),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("lines sent:     0"), "{}", run.stdout);
    assert!(run.stdout.contains("lines failed:   40"), "{}", run.stdout);
    let failed = std::fs::read_to_string(dir.path().join("trace-data.failed")).unwrap();
    assert_eq!(lines(&failed).len(), 40);
}
