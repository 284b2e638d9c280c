//! Sending one line to the receiver, whatever the protocol: the attempts under
//! `crate::http`'s one retry policy, and what every line's sending shares.
//!
//! Each protocol's client (`otlp::http`, `otlp::grpc`) makes one attempt and says what
//! its answer means ([`Outcome`], or a [`Failure`] with a retry verdict); whether and
//! when to try again is decided only here and in `crate::http::Policy`.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use bytes::Bytes;

pub(crate) use super::attempt::{Attempt, Encoding, Failure, Gate, Outcome};
use super::{grpc, http};
use crate::http::Policy;
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

/// Sends lines to one receiver, over OTLP/HTTP or OTLP/gRPC.
#[derive(Debug)]
pub(crate) enum Sender {
    /// One POST per line.
    Http(http::Sender),
    /// One `TraceService/Export` call per line.
    Grpc(grpc::Sender),
}

impl Sender {
    /// Sends one line's body until it is delivered or fails for good.
    pub(crate) async fn send(&self, line_no: u64, body: Bytes, gate: &Gate) -> Outcome {
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
