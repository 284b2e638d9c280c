//! `ci-tracing collect` through the binary: the lines it writes are the Collector's,
//! byte for byte, over every transport and encoding; its answers are OTLP's; it stops
//! in good order on SIGTERM.

mod support;

use std::io::Write as _;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use prost::Message as _;
use support::collect::{Collect, post};

const FIXTURE: &str = include_str!("fixtures/collector-pdata-sample.jsonl");

fn fixture_lines() -> Vec<&'static str> {
    FIXTURE.lines().collect()
}

/// A fixture line as the protobuf message an SDK would send.
fn fixture_message(line: &str) -> ExportTraceServiceRequest {
    serde_json::from_str(line).expect("the fixture decodes")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

const JSON: (&str, &str) = ("Content-Type", "application/json");
const PROTOBUF: (&str, &str) = ("Content-Type", "application/x-protobuf");

#[test]
fn every_transport_writes_the_collectors_lines_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let collect = Collect::start(dir.path(), &[]);
    let mut expected = String::new();
    for line in fixture_lines() {
        let message = fixture_message(line).encode_to_vec();
        let sent = [
            post(collect.http, "/v1/traces", &[JSON], line.as_bytes()),
            post(
                collect.http,
                "/v1/traces",
                &[JSON, ("Content-Encoding", "gzip")],
                &gzip(line.as_bytes()),
            ),
            post(collect.http, "/v1/traces", &[PROTOBUF], &message),
            post(
                collect.http,
                "/v1/traces",
                &[PROTOBUF, ("Content-Encoding", "gzip")],
                &gzip(&message),
            ),
        ];
        for answer in sent {
            assert_eq!(answer.status, 200, "{}", support::text(&answer.body));
            expected.push_str(line);
            expected.push('\n');
        }
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let mut client = TraceServiceClient::connect(collect.grpc_url())
                .await
                .unwrap()
                .send_compressed(tonic::codec::CompressionEncoding::Gzip);
            client.export(fixture_message(line)).await.unwrap();
        });
        expected.push_str(line);
        expected.push('\n');
    }
    let stopped = collect.stop();
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    let written = std::fs::read_to_string(dir.path().join("trace-data.json")).unwrap();
    assert_eq!(written, expected);
    let closing = stopped.stderr.lines().last().unwrap();
    assert!(
        closing.contains("10 requests, 15 spans, 10 lines written to"),
        "{closing}"
    );
    assert!(closing.contains("0 rejected"), "{closing}");
}

#[test]
fn answers_are_otlps_and_the_receiver_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let collect = Collect::start(dir.path(), &["--max-request-size", "4096"]);
    let line = fixture_lines()[1];
    let ok = || {
        let answer = post(collect.http, "/v1/traces", &[JSON], line.as_bytes());
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, b"{}");
        assert_eq!(answer.header("content-type"), Some("application/json"));
    };
    ok();
    // Success in the request's encoding: an empty protobuf message.
    let answer = post(
        collect.http,
        "/v1/traces",
        &[PROTOBUF],
        &fixture_message(line).encode_to_vec(),
    );
    assert_eq!(
        (answer.status, answer.header("content-type")),
        (200, Some("application/x-protobuf"))
    );
    assert!(answer.body.is_empty());

    // Undecodable: 400 with a google.rpc.Status (code 3) in the request's encoding.
    let answer = post(collect.http, "/v1/traces", &[JSON], b"{\"resourceSpans\":");
    assert_eq!(answer.status, 400);
    let status: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(status["code"], 3, "{status}");
    let answer = post(collect.http, "/v1/traces", &[PROTOBUF], b"\xff\xff\xff\xff");
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body.first(), Some(&0x08), "field 1 (code) first");
    assert_eq!(answer.body.get(1), Some(&3));
    ok();

    // A span id of the wrong length, and not hex.
    let short_id = line.replace("88079ad5c94b5b13", "88079ad5");
    assert_eq!(
        post(collect.http, "/v1/traces", &[JSON], short_id.as_bytes()).status,
        400
    );
    let not_hex = line.replace("88079ad5c94b5b13", "zz079ad5c94b5b13");
    assert_eq!(
        post(collect.http, "/v1/traces", &[JSON], not_hex.as_bytes()).status,
        400
    );

    // Other content types and encodings.
    let answer = post(
        collect.http,
        "/v1/traces",
        &[("Content-Type", "text/plain")],
        line.as_bytes(),
    );
    assert_eq!(answer.status, 415);
    assert_eq!(
        post(collect.http, "/v1/traces", &[], line.as_bytes()).status,
        415
    );
    let answer = post(
        collect.http,
        "/v1/traces",
        &[JSON, ("Content-Encoding", "br")],
        line.as_bytes(),
    );
    assert_eq!(answer.status, 400);
    assert_eq!(
        post(collect.http, "/v2/traces", &[JSON], line.as_bytes()).status,
        404
    );
    ok();

    // Over the limit: declared, and inflated from a small gzip body (a gzip bomb).
    let big = vec![b' '; 8192];
    assert_eq!(post(collect.http, "/v1/traces", &[JSON], &big).status, 413);
    let bomb = gzip(&vec![b' '; 1 << 20]);
    assert!(bomb.len() < 4096);
    let answer = post(
        collect.http,
        "/v1/traces",
        &[JSON, ("Content-Encoding", "gzip")],
        &bomb,
    );
    assert_eq!(answer.status, 413);
    let status: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(status["code"], 8, "RESOURCE_EXHAUSTED: {status}");
    ok();

    // Logs and metrics are answered with success (and only counted).
    let logs =
        br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"hi"}},{}]}]}]}"#;
    let answer = post(collect.http, "/v1/logs", &[JSON], logs);
    assert_eq!((answer.status, answer.body.as_slice()), (200, &b"{}"[..]));
    let answer = post(collect.http, "/v1/metrics", &[PROTOBUF], b"");
    assert_eq!(answer.status, 200);

    let stopped = collect.stop();
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    let closing = stopped.stderr.lines().last().unwrap();
    assert!(
        closing.contains("5 requests, 5 spans, 5 lines"),
        "{closing}"
    );
    // Every refusal counts (not the 404 of a path that is no OTLP signal).
    assert!(
        closing.contains(" 9 rejected, 2 log records, 0 metric points"),
        "{closing}"
    );
    let written = std::fs::read_to_string(dir.path().join("trace-data.json")).unwrap();
    assert_eq!(written, format!("{line}\n").repeat(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_answers_use_otlps_codes() {
    let dir = tempfile::tempdir().unwrap();
    let collect = Collect::start(dir.path(), &["--max-request-size", "4096"]);
    let mut client = TraceServiceClient::connect(collect.grpc_url())
        .await
        .unwrap();
    let mut big = fixture_message(fixture_lines()[1]);
    big.resource_spans[0].scope_spans[0].spans[0].name = "x".repeat(8192);
    let err = client.export(big.clone()).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::ResourceExhausted, "{err}");
    // Compressed below the limit, inflated above it.
    let mut gzipped = TraceServiceClient::connect(collect.grpc_url())
        .await
        .unwrap()
        .send_compressed(tonic::codec::CompressionEncoding::Gzip);
    let err = gzipped.export(big).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::ResourceExhausted, "{err}");
    let mut bad_id = fixture_message(fixture_lines()[1]);
    bad_id.resource_spans[0].scope_spans[0].spans[0].span_id = vec![1, 2, 3];
    let err = client.export(bad_id).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err}");
    // Garbage that is not a protobuf message at all.
    let answer = grpc_raw(&collect, b"\xff\xff\xff\xff\xff");
    assert_eq!(answer, tonic::Code::InvalidArgument);
    client
        .export(fixture_message(fixture_lines()[1]))
        .await
        .unwrap();
    // Connections left open would hold the stop until its drain time runs out.
    drop((client, gzipped));
    let stopped = collect.stop();
    assert_eq!(stopped.code, Some(0));
    let closing = stopped.stderr.lines().last().unwrap();
    assert!(
        closing.contains("1 requests, 1 spans, 1 lines"),
        "{closing}"
    );
    assert!(closing.contains(" 4 rejected"), "{closing}");
}

/// Sends `body` as the message of a gRPC Export call, whatever it is.
fn grpc_raw(collect: &Collect, body: &[u8]) -> tonic::Code {
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(body);
    let output = std::process::Command::new("curl")
        .args([
            "-s",
            "--max-time",
            "20",
            "--http2-prior-knowledge",
            "-o",
            "/dev/null",
            "-D",
            "-",
            "-X",
            "POST",
        ])
        .args(["-H", "content-type: application/grpc", "-H", "te: trailers"])
        .arg("--data-binary")
        .arg(format!("@{}", write_temp(&frame).display()))
        .arg(format!(
            "{}/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            collect.grpc_url()
        ))
        .output()
        .expect("curl is installed by scripts/setup.sh");
    let headers = support::text(&output.stdout);
    let code = headers
        .lines()
        .find_map(|l| l.strip_prefix("grpc-status: "))
        .and_then(|c| c.trim().parse::<i32>().ok())
        .unwrap_or_else(|| panic!("no grpc-status in {headers}"));
    tonic::Code::from_i32(code)
}

fn write_temp(bytes: &[u8]) -> std::path::PathBuf {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    file.into_temp_path().keep().unwrap()
}

#[test]
fn it_appends_whole_lines_and_tells_where_it_listens() {
    let dir = tempfile::tempdir().unwrap();
    // An existing file whose last line has no line end.
    std::fs::write(dir.path().join("trace-data.json"), FIXTURE.trim_end()).unwrap();
    let collect = Collect::start(dir.path(), &["--grpc", "none"]);
    let ready = std::fs::read_to_string(dir.path().join("collect-ready.json")).unwrap();
    assert_eq!(
        ready.trim(),
        format!(
            r#"{{"http":"{}","grpc":null,"pid":{}}}"#,
            collect.http,
            collect.pid()
        )
    );
    assert!(
        collect.stderr_text().contains(&format!(
            "listening for OTLP on http://{} (HTTP)",
            collect.http
        )),
        "{}",
        collect.stderr_text()
    );
    let line = fixture_lines()[0];
    assert_eq!(
        post(collect.http, "/v1/traces", &[JSON], line.as_bytes()).status,
        200
    );
    let stopped = collect.stop();
    assert_eq!(stopped.code, Some(0));
    let written = std::fs::read_to_string(dir.path().join("trace-data.json")).unwrap();
    assert_eq!(written, format!("{FIXTURE}{line}\n"));
}

#[test]
fn wrong_invocations_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            &["--http", "none", "--grpc", "none"][..],
            "nothing to listen on",
        ),
        (
            &["--http", "not an address"][..],
            "--http `not an address` is not an address",
        ),
        (&["-o", "/dev/null"][..], "not a regular file"),
    ] {
        let output = support::ci_tracing(dir.path())
            .arg("collect")
            .args(args)
            .output()
            .unwrap();
        let stderr = support::text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_and_metrics_are_answered_counted_and_stored_when_asked() {
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
    let dir = tempfile::tempdir().unwrap();
    let (logs, metrics) = (
        dir.path().join("logs.jsonl"),
        dir.path().join("metrics.jsonl"),
    );
    let collect = Collect::start(
        dir.path(),
        &[
            "--logs",
            logs.to_str().unwrap(),
            "--metrics",
            metrics.to_str().unwrap(),
        ],
    );
    let body =
        br#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"hi"}},{}]}]}]}"#;
    assert_eq!(post(collect.http, "/v1/logs", &[JSON], body).status, 200);
    let request: ExportMetricsServiceRequest = serde_json::from_str(
        r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[{"asInt":"3"},{"asDouble":1.5}]}}]}]}]}"#,
    )
    .unwrap();
    let mut client = MetricsServiceClient::connect(collect.grpc_url())
        .await
        .unwrap();
    client.export(request).await.unwrap();
    drop(client);
    let stopped = collect.stop();
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    assert!(
        stopped
            .stderr
            .contains("0 requests, 0 spans, 0 lines written")
            && stopped.stderr.contains("2 log records, 2 metric points"),
        "{}",
        stopped.stderr
    );
    let logs = std::fs::read_to_string(logs).unwrap();
    assert_eq!(logs.lines().count(), 1);
    assert!(logs.contains(r#""stringValue":"hi""#), "{logs}");
    let metrics = std::fs::read_to_string(metrics).unwrap();
    assert_eq!(metrics.lines().count(), 1);
    assert!(metrics.contains(r#""name":"m""#), "{metrics}");
}

#[test]
fn it_serves_containers_on_all_interfaces_and_stops_on_sigint_too() {
    let dir = tempfile::tempdir().unwrap();
    let collect = Collect::start(dir.path(), &["--http", "0.0.0.0:0", "--grpc", "none"]);
    let ready = std::fs::read_to_string(dir.path().join("collect-ready.json")).unwrap();
    assert!(ready.starts_with(r#"{"http":"0.0.0.0:"#), "{ready}");
    let local = std::net::SocketAddr::from(([127, 0, 0, 1], collect.http.port()));
    let line = fixture_lines()[1];
    assert_eq!(
        post(local, "/v1/traces", &[JSON], line.as_bytes()).status,
        200
    );
    let stopped = collect.stop_with("INT");
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    assert!(
        stopped.stderr.contains("stopped by SIGINT: 1 requests"),
        "{}",
        stopped.stderr
    );
}

#[test]
fn a_port_in_use_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = support::ci_tracing(dir.path())
        .args(["collect", "--grpc", "none", "--http", &address])
        .output()
        .unwrap();
    let stderr = support::text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {address}")),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
