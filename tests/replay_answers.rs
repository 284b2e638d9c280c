//! `ci-tracing replay` against fake OTLP/HTTP receivers that answer in every way OTLP
//! allows (and some it does not): retries, final failures, partial successes, receivers
//! that close the connection or are not there.

mod replay_support;
mod support;

use std::time::{Duration, SystemTime};

use replay_support::{Attempts, Case, LEGACY, SAMPLE, endpoint, lines, ok, replay, write};
use support::http::{Reply, Server};

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
    run.says("line 1 not delivered: HTTP 400 Bad Request: bad span");
    run.prints("lines failed:   1 (HTTP 400: 1)");
    run.prints("lines sent:     0");
    let failed = case.failed();
    assert_eq!(failed, LEGACY, "the original line, not the converted one");
    run.says("error: 1 of 1 lines were not accepted in full; they are in");
}

#[test]
fn payload_too_large_413_is_not_retried() {
    let case = Case::new(SAMPLE, |_| Reply::new(413, "too large"));
    let run = case.replay(&[]);
    assert_eq!(run.code, 1);
    assert_eq!(case.server.requests().len(), 2);
    run.prints("lines failed:   2 (HTTP 413: 2)");
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
    run.prints("lines sent:     2");
    run.prints("spans accepted: 1");
    run.prints("spans rejected: 2");
    run.prints("lines failed:   2 (spans rejected: 2)");
    run.says("line 1: the receiver rejected 1 of 2 spans: no ids");
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
    run.says("gave up after 6 attempts");
    run.prints("(connection: 1)");
    assert_eq!(case.failed(), LEGACY);
}

#[test]
fn nothing_listening_ends_the_replay_at_once_without_a_failed_copy() {
    let dir = tempfile::tempdir().unwrap();
    let content = SAMPLE.repeat(20);
    let file = write(dir.path(), "trace-data", &content);
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/v1/traces");
    let started = std::time::Instant::now();
    let run = replay(
        dir.path(),
        &[
            file.to_str().unwrap(),
            "--endpoint",
            &url,
            "--concurrency",
            "2",
        ],
        &[("CI_TRACING_RETRY_SCALE", "1")],
    );
    eprintln!(
        "replay against a closed port took {:.2} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(run.code, 1);
    let stderr: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(stderr.len(), 1, "one line: {}", run.stderr);
    run.says(&format!("error: nothing listens at {url} (cannot connect"));
    run.says("`ci-tracing stack init`, then `docker compose up` in .github/tracing");
    run.says(&format!("replay {} again", file.display()));
    assert!(!dir.path().join("trace-data.failed").exists());
    assert_eq!(
        support::fetch::files_in(dir.path()),
        ["trace-data"],
        "no temporary file left"
    );
}

#[test]
fn a_receiver_failing_lines_in_a_row_stops_the_replay_and_keeps_the_rest() {
    let content = SAMPLE.repeat(10);
    let sent = std::sync::atomic::AtomicBool::new(false);
    // Accepts one line, then drops every connection unanswered.
    let case = Case::new(&content, move |_| {
        if sent.swap(true, std::sync::atomic::Ordering::SeqCst) {
            Reply::Close
        } else {
            ok()
        }
    });
    let run = case.replay(&["--concurrency", "1"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.prints("lines sent:     1");
    run.prints("lines failed:   19");
    run.says("failed 5 line(s) in a row");
    assert_eq!(
        case.server.requests().len(),
        1 + 5 * 6,
        "5 lines, 6 attempts each"
    );
    let failed = case.failed();
    let kept = lines(&failed);
    assert_eq!(kept.len(), 19);
    assert!(
        kept == lines(&content)[1..],
        "every line but the accepted one, in order"
    );
}
