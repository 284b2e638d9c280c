//! `ci-tracing collect` as the tests run it: on free ports, found through its ready
//! file, stopped with SIGTERM; and a bare HTTP/1.1 client that can send anything
//! (wrong headers, half a body) to it.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A running `collect`, killed when dropped if not stopped.
pub struct Collect {
    child: Option<Child>,
    /// Its OTLP/HTTP address.
    pub http: SocketAddr,
    /// Its OTLP/gRPC address (`0.0.0.0:0` when off).
    pub grpc: SocketAddr,
    /// The trace file it appends to.
    pub output: PathBuf,
    stderr: PathBuf,
}

/// How `collect` ended.
#[derive(Debug)]
pub struct Stopped {
    /// Exit status.
    pub code: Option<i32>,
    /// Everything it printed on standard error.
    pub stderr: String,
}

impl Collect {
    /// Starts `collect -o DIR/trace-data.json` on free ports of 127.0.0.1 (unless
    /// `extra` names `-o`, `--http` or `--grpc`), with `extra` arguments, and waits for
    /// its ready file.
    pub fn start(dir: &Path, extra: &[&str]) -> Self {
        Self::start_with_env(dir, extra, &[])
    }

    /// [`Collect::start`] with more environment variables.
    pub fn start_with_env(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let named = extra.iter().position(|a| *a == "-o").map(|i| extra[i + 1]);
        let output = named.map_or_else(|| dir.join("trace-data.json"), PathBuf::from);
        let ready = dir.join("collect-ready.json");
        let stderr = dir.join("collect.stderr");
        let _ = std::fs::remove_file(&ready);
        let child = super::ci_tracing_std(dir)
            .arg("collect")
            .args(
                ["--http", "--grpc"]
                    .into_iter()
                    .filter(|f| !extra.contains(f))
                    .flat_map(|f| [f, "127.0.0.1:0"]),
            )
            .args(named.is_none().then_some("-o"))
            .args(named.is_none().then_some(&output))
            .arg("--ready-file")
            .arg(&ready)
            .args(extra)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("start ci-tracing collect");
        let mut collect = Self {
            child: Some(child),
            http: "0.0.0.0:0".parse().unwrap(),
            grpc: "0.0.0.0:0".parse().unwrap(),
            output,
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let ready: serde_json::Value = loop {
            if let Ok(text) = std::fs::read_to_string(&ready) {
                break serde_json::from_str(&text).expect("the ready file is JSON");
            }
            if let Some(status) = collect.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("collect exited with {status}: {}", collect.stderr_text());
            }
            assert!(Instant::now() < deadline, "no ready file within 30 s");
            std::thread::sleep(Duration::from_millis(20));
        };
        let address = |name: &str| ready[name].as_str().map(|a| a.parse().unwrap());
        collect.http = address("http").unwrap_or(collect.http);
        collect.grpc = address("grpc").unwrap_or(collect.grpc);
        collect
    }

    /// `http://HOST:PORT/v1/traces`.
    pub fn traces_url(&self) -> String {
        format!("http://{}/v1/traces", self.http)
    }

    /// `http://HOST:PORT` of the gRPC listener.
    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// What it printed so far.
    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The lines of its trace file, parsed.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.output)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("every line is whole JSON"))
            .collect()
    }

    /// Sends SIGTERM and waits for the exit.
    pub fn stop(self) -> Stopped {
        self.stop_with("TERM")
    }

    /// Sends `signal` (`TERM`, `INT`) and waits for the exit.
    pub fn stop_with(mut self, signal: &str) -> Stopped {
        let mut child = self.child.take().unwrap();
        let sent = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        Stopped {
            code: status.code(),
            stderr: self.stderr_text(),
        }
    }
}

impl Drop for Collect {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// An HTTP answer: status, headers (lowercase names), body.
#[derive(Debug)]
pub struct Answer {
    /// Status code.
    pub status: u16,
    /// Header lines, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Answer {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `POST path` with `headers` and `body` over a fresh connection (closed after).
pub fn post(address: SocketAddr, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(address).unwrap();
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head = head + name + ": " + value + "\r\n";
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before reading everything: that is fine.
    let _ = stream.write_all(body);
    read_answer(stream)
}

/// Reads a whole `Connection: close` answer (no chunked bodies: the receiver sends
/// lengths).
pub fn read_answer(mut stream: TcpStream) -> Answer {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}
