//! Sending one line to the receiver, whatever the protocol: the attempts under
//! `crate::http`'s one retry policy, and what every line's sending shares.
//!
//! Each protocol's client (`otlp::http`, `otlp::grpc`) makes one attempt and says what
//! its answer means ([`Outcome`], or a [`Failure`] with a retry verdict); whether and
//! when to try again is decided only here and in `crate::http::Policy`.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{grpc, http};
use crate::http::{Failed, Policy, Retry};
use crate::log;

/// Attempts per line and delays between them; no retry starts later than 2 minutes
/// after the line's first attempt.
const RETRIES: Policy = Policy {
    attempts: 6,
    base: Duration::from_millis(500),
    factor: 2.0,
    max: Duration::from_secs(30),
    deadline: Duration::from_secs(120),
    log: log::debug,
};

/// How a line's body is encoded.
#[derive(Debug, Clone, Copy, Default)]
pub struct Encoding {
    /// `application/x-protobuf` instead of `application/json`.
    pub protobuf: bool,
    /// `Content-Encoding: gzip`.
    pub gzip: bool,
}

/// The final result of sending one line.
#[derive(Debug)]
pub enum Outcome {
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
pub enum Failure {
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
pub struct Gate {
    /// Some line was answered 2xx.
    pub delivered: AtomicBool,
    /// The replay stops; lines in flight are not tried again.
    pub stopping: AtomicBool,
}

/// One attempt's result: delivered, or a failure with its kind, what it says about the
/// receiver, and the protocol's retry verdict.
pub type Attempt = Result<Outcome, Failed<(String, Failure)>>;

/// Sends lines to one receiver, over OTLP/HTTP or OTLP/gRPC.
#[derive(Debug)]
pub enum Sender {
    /// One POST per line.
    Http(http::Sender),
    /// One `TraceService/Export` call per line.
    Grpc(grpc::Sender),
}

impl Sender {
    /// Sends one line's body until it is delivered or fails for good.
    pub async fn send(&self, line_no: u64, body: Bytes, gate: &Gate) -> Outcome {
        let started = Instant::now();
        let what = format!("line {line_no}");
        let result = RETRIES
            .run(&what, || self.attempt(body.clone(), gate))
            .await;
        let gave_up = match result {
            Ok(outcome) => {
                gate.delivered.store(true, Relaxed);
                return outcome;
            }
            Err(gave_up) => gave_up,
        };
        let (kind, how) = gave_up.error;
        let reason = match how {
            Failure::Exhausted => format!(
                "{} (gave up after {} attempts in {:.1} s)",
                gave_up.reason,
                gave_up.attempts,
                started.elapsed().as_secs_f64()
            ),
            _ => gave_up.reason,
        };
        Outcome::Failed { kind, reason, how }
    }

    async fn attempt(&self, body: Bytes, gate: &Gate) -> Attempt {
        match self {
            Sender::Http(sender) => sender.attempt(body, gate).await,
            Sender::Grpc(sender) => sender.attempt(body, gate).await,
        }
    }
}

/// A failed attempt: retried as `transient` says when `how` is retryable trouble and
/// the replay is not stopping.
pub fn verdict(
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
