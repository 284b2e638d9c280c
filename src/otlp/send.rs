//! The OTLP/HTTP client of `replay`: one POST per line on kept-alive connections, and
//! the one place that decides what an answer means and whether to try again.
//!
//! Following opentelemetry-proto's `docs/specification.md`: 2xx is delivered (with the
//! spans a partial success rejected, which is never retried); 429, 502, 503, 504, timeouts
//! and failures to connect or to get an answer are retried under `crate::http`'s policy
//! (backoff with jitter, `Retry-After` up to its cap, bounded attempts and time); every
//! other status is final for that line (400 bad data, 413 too large, …). A refused
//! connection before anything was delivered is not retried: nothing listens there.
//! Header values may be credentials: they are never logged, only sent.

use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode, Url};

use super::response;
use crate::http::{self, Failed, Policy, Retry};
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
/// How much of an answer's body is read (answers are small; this bounds memory).
const MAX_ANSWER: usize = 1 << 20;

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

/// Sends lines to one endpoint.
#[derive(Debug)]
pub struct Sender {
    client: Client,
    url: Url,
    headers: HeaderMap,
    encoding: Encoding,
    timeout: Duration,
}

impl Sender {
    /// A client that keeps up to `concurrency` connections alive and gives each request
    /// `timeout` to be answered.
    pub fn new(
        url: Url,
        mut headers: HeaderMap,
        encoding: Encoding,
        concurrency: usize,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let content_type = if encoding.protobuf {
            "application/x-protobuf"
        } else {
            "application/json"
        };
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        if encoding.gzip {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        let client = http::client_builder()
            .pool_max_idle_per_host(concurrency)
            .tcp_nodelay(true)
            .build()?;
        Ok(Self {
            client,
            url,
            headers,
            encoding,
            timeout,
        })
    }

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

    /// One POST: delivered, or a failure with the protocol's verdict.
    async fn attempt(
        &self,
        body: Bytes,
        gate: &Gate,
    ) -> Result<Outcome, Failed<(String, Failure)>> {
        let request = self
            .client
            .post(self.url.clone())
            .timeout(self.timeout)
            .headers(self.headers.clone())
            .body(body);
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => {
                let listens = !err.is_connect() || gate.delivered.load(Relaxed);
                let how = if listens {
                    Failure::Exhausted
                } else {
                    Failure::NothingListens
                };
                let reason = http::describe_transport_error(&err);
                return Err(verdict("connection", reason, how, Retry::Backoff, gate));
            }
        };
        let status = response.status();
        let transient = Retry::transient(response.headers());
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let answer = read_answer(response).await;
        if status.is_success() {
            let success = response::success(&content_type, &answer, self.encoding.protobuf);
            return Ok(Outcome::Delivered {
                rejected: success.rejected_spans,
                message: success.message,
            });
        }
        let message = response::failure_message(&content_type, &answer, self.encoding.protobuf);
        let reason = match message {
            Some(message) => format!("HTTP {status}: {message}"),
            None => format!("HTTP {status}"),
        };
        let kind = format!("HTTP {}", status.as_u16());
        let how = if is_retryable(status) {
            Failure::Exhausted
        } else {
            Failure::Final
        };
        Err(verdict(&kind, reason, how, transient, gate))
    }
}

/// A failed attempt: retried as `transient` says when `how` is retryable trouble and
/// the replay is not stopping.
fn verdict(
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

/// 429, 502, 503 and 504: the statuses the specification says to retry.
fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// Reads at most [`MAX_ANSWER`] bytes of an answer; a cut-off answer is what arrived.
async fn read_answer(mut response: reqwest::Response) -> Vec<u8> {
    let mut answer = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        answer.extend_from_slice(&chunk[..chunk.len().min(MAX_ANSWER - answer.len())]);
        if answer.len() >= MAX_ANSWER {
            break;
        }
    }
    answer
}
