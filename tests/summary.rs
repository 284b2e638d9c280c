//! `ci-tracing summary`: text, markdown and JSON on generated files and the collector's
//! sample lines, checked against what the generator says it wrote.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::generate::{self, Generated, Options};
use support::{ci_tracing, text};

const SAMPLE: &str = include_str!("fixtures/collector-pdata-sample.jsonl");
const LEGACY: &str = include_str!("fixtures/legacy-instrumentation-library.jsonl");

fn generated(dir: &Path, lines: u64) -> (PathBuf, Generated) {
    let path = dir.join("trace-data");
    let file = std::fs::File::create(&path).unwrap();
    let done = generate::write(
        &Options {
            lines: Some(lines),
            seed: 11,
            ..Options::default()
        },
        std::io::BufWriter::new(file),
    )
    .unwrap();
    (path, done)
}

fn summary(dir: &Path, args: &[&str]) -> String {
    let out = ci_tracing(dir).arg("summary").args(args).assert().success();
    text(&out.get_output().stdout)
}

fn json(dir: &Path, file: &str) -> Value {
    serde_json::from_str(&summary(dir, &[file, "--format", "json"])).unwrap()
}

/// A span line of one service.
fn line(service: &str, spans: &[String]) -> String {
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
}

fn span(trace: &str, id: &str, parent: &str, name: &str, start: u64, nanos: u64) -> String {
    format!(
        r#"{{"traceId":"{trace}","spanId":"{id}","parentSpanId":"{parent}","name":{},"startTimeUnixNano":"{start}","endTimeUnixNano":"{}"}}"#,
        serde_json::to_string(name).unwrap(),
        start + nanos
    )
}

#[test]
fn json_counts_match_what_the_generator_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let (_, done) = generated(dir.path(), 600);
    let doc = json(dir.path(), "trace-data");
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["lines"], done.lines);
    assert_eq!(doc["spans"], done.spans);
    assert_eq!(doc["traces"], done.traces);
    assert_eq!(doc["bytes"].as_u64().unwrap() + done.lines, done.bytes);
    assert_eq!(doc["invalid_lines"], 0);
    let services = doc["services"].as_array().unwrap();
    let per_service: u64 = services.iter().map(|s| s["spans"].as_u64().unwrap()).sum();
    assert_eq!(per_service, done.spans);
    let errors: u64 = services.iter().map(|s| s["errors"].as_u64().unwrap()).sum();
    assert_eq!(doc["error_spans"].as_u64().unwrap(), errors);
    assert!(errors > 0);
    let names = doc["span_names"].as_array().unwrap();
    let per_name: u64 = names.iter().map(|n| n["count"].as_u64().unwrap()).sum();
    assert_eq!(per_name, done.spans);
    for n in names {
        let (p50, p95, max) = (&n["p50_nanos"], &n["p95_nanos"], &n["max_nanos"]);
        assert!(
            p50.as_u64() <= p95.as_u64() && p95.as_u64() <= max.as_u64(),
            "{n}"
        );
    }
    let slowest = doc["slowest_traces"].as_array().unwrap();
    assert_eq!(slowest.len(), 10);
    let durations: Vec<u64> = slowest
        .iter()
        .map(|t| t["duration_nanos"].as_u64().unwrap())
        .collect();
    assert!(durations.windows(2).all(|w| w[0] >= w[1]), "{durations:?}");
    let range = &doc["time_range"];
    let start: u64 = range["start_unix_nano"].as_str().unwrap().parse().unwrap();
    assert!(start >= generate::DEFAULT_START_UNIX_NANO);
}

#[test]
fn text_and_markdown_show_the_same_facts() {
    let dir = tempfile::tempdir().unwrap();
    let (_, done) = generated(dir.path(), 200);
    let plain = summary(dir.path(), &["trace-data"]);
    assert!(
        plain.contains(&format!("spans             {} (", done.spans)),
        "{plain}"
    );
    assert!(
        plain.contains(&format!("traces            {}\n", done.traces)),
        "{plain}"
    );
    for heading in [
        "Services",
        "Slowest traces",
        "Span names by total duration",
        "Span names by p95",
    ] {
        assert!(plain.contains(heading), "{heading}");
    }
    let markdown = summary(dir.path(), &["trace-data", "--format", "markdown"]);
    assert!(markdown.starts_with(&format!(
        "### Traces: {} spans in {} traces",
        done.spans, done.traces
    )));
    assert!(markdown.contains("| smoke-tests |"));
    let chart = &markdown[markdown.find("```mermaid\ngantt\n").expect("a chart")..];
    assert!(chart.trim_end().ends_with("```"));
    let tasks = chart.lines().filter(|l| l.contains(" :")).count();
    assert!((1..=50).contains(&tasks), "{tasks} tasks");
}

#[test]
fn the_job_summary_api_reads_the_file_twice_for_its_chart() {
    let dir = tempfile::tempdir().unwrap();
    let (path, done) = generated(dir.path(), 100);
    let summary = ci_tracing::trace::summarize_file(&path).unwrap();
    assert_eq!(summary.counts.spans, done.spans);
    let slowest = &summary.slowest[0];
    let spans = summary.slowest_trace_spans.as_ref().unwrap();
    assert_eq!(
        spans.len() as u64,
        slowest.spans,
        "every span of the slowest trace"
    );
    let markdown = ci_tracing::report::job_summary_markdown(&summary);
    let name = ci_tracing::report::markdown::escape(&slowest.name);
    assert!(
        markdown.contains(&format!("#### Slowest trace: {name}")),
        "{markdown}"
    );
    assert!(markdown.contains("```mermaid\ngantt\n"));
}

#[test]
fn standard_input_works_and_gets_the_chart_too() {
    let dir = tempfile::tempdir().unwrap();
    let (path, done) = generated(dir.path(), 50);
    let out = ci_tracing(dir.path())
        .args(["summary", "-", "--format", "markdown"])
        .pipe_stdin(&path)
        .unwrap()
        .assert()
        .success();
    let markdown = text(&out.get_output().stdout);
    assert!(markdown.contains(&format!("{} spans", done.spans)));
    assert!(markdown.contains("| File | standard input |"));
    assert!(
        markdown.contains("```mermaid\ngantt\n"),
        "standard input is read once, the chart's spans along with the rest:\n{markdown}"
    );
}

#[test]
fn invalid_legacy_and_id_less_lines_are_counted_apart() {
    let dir = tempfile::tempdir().unwrap();
    let content = format!("{SAMPLE}\n{{\"resourceSpans\": [\nnot json at all\n{LEGACY}");
    std::fs::write(dir.path().join("mixed.jsonl"), content).unwrap();
    let doc = json(dir.path(), "mixed.jsonl");
    assert_eq!(doc["lines"], 5);
    assert_eq!(doc["invalid_lines"], 2);
    let invalid: Vec<u64> = doc["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["line"].as_u64().unwrap())
        .collect();
    assert_eq!(invalid, [4, 5], "blank line 3 counts for numbering");
    assert_eq!(doc["legacy_lines"], 1);
    assert_eq!(doc["spans"], 4);
    assert_eq!(doc["spans_without_ids"], 1);
    assert_eq!(doc["traces"], 2);
    let out = ci_tracing(dir.path())
        .args(["summary", "mixed.jsonl"])
        .assert()
        .success();
    let plain = text(&out.get_output().stdout);
    assert!(
        plain.contains("Invalid lines (2)") && plain.contains("  line 5: not an OTLP/JSON"),
        "{plain}"
    );
    assert!(text(&out.get_output().stderr).contains("2 of 5 lines are not valid trace data"));
}

#[test]
fn a_trace_without_its_root_is_named_after_its_earliest_span() {
    let dir = tempfile::tempdir().unwrap();
    let t = "11111111111111111111111111111111";
    let file = [
        line(
            "api",
            &[span(
                t,
                "00000000000000b2",
                "00000000000000ff",
                "later",
                2_000,
                50,
            )],
        ),
        line(
            "db",
            &[span(
                t,
                "00000000000000b1",
                "00000000000000ff",
                "first",
                1_000,
                10,
            )],
        ),
    ]
    .join("\n");
    std::fs::write(dir.path().join("t.jsonl"), file).unwrap();
    let doc = json(dir.path(), "t.jsonl");
    let trace = &doc["slowest_traces"][0];
    assert_eq!(trace["trace_id"], t);
    assert_eq!(
        (trace["name"].clone(), trace["service"].clone()),
        ("first".into(), "db".into())
    );
    assert_eq!(trace["has_root"], false);
    assert_eq!(trace["duration_nanos"], 1_050);
    assert!(summary(dir.path(), &["t.jsonl"]).contains("(no root) first"));
}

#[test]
fn percentiles_are_within_the_sketch_error() {
    let dir = tempfile::tempdir().unwrap();
    let t = "22222222222222222222222222222222";
    let spans: Vec<String> = (1..=1000u64)
        .map(|i| span(t, &format!("{i:016x}"), "", "op", 1_000, i * 1_000_003))
        .collect();
    std::fs::write(dir.path().join("p.jsonl"), line("svc", &spans)).unwrap();
    let doc = json(dir.path(), "p.jsonl");
    let op = &doc["span_names"][0];
    for (key, exact) in [
        ("p50_nanos", 500 * 1_000_003_u64),
        ("p95_nanos", 950 * 1_000_003),
    ] {
        #[allow(clippy::cast_precision_loss)]
        let error = (op[key].as_u64().unwrap() as f64 - exact as f64).abs() / exact as f64;
        assert!(error < 0.016, "{key}: {} vs {exact}", op[key]);
    }
    assert_eq!(op["max_nanos"], 1000 * 1_000_003);
    assert_eq!(op["total_nanos"], 1_000_003_u64 * 500_500);
}

#[test]
fn untrusted_names_stay_text_in_every_form() {
    let dir = tempfile::tempdir().unwrap();
    let t = "33333333333333333333333333333333";
    let evil = "<img src=x onerror=alert(1)> | a:b;c#d \u{1b}[2J```";
    let file = line(
        "svc",
        &[span(t, "00000000000000c1", "", evil, 1_000, 5_000_000)],
    );
    std::fs::write(dir.path().join("e.jsonl"), file).unwrap();
    let plain = summary(dir.path(), &["e.jsonl"]);
    assert!(!plain.contains('\u{1b}'), "no terminal escapes");
    let markdown = summary(dir.path(), &["e.jsonl", "--format", "markdown"]);
    assert!(
        markdown.contains("&lt;img src=x onerror=alert(1)&gt; \\| a:b;c\\#d"),
        "{markdown}"
    );
    assert!(!markdown.contains("<img"));
    let chart = &markdown[markdown.find("```mermaid").unwrap()..];
    assert_eq!(
        chart.matches("```").count(),
        2,
        "the name cannot close the fence: {chart}"
    );
    assert!(
        chart.contains("‹img src=x onerror=alert(1)› | a∶b；c＃d"),
        "{chart}"
    );
    let doc = json(dir.path(), "e.jsonl");
    assert_eq!(doc["span_names"][0]["name"], evil);
}

#[test]
fn a_missing_file_is_a_usage_error_with_a_hint_for_summary_and_report() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["summary", "report"] {
        let out = ci_tracing(dir.path())
            .args([command, "absent.jsonl"])
            .assert()
            .code(2);
        let stderr = text(&out.get_output().stderr);
        assert!(
            stderr.contains("absent.jsonl") && stderr.contains("fetch-traces --pr"),
            "{command}: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(out.get_output().stdout.is_empty());
        let default = ci_tracing(dir.path()).arg(command).assert().code(2);
        assert!(text(&default.get_output().stderr).contains(".github/tracing/trace-data"));
    }
    assert!(
        !dir.path().join("traces.html").exists(),
        "no report is written"
    );
}
