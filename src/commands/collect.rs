//! `ci-tracing collect`: an OTLP receiver that appends what it receives to a trace-data
//! file, so that a CI job needs no collector container.
//!
//! The receiver itself is in `crate::otlp::receive`; this command opens the files,
//! starts the listeners, says where they are (a line on standard error and the ready
//! file, for scripts and the action), and on SIGTERM or SIGINT stops in good order:
//! no new connections, requests in flight finished, files synced, one line of counts.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use crate::config::CollectPlan;
use crate::otlp::receive::{self, Bound, Closed, Error, Receiver, Sink, Stats};
use crate::path_error::IoOnPath;

/// Runs `collect` until SIGTERM or SIGINT.
pub(crate) async fn run(plan: &CollectPlan) -> crate::Result<()> {
    crate::signal::graceful();
    let (traces, traces_writer) = open(&plan.output)?;
    let logs = plan.logs.as_deref().map(open).transpose()?;
    let metrics = plan.metrics.as_deref().map(open).transpose()?;
    let (logs, logs_writer) = logs.unzip();
    let (metrics, metrics_writer) = metrics.unzip();
    let receiver = Arc::new(Receiver {
        traces,
        logs,
        metrics,
        max_request: plan.max_request_size,
        stats: Stats::default(),
    });
    let running = receive::start(Arc::clone(&receiver), plan.http, plan.grpc)
        .await
        .map_err(|(address, err)| Error::Bind {
            address,
            reason: crate::path_error::io_reason(&err),
        })?;
    let bound = running.bound;
    crate::log::info(&format!(
        "collect: listening for OTLP on {} and {}; appending spans to {}; stop with SIGTERM or Ctrl-C",
        shown(bound.http, "http://", "HTTP"),
        shown(bound.grpc, "", "gRPC"),
        plan.output.display()
    ));
    if let Some(ready) = &plan.ready_file {
        write_ready(ready, bound).map_err(|err| Error::Ready(IoOnPath::new(ready, &err)))?;
    }
    let signal = crate::signal::received().await;
    running.stop().await;
    let stats = Stats {
        requests: receiver.stats.requests.load(Relaxed).into(),
        spans: receiver.stats.spans.load(Relaxed).into(),
        rejected: receiver.stats.rejected.load(Relaxed).into(),
        logs: receiver.stats.logs.load(Relaxed).into(),
        metrics: receiver.stats.metrics.load(Relaxed).into(),
    };
    receiver.traces.close().await;
    for sink in [&receiver.logs, &receiver.metrics].into_iter().flatten() {
        sink.close().await;
    }
    let traces = finish(traces_writer).await;
    for writer in [logs_writer, metrics_writer].into_iter().flatten() {
        finish(writer).await;
    }
    crate::log::info(&format!(
        "collect: stopped by {}: {} requests, {} spans, {} lines written to {}, {} rejected, {} log records, {} metric points",
        signal.name(),
        stats.requests.load(Relaxed),
        stats.spans.load(Relaxed),
        traces.lines,
        traces.path.display(),
        stats.rejected.load(Relaxed),
        stats.logs.load(Relaxed),
        stats.metrics.load(Relaxed),
    ));
    Ok(())
}

fn open(path: &Path) -> Result<(Sink, std::thread::JoinHandle<Closed>), Error> {
    Sink::open(path).map_err(|err| {
        if err.kind() == std::io::ErrorKind::InvalidInput {
            Error::OutputTarget(err.to_string())
        } else {
            Error::Output(IoOnPath::new(path, &err))
        }
    })
}

/// Waits for a writer to sync and end; a failed sync is a warning (the lines were
/// written, the disk may not have them yet).
async fn finish(writer: std::thread::JoinHandle<Closed>) -> Closed {
    let closed = tokio::task::spawn_blocking(move || writer.join())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_else(|| Closed {
            path: "the output".into(),
            lines: 0,
            sync_error: Some("its writer ended abnormally".to_owned()),
        });
    if let Some(reason) = &closed.sync_error {
        crate::log::warn(&format!(
            "cannot sync {} to disk: {reason}",
            closed.path.display()
        ));
    }
    closed
}

fn shown(address: Option<std::net::SocketAddr>, scheme: &str, name: &str) -> String {
    address.map_or_else(
        || format!("no {name} (off)"),
        |address| format!("{scheme}{address} ({name})"),
    )
}

/// `{"http":"HOST:PORT","grpc":"HOST:PORT","pid":N}`, put in place whole.
fn write_ready(path: &Path, bound: Bound) -> std::io::Result<()> {
    use std::io::Write as _;
    let address = |a: Option<std::net::SocketAddr>| {
        a.map_or_else(|| "null".to_owned(), |a| format!("\"{a}\""))
    };
    let json = format!(
        "{{\"http\":{},\"grpc\":{},\"pid\":{}}}",
        address(bound.http),
        address(bound.grpc),
        std::process::id()
    );
    let mut temp = crate::atomic::temp_in(crate::atomic::dir_of(path), ".ready-", ".tmp")?;
    temp.write_all(format!("{json}\n").as_bytes())?;
    crate::atomic::install(temp, path, true)
}
