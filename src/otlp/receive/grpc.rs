//! OTLP/gRPC: the trace, logs and metrics `Export` services on tonic, with the status
//! codes OTLP clients expect.
//!
//! tonic decodes the messages itself, and its codes for a failed decode differ from
//! OTLP's: a message above the limit gets `OUT_OF_RANGE` and an undecodable one
//! `INTERNAL`, which clients would take for final errors of the server. Such failures
//! are answered before any handler runs, as "trailers-only" responses, so a small layer
//! rewrites them there to `RESOURCE_EXHAUSTED` and `INVALID_ARGUMENT` (the handlers
//! never answer with those two codes themselves) and counts every refusal. The limit
//! applies to the compressed message and again while inflating it (tonic's own check).
//!
//! No client is waited for without end: a connection must send its first bytes within
//! the read timeout (tonic would wait for an HTTP/2 preface forever), a request must be
//! answered within it, and a peer that stops answering keep-alive pings is dropped.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::codec::CompressionEncoding;
use tonic::codegen::http;
use tonic::{Request, Response, Status};

use super::{Receiver, Refusal, decode};

/// The handlers of the three services.
#[derive(Clone)]
struct Services(Arc<Receiver>);

fn status(refusal: Refusal) -> Status {
    match refusal {
        Refusal::Invalid(message) => Status::invalid_argument(message),
        Refusal::TooLarge(message) => Status::resource_exhausted(message),
        Refusal::Unavailable(message) => Status::unavailable(message),
        Refusal::TimedOut(message) => Status::deadline_exceeded(message),
    }
}

#[tonic::async_trait]
impl TraceService for Services {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let request = request.into_inner();
        decode::check_ids(&request).map_err(Status::invalid_argument)?;
        self.0.traces(&request).await.map_err(status)?;
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for Services {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        // Counted as over HTTP (the decoder's counter), without decoding twice.
        let request = request.into_inner();
        let records = decode::log_records(&request);
        self.0.logs(&request, records).await.map_err(status)?;
        Ok(Response::new(ExportLogsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Services {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let request = request.into_inner();
        let points = decode::data_points(&request);
        self.0.metrics(&request, points).await.map_err(status)?;
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

/// Serves `listener` until `stopped` turns true, then drains (for at most
/// [`super::http::DRAIN`]).
pub(crate) async fn serve(
    listener: TcpListener,
    receiver: Arc<Receiver>,
    stopped: watch::Receiver<bool>,
) {
    let limit = receiver.max_request;
    let services = Services(Arc::clone(&receiver));
    let traces = TraceServiceServer::new(services.clone())
        .max_decoding_message_size(limit)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip);
    let logs = LogsServiceServer::new(services.clone())
        .max_decoding_message_size(limit)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip);
    let metrics = MetricsServiceServer::new(services)
        .max_decoding_message_size(limit)
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip);
    let stop = super::stopping(stopped.clone());
    let read = crate::tuning::get().collect_read_timeout;
    let server = tonic::transport::Server::builder()
        // A request whose message stalls, or a peer that stops answering pings, is cut off.
        .timeout(read)
        .http2_keepalive_interval(Some(read))
        .http2_keepalive_timeout(Some(KEEPALIVE_TIMEOUT))
        .layer(OtlpCodesLayer(receiver))
        .add_service(traces)
        .add_service(logs)
        .add_service(metrics)
        .serve_with_incoming_shutdown(super::screened(listener, stopped.clone()), stop);
    // The drain is bounded: past it, dropping the server drops the connections.
    let deadline = async {
        super::stopping(stopped).await;
        tokio::time::sleep(super::http::DRAIN).await;
    };
    tokio::select! {
        _ = server => {}
        () = deadline => {}
    }
}

/// How long a keep-alive ping may wait for its answer.
const KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Rewrites tonic's own refusals to OTLP's codes and counts every refusal.
#[derive(Clone)]
struct OtlpCodesLayer(Arc<Receiver>);

impl<S> tower::Layer<S> for OtlpCodesLayer {
    type Service = OtlpCodes<S>;

    fn layer(&self, inner: S) -> Self::Service {
        OtlpCodes {
            inner,
            receiver: Arc::clone(&self.0),
        }
    }
}

/// The service [`OtlpCodesLayer`] wraps around the routes.
#[derive(Clone)]
struct OtlpCodes<S> {
    inner: S,
    receiver: Arc<Receiver>,
}

impl<S, B, R> tower::Service<http::Request<B>> for OtlpCodes<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send + 'static>,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let future = self.inner.call(request);
        let receiver = Arc::clone(&self.receiver);
        Box::pin(async move {
            let mut response = future.await?;
            let headers = response.headers_mut();
            let code = headers
                .get("grpc-status")
                .and_then(|v| v.to_str().ok()?.parse::<i32>().ok());
            if let Some(code) = code.filter(|&code| code != 0) {
                receiver.refused();
                let otlp = match tonic::Code::from_i32(code) {
                    tonic::Code::OutOfRange => Some(tonic::Code::ResourceExhausted),
                    tonic::Code::Internal => Some(tonic::Code::InvalidArgument),
                    _ => None,
                };
                if let Some(otlp) = otlp {
                    headers.insert("grpc-status", http::HeaderValue::from(otlp as i32));
                }
            }
            Ok(response)
        })
    }
}
