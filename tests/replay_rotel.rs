//! `ci-tracing replay` against a real OTLP receiver nobody on this project wrote: Rotel
//! (`rotel-agent` from PyPI `rotel`, installed into `.venv` by `scripts/setup.sh`).
//!
//! Rotel logs `"spans": N` for every batch it receives (`--debug-log traces`, JSON log
//! format) and answers 400 to anything it cannot decode (wrong content type, base64
//! ids, unquoted 64-bit numbers), so the sum of its log is what it really received.

mod support;

use std::io::Write as _;
use std::process::Command;

use support::ci_tracing;
use support::rotel::Rotel;

const FIXTURES: [&str; 2] = [
    include_str!("fixtures/collector-pdata-sample.jsonl"),
    include_str!("fixtures/legacy-instrumentation-library.jsonl"),
];
/// Spans in the fixtures (the legacy line's span counts: replay converts it).
const FIXTURE_SPANS: u64 = 4;

#[test]
fn rotel_receives_exactly_the_spans_of_the_file_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let rotel = Rotel::start(dir.path());
    let fixtures = dir.path().join("fixtures.jsonl");
    std::fs::write(&fixtures, FIXTURES.concat()).unwrap();
    let generated_path = dir.path().join("generated.jsonl");
    let options = support::generate::Options {
        lines: Some(300),
        seed: 3,
        ..Default::default()
    };
    let mut file = std::fs::File::create(&generated_path).unwrap();
    let generated = support::generate::write(&options, &mut file).unwrap();
    file.flush().unwrap();
    let modes: [&[&str]; 6] = [
        &[],
        &["--gzip"],
        &["--protobuf"],
        &["--protobuf", "--gzip", "--shift-to-now"],
        &["--protocol", "grpc"],
        &["--protocol", "grpc", "--gzip", "--shift-to-now"],
    ];
    let mut expected = 0;
    for mode in modes {
        for (path, spans) in [
            (&fixtures, FIXTURE_SPANS),
            (&generated_path, generated.spans),
        ] {
            let endpoint = if mode.contains(&"grpc") {
                rotel.grpc_endpoint()
            } else {
                rotel.endpoint()
            };
            let output = ci_tracing(dir.path())
                .args(["replay", path.to_str().unwrap(), "--endpoint", &endpoint])
                .args(mode)
                .output()
                .unwrap();
            let stdout = support::text(&output.stdout);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{mode:?}: {stdout}{}",
                support::text(&output.stderr)
            );
            assert!(
                stdout.contains(&format!("spans accepted: {spans}\n")),
                "{mode:?}: {stdout}"
            );
            expected += spans;
            assert_eq!(
                rotel.spans_when_settled(expected),
                expected,
                "spans rotel logged after {mode:?} {}",
                path.display()
            );
        }
    }
    assert!(!dir.path().join("fixtures.jsonl.failed").exists());
}

#[test]
fn without_conversion_rotel_would_drop_legacy_spans_silently() {
    // Pins the reason for the conversion: the legacy line as it is gets 200 and 0 spans.
    let dir = tempfile::tempdir().unwrap();
    let rotel = Rotel::start(dir.path());
    let output = Command::new("curl")
        .args([
            "-sf",
            "-o",
            "/dev/null",
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
        ])
        .arg(FIXTURES[1].trim())
        .arg(rotel.endpoint())
        .output()
        .expect("curl is installed by scripts/setup-test.sh");
    assert!(output.status.success());
    let output = ci_tracing(dir.path())
        .args(["replay", "-", "--endpoint", &rotel.endpoint()])
        .write_stdin(FIXTURES[1])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        rotel.spans_when_settled(1),
        1,
        "only the converted line's span arrives"
    );
}
