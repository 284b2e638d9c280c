//! The OTLP/HTTP client of `replay`: one POST per line on kept-alive connections, and
//! the one place that decides what an answer means and whether to try again.
//!
//! Following opentelemetry-proto's `docs/specification.md`: 2xx is delivered (with the
//! spans a partial success rejected, which is never retried); 429, 502, 503, 504 and
//! failures to connect or to get an answer are retried with exponential backoff and
//! jitter, honouring `Retry-After`, within a bounded number of attempts and time;
//! every other status is final for that line (400 bad data, 413 too large, …). Header
//! values may be credentials: they are never logged, only sent.

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode, Url};

use super::response;
use crate::http::{self, Backoff};
use crate::log;

/// Attempts per line and delays between them.
const BACKOFF: Backoff = Backoff {
    attempts: 6,
    base: Duration::from_millis(500),
    factor: 2.0,
    max: Duration::from_secs(30),
};
/// The longest a line may spend waiting between attempts, all waits together.
const MAX_WAITING: Duration = Duration::from_secs(120);
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
        /// The receiver could not be reached at all (every attempt failed to connect).
        unreachable: bool,
    },
}

/// Sends lines to one endpoint.
#[derive(Debug)]
pub struct Sender {
    client: Client,
    url: Url,
    headers: HeaderMap,
    encoding: Encoding,
}

/// What one attempt came to, when it is not final.
struct Retry {
    kind: String,
    reason: String,
    wait: Option<Duration>,
    connect: bool,
}

impl Sender {
    /// A client that keeps up to `concurrency` connections alive.
    pub fn new(
        url: Url,
        mut headers: HeaderMap,
        encoding: Encoding,
        concurrency: usize,
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
        })
    }

    /// Sends one line's body until it is delivered or fails for good.
    pub async fn send(&self, line_no: u64, body: Bytes) -> Outcome {
        let started = Instant::now();
        let mut waited = Duration::ZERO;
        let scale = http::retry_scale();
        for attempt in 1.. {
            let retry = match self.attempt(body.clone()).await {
                Ok(outcome) => return outcome,
                Err(retry) => retry,
            };
            let asked = retry.wait.is_some();
            // `Backoff::delay` applies CI_TRACING_RETRY_SCALE itself; a receiver's
            // Retry-After and the waiting bound are scaled here, so tests stay quick.
            let wait = retry
                .wait
                .map_or_else(|| BACKOFF.delay(attempt), |d| d.mul_f64(scale));
            let too_long = waited + wait > MAX_WAITING.mul_f64(scale);
            if !BACKOFF.allows_retry_after(attempt) || too_long {
                let why = if too_long && asked {
                    format!(
                        "the receiver asked to wait longer than the {}s a line may wait",
                        MAX_WAITING.as_secs()
                    )
                } else {
                    format!(
                        "gave up after {attempt} attempts in {:.1}s",
                        started.elapsed().as_secs_f64()
                    )
                };
                return Outcome::Failed {
                    kind: retry.kind,
                    reason: format!("{} ({why})", retry.reason),
                    unreachable: retry.connect,
                };
            }
            let source = if asked {
                " as its Retry-After asks"
            } else {
                ""
            };
            log::debug(&format!(
                "line {line_no}: {}; retrying in {:.2}s{source}",
                retry.reason,
                wait.as_secs_f64()
            ));
            tokio::time::sleep(wait).await;
            waited += wait;
        }
        unreachable!("the attempts loop only ends by returning")
    }

    /// One POST: a final outcome, or why and when to try again.
    async fn attempt(&self, body: Bytes) -> Result<Outcome, Retry> {
        let request = self
            .client
            .post(self.url.clone())
            .headers(self.headers.clone())
            .body(body);
        let response = request.send().await.map_err(|err| Retry {
            kind: "connection".to_owned(),
            reason: crate::http::describe_transport_error(&err),
            wait: None,
            connect: err.is_connect(),
        })?;
        let status = response.status();
        let retry_after = http::retry_after(response.headers());
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
        if is_retryable(status) {
            return Err(Retry {
                kind,
                reason,
                wait: retry_after,
                connect: false,
            });
        }
        Ok(Outcome::Failed {
            kind,
            reason,
            unreachable: false,
        })
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
