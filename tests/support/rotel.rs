//! Rotel (`rotel-agent` from PyPI `rotel`, installed into `.venv` by `scripts/setup.sh`):
//! a real OTLP receiver and forwarder nobody on this project wrote.
//!
//! Rotel logs `"spans": N` for every batch it receives (`--debug-log traces`, JSON log
//! format), so the sum of its log is what it really received.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `rotel-agent`: `$ROTEL_AGENT`, `.venv/bin`, inside the installed package, or `PATH`.
pub fn rotel_agent() -> PathBuf {
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

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `rotel-agent`, stopped when dropped.
pub struct Rotel {
    child: Child,
    log: PathBuf,
    /// Its OTLP/HTTP port.
    pub port: u16,
    /// Its OTLP/gRPC port.
    pub grpc: u16,
}

impl Rotel {
    /// Rotel with the blackhole exporter: it receives, counts and drops.
    pub fn start(dir: &Path) -> Self {
        Self::start_with(dir, &["--exporter", "blackhole"])
    }

    /// Rotel with `exporter` arguments (say, an OTLP exporter pointed elsewhere).
    pub fn start_with(dir: &Path, exporter: &[&str]) -> Self {
        let (port, grpc) = (free_port(), free_port());
        let log = dir.join("rotel.log");
        let child = Command::new(rotel_agent())
            .arg("start")
            .args(exporter)
            .args(["--debug-log", "traces", "--log-format", "json"])
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
        let mut rotel = Self {
            child,
            log,
            port,
            grpc,
        };
        rotel.wait_until_listening();
        rotel
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err()
            || TcpStream::connect(("127.0.0.1", self.grpc)).is_err()
        {
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

    /// Its OTLP/HTTP traces endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}/v1/traces", self.port)
    }

    /// Its OTLP/gRPC endpoint.
    pub fn grpc_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.grpc)
    }

    /// The sum of `spans` over every "Received traces." line of the log.
    pub fn spans_logged(&self) -> u64 {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|entry| entry["msg"] == "Received traces.")
            .map(|entry| entry["spans"].as_u64().unwrap_or(0))
            .sum()
    }

    /// Waits for the log to reach `expected` (its exporter logs asynchronously), then
    /// returns what it says, so that a wrong count fails with the real number.
    pub fn spans_when_settled(&self, expected: u64) -> u64 {
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
