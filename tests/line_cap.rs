//! The line-length cap (`--max-line-bytes`, 256 MiB by default): a longer line is an
//! invalid line with its number, read past in bounded memory, never an abort; the lines
//! around it are read as usual, by every reader.
//!
//! Regression: `summary /dev/zero` grew to the memory limit and aborted, rescanning its
//! whole buffer for a line end every 4 MiB (quadratic on long lines).

mod replay_support;
mod support;

use std::process::Stdio;

use replay_support::{Case, SAMPLE, lines, ok};
use support::ci_tracing;

/// The sample's two lines with a 5,000-byte line between them.
fn with_a_long_line() -> String {
    let sample = lines(SAMPLE);
    format!("{}\n{}\n{}\n", sample[0], "x".repeat(5000), sample[1])
}

#[test]
fn summary_reports_a_line_over_the_cap_by_number_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trace-data"), with_a_long_line()).unwrap();
    let output = ci_tracing(dir.path())
        .args([
            "summary",
            "trace-data",
            "--format",
            "json",
            "--max-line-bytes",
            "2048",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["lines"], 3, "{json}");
    assert_eq!(json["invalid_lines"], 1, "{json}");
    assert_eq!(json["spans"], 3, "{json}");
    let first = json["invalid"][0].to_string();
    assert!(first.contains("5000 bytes long"), "{first}");
    assert!(first.contains("--max-line-bytes"), "{first}");
    assert_eq!(json["invalid"][0]["line"], 2, "{json}");
}

#[test]
fn replay_skips_a_line_over_the_cap_and_says_it_is_not_in_failed() {
    let case = Case::new(&with_a_long_line(), |_| ok());
    let run = case.replay(&["--max-line-bytes", "2048"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.says("line 2 skipped");
    run.says("not copied to .failed");
    assert_eq!(case.server.requests().len(), 2, "the other lines are sent");
    assert!(
        !case.dir.path().join("trace-data.failed").exists() || !case.failed().contains("xxxx"),
        "no partial line is written"
    );
}

#[test]
fn an_endless_line_from_a_pipe_is_read_past_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_ci-tracing");
    // 64 MiB without a line end, then a real line: the zeros are one line over the cap.
    let script = format!(
        "{{ head -c 67108864 /dev/zero; printf '\\n%s\\n' '{}'; }} | /usr/bin/time -f 'rss=%M' {bin} summary - --format json --max-line-bytes 1048576",
        lines(SAMPLE)[1]
    );
    let output = support::scrubbed("bash", dir.path())
        .args(["-c", &script])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["invalid_lines"], 1, "{json}");
    assert_eq!(json["spans"], 1, "{json}");
    assert!(
        json["invalid"][0]
            .to_string()
            .contains("67108864 bytes long"),
        "{json}"
    );
    let rss_kib: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("rss="))
        .and_then(|v| v.trim().parse().ok())
        .expect("/usr/bin/time reports the peak RSS");
    eprintln!(
        "peak RSS reading a 64 MiB line with a 1 MiB cap: {} MiB",
        rss_kib / 1024
    );
    assert!(rss_kib < 48 * 1024, "memory stays bounded: {rss_kib} KiB");
}
