//! The OTLP/gRPC client of `replay`: one `TraceService/Export` call per line over one
//! HTTP/2 connection (calls in flight share it as streams), and what a gRPC status means.
//!
//! The line is already the protobuf `ExportTraceServiceRequest` (see `protobuf`), so it
//! goes on the wire as it is, through a codec that copies bytes, and only the small
//! answer is decoded (with opentelemetry-proto's generated type). Following
//! opentelemetry-proto's `docs/specification.md`: CANCELLED, DEADLINE_EXCEEDED, ABORTED,
//! OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are retried; RESOURCE_EXHAUSTED only when the
//! server sent a `RetryInfo` (whose delay is then waited, up to the one cap every
//! protocol has); every other code is final for that line. A local timeout or a broken
//! connection is retried like the HTTP client retries them; a refused connection before
//! anything was delivered is not: nothing listens there. The retrying itself is
//! `send`'s, under `crate::http::Policy`. Metadata values may be credentials: they are
//! sent, never logged.

use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use bytes::{Buf as _, BufMut as _, Bytes};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message as _;
use reqwest::Url;
use reqwest::header::HeaderMap;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::metadata::MetadataMap;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};
use tonic::{Code, Status};

use super::attempt::{Attempt, Failure, Gate, Outcome, verdict};
use crate::http::{Failed, Retry};

/// The method every line is sent to.
const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
/// How much of an answer is decoded (answers are small; this bounds memory).
const MAX_ANSWER: usize = 1 << 20;

/// Sends lines to one gRPC receiver.
#[derive(Debug)]
pub(crate) struct Sender {
    channel: Channel,
    metadata: MetadataMap,
    gzip: bool,
    timeout: Duration,
}

impl Sender {
    /// A client of the receiver at `url` (http: plain HTTP/2, https: TLS with the
    /// web's root certificates). It connects at the first call.
    pub(crate) fn new(
        url: &Url,
        headers: HeaderMap,
        gzip: bool,
        timeout: Duration,
    ) -> Result<Self, tonic::transport::Error> {
        let mut endpoint = Endpoint::from_shared(url.as_str().trim_end_matches('/').to_owned())?
            .user_agent(crate::http::USER_AGENT)?
            .connect_timeout(Duration::from_secs(30))
            .tcp_nodelay(true);
        if url.scheme() == "https" {
            endpoint = endpoint.tls_config(ClientTlsConfig::new().with_webpki_roots())?;
        }
        Ok(Self {
            channel: endpoint.connect_lazy(),
            metadata: MetadataMap::from_headers(headers),
            gzip,
            timeout,
        })
    }

    /// One call: delivered, or a failure with the protocol's verdict.
    pub(crate) async fn attempt(&self, body: Bytes, gate: &Gate) -> Attempt {
        let mut client = tonic::client::Grpc::new(self.channel.clone())
            .accept_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(MAX_ANSWER);
        if self.gzip {
            client = client.send_compressed(CompressionEncoding::Gzip);
        }
        let mut request = tonic::Request::new(body);
        *request.metadata_mut() = self.metadata.clone();
        request.set_timeout(self.timeout);
        let call = async {
            client.ready().await.map_err(|err| {
                Status::from_error(Box::new(err) as Box<dyn std::error::Error + Send + Sync>)
            })?;
            client
                .unary(request, PathAndQuery::from_static(EXPORT), BytesCodec)
                .await
        };
        let status = match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(response)) => {
                let partial = response.into_inner().partial_success.unwrap_or_default();
                let message = crate::log::one_line(&partial.error_message);
                return Ok(Outcome::Delivered {
                    rejected: u64::try_from(partial.rejected_spans).unwrap_or(0),
                    message: Some(message).filter(|m| !m.is_empty()),
                });
            }
            Ok(Err(status)) => status,
            Err(_) => return Err(self.timed_out(gate)),
        };
        if has_source::<tonic::TimeoutExpired>(&status) {
            return Err(self.timed_out(gate));
        }
        Err(judge(&status, gate))
    }

    /// No answer within `--timeout`: retried like any transient trouble.
    fn timed_out(&self, gate: &Gate) -> Failed<(String, Failure)> {
        let reason = format!("timed out after {:.1} s", self.timeout.as_secs_f64());
        verdict("timeout", reason, Failure::Exhausted, Retry::Backoff, gate)
    }
}

/// What a failed call's status means for the line.
fn judge(status: &Status, gate: &Gate) -> Failed<(String, Failure)> {
    let message = crate::log::one_line(status.message());
    let said = if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    };
    if std::error::Error::source(status).is_some() {
        // Not the server's answer: the call failed on this side (connecting, the
        // connection breaking, the stream reset).
        let connect = has_source::<tonic::ConnectError>(status);
        let how = if connect && !gate.delivered.load(Relaxed) {
            Failure::NothingListens
        } else {
            Failure::Exhausted
        };
        let kind = if connect {
            "cannot connect"
        } else {
            "the connection failed"
        };
        return verdict(
            "connection",
            format!("{kind}{said}"),
            how,
            Retry::Backoff,
            gate,
        );
    }
    let code = status.code();
    let name = code_name(code);
    let kind = format!("gRPC {name}");
    let reason = format!("gRPC {name}{said}");
    let delay = retry_delay(status.details());
    let (how, retry) = match code {
        Code::Cancelled
        | Code::DeadlineExceeded
        | Code::Aborted
        | Code::OutOfRange
        | Code::Unavailable
        | Code::DataLoss => (
            Failure::Exhausted,
            delay.map_or(Retry::Backoff, Retry::After),
        ),
        Code::ResourceExhausted if delay.is_some() => (
            Failure::Exhausted,
            delay.map_or(Retry::Backoff, Retry::After),
        ),
        _ => (Failure::Final, Retry::Never),
    };
    verdict(&kind, reason, how, retry, gate)
}

/// Whether a local failure was caused by an `E` (a failure to connect, a timeout).
fn has_source<E: std::error::Error + 'static>(status: &Status) -> bool {
    let mut source = std::error::Error::source(status);
    while let Some(err) = source {
        if err.is::<E>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// The code as the specification writes it (`UNAVAILABLE`).
fn code_name(code: Code) -> String {
    let mut name = String::new();
    for (i, c) in format!("{code:?}").chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

/// `google.rpc.Status` as far as its details go.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(message, repeated, tag = "3")]
    details: Vec<prost_types_any::Any>,
}

/// `google.protobuf.Any`, `google.rpc.RetryInfo` and `google.protobuf.Duration`.
mod prost_types_any {
    /// `google.protobuf.Any`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Any {
        /// The type's URL.
        #[prost(string, tag = "1")]
        pub type_url: String,
        /// The message.
        #[prost(bytes = "vec", tag = "2")]
        pub value: Vec<u8>,
    }

    /// `google.rpc.RetryInfo`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct RetryInfo {
        /// How long to wait.
        #[prost(message, optional, tag = "1")]
        pub retry_delay: Option<Duration>,
    }

    /// `google.protobuf.Duration`.
    #[derive(Clone, PartialEq, prost::Message)]
    pub(super) struct Duration {
        /// Seconds.
        #[prost(int64, tag = "1")]
        pub seconds: i64,
        /// Nanoseconds.
        #[prost(int32, tag = "2")]
        pub nanos: i32,
    }
}

/// The delay of a `RetryInfo` in the status details (`grpc-status-details-bin`).
fn retry_delay(details: &[u8]) -> Option<Duration> {
    let status = RpcStatus::decode(details).ok()?;
    let info = status
        .details
        .iter()
        .find(|any| any.type_url.ends_with("/google.rpc.RetryInfo"))?;
    let delay = prost_types_any::RetryInfo::decode(info.value.as_slice())
        .ok()?
        .retry_delay?;
    let seconds = u64::try_from(delay.seconds).ok()?;
    let nanos = u32::try_from(delay.nanos).unwrap_or(0);
    Some(Duration::new(seconds, nanos.min(999_999_999)))
}

/// Sends the request bytes as they are; decodes the answer.
#[derive(Debug, Clone, Copy)]
struct BytesCodec;

impl Codec for BytesCodec {
    type Encode = Bytes;
    type Decode = ExportTraceServiceResponse;
    type Encoder = BytesCodec;
    type Decoder = BytesCodec;

    fn encoder(&mut self) -> Self::Encoder {
        *self
    }

    fn decoder(&mut self) -> Self::Decoder {
        *self
    }
}

impl Encoder for BytesCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for BytesCodec {
    type Item = ExportTraceServiceResponse;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Self::Item>, Status> {
        let answer = ExportTraceServiceResponse::decode(src.copy_to_bytes(src.remaining()))
            .unwrap_or_default();
        Ok(Some(answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_named_as_the_specification_writes_them() {
        assert_eq!(code_name(Code::Unavailable), "UNAVAILABLE");
        assert_eq!(code_name(Code::ResourceExhausted), "RESOURCE_EXHAUSTED");
        assert_eq!(code_name(Code::InvalidArgument), "INVALID_ARGUMENT");
    }

    #[test]
    fn a_retry_info_gives_its_delay() {
        let info = prost_types_any::RetryInfo {
            retry_delay: Some(prost_types_any::Duration {
                seconds: 2,
                nanos: 500_000_000,
            }),
        };
        let status = RpcStatus {
            details: vec![prost_types_any::Any {
                type_url: "type.googleapis.com/google.rpc.RetryInfo".to_owned(),
                value: info.encode_to_vec(),
            }],
        };
        assert_eq!(
            retry_delay(&status.encode_to_vec()),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(retry_delay(&[]), None);
    }
}
