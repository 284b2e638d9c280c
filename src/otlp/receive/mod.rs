//! The OTLP receiver of `collect`: what it does with an export request, whichever
//! transport brought it.
//!
//! `http` and `grpc` only speak their transport (status codes, content types, size
//! limits) and hand bodies here; `decode` turns bodies into messages, `pdata` writes
//! the Collector's JSON line, `sink` appends lines to a file. This file holds the state
//! they share (the sinks, the limit, the counts) and the one path a request takes:
//! decode, check, write, answer. A request is answered with success only once its line
//! is in the file, so every acknowledged span is on disk when the process stops.

pub mod decode;
pub(crate) mod grpc;
pub(crate) mod http;
pub mod pdata;
pub(crate) mod sink;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use decode::Encoding;
pub(crate) use sink::{Closed, Sink};

/// Why `collect` cannot start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An output file cannot be opened for appending.
    #[error("cannot append to {0}: name a writable file with -o/--output (or --logs/--metrics)")]
    Output(crate::path_error::IoOnPath),
    /// Where an output would go stands a device, a FIFO or a directory.
    #[error("{0}")]
    OutputTarget(String),
    /// A listener cannot be bound.
    #[error(
        "cannot listen on {address}: {reason}; another collector may hold the port: stop it, or pick another address (port 0 takes a free one)"
    )]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The operating system's reason.
        reason: String,
    },
    /// The ready file cannot be written.
    #[error("cannot write the ready file {0}")]
    Ready(crate::path_error::IoOnPath),
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::OutputTarget(_) => crate::exit::USAGE,
            _ => crate::exit::FAILED,
        }
    }
}

/// Why a request was not accepted; each transport maps it to its own answer.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The body cannot be decoded (400, `INVALID_ARGUMENT`).
    Invalid(String),
    /// The body is larger than the limit (413, `RESOURCE_EXHAUSTED`).
    TooLarge(String),
    /// It cannot be written now (503, `UNAVAILABLE`): the client should retry.
    Unavailable(String),
    /// The body did not arrive within the read timeout (408, `DEADLINE_EXCEEDED`).
    TimedOut(String),
}

/// Counts for the closing line.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Trace export requests accepted.
    pub requests: AtomicU64,
    /// Spans accepted.
    pub spans: AtomicU64,
    /// Requests refused (any signal, any reason).
    pub rejected: AtomicU64,
    /// Log records received.
    pub logs: AtomicU64,
    /// Metric data points received.
    pub metrics: AtomicU64,
}

/// What every request handler shares.
pub(crate) struct Receiver {
    /// The trace file's writer.
    pub traces: Sink,
    /// The logs file's writer, with `--logs`.
    pub logs: Option<Sink>,
    /// The metrics file's writer, with `--metrics`.
    pub metrics: Option<Sink>,
    /// The largest body taken, compressed or not.
    pub max_request: usize,
    /// The counts.
    pub stats: Stats,
}

impl Receiver {
    /// Decodes, checks and writes one traces request.
    pub(crate) async fn traces_body(&self, body: &[u8], encoding: Encoding) -> Result<(), Refusal> {
        let request = decode::traces(body, encoding).map_err(Refusal::Invalid)?;
        self.traces(&request).await
    }

    /// Writes one decoded traces request as a line (none when it holds no resource).
    pub(crate) async fn traces(&self, request: &ExportTraceServiceRequest) -> Result<(), Refusal> {
        let spans = decode::span_count(request);
        if !request.resource_spans.is_empty() {
            let mut line = Vec::with_capacity(request.resource_spans.len() * 1024);
            pdata::write_traces(&mut line, &request.resource_spans);
            line.push(b'\n');
            self.traces
                .append(line)
                .await
                .map_err(Refusal::Unavailable)?;
        }
        self.stats.requests.fetch_add(1, Relaxed);
        self.stats.spans.fetch_add(spans, Relaxed);
        Ok(())
    }

    /// Counts one logs request, and stores it with `--logs`.
    pub(crate) async fn logs(
        &self,
        request: &impl serde::Serialize,
        records: u64,
    ) -> Result<(), Refusal> {
        store(self.logs.as_ref(), request).await?;
        self.stats.logs.fetch_add(records, Relaxed);
        Ok(())
    }

    /// Counts one metrics request, and stores it with `--metrics`.
    pub(crate) async fn metrics(
        &self,
        request: &impl serde::Serialize,
        points: u64,
    ) -> Result<(), Refusal> {
        store(self.metrics.as_ref(), request).await?;
        self.stats.metrics.fetch_add(points, Relaxed);
        Ok(())
    }

    /// Counts a refused request.
    pub(crate) fn refused(&self) {
        self.stats.rejected.fetch_add(1, Relaxed);
    }
}

/// Logs and metrics go to their files in the crate's serde form of OTLP/JSON.
async fn store(sink: Option<&Sink>, request: &impl serde::Serialize) -> Result<(), Refusal> {
    let Some(sink) = sink else {
        return Ok(());
    };
    let mut line = serde_json::to_vec(request).map_err(|err| Refusal::Invalid(err.to_string()))?;
    line.push(b'\n');
    sink.append(line).await.map_err(Refusal::Unavailable)
}

/// Where each transport listens (`None`: off).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bound {
    /// OTLP/HTTP.
    pub http: Option<SocketAddr>,
    /// OTLP/gRPC.
    pub grpc: Option<SocketAddr>,
}

/// The running servers: stop them with [`Running::stop`].
pub(crate) struct Running {
    /// Where they listen.
    pub bound: Bound,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Binds both listeners first (so that a port in use fails before anything is served),
/// then serves them until [`Running::stop`].
pub(crate) async fn start(
    receiver: Arc<Receiver>,
    http: Option<SocketAddr>,
    grpc: Option<SocketAddr>,
) -> Result<Running, (SocketAddr, std::io::Error)> {
    let bind =
        |addr: SocketAddr| async move { TcpListener::bind(addr).await.map_err(|err| (addr, err)) };
    let http = match http {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let grpc = match grpc {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let bound = Bound {
        http: http.as_ref().and_then(|l| l.local_addr().ok()),
        grpc: grpc.as_ref().and_then(|l| l.local_addr().ok()),
    };
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    if let Some(listener) = http {
        tasks.push(tokio::spawn(http::serve(
            listener,
            Arc::clone(&receiver),
            stopped.clone(),
        )));
    }
    if let Some(listener) = grpc {
        tasks.push(tokio::spawn(grpc::serve(listener, receiver, stopped)));
    }
    Ok(Running { bound, stop, tasks })
}

impl Running {
    /// Stops accepting connections and waits for the requests in flight.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Resolves when `stopped` turns true.
async fn stopping(mut stopped: watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

/// The connections of `listener` that send their first bytes within the read timeout,
/// until `stopped`: hyper's version detection and tonic both wait for a connection's
/// first bytes without end. Each connection is screened on its own task, so a silent
/// one holds up no other. (`Result` items, as tonic's incoming stream takes them.)
pub(super) fn screened(
    listener: TcpListener,
    stopped: watch::Receiver<bool>,
) -> impl futures_util::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    let read = crate::tuning::get().collect_read_timeout;
    let (ready, connections) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        let stop = stopping(stopped);
        tokio::pin!(stop);
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = &mut stop => break,
            };
            let Ok((stream, _)) = accepted else {
                // Out of file descriptors and the like: pause instead of spinning.
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            };
            let _ = stream.set_nodelay(true);
            let ready = ready.clone();
            tokio::spawn(async move {
                let known = tokio::time::timeout(read, version_known(&stream)).await;
                if matches!(known, Ok(true)) {
                    let _ = ready.send(Ok(stream)).await;
                }
            });
        }
    });
    futures_util::stream::unfold(connections, |mut connections| async move {
        let next = connections.recv().await?;
        Some((next, connections))
    })
}

/// Waits until a connection's first bytes tell HTTP/1 from HTTP/2: the 24 bytes of the
/// HTTP/2 preface, or fewer that already differ from it. False at the end of the stream.
async fn version_known(stream: &tokio::net::TcpStream) -> bool {
    const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    let mut first = [0u8; 24];
    loop {
        match stream.peek(&mut first).await {
            Ok(0) | Err(_) => return false,
            Ok(n) if n == first.len() || first[..n] != PREFACE[..n] => return true,
            // Part of the preface: peeking again at once would spin.
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
        }
    }
}
