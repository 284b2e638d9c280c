//! `ci-tracing replay` against a real OTLP receiver nobody on this project wrote: Rotel
//! (`rotel-agent` from PyPI `rotel`, installed into `.venv` by `scripts/setup.sh`).
//!
//! Rotel logs `"spans": N` for every batch it receives (`--debug-log traces`, JSON log
//! format) and answers 400 to anything it cannot decode (wrong content type, base64
//! ids, unquoted 64-bit numbers), so the sum of its log is what it really received.

mod support;

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::ci_tracing;

const FIXTURES: [&str; 2] = [
    include_str!("fixtures/collector-pdata-sample.jsonl"),
    include_str!("fixtures/legacy-instrumentation-library.jsonl"),
];
/// Spans in the fixtures (the legacy line's span counts: replay converts it).
const FIXTURE_SPANS: u64 = 4;

/// `rotel-agent`: `$ROTEL_AGENT`, `.venv/bin`, inside the installed package, or `PATH`.
fn rotel_agent() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut candidates: Vec<PathBuf> = std::env::var_os("ROTEL_AGENT")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.push(root.join(".venv/bin/rotel-agent"));
    if let Ok(libs) = std::fs::read_dir(root.join(".venv/lib")) {
        for lib in libs.flatten() {
            candidates.push(lib.path().join("site-packages/rotel/rotel-agent"));
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|dir| dir.join("rotel-agent")));
    }
    candidates.into_iter().find(|c| c.is_file()).unwrap_or_else(|| {
        panic!("rotel-agent (PyPI package `rotel`) is not installed: run scripts/setup.sh, which installs it into .venv")
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `rotel-agent`, stopped when dropped.
struct Rotel {
    child: Child,
    log: PathBuf,
    port: u16,
}

impl Rotel {
    fn start(dir: &Path) -> Self {
        let (port, grpc) = (free_port(), free_port());
        let log = dir.join("rotel.log");
        let child = Command::new(rotel_agent())
            .args([
                "start",
                "--exporter",
                "blackhole",
                "--debug-log",
                "traces",
                "--log-format",
                "json",
            ])
            .arg("--otlp-http-endpoint")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--otlp-grpc-endpoint")
            .arg(format!("127.0.0.1:{grpc}"))
            .arg("--pid-file")
            .arg(dir.join("rotel.pid"))
            .arg("--log-file")
            .arg(dir.join("rotel-agent.log"))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rotel-agent");
        let mut rotel = Self { child, log, port };
        rotel.wait_until_listening();
        rotel
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "rotel-agent exited with {status}: {}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "rotel-agent did not listen on port {} within 30 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/v1/traces", self.port)
    }

    /// The sum of `spans` over every "Received traces." line of the log.
    fn spans_logged(&self) -> u64 {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|entry| entry["msg"] == "Received traces.")
            .map(|entry| entry["spans"].as_u64().unwrap_or(0))
            .sum()
    }

    /// Waits for the log to reach `expected` (its exporter logs asynchronously), then
    /// returns what it says, so that a wrong count fails with the real number.
    fn spans_when_settled(&self, expected: u64) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let logged = self.spans_logged();
            if logged >= expected || Instant::now() > deadline {
                std::thread::sleep(Duration::from_millis(300));
                return self.spans_logged();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Rotel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
    let modes: [&[&str]; 4] = [
        &[],
        &["--gzip"],
        &["--protobuf"],
        &["--protobuf", "--gzip", "--shift-to-now"],
    ];
    let mut expected = 0;
    for mode in modes {
        for (path, spans) in [
            (&fixtures, FIXTURE_SPANS),
            (&generated_path, generated.spans),
        ] {
            let output = ci_tracing(dir.path())
                .args([
                    "replay",
                    path.to_str().unwrap(),
                    "--endpoint",
                    &rotel.endpoint(),
                ])
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
