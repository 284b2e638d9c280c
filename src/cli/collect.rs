//! The `collect` command's raw flags: where the receiver listens and what it writes.

use std::path::PathBuf;

use clap::Args;

/// Options of `collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The trace-data file to append to (created with its directory).
    #[arg(
        short,
        long,
        value_name = "FILE",
        default_value = "integration-tests/smoke/traces/trace-data.json"
    )]
    pub output: PathBuf,
    /// OTLP/HTTP address (`0.0.0.0:4318` serves containers, port 0 a free port), or `none`.
    #[arg(long, value_name = "ADDR|none", default_value = "127.0.0.1:4318")]
    pub http: String,
    /// OTLP/gRPC address, or `none`.
    #[arg(long, value_name = "ADDR|none", default_value = "127.0.0.1:4317")]
    pub grpc: String,
    /// Once listening, write `{"http":"HOST:PORT","grpc":"HOST:PORT","pid":N}` here.
    #[arg(long, value_name = "FILE")]
    pub ready_file: Option<PathBuf>,
    /// The largest request taken, compressed or not (larger: 413 / RESOURCE_EXHAUSTED).
    #[arg(long, value_name = "BYTES", default_value_t = 20 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1024..=1 << 32))]
    pub max_request_size: u64,
    /// Also store received logs here (OTLP/JSON lines); by default they are only counted.
    #[arg(long, value_name = "FILE")]
    pub logs: Option<PathBuf>,
    /// Also store received metrics here (OTLP/JSON lines); by default only counted.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
}
