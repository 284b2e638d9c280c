//! No header value, URL userinfo, query or signature ever appears in a message: the
//! message names the flag, the variable or the entry instead.
//!
//! Regression tests for values that were echoed: a `--header` without `=`; a malformed
//! entry of `OTEL_EXPORTER_OTLP_HEADERS`; an unsupported endpoint URL with
//! `user:password@`; a malformed `ACTIONS_RESULTS_URL`.

mod support;

use support::ci_tracing;
use support::job::Job;

const SECRET: &str = "s3ntinel-hunter2";

/// Runs `ci-tracing ARGS` with `envs` in a fresh directory holding a trace file.
fn run(args: &[&str], envs: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trace-data"), "{\"resourceSpans\":[]}\n").unwrap();
    let mut cmd = ci_tracing(dir.path());
    cmd.args(args);
    for (key, value) in envs {
        cmd.env(key, value);
    }
    let output = cmd.output().unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), all)
}

fn assert_refused_without_secret(code: i32, output: &str, names: &str) {
    assert_eq!(code, 2, "{output}");
    assert!(!output.contains(SECRET), "the secret leaked: {output}");
    assert!(
        !output.contains("hunter2"),
        "part of the secret leaked: {output}"
    );
    assert!(
        output.contains(names),
        "the message names the place: {output}"
    );
    assert_eq!(output.trim_end().lines().count(), 1, "one line: {output}");
}

#[test]
fn a_header_flag_without_equals_is_named_by_its_place() {
    let (code, output) = run(
        &[
            "replay",
            "trace-data",
            "--header",
            "a=b",
            "--header",
            SECRET,
        ],
        &[],
    );
    assert_refused_without_secret(code, &output, "--header number 2");
}

#[test]
fn a_malformed_otel_headers_entry_is_named_by_its_place() {
    let list = format!("api-key=ok,{SECRET}");
    let (code, output) = run(
        &["replay", "trace-data"],
        &[("OTEL_EXPORTER_OTLP_HEADERS", &list)],
    );
    assert_refused_without_secret(code, &output, "OTEL_EXPORTER_OTLP_HEADERS, entry number 2");
}

#[test]
fn an_unsupported_endpoint_is_shown_without_userinfo_or_query() {
    let url = format!("ftp://user:{SECRET}@collector.example/v1/traces?token={SECRET}");
    let (code, output) = run(&["replay", "trace-data", "--endpoint", &url], &[]);
    assert_refused_without_secret(code, &output, "ftp://collector.example/v1/traces");
    let unparsable = format!("http//user:{SECRET}@host");
    let (code, output) = run(
        &["replay", "trace-data"],
        &[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &unparsable)],
    );
    assert_refused_without_secret(code, &output, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
}

#[test]
fn a_malformed_results_url_is_shown_without_its_signature() {
    let job = Job::pull_request(&["enable tracing"]);
    job.write("trace-data.json", b"{\"resourceSpans\":[]}\n");
    let output = job
        .command()
        .args(["upload", "trace-data.json"])
        .env("ACTIONS_RUNTIME_TOKEN", &job.token)
        .env(
            "ACTIONS_RESULTS_URL",
            format!("results.example/?sig={SECRET}"),
        )
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_ne!(output.status.code(), Some(0), "{all}");
    assert!(!all.contains(SECRET), "the signature leaked: {all}");
    assert!(all.contains("ACTIONS_RESULTS_URL"), "{all}");
}
