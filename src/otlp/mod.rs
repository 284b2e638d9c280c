//! OTLP, the protocol: how a line is encoded (`protobuf`, `transcode`, `rewrite`), sending with
//! retries (`send`, `pipeline`) over one client per protocol (`http`, `grpc`), what the
//! receiver answered (`response`), and the lines it did not accept (`failed`). Where to send is resolved
//! with the other settings, in `crate::config::otlp`.
//!
//! Reading and checking trace files is the trace core's job (`crate::trace`); this
//! folder only speaks the protocol. Lines can be many megabytes, files many gigabytes:
//! everything here streams one line at a time and never rewrites the input file.

pub(crate) mod attempt;
pub(crate) mod failed;
pub(crate) mod grpc;
pub(crate) mod http;
pub(crate) mod pipeline;
pub(crate) mod protobuf;
pub mod receive;
pub(crate) mod response;
pub(crate) mod rewrite;
pub(crate) mod send;
pub mod transcode;

/// Why a replay did not deliver everything.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Some lines were not accepted in full.
    #[error(
        "{failed} of {lines} lines were not accepted in full; they are in {path} (see the warnings above, then replay that file)"
    )]
    NotAccepted {
        /// Lines written to `.failed`.
        failed: u64,
        /// Lines read.
        lines: u64,
        /// The `.failed` file.
        path: String,
    },
    /// `--strict` and an invalid line.
    #[error(
        "line {line} is not valid ({reason}); stopped there because of --strict: it and every line after it are in {path}"
    )]
    Strict {
        /// The line number.
        line: u64,
        /// Why.
        reason: String,
        /// The `.failed` file.
        path: String,
    },
    /// Nothing listens at the endpoint and nothing was delivered: nothing was sent.
    #[error(
        "nothing listens at {endpoint} ({reason}): start a local stack with `ci-tracing stack init`, then `docker compose up` in .github/tracing (or pass --endpoint); nothing was sent, so replay {input} again once it runs"
    )]
    NothingListens {
        /// The endpoint, without credentials.
        endpoint: String,
        /// The connection error.
        reason: String,
        /// The input, to replay again.
        input: String,
    },
    /// The receiver failed `--max-consecutive-failures` lines in a row.
    #[error(
        "stopped: the OTLP receiver at {endpoint} failed {in_a_row} line(s) in a row (the last: {reason}); the {failed} lines not accepted (those not sent included) are in {path}: replay that file once the receiver works"
    )]
    Failing {
        /// The endpoint, without credentials.
        endpoint: String,
        /// Lines failed in a row.
        in_a_row: u32,
        /// The last line's reason.
        reason: String,
        /// Lines written to `.failed`.
        failed: u64,
        /// The `.failed` file.
        path: String,
    },
    /// SIGINT or SIGTERM stopped the replay.
    #[error(
        "interrupted by {}: {failed} lines not accepted (those not sent included) are in {path}: replay that file to finish", signal.name()
    )]
    Interrupted {
        /// The signal.
        signal: crate::signal::Signal,
        /// Lines written to `.failed`.
        failed: u64,
        /// The `.failed` file.
        path: String,
    },
    /// `.failed` could not be written.
    #[error("cannot write {failure}; {lines} lines were not accepted and are not saved anywhere")]
    FailedFile {
        /// The target path and the operating system's reason.
        failure: crate::path_error::IoOnPath,
        /// Lines that were meant for it.
        lines: u64,
    },
    /// Where `.failed` would go stands a device, a FIFO, a socket or a directory.
    #[error("{0}; nothing was sent")]
    FailedTarget(String),
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client: {0}")]
    Client(String),
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Strict { .. } | Error::FailedTarget(_) => crate::exit::USAGE,
            Error::Interrupted { signal, .. } => signal.exit_code(),
            _ => crate::exit::FAILED,
        }
    }
}
