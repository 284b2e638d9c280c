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

/// A trace file in a fresh directory and a fake receiver for it.
struct Case {
    dir: tempfile::TempDir,
    file: PathBuf,
    server: Server,
}

impl Case {
    fn new(content: &str, handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "trace-data", content);
        let server = Server::start(handler);
        Self { dir, file, server }
    }

    /// Replays the file to the fake receiver with `flags`.
    fn replay(&self, flags: &[&str]) -> Run {
        let endpoint = endpoint(&self.server);
        let mut args = vec![self.file.to_str().unwrap(), "--endpoint", &endpoint];
        args.extend_from_slice(flags);
        replay(self.dir.path(), &args, &[])
    }

    /// What `trace-data.failed` holds.
    fn failed(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("trace-data.failed")).unwrap()
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
    let case = Case::new(SAMPLE, |_| ok());
    let run = case.replay(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let requests = case.server.requests();
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
    assert!(!case.dir.path().join("trace-data.failed").exists());
}

#[test]
fn gzip_bodies_decompress_to_the_lines() {
    let case = Case::new(SAMPLE, |_| Reply::new(200, Vec::new()));
    let run = case.replay(&["--gzip"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let requests = case.server.requests();
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
    let sample = lines(SAMPLE);
    let content = format!("\r\n{}\r\n\n   \n{}", sample[0], sample[1]);
    let case = Case::new(&content, |_| ok());
    let run = case.replay(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut expected = vec![sample[0].to_owned(), sample[1].to_owned()];
    expected.sort();
    assert_eq!(
        sorted_bodies(&case.server.requests(), <[u8]>::to_vec),
        expected
    );
}

#[test]
fn legacy_lines_are_converted_to_scope_spans_with_a_warning() {
    let case = Case::new(LEGACY, |_| ok());
    let run = case.replay(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("line 1 has the pre-v0.48 shape"),
        "{}",
        run.stderr
    );
    let body = case.server.requests()[0].json();
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
    let sample = lines(SAMPLE);
    let first = sample[0].to_owned();
    let attempts = Attempts::default();
    let case = Case::new(SAMPLE, move |request| {
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
    let run = case.replay(&["-v"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(case.server.requests().len(), 4);
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
    let case = Case::new(LEGACY, |_| {
        Reply::json(400, &serde_json::json!({"code": 3, "message": "bad span"}))
    });
    let run = case.replay(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(case.server.requests().len(), 1);
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
    let failed = case.failed();
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
    let case = Case::new(SAMPLE, |_| Reply::new(413, "too large"));
    let run = case.replay(&[]);
    assert_eq!(run.code, 1);
    assert_eq!(case.server.requests().len(), 2);
    assert!(
        run.stdout.contains("lines failed:   2 (HTTP 413: 2)"),
        "{}",
        run.stdout
    );
    let failed = case.failed();
    let mut got = lines(&failed);
    got.sort_unstable();
    let mut expected = lines(SAMPLE);
    expected.sort_unstable();
    assert_eq!(got, expected);
}

#[test]
fn partial_success_counts_rejected_spans_and_is_not_retried() {
    let sample = lines(SAMPLE);
    let first = sample[0].to_owned();
    let case = Case::new(SAMPLE, move |request| {
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
    let run = case.replay(&[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(case.server.requests().len(), 2);
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
    let failed = case.failed();
    assert_eq!(lines(&failed).len(), 2);
}

#[test]
fn a_closed_connection_is_retried_and_a_receiver_that_always_closes_fails_the_line() {
    let attempts = Attempts::default();
    let case = Case::new(LEGACY, move |_| {
        if attempts.next("") == 1 {
            Reply::Close
        } else {
            ok()
        }
    });
    let run = case.replay(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(case.server.requests().len(), 2);

    let closing = Server::start(|_| Reply::Close);
    let run = replay(
        case.dir.path(),
        &[
            case.file.to_str().unwrap(),
            "--endpoint",
            &endpoint(&closing),
        ],
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
    assert_eq!(case.failed(), LEGACY);
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

#[test]
fn invalid_lines_are_reported_by_number_skipped_and_kept() {
    let sample = lines(SAMPLE);
    let content = format!(
        "{}\nnot json\n{{\"resourceLogs\":[]}}\n{}\n",
        sample[0], sample[1]
    );
    let case = Case::new(&content, |_| ok());
    let run = case.replay(&[]);
    assert_eq!(run.code, 1, "invalid lines mean spans were not accepted");
    assert_eq!(case.server.requests().len(), 2);
    assert!(
        run.stderr
            .contains("line 2 skipped: not an OTLP/JSON trace request"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("line 3 skipped: no `resourceSpans`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("lines failed:   2 (invalid: 2)"),
        "{}",
        run.stdout
    );
    let failed = case.failed();
    assert_eq!(failed, "not json\n{\"resourceLogs\":[]}\n");
}

#[test]
fn strict_stops_at_the_first_invalid_line_and_keeps_the_rest_unsent() {
    let sample = lines(SAMPLE);
    let content = format!("{}\nnot json\n{}\n", sample[0], sample[1]);
    let case = Case::new(&content, |_| ok());
    let run = case.replay(&["--strict", "--concurrency", "1"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(case.server.requests().len(), 1);
    assert_eq!(case.server.requests()[0].body, sample[0].as_bytes());
    assert!(
        run.stderr.contains("error: line 2 is not valid"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("lines failed:   2 (invalid: 1, not sent: 1)"),
        "{}",
        run.stdout
    );
    let failed = case.failed();
    assert_eq!(failed, format!("not json\n{}\n", sample[1]));
}

#[test]
fn standard_input_is_read_and_its_failures_go_to_replay_failed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(|_| Reply::new(400, ""));
    let mut cmd = ci_tracing(dir.path());
    cmd.args(["replay", "-", "--endpoint", &endpoint(&server)])
        .write_stdin(LEGACY);
    let output = cmd.output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(server.requests().len(), 1);
    let failed = std::fs::read_to_string(dir.path().join("replay.failed")).unwrap();
    assert_eq!(failed, LEGACY);
}

#[test]
fn an_existing_failed_file_is_replaced_and_the_user_is_told() {
    let case = Case::new(LEGACY, |_| Reply::new(400, ""));
    write(
        case.dir.path(),
        "trace-data.failed",
        "from an earlier run\n",
    );
    let run = case.replay(&[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("it replaced the file of that name from an earlier run"),
        "{}",
        run.stderr
    );
    let failed = case.failed();
    assert_eq!(failed, LEGACY);
    let names: Vec<_> = std::fs::read_dir(case.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "no temporary file left behind: {names:?}");
}

#[test]
fn the_default_file_is_the_one_fetch_traces_writes() {
    let dir = tempfile::tempdir().unwrap();
    let tracing = dir.path().join(".github/tracing");
    std::fs::create_dir_all(&tracing).unwrap();
    write(&tracing, "trace-data", LEGACY);
    let server = Server::start(|_| ok());
    let run = replay(dir.path(), &["--endpoint", &endpoint(&server)], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(server.requests().len(), 1);

    let empty = tempfile::tempdir().unwrap();
    let run = replay(empty.path(), &["--endpoint", &endpoint(&server)], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("fetch-traces"), "{}", run.stderr);
}

#[test]
fn endpoints_come_from_the_flag_then_the_otel_variables() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "trace-data", LEGACY);
    let file = file.to_str().unwrap();
    let server = Server::start(|_| ok());
    let base = server.url();
    let traces = format!("{base}/custom/path");
    let generic = format!("{base}/base/");
    let both = [
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", traces.as_str()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", generic.as_str()),
    ];
    assert_eq!(replay(dir.path(), &[file], &both).code, 0);
    assert_eq!(replay(dir.path(), &[file], &both[1..]).code, 0);
    let flag = format!("{base}/flag");
    assert_eq!(
        replay(dir.path(), &[file, "--endpoint", &flag], &both).code,
        0
    );
    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(targets, ["/custom/path", "/base/v1/traces", "/flag"]);

    let run = replay(
        dir.path(),
        &[file],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318")],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("OTEL_EXPORTER_OTLP_ENDPOINT"),
        "{}",
        run.stderr
    );
}

#[test]
fn headers_from_the_environment_and_flags_are_sent_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "trace-data", LEGACY);
    let server = Server::start(|_| Reply::new(400, "no"));
    let env = [(
        "OTEL_EXPORTER_OTLP_HEADERS",
        "Authorization=Bearer%20sentinel-env-4711,x-scope-orgid=tenant",
    )];
    let run = replay(
        dir.path(),
        &[
            file.to_str().unwrap(),
            "-vv",
            "--header",
            "X-Api-Key=sentinel-flag-0815",
            "--header",
            "x-scope-orgid=override",
            "--endpoint",
            &endpoint(&server),
        ],
        &env,
    );
    assert_eq!(run.code, 1);
    let request = &server.requests()[0];
    assert_eq!(
        request.header("authorization"),
        Some("Bearer sentinel-env-4711")
    );
    assert_eq!(request.header("x-api-key"), Some("sentinel-flag-0815"));
    assert_eq!(request.header("x-scope-orgid"), Some("override"));
    for output in [&run.stdout, &run.stderr] {
        assert!(!output.contains("sentinel"), "{output}");
    }
    assert!(
        run.stderr
            .contains("extra headers: authorization, x-scope-orgid, x-api-key"),
        "{}",
        run.stderr
    );

    let run = replay(
        dir.path(),
        &[
            file.to_str().unwrap(),
            "--header",
            "Authorization: Bearer sentinel-9",
            "--endpoint",
            &endpoint(&server),
        ],
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("NAME=VALUE"), "{}", run.stderr);
    assert!(!run.stderr.contains("sentinel"), "{}", run.stderr);
    assert_eq!(
        server.requests().len(),
        1,
        "nothing sent after a bad header"
    );
}

#[test]
fn requests_run_concurrently_on_kept_alive_connections() {
    let content = SAMPLE.repeat(20);
    let case = Case::new(&content, |_| {
        std::thread::sleep(Duration::from_millis(20));
        ok()
    });
    let run = case.replay(&["--concurrency", "4"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let requests = case.server.requests();
    assert_eq!(requests.len(), 40);
    let mut connections: Vec<usize> = requests.iter().map(|r| r.connection).collect();
    connections.sort_unstable();
    connections.dedup();
    assert!(
        connections.len() <= 4,
        "at most --concurrency connections: {connections:?}"
    );
    assert!(
        connections.len() >= 2,
        "more than one request in flight: {connections:?}"
    );
}
