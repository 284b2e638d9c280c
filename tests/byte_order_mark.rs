//! A UTF-8 byte order mark at the start of a trace file (some editors and Windows tools
//! write one) is skipped by every command that reads the file. Regression: it made
//! line 1 invalid.

mod replay_support;
mod support;

use replay_support::{Case, SAMPLE, lines, ok};
use support::ci_tracing;

fn with_bom() -> String {
    format!("\u{feff}{SAMPLE}")
}

#[test]
fn summary_reads_line_one_after_a_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trace-data"), with_bom()).unwrap();
    for format in ["text", "json"] {
        let output = ci_tracing(dir.path())
            .args(["summary", "trace-data", "--format", format])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert!(!stderr.contains("not valid"), "{stderr}");
        if format == "json" {
            let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(json["invalid_lines"], 0, "{json}");
            assert_eq!(json["spans"], 3, "{json}");
        }
    }
}

#[test]
fn replay_sends_line_one_without_the_byte_order_mark() {
    let case = Case::new(&with_bom(), |_| ok());
    let run = case.replay(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut bodies: Vec<String> = case
        .server
        .requests()
        .iter()
        .map(|r| String::from_utf8(r.body.clone()).unwrap())
        .collect();
    bodies.sort();
    let mut expected: Vec<String> = lines(SAMPLE).into_iter().map(str::to_owned).collect();
    expected.sort();
    assert_eq!(bodies, expected);
}
