//! What one attempt to send a line says, shared by each protocol's client
//! (`otlp::http`, `otlp::grpc`) and by `otlp::send`, which decides on retries: kept
//! apart so that the clients and the sender do not import each other.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use crate::http::{Failed, Retry};

/// How a line's body is encoded.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Encoding {
    /// `application/x-protobuf` instead of `application/json`.
    pub protobuf: bool,
    /// `Content-Encoding: gzip`.
    pub gzip: bool,
}

/// The final result of sending one line.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The receiver answered 2xx; `rejected` spans were refused (partial success).
    Delivered {
        /// Spans the receiver rejected.
        rejected: u64,
        /// The receiver's message, if it gave one.
        message: Option<String>,
    },
    /// The line was not delivered.
    Failed {
        /// A short kind for the summary (`HTTP 400`, `connection`, …).
        kind: String,
        /// What happened, for a warning.
        reason: String,
        /// How the line came to fail.
        how: Failure,
    },
}

/// How a line came to fail: what it says about the receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A final answer about this line (400 bad data, 413 too large, …).
    Final,
    /// Retryable trouble that lasted through every attempt: the receiver is failing.
    Exhausted,
    /// Nothing accepts connections there, and nothing was delivered yet: not retried.
    NothingListens,
    /// Not retried because the replay is stopping.
    Stopping,
}

/// What every line's sending shares: whether anything was delivered yet (until then a
/// refused connection ends the replay at once) and whether the replay is stopping (no
/// retry starts then).
#[derive(Debug, Default)]
pub(crate) struct Gate {
    /// Some line was answered 2xx.
    pub delivered: AtomicBool,
    /// The replay stops; lines in flight are not tried again.
    pub stopping: AtomicBool,
}

/// One attempt's result: delivered, or a failure with its kind, what it says about the
/// receiver, and the protocol's retry verdict.
pub(crate) type Attempt = Result<Outcome, Failed<(String, Failure)>>;

/// A failed attempt: retried as `transient` says when `how` is retryable trouble and
/// the replay is not stopping.
pub(crate) fn verdict(
    kind: &str,
    reason: String,
    how: Failure,
    transient: Retry,
    gate: &Gate,
) -> Failed<(String, Failure)> {
    let stopping = gate.stopping.load(Relaxed);
    let (how, retry) = match how {
        Failure::Exhausted if stopping => (Failure::Stopping, Retry::Never),
        Failure::Exhausted => (how, transient),
        _ => (how, Retry::Never),
    };
    Failed {
        error: (kind.to_owned(), how),
        reason,
        retry,
    }
}
