//! Inputs that can be read only once (named FIFOs, process substitution) and inputs with
//! absurd values: each command reads them in one pass or fails with one line, never
//! hangs, never exits 0 having done less work.
//!
//! Regression tests for: `replay <(cat f) --shift-to-now` sent nothing and exited 0; the
//! same with a named FIFO hung, and so did `summary FIFO --format markdown` (the file was
//! opened a second time); `summary <(…) --format markdown` dropped the gantt chart
//! silently; one span ending near `u64::MAX` clamped every other timestamp to 1.

mod replay_support;
mod support;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use replay_support::{Case, SAMPLE, endpoint, lines, ok};
use support::ci_tracing;
use support::http::Server;

/// A bound on every run here: a hang fails the test instead of blocking the suite.
const BOUND: Duration = Duration::from_secs(120);

/// A named FIFO in `dir` that a thread fills with `content` once a reader opens it.
fn fifo(dir: &Path, content: &str) -> PathBuf {
    let path = dir.join("spans.fifo");
    support::mkfifo(&path);
    let (writer_path, content) = (path.clone(), content.to_owned());
    std::thread::spawn(move || {
        // Opening for writing waits for the reader; a reader that never comes leaves
        // this thread blocked until the test process ends, which is harmless.
        if let Ok(mut file) = std::fs::OpenOptions::new().write(true).open(writer_path) {
            let _ = file.write_all(content.as_bytes());
        }
    });
    path
}

/// Runs a bash script that calls `ci-tracing` (so that `<(…)` works) in `dir`, with the
/// test environment scrubbed, bounded by `timeout`.
fn bash(dir: &Path, script: &str) -> std::process::Output {
    let bin = env!("CARGO_BIN_EXE_ci-tracing");
    support::scrubbed("timeout", dir)
        .arg(BOUND.as_secs().to_string())
        .args(["bash", "-c", &script.replace("ci-tracing", bin)])
        .output()
        .unwrap()
}

fn assert_all_sent(server: &Server, output: &std::process::Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(server.requests().len(), lines(SAMPLE).len(), "{stderr}");
    assert!(stdout.contains("lines sent:     2"), "{stdout}");
}

#[test]
fn replay_shift_to_now_reads_a_named_fifo_once() {
    let case = Case::new("", |_| ok());
    let path = fifo(case.dir.path(), SAMPLE);
    let output = ci_tracing(case.dir.path())
        .args(["replay", path.to_str().unwrap(), "--shift-to-now"])
        .args(["--endpoint", &endpoint(&case.server)])
        .timeout(BOUND)
        .output()
        .unwrap();
    assert_all_sent(&case.server, &output);
}

#[test]
fn replay_shift_to_now_reads_a_process_substitution_once() {
    let case = Case::new(SAMPLE, |_| ok());
    let script = format!(
        "ci-tracing replay <(cat {}) --shift-to-now --endpoint {}",
        case.file.display(),
        endpoint(&case.server)
    );
    let output = bash(case.dir.path(), &script);
    assert_all_sent(&case.server, &output);
}

fn assert_markdown_with_chart(output: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("| Spans | 3 "), "{stdout}");
    assert!(stdout.contains("gantt"), "the chart is missing:\n{stdout}");
}

#[test]
fn summary_markdown_of_a_named_fifo_has_the_chart() {
    let dir = tempfile::tempdir().unwrap();
    let path = fifo(dir.path(), SAMPLE);
    let output = ci_tracing(dir.path())
        .args(["summary", path.to_str().unwrap(), "--format", "markdown"])
        .timeout(BOUND)
        .output()
        .unwrap();
    assert_markdown_with_chart(&output);
}

#[test]
fn summary_markdown_of_a_process_substitution_and_of_stdin_has_the_chart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trace-data");
    std::fs::write(&file, SAMPLE).unwrap();
    let script = format!(
        "ci-tracing summary <(cat {}) --format markdown",
        file.display()
    );
    assert_markdown_with_chart(&bash(dir.path(), &script));
    let output = ci_tracing(dir.path())
        .args(["summary", "-", "--format", "markdown"])
        .write_stdin(SAMPLE)
        .timeout(BOUND)
        .output()
        .unwrap();
    assert_markdown_with_chart(&output);
}

/// Start and end time of the only span of a received JSON body.
fn span_times(body: &[u8]) -> (u64, u64) {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap();
    let span = &value["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    let time = |name: &str| span[name].as_str().unwrap().parse::<u64>().unwrap();
    (time("startTimeUnixNano"), time("endTimeUnixNano"))
}

#[test]
fn shift_to_now_keeps_durations_and_fails_only_the_span_that_does_not_fit() {
    let line = |start: u64, end: u64, name: &str| {
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"{name}","startTimeUnixNano":"{start}","endTimeUnixNano":"{end}"}}]}}]}}]}}"#
        )
    };
    let normal = line(
        1_700_000_000_000_000_000,
        1_700_000_000_250_000_000,
        "normal",
    );
    let absurd = line(u64::MAX - 10, u64::MAX - 5, "absurd");
    let case = Case::new(&format!("{normal}\n{absurd}\n"), |_| ok());
    let run = case.replay(&["--shift-to-now"]);
    assert_eq!(
        run.code, 1,
        "a line was not sent: not a success\n{}",
        run.stderr
    );
    run.says("outside the range");
    let requests = case.server.requests();
    assert_eq!(requests.len(), 1, "only the normal line is sent");
    let (start, end) = span_times(&requests[0].body);
    assert_eq!(end - start, 250_000_000, "the duration is kept");
    assert!(
        start > 1_700_000_000_000_000_000,
        "the normal span was moved"
    );
    assert_eq!(
        case.failed().trim_end(),
        absurd,
        "the absurd line is kept in .failed"
    );
}
