//! OTLP/HTTP: `POST /v1/traces`, `/v1/logs` and `/v1/metrics`, in JSON or protobuf,
//! optionally gzipped, answered as the OTLP specification says.
//!
//! The answers are the contract SDKs retry on: 200 with an empty export response in the
//! request's encoding; 400 with a `google.rpc.Status` for a body that cannot be decoded
//! (or an unknown `Content-Encoding`); 413 above the size limit, checked on the declared
//! length, on the bytes read and on the gunzipped size (a small gzip bomb never
//! inflates past the limit); 415 for another content type; 503 with `Retry-After` when
//! the line cannot be written; 408 for a body that does not arrive in time. No client
//! is waited for without end: the first bytes of a connection, an HTTP/1 request's
//! headers (also on an idle keep-alive connection) and a body must each arrive within
//! the read timeout (60 s). On stop, connections finish their requests in flight (for
//! at most [`DRAIN`]) and idle keep-alive connections are closed.

use std::convert::Infallible;
use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use prost::Message as _;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::{Encoding, Receiver, Refusal, decode};

/// How long a stop waits for requests in flight.
pub(crate) const DRAIN: Duration = Duration::from_secs(10);

/// Serves `listener` until `stopped` turns true, then drains.
pub(crate) async fn serve(
    listener: TcpListener,
    receiver: Arc<Receiver>,
    stopped: watch::Receiver<bool>,
) {
    let read = crate::tuning::get().collect_read_timeout;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(read);
    let graceful = GracefulShutdown::new();
    let connections = super::screened(listener, stopped.clone());
    tokio::pin!(connections);
    let stop = super::stopping(stopped);
    tokio::pin!(stop);
    loop {
        let next = tokio::select! {
            next = connections.next() => next,
            () = &mut stop => break,
        };
        let Some(Ok(stream)) = next else {
            break;
        };
        let receiver = Arc::clone(&receiver);
        let service = hyper::service::service_fn(move |request| {
            let receiver = Arc::clone(&receiver);
            async move { Ok::<_, Infallible>(handle(request, &receiver, read).await) }
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            let _ = connection.await;
        });
    }
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
}

/// Which signal a path is for.
#[derive(Clone, Copy)]
enum Signal {
    Traces,
    Logs,
    Metrics,
}

async fn handle(
    request: Request<Incoming>,
    receiver: &Receiver,
    read: Duration,
) -> Response<Full<Bytes>> {
    let signal = match request.uri().path() {
        "/v1/traces" => Signal::Traces,
        "/v1/logs" => Signal::Logs,
        "/v1/metrics" => Signal::Metrics,
        _ => {
            return plain(
                StatusCode::NOT_FOUND,
                "not found: OTLP/HTTP is served at /v1/traces, /v1/logs and /v1/metrics",
            );
        }
    };
    if request.method() != Method::POST {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "use POST");
        response
            .headers_mut()
            .insert(hyper::header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let Some(encoding) = encoding_of(request.headers().get(CONTENT_TYPE)) else {
        receiver.refused();
        return plain(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported content type: send application/x-protobuf or application/json",
        );
    };
    let body = tokio::time::timeout(read, body(request, receiver.max_request)).await;
    let answer = match body {
        Ok(Ok(body)) => accept(signal, &body, encoding, receiver).await,
        Ok(Err(refusal)) => Err(refusal),
        Err(_) => Err(Refusal::TimedOut(format!(
            "the body did not arrive within {} s",
            read.as_secs_f64()
        ))),
    };
    match answer {
        // Every export response is empty when all is accepted: `{}` or no bytes.
        Ok(()) => reply(StatusCode::OK, encoding, Vec::new(), b"{}".to_vec()),
        Err(refusal) => {
            receiver.refused();
            refused(&refusal, encoding)
        }
    }
}

async fn accept(
    signal: Signal,
    body: &[u8],
    encoding: Encoding,
    receiver: &Receiver,
) -> Result<(), Refusal> {
    match signal {
        Signal::Traces => receiver.traces_body(body, encoding).await,
        Signal::Logs => {
            let (request, records) = decode::logs(body, encoding).map_err(Refusal::Invalid)?;
            receiver.logs(&request, records).await
        }
        Signal::Metrics => {
            let (request, points) = decode::metrics(body, encoding).map_err(Refusal::Invalid)?;
            receiver.metrics(&request, points).await
        }
    }
}

fn encoding_of(content_type: Option<&HeaderValue>) -> Option<Encoding> {
    let value = content_type?.to_str().ok()?;
    let media = value.split(';').next()?.trim();
    if media.eq_ignore_ascii_case("application/x-protobuf") {
        Some(Encoding::Protobuf)
    } else if media.eq_ignore_ascii_case("application/json") {
        Some(Encoding::Json)
    } else {
        None
    }
}

/// The body, read and gunzipped within the limit.
async fn body(request: Request<Incoming>, limit: usize) -> Result<Bytes, Refusal> {
    let too_large = || Refusal::TooLarge(format!("the request is larger than {limit} bytes"));
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    let gzip = match request
        .headers()
        .get(CONTENT_ENCODING)
        .map(HeaderValue::to_str)
    {
        None => false,
        Some(Ok(value)) if value.trim().eq_ignore_ascii_case("gzip") => true,
        Some(Ok(value))
            if value.trim().eq_ignore_ascii_case("identity") || value.trim().is_empty() =>
        {
            false
        }
        Some(_) => {
            return Err(Refusal::Invalid(
                "unsupported Content-Encoding: send gzip or none".to_owned(),
            ));
        }
    };
    let collected = Limited::new(request.into_body(), limit)
        .collect()
        .await
        .map_err(|err| {
            if err.is::<http_body_util::LengthLimitError>() {
                too_large()
            } else {
                Refusal::Invalid(format!("the body could not be read: {err}"))
            }
        })?;
    let bytes = collected.to_bytes();
    if !gzip {
        return Ok(bytes);
    }
    let mut inflated = Vec::with_capacity(bytes.len().saturating_mul(4).min(limit));
    flate2::read::GzDecoder::new(&bytes[..])
        .take(limit as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|err| Refusal::Invalid(format!("the gzip body is not valid: {err}")))?;
    if inflated.len() > limit {
        return Err(too_large());
    }
    Ok(Bytes::from(inflated))
}

/// `google.rpc.Status`, as OTLP/HTTP error bodies carry it.
#[derive(Clone, PartialEq, prost::Message, serde::Serialize)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

fn refused(refusal: &Refusal, encoding: Encoding) -> Response<Full<Bytes>> {
    let (status, code, message) = match refusal {
        Refusal::Invalid(message) => (
            StatusCode::BAD_REQUEST,
            tonic::Code::InvalidArgument,
            message,
        ),
        Refusal::TooLarge(message) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            tonic::Code::ResourceExhausted,
            message,
        ),
        Refusal::Unavailable(message) => (
            StatusCode::SERVICE_UNAVAILABLE,
            tonic::Code::Unavailable,
            message,
        ),
        Refusal::TimedOut(message) => (
            StatusCode::REQUEST_TIMEOUT,
            tonic::Code::DeadlineExceeded,
            message,
        ),
    };
    let rpc = RpcStatus {
        code: code as i32,
        message: message.clone(),
    };
    let json = serde_json::to_vec(&rpc).unwrap_or_default();
    let mut response = reply(status, encoding, rpc.encode_to_vec(), json);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

fn reply(
    status: StatusCode,
    encoding: Encoding,
    protobuf: Vec<u8>,
    json: Vec<u8>,
) -> Response<Full<Bytes>> {
    let (content_type, body) = match encoding {
        Encoding::Protobuf => ("application/x-protobuf", protobuf),
        Encoding::Json => ("application/json", json),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

fn plain(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(format!("{message}\n"))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}
