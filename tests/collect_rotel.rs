//! `collect` with Rotel (`rotel-agent`), a third-party OTLP agent: Rotel forwarding to
//! `collect` (receiver → OTLP exporter → `collect`, over gRPC and HTTP), and the round
//! trip collect → `summary` → `replay` into Rotel with exactly the spans received.

mod support;

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use support::ci_tracing;
use support::collect::Collect;
use support::rotel::Rotel;

/// Writes a generated trace file of `lines` lines; returns its span count.
fn generated(path: &Path, lines: u64) -> u64 {
    let options = support::generate::Options {
        lines: Some(lines),
        seed: 7,
        ..Default::default()
    };
    let mut file = std::fs::File::create(path).unwrap();
    let generated = support::generate::write(&options, &mut file).unwrap();
    file.flush().unwrap();
    generated.spans
}

fn replay(dir: &Path, file: &Path, endpoint: &str, extra: &[&str]) {
    let output = ci_tracing(dir)
        .args(["replay", file.to_str().unwrap(), "--endpoint", endpoint])
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        support::text(&output.stdout),
        support::text(&output.stderr)
    );
}

fn summary(dir: &Path, file: &Path) -> serde_json::Value {
    let output = ci_tracing(dir)
        .args(["summary", file.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Spans in `collect`'s file.
fn spans_in(collect: &Collect) -> u64 {
    collect
        .lines()
        .iter()
        .flat_map(|line| line["resourceSpans"].as_array().unwrap().clone())
        .flat_map(|rs| rs["scopeSpans"].as_array().unwrap().clone())
        .map(|ss| ss["spans"].as_array().unwrap().len() as u64)
        .sum()
}

#[test]
fn rotel_forwards_to_collect_over_grpc_and_http() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.jsonl");
    let spans = generated(&input, 50);
    for protocol in ["grpc", "http"] {
        let collect = Collect::start(dir.path(), &[]);
        let endpoint = match protocol {
            "grpc" => collect.grpc_url(),
            _ => format!("http://{}", collect.http),
        };
        let rotel = Rotel::start_with(
            dir.path(),
            &[
                "--exporter",
                "otlp",
                "--otlp-exporter-endpoint",
                &endpoint,
                "--otlp-exporter-protocol",
                protocol,
            ],
        );
        replay(dir.path(), &input, &rotel.endpoint(), &["--protobuf"]);
        // Rotel batches and exports on its own time: wait for it, then count.
        let deadline = Instant::now() + Duration::from_secs(60);
        while spans_in(&collect) < spans && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        drop(rotel);
        let stopped = collect.stop();
        assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
        let written = std::fs::read_to_string(dir.path().join("trace-data.json")).unwrap();
        let total: u64 = written
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("whole lines"))
            .flat_map(|line| line["resourceSpans"].as_array().unwrap().clone())
            .flat_map(|rs| rs["scopeSpans"].as_array().unwrap().clone())
            .map(|ss| ss["spans"].as_array().unwrap().len() as u64)
            .sum();
        assert_eq!(total, spans, "spans Rotel forwarded over {protocol}");
        assert!(
            stopped.stderr.contains(&format!(" {spans} spans")),
            "{}",
            stopped.stderr
        );
        std::fs::remove_file(dir.path().join("trace-data.json")).unwrap();
    }
}

#[test]
fn collect_then_summary_then_replay_into_rotel_keeps_every_span() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("input.jsonl");
    let spans = generated(&input, 300);
    let collect = Collect::start(dir.path(), &[]);
    replay(dir.path(), &input, &collect.traces_url(), &[]);
    replay(
        dir.path(),
        &input,
        &collect.traces_url(),
        &["--protobuf", "--gzip"],
    );
    let output = collect.output.clone();
    let stopped = collect.stop();
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    assert!(
        stopped
            .stderr
            .contains(&format!("600 requests, {} spans, 600 lines", 2 * spans)),
        "{}",
        stopped.stderr
    );

    let original = summary(dir.path(), &input);
    let received = summary(dir.path(), &output);
    assert_eq!(received["lines"], 600);
    assert_eq!(received["invalid_lines"], 0);
    for key in ["spans", "error_spans", "resource_batches"] {
        assert_eq!(
            received[key].as_u64().unwrap(),
            2 * original[key].as_u64().unwrap(),
            "{key}"
        );
    }
    for key in ["traces", "time_range", "services"] {
        let mut services = original[key].clone();
        if key == "services" {
            for service in services.as_array_mut().unwrap() {
                for count in ["spans", "errors"] {
                    service[count] = (2 * service[count].as_u64().unwrap()).into();
                }
            }
        }
        assert_eq!(received[key], services, "{key}");
    }

    let rotel = Rotel::start(dir.path());
    replay(dir.path(), &output, &rotel.endpoint(), &["--protobuf"]);
    assert_eq!(rotel.spans_when_settled(2 * spans), 2 * spans);
    replay(
        dir.path(),
        &output,
        &rotel.grpc_endpoint(),
        &["--protocol", "grpc"],
    );
    assert_eq!(rotel.spans_when_settled(4 * spans), 4 * spans, "after gRPC");
}
