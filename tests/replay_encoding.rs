//! What `replay` changes in a line and how it encodes it: protobuf bodies decoded with
//! the official OpenTelemetry Rust types (not with this crate's encoder), and the
//! `--shift-to-now` arithmetic checked span by span.

mod support;

use std::path::Path;
use std::process::Output;
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message as _;
use serde_json::Value;
use support::ci_tracing;
use support::http::{Reply, Server};

const SAMPLE: &str = include_str!("fixtures/collector-pdata-sample.jsonl");
const LEGACY: &str = include_str!("fixtures/legacy-instrumentation-library.jsonl");

/// The fixtures and a generated file: every value kind, errors, events, links.
fn test_lines() -> Vec<String> {
    let mut generated = Vec::new();
    let options = support::generate::Options {
        lines: Some(40),
        seed: 11,
        ..Default::default()
    };
    support::generate::write(&options, &mut generated).unwrap();
    let generated = String::from_utf8(generated).unwrap();
    [SAMPLE, LEGACY, &generated]
        .concat()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Writes `lines` to `dir/trace-data` and replays it to `server` with `flags`.
fn replay_output(dir: &Path, lines: &[String], flags: &[&str], server: &Server) -> Output {
    let file = dir.join("trace-data");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let endpoint = format!("{}/v1/traces", server.url());
    ci_tracing(dir)
        .args(["replay", file.to_str().unwrap(), "--endpoint", &endpoint])
        .args(flags)
        .output()
        .unwrap()
}

/// [`replay_output`] that must succeed; returns its standard error.
fn run_replay(dir: &Path, lines: &[String], flags: &[&str], server: &Server) -> String {
    let output = replay_output(dir, lines, flags, server);
    let stderr = support::text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    stderr
}

/// The line as the official OTLP/JSON deserializer reads it, after the documented
/// legacy renaming.
fn official_from_json(line: &str) -> ExportTraceServiceRequest {
    let current = line
        .replace("\"instrumentationLibrarySpans\"", "\"scopeSpans\"")
        .replace("\"instrumentationLibrary\"", "\"scope\"");
    serde_json::from_str(&current).unwrap()
}

#[test]
fn protobuf_bodies_decode_with_the_official_types_to_the_same_request() {
    let dir = tempfile::tempdir().unwrap();
    let lines = test_lines();
    let server = Server::start(|_| {
        Reply::new(200, Vec::new()).header("content-type", "application/x-protobuf")
    });
    run_replay(
        dir.path(),
        &lines,
        &["--protobuf", "--concurrency", "1"],
        &server,
    );
    let requests = server.requests();
    assert_eq!(requests.len(), lines.len());
    for (line, request) in lines.iter().zip(&requests) {
        assert_eq!(
            request.header("content-type"),
            Some("application/x-protobuf")
        );
        let decoded = ExportTraceServiceRequest::decode(request.body.as_slice()).unwrap();
        assert_eq!(decoded, official_from_json(line), "{line}");
    }
    let spans: usize = requests
        .iter()
        .map(|r| ExportTraceServiceRequest::decode(r.body.as_slice()).unwrap())
        .flat_map(|req| req.resource_spans)
        .flat_map(|rs| rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum();
    assert!(spans > 100, "the generated file has many spans: {spans}");
}

#[test]
fn protobuf_and_gzip_together() {
    let dir = tempfile::tempdir().unwrap();
    let lines = test_lines()[..3].to_vec();
    let server = Server::start(|_| Reply::new(200, Vec::new()));
    run_replay(
        dir.path(),
        &lines,
        &["--protobuf", "--gzip", "--concurrency", "1"],
        &server,
    );
    for (line, request) in lines.iter().zip(server.requests()) {
        assert_eq!(request.header("content-encoding"), Some("gzip"));
        let mut body = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&request.body[..]),
            &mut body,
        )
        .unwrap();
        let decoded = ExportTraceServiceRequest::decode(body.as_slice()).unwrap();
        assert_eq!(decoded, official_from_json(line));
    }
}

/// Every span of a request with its times and event times, in document order.
fn spans(request: &Value) -> Vec<(&Value, u64, u64, Vec<u64>)> {
    let nanos = |v: &Value| match v {
        Value::String(s) => s.parse().unwrap(),
        Value::Number(n) => n.as_u64().unwrap(),
        _ => 0,
    };
    let mut out = Vec::new();
    for rs in request["resourceSpans"].as_array().unwrap() {
        let scopes = rs
            .get("scopeSpans")
            .or_else(|| rs.get("instrumentationLibrarySpans"));
        for scope in scopes.and_then(Value::as_array).unwrap() {
            for span in scope["spans"].as_array().unwrap() {
                let events = span["events"].as_array().map_or_else(Vec::new, |events| {
                    events.iter().map(|e| nanos(&e["timeUnixNano"])).collect()
                });
                out.push((
                    span,
                    nanos(&span["startTimeUnixNano"]),
                    nanos(&span["endTimeUnixNano"]),
                    events,
                ));
            }
        }
    }
    out
}

fn now_nanos() -> u64 {
    u64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    )
    .unwrap()
}

#[test]
fn shift_to_now_moves_every_time_by_one_offset_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let lines = test_lines();
    let server = Server::start(|_| Reply::new(200, Vec::new()));
    let before = now_nanos();
    let stderr = run_replay(
        dir.path(),
        &lines,
        &["--shift-to-now", "--concurrency", "1"],
        &server,
    );
    let after = now_nanos();
    assert!(
        stderr.contains("so that the latest span ends now"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("trace-data")).unwrap(),
        lines.join("\n"),
        "the file is untouched"
    );
    let mut offset = None;
    let mut latest = 0;
    for (line, request) in lines.iter().zip(server.requests()) {
        let original: Value = serde_json::from_str(line).unwrap();
        let sent = request.json();
        let (old, new) = (spans(&original), spans(&sent));
        assert_eq!(old.len(), new.len());
        for (
            (old_span, old_start, old_end, old_events),
            (new_span, new_start, new_end, new_events),
        ) in old.iter().zip(&new)
        {
            for id in ["traceId", "spanId", "parentSpanId", "name"] {
                assert_eq!(old_span[id], new_span[id], "{id} unchanged");
            }
            if *old_start == 0 {
                assert_eq!(*new_start, 0, "an unset time stays unset");
                continue;
            }
            let shift = i128::from(*new_start) - i128::from(*old_start);
            assert_eq!(
                *offset.get_or_insert(shift),
                shift,
                "one offset for the whole file"
            );
            assert_eq!(new_end - new_start, old_end - old_start, "duration kept");
            for (old_time, new_time) in old_events.iter().zip(new_events) {
                assert_eq!(
                    i128::from(*new_time) - i128::from(*old_time),
                    shift,
                    "event moved too"
                );
            }
            latest = latest.max(*new_end);
        }
    }
    assert!(offset.unwrap() > 0);
    assert!(
        latest >= before && latest <= after,
        "latest end {latest} is now ({before}..{after})"
    );
}

#[test]
fn shift_to_now_reads_standard_input_twice_through_a_spool() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(|_| Reply::new(200, Vec::new()));
    let endpoint = format!("{}/v1/traces", server.url());
    let before = now_nanos();
    let output = ci_tracing(dir.path())
        .args(["replay", "-", "--shift-to-now", "--endpoint", &endpoint])
        .write_stdin(SAMPLE)
        .output()
        .unwrap();
    let after = now_nanos();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        support::text(&output.stderr)
    );
    let latest = server
        .requests()
        .iter()
        .map(support::http::Request::json)
        .flat_map(|request| spans(&request).into_iter().map(|s| s.2).collect::<Vec<_>>())
        .max()
        .unwrap();
    assert!(
        latest >= before && latest <= after,
        "{latest} in {before}..{after}"
    );
}

#[test]
fn a_protobuf_partial_success_answer_counts_rejected_spans() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [SAMPLE.lines().next().unwrap().to_owned()];
    // ExportTraceServiceResponse { partial_success { rejected_spans: 1, error_message: "no id" } }
    let answer = [
        0x0a, 0x09, 0x08, 0x01, 0x12, 0x05, b'n', b'o', b' ', b'i', b'd',
    ];
    let server = Server::start(move |_| {
        Reply::new(200, answer.to_vec()).header("content-type", "application/x-protobuf")
    });
    let output = replay_output(dir.path(), &lines, &["--protobuf"], &server);
    let (stdout, stderr) = (support::text(&output.stdout), support::text(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stdout.contains("spans accepted: 1\nspans rejected: 1\n"),
        "{stdout}"
    );
    assert!(
        stderr.contains("the receiver rejected 1 of 2 spans: no id"),
        "{stderr}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "a partial success is not retried"
    );
}
