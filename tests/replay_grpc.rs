//! `replay --protocol grpc` against a small gRPC receiver in the test (tonic with
//! opentelemetry-proto's generated service), which answers as each test scripts it:
//! retries on UNAVAILABLE, `.failed` on INVALID_ARGUMENT, partial success, gzip,
//! metadata, concurrency; and the OTel exporter variables that choose the protocol and
//! the compression, with the exit-2 errors for values that cannot be honoured.

mod replay_support;
mod support;

use std::collections::VecDeque;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use replay_support::{Case, SAMPLE, lines, ok, replay, write};
use tonic::codec::CompressionEncoding;
use tonic::{Code, Request, Response, Status};

/// What the receiver does with one call.
#[derive(Clone)]
enum Answer {
    Ok,
    Fail(Code),
    Reject(i64),
    /// Answers only after 5 s.
    Stall,
    /// RESOURCE_EXHAUSTED with a `RetryInfo` asking for 1 s.
    ExhaustedRetryIn1s,
}

/// `google.rpc.Status` with one detail, `google.protobuf.Any`, `google.rpc.RetryInfo`
/// and `google.protobuf.Duration`, as a server puts them in `grpc-status-details-bin`.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(message, repeated, tag = "3")]
    details: Vec<Any>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Any {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    retry_delay: Option<ProtoDuration>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ProtoDuration {
    #[prost(int64, tag = "1")]
    seconds: i64,
}

fn retry_in_1s() -> Status {
    use prost::Message as _;
    let info = RetryInfo {
        retry_delay: Some(ProtoDuration { seconds: 1 }),
    };
    let details = RpcStatus {
        code: Code::ResourceExhausted as i32,
        details: vec![Any {
            type_url: "type.googleapis.com/google.rpc.RetryInfo".to_owned(),
            value: info.encode_to_vec(),
        }],
    };
    Status::with_details(
        Code::ResourceExhausted,
        "slow down",
        details.encode_to_vec().into(),
    )
}

/// One call as the receiver saw it.
#[derive(Debug, Clone)]
struct Call {
    spans: usize,
    encoding: Option<String>,
    token: Option<String>,
}

#[derive(Default)]
struct State {
    script: Mutex<VecDeque<Answer>>,
    calls: Mutex<Vec<Call>>,
}

#[derive(Clone)]
struct Receiver(Arc<State>);

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let header = |name: &str| {
            request
                .metadata()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (encoding, token) = (header("grpc-encoding"), header("x-token"));
        let spans = request
            .get_ref()
            .resource_spans
            .iter()
            .flat_map(|rs| &rs.scope_spans)
            .map(|ss| ss.spans.len())
            .sum();
        self.0.calls.lock().unwrap().push(Call {
            spans,
            encoding,
            token,
        });
        let answer = self.0.script.lock().unwrap().pop_front();
        match answer.unwrap_or(Answer::Ok) {
            Answer::ExhaustedRetryIn1s => Err(retry_in_1s()),
            Answer::Stall => {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                Ok(Response::new(ExportTraceServiceResponse::default()))
            }
            Answer::Ok => Ok(Response::new(ExportTraceServiceResponse::default())),
            Answer::Fail(code) => Err(Status::new(code, "scripted")),
            Answer::Reject(spans) => Ok(Response::new(ExportTraceServiceResponse {
                partial_success: Some(ExportTracePartialSuccess {
                    rejected_spans: spans,
                    error_message: "not today".to_owned(),
                }),
            })),
        }
    }
}

/// A receiver on a port of its own, served from a thread until the test ends.
struct Fake {
    state: Arc<State>,
    port: u16,
}

impl Fake {
    fn start(script: &[Answer]) -> Self {
        let state = Arc::new(State::default());
        state.script.lock().unwrap().extend(script.iter().cloned());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let service = TraceServiceServer::new(Receiver(state.clone()))
            .accept_compressed(CompressionEncoding::Gzip);
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let incoming = tonic::transport::server::TcpIncoming::from(listener);
                tonic::transport::Server::builder()
                    .add_service(service)
                    .serve_with_incoming(incoming)
                    .await
                    .unwrap();
            });
        });
        Self { state, port }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn calls(&self) -> Vec<Call> {
        self.state.calls.lock().unwrap().clone()
    }

    fn spans(&self) -> usize {
        self.calls().iter().map(|c| c.spans).sum()
    }
}

/// Replays the sample to `fake` over gRPC, one line in flight, with `flags`.
fn replay_sample(fake: &Fake, flags: &[&str]) -> (tempfile::TempDir, replay_support::Run) {
    let (dir, file) = sample_dir();
    let url = fake.url();
    let mut args = vec![
        file.as_str(),
        "--protocol",
        "grpc",
        "--endpoint",
        &url,
        "--concurrency",
        "1",
    ];
    args.extend_from_slice(flags);
    let run = replay(dir.path(), &args, &[]);
    (dir, run)
}

fn sample_dir() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "trace-data", SAMPLE);
    (dir, file.to_str().unwrap().to_owned())
}

#[test]
fn unavailable_is_retried_until_the_receiver_accepts() {
    let fake = Fake::start(&[
        Answer::Fail(Code::Unavailable),
        Answer::Fail(Code::Unavailable),
    ]);
    let (dir, run) = replay_sample(&fake, &["--header", "x-token=sentinel-value"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    run.prints("spans accepted: 3\n");
    run.prints("lines failed:   0\n");
    let calls = fake.calls();
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert_eq!(fake.spans(), 3 + 2 * calls[0].spans);
    assert!(
        calls
            .iter()
            .all(|c| c.token.as_deref() == Some("sentinel-value"))
    );
    assert!(calls.iter().all(|c| c.encoding.is_none()), "{calls:?}");
    assert!(!run.stderr.contains("sentinel-value"), "{}", run.stderr);
    assert!(!dir.path().join("trace-data.failed").exists());
}

#[test]
fn a_call_past_the_timeout_is_tried_again() {
    let fake = Fake::start(&[Answer::Stall]);
    let (_dir, run) = replay_sample(&fake, &["--timeout", "200ms", "-v"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    run.prints("spans accepted: 3\n");
    run.says("timed out after 0.2 s; retrying");
    assert_eq!(fake.calls().len(), 3);
}

#[test]
fn resource_exhausted_with_retry_info_waits_as_asked() {
    let fake = Fake::start(&[Answer::ExhaustedRetryIn1s]);
    let (_dir, run) = replay_sample(&fake, &["-v"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    run.prints("spans accepted: 3\n");
    // CI_TRACING_RETRY_SCALE=0.01 scales the asked 1 s to 0.01 s.
    run.says("gRPC RESOURCE_EXHAUSTED: slow down; retrying in 0.0 s (attempt 1 of 6) as its Retry-After asks");
    assert_eq!(fake.calls().len(), 3);
}

#[test]
fn invalid_argument_is_final_and_the_line_goes_to_failed() {
    let fake = Fake::start(&[Answer::Fail(Code::InvalidArgument)]);
    let (dir, run) = replay_sample(&fake, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    run.says("gRPC INVALID_ARGUMENT: scripted");
    run.prints("lines failed:   1 (gRPC INVALID_ARGUMENT: 1)");
    assert_eq!(fake.calls().len(), 2, "not retried");
    let failed = std::fs::read_to_string(dir.path().join("trace-data.failed")).unwrap();
    assert_eq!(lines(&failed), vec![lines(SAMPLE)[0]]);
}

#[test]
fn resource_exhausted_without_retry_info_is_final_and_partial_success_is_kept() {
    let fake = Fake::start(&[Answer::Fail(Code::ResourceExhausted), Answer::Reject(1)]);
    let (dir, run) = replay_sample(&fake, &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(fake.calls().len(), 2, "RESOURCE_EXHAUSTED is not retried");
    run.says("the receiver rejected 1 of");
    run.says("not today");
    run.prints("spans rejected: 1\n");
    let failed = std::fs::read_to_string(dir.path().join("trace-data.failed")).unwrap();
    assert_eq!(lines(&failed), lines(SAMPLE));
}

#[test]
fn the_exporter_variables_choose_grpc_gzip_and_the_endpoint() {
    let fake = Fake::start(&[]);
    let (dir, file) = sample_dir();
    let run = replay(
        dir.path(),
        &[&file],
        &[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &fake.url()),
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    run.prints("spans accepted: 3\n");
    let calls = fake.calls();
    assert_eq!(calls.len(), 2);
    assert!(
        calls.iter().all(|c| c.encoding.as_deref() == Some("gzip")),
        "{calls:?}"
    );
    assert_eq!(fake.spans(), 3);
}

#[test]
fn many_lines_in_flight_arrive_exactly_once() {
    let fake = Fake::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("generated.jsonl");
    let options = support::generate::Options {
        lines: Some(200),
        seed: 5,
        ..Default::default()
    };
    let generated =
        support::generate::write(&options, std::fs::File::create(&path).unwrap()).unwrap();
    let run = replay(
        dir.path(),
        &[
            path.to_str().unwrap(),
            "--protocol",
            "grpc",
            "--gzip",
            "--endpoint",
            &fake.url(),
            "--concurrency",
            "16",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    run.prints(&format!("spans accepted: {}\n", generated.spans));
    assert_eq!(fake.calls().len(), 200);
    assert_eq!(fake.spans() as u64, generated.spans);
}

#[test]
fn nothing_listening_on_the_grpc_port_fails_fast_without_failed_file() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (dir, file) = sample_dir();
    let endpoint = format!("http://127.0.0.1:{port}");
    let run = replay(
        dir.path(),
        &[&file, "--protocol", "grpc", "--endpoint", &endpoint],
        &[],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    run.says("nothing listens at");
    assert!(!dir.path().join("trace-data.failed").exists());
}

/// Flags, variables, and the message expected.
type Refused<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn values_that_cannot_be_honoured_are_usage_errors() {
    let (dir, file) = sample_dir();
    let cases: [Refused; 5] = [
        (
            &["--protocol", "thrift"],
            &[],
            "--protocol `thrift` is not a protocol ci-tracing can send",
        ),
        (
            &["--protobuf", "--protocol", "grpc"],
            &[],
            "--protobuf means --protocol http/protobuf",
        ),
        (
            &[],
            &[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/thrift")],
            "OTEL_EXPORTER_OTLP_PROTOCOL `http/thrift` is not a protocol",
        ),
        (
            &[],
            &[("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "zstd")],
            "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION `zstd` is not a compression",
        ),
        (
            &[],
            &[
                ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
                ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "brotli"),
            ],
            "`brotli` is not a compression",
        ),
    ];
    for (flags, envs, message) in cases {
        let mut args = vec![file.as_str()];
        args.extend_from_slice(flags);
        let run = replay(dir.path(), &args, envs);
        assert_eq!(run.code, 2, "{flags:?} {envs:?}: {}", run.stderr);
        run.says(message);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    }
}

#[test]
fn the_traces_protocol_variable_wins_over_the_general_one() {
    let case = Case::new(SAMPLE, |_| ok());
    let endpoint = replay_support::endpoint(&case.server);
    let run = replay(
        case.dir.path(),
        &[case.file.to_str().unwrap(), "--endpoint", &endpoint],
        &[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "none"),
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let requests = case.server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(
            request.header("content-type"),
            Some("application/x-protobuf")
        );
        assert_eq!(request.header("content-encoding"), None);
    }
}
