//! `ci-tracing replay` against fake OTLP/HTTP receivers: what goes over the wire in each
//! mode, which lines are read and where they come from, what the user sees and keeps.

mod replay_support;
mod support;

use std::time::Duration;

use replay_support::{
    Case, LEGACY, SAMPLE, endpoint, gunzip, lines, ok, replay, sorted_bodies, write,
};
use support::ci_tracing;
use support::http::{Reply, Server};

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
    run.prints("lines sent:     2");
    run.prints("spans accepted: 3");
    run.prints("spans rejected: 0");
    run.prints("lines failed:   0");
    run.says("1 spans have an empty trace or span id");
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
    run.says("line 1 has the pre-v0.48 shape");
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
    run.says("line 2 skipped: not an OTLP/JSON trace request");
    run.says("line 3 skipped: no `resourceSpans`");
    run.prints("lines failed:   2 (invalid: 2)");
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
    run.says("error: line 2 is not valid");
    run.prints("lines failed:   2 (invalid: 1, not sent: 1)");
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
    run.says("it replaced the file of that name from an earlier run");
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
    run.says("fetch-traces");
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
    run.says("OTEL_EXPORTER_OTLP_ENDPOINT");
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
    run.says("extra headers: authorization, x-scope-orgid, x-api-key");

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
    run.says("NAME=VALUE");
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

#[test]
fn json_prints_the_tally_as_one_object() {
    let case = Case::new(SAMPLE, |_| ok());
    let run = case.replay(&["--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    let tally: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    assert_eq!(tally["lines_sent"], 2);
    assert_eq!(tally["spans_accepted"], 3);
    assert_eq!(tally["spans_rejected"], 0);
    assert_eq!(tally["lines_failed"], 0);
    assert_eq!(tally["failures"], serde_json::json!({}));
    assert_eq!(tally["endpoint"], endpoint(&case.server));

    let refusing = Case::new(SAMPLE, |_| Reply::new(400, "bad"));
    let run = refusing.replay(&["--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let tally: serde_json::Value = serde_json::from_str(&run.stdout).expect("one JSON object");
    assert_eq!(tally["lines_sent"], 0);
    assert_eq!(tally["lines_failed"], 2);
    let failures = tally["failures"].as_object().unwrap();
    assert_eq!(
        failures.values().map(|n| n.as_u64().unwrap()).sum::<u64>(),
        2
    );
}
