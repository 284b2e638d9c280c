//! `collect` under faults: a client that vanishes mid-body, SIGTERM in the middle of a
//! load over HTTP and gRPC, a full disk. After each, every acknowledged span is in the file, no line is
//! partial, and the receiver still serves.

mod support;

use std::io::Write as _;
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use support::collect::{Collect, post};

const LINE: &str = include_str!("fixtures/collector-pdata-sample.jsonl");
const JSON: (&str, &str) = ("Content-Type", "application/json");

fn one_line() -> &'static str {
    LINE.lines().nth(1).unwrap()
}

/// Every line of `path` is whole JSON; returns how many there are.
fn whole_lines(path: &std::path::Path) -> usize {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "the file ends with a line end"
    );
    for line in text.lines() {
        assert_eq!(line, one_line(), "a whole line");
    }
    text.lines().count()
}

fn accepted(collect: &Collect) -> bool {
    post(collect.http, "/v1/traces", &[JSON], one_line().as_bytes()).status == 200
}

#[test]
fn a_client_that_disconnects_mid_body_costs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let collect = Collect::start(dir.path(), &[]);
    assert!(accepted(&collect));
    for _ in 0..3 {
        let mut stream = TcpStream::connect(collect.http).unwrap();
        let head = format!(
            "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            one_line().len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        stream
            .write_all(&one_line().as_bytes()[..one_line().len() / 2])
            .unwrap();
        drop(stream);
        assert!(accepted(&collect), "still serving");
    }
    let output = collect.output.clone();
    let stopped = collect.stop();
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    assert_eq!(whole_lines(&output), 4);
    assert!(
        stopped.stderr.contains("4 requests, 4 spans, 4 lines"),
        "{}",
        stopped.stderr
    );
}

/// Reads from `stream` until the server closes it (or 60 s pass, which fails the
/// test): what it sent, if anything.
fn until_closed(mut stream: TcpStream) -> String {
    use std::io::Read as _;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    assert!(
        read.is_ok()
            || read
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "the server kept the connection open: {read:?}"
    );
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn clients_that_stall_are_cut_off_and_the_others_served() {
    let dir = tempfile::tempdir().unwrap();
    let collect =
        Collect::start_with_env(dir.path(), &[], &[("CI_TRACING_COLLECT_READ_SECONDS", "1")]);
    // Connects and sends nothing.
    let silent = TcpStream::connect(collect.http).unwrap();
    // Sends half of its headers.
    let mut half_headers = TcpStream::connect(collect.http).unwrap();
    half_headers
        .write_all(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    // Sends its headers and half of its body.
    let mut half_body = TcpStream::connect(collect.http).unwrap();
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        one_line().len()
    );
    half_body.write_all(head.as_bytes()).unwrap();
    half_body
        .write_all(&one_line().as_bytes()[..one_line().len() / 2])
        .unwrap();
    assert!(accepted(&collect), "served while three clients stall");
    assert_eq!(until_closed(silent), "");
    assert_eq!(until_closed(half_headers), "");
    let answer = until_closed(half_body);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive within 1 s"), "{answer}");
    assert!(accepted(&collect), "still serving");
    let output = collect.output.clone();
    let stopped = collect.stop();
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    assert_eq!(whole_lines(&output), 2);
}

#[tokio::test]
async fn grpc_connections_that_never_start_are_cut_off_and_the_others_served() {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    let dir = tempfile::tempdir().unwrap();
    let collect =
        Collect::start_with_env(dir.path(), &[], &[("CI_TRACING_COLLECT_READ_SECONDS", "1")]);
    // Connects and sends nothing; sends part of the HTTP/2 preface.
    let silent = TcpStream::connect(collect.grpc).unwrap();
    let mut half_preface = TcpStream::connect(collect.grpc).unwrap();
    half_preface.write_all(b"PRI * HTTP/2.0\r\n").unwrap();
    let request: ExportTraceServiceRequest = serde_json::from_str(one_line()).unwrap();
    let mut client = TraceServiceClient::connect(collect.grpc_url())
        .await
        .unwrap();
    client.export(request).await.expect("served meanwhile");
    assert_eq!(until_closed(silent), "");
    assert_eq!(until_closed(half_preface), "");
    let output = collect.output.clone();
    let stopped = collect.stop();
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    assert_eq!(whole_lines(&output), 1);
}

/// A gRPC client exporting `one_line()` until told to stop or refused; counts the
/// acknowledged exports.
fn grpc_client(
    url: String,
    acknowledged: Arc<AtomicU64>,
    running: Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    let request: ExportTraceServiceRequest = serde_json::from_str(one_line()).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let Ok(mut client) = TraceServiceClient::connect(url).await else {
                return;
            };
            while running.load(Relaxed) {
                if client.export(request.clone()).await.is_err() {
                    break;
                }
                acknowledged.fetch_add(1, Relaxed);
            }
        });
    })
}

#[test]
fn sigterm_under_load_keeps_every_acknowledged_span() {
    let dir = tempfile::tempdir().unwrap();
    let collect = Collect::start(dir.path(), &[]);
    let acknowledged = Arc::new(AtomicU64::new(0));
    let grpc_acknowledged = Arc::new(AtomicU64::new(0));
    let running = Arc::new(AtomicBool::new(true));
    let address = collect.http;
    let mut clients: Vec<_> = (0..6)
        .map(|_| {
            let (acknowledged, running) = (Arc::clone(&acknowledged), Arc::clone(&running));
            std::thread::spawn(move || {
                while running.load(Relaxed) {
                    let Ok(mut stream) = TcpStream::connect(address) else {
                        break;
                    };
                    let request = format!(
                        "POST /v1/traces HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
                        one_line().len(),
                        one_line()
                    );
                    if stream.write_all(request.as_bytes()).is_err() {
                        continue;
                    }
                    let mut answer = Vec::new();
                    let _ = std::io::Read::read_to_end(&mut stream, &mut answer);
                    if answer.starts_with(b"HTTP/1.1 200") {
                        acknowledged.fetch_add(1, Relaxed);
                    }
                }
            })
        })
        .collect();
    for _ in 0..3 {
        let (acknowledged, running) = (Arc::clone(&grpc_acknowledged), Arc::clone(&running));
        clients.push(grpc_client(collect.grpc_url(), acknowledged, running));
    }
    while acknowledged.load(Relaxed) < 100 || grpc_acknowledged.load(Relaxed) < 100 {
        std::thread::yield_now();
    }
    let output = collect.output.clone();
    let stopped = collect.stop();
    running.store(false, Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    let lines = whole_lines(&output) as u64;
    let acknowledged = acknowledged.load(Relaxed) + grpc_acknowledged.load(Relaxed);
    assert!(
        lines >= acknowledged,
        "{lines} lines, {acknowledged} acknowledged"
    );
    assert!(
        stopped.stderr.contains(&format!(" {lines} lines written")),
        "{}",
        stopped.stderr
    );
}

/// A 1 MiB tmpfs (root only): `None` when it cannot be made here.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &std::path::Path) -> Option<Self> {
        let target = dir.join("small-disk");
        std::fs::create_dir(&target).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
            .arg(&target)
            .output()
            .ok()?;
        mounted.status.success().then_some(Tmpfs(target))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_answers_503_and_the_file_keeps_whole_lines() {
    let dir = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(dir.path()) else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    // A filler that leaves room for a few lines only.
    let filler = disk.0.join("filler");
    let mut free = 1 << 20;
    let mut file = std::fs::File::create(&filler).unwrap();
    while free > 0 && file.write_all(&vec![0; 4096]).is_ok() {
        free -= 4096;
    }
    let _ = file.sync_all();
    drop(file);
    let _ = std::fs::OpenOptions::new()
        .write(true)
        .open(&filler)
        .and_then(|f| f.set_len(f.metadata()?.len().saturating_sub(2 * 4096)));
    let output = disk.0.join("trace-data.json");
    let collect = Collect::start(dir.path(), &["-o", output.to_str().unwrap()]);
    let mut ok = 0;
    let answer = loop {
        let answer = post(collect.http, "/v1/traces", &[JSON], one_line().as_bytes());
        if answer.status != 200 {
            break answer;
        }
        ok += 1;
        assert!(ok < 10_000, "the disk never filled");
    };
    assert_eq!(answer.status, 503, "{}", support::text(&answer.body));
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert!(
        support::text(&answer.body).contains("cannot write"),
        "{answer:?}"
    );
    assert_eq!(whole_lines(&output), ok, "only whole, acknowledged lines");
    // Room again: the receiver serves on.
    std::fs::remove_file(&filler).unwrap();
    assert!(accepted(&collect));
    let stopped = collect.stop();
    assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
    assert_eq!(whole_lines(&output), ok + 1);
}
