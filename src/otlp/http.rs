//! The OTLP/HTTP client of `replay`: one POST per line on kept-alive connections, and
//! what an HTTP answer means.
//!
//! Following opentelemetry-proto's `docs/specification.md`: 2xx is delivered (with the
//! spans a partial success rejected, which is never retried); 429, 502, 503, 504, timeouts
//! and failures to connect or to get an answer are retried (by `send`, under
//! `crate::http`'s policy, `Retry-After` up to its cap); every other status is final for
//! that line (400 bad data, 413 too large, …). A refused connection before anything was
//! delivered is not retried: nothing listens there. Header values may be credentials:
//! they are never logged, only sent.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode, Url};

use super::attempt::{Attempt, Encoding, Failure, Gate, Outcome, verdict};
use super::response;
use crate::http::{self, Retry};

/// How much of an answer's body is read (answers are small; this bounds memory).
const MAX_ANSWER: usize = 1 << 20;

/// Sends lines to one endpoint.
#[derive(Debug)]
pub(crate) struct Sender {
    client: Client,
    url: Url,
    headers: HeaderMap,
    encoding: Encoding,
    timeout: Duration,
}

impl Sender {
    /// A client that keeps up to `concurrency` connections alive and gives each request
    /// `timeout` to be answered.
    pub(crate) fn new(
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

    /// One POST: delivered, or a failure with the protocol's verdict.
    pub(crate) async fn attempt(&self, body: Bytes, gate: &Gate) -> Attempt {
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
        let (answer, cut) = read_answer(response).await;
        if let (true, Some(err)) = (status.is_success(), cut) {
            // A success whose body broke off is no proof the line was taken: the
            // connection failed, and the line is tried again like any other such line.
            let reason = format!(
                "the answer broke off: {}",
                http::describe_transport_error(&err)
            );
            return Err(verdict(
                "connection",
                reason,
                Failure::Exhausted,
                Retry::Backoff,
                gate,
            ));
        }
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

/// 429, 502, 503 and 504: the statuses the specification says to retry.
fn is_retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// Reads at most [`MAX_ANSWER`] bytes of an answer: what arrived, and the error that cut
/// it off, if one did before its end (or before the limit).
async fn read_answer(mut response: reqwest::Response) -> (Vec<u8>, Option<reqwest::Error>) {
    let mut answer = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                answer.extend_from_slice(&chunk[..chunk.len().min(MAX_ANSWER - answer.len())]);
                if answer.len() >= MAX_ANSWER {
                    return (answer, None);
                }
            }
            Ok(None) => return (answer, None),
            Err(err) => return (answer, Some(err)),
        }
    }
}
