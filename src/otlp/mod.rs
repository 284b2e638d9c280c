//! Trace files and OTLP: reading `trace-data` line by line, checking each line, counting
//! what it holds, and (in `replay`) sending it to an OTLP/HTTP receiver.
//!
//! A trace file is JSON Lines, one OTLP/JSON `ExportTraceServiceRequest` per line, as
//! the Collector's `file` exporter writes it. Lines can be many megabytes, files many
//! gigabytes: everything here streams one line at a time and never rewrites the file.

pub mod endpoint;
pub mod failed;
pub mod fast;
pub mod lines;
pub mod model;
pub mod pipeline;
pub mod protobuf;
pub mod replay;
pub mod response;
pub mod rewrite;
pub mod send;
pub mod skip;
pub mod stats;

/// Errors of reading and sending trace data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the input failed part-way.
    #[error("reading {input} failed at line {line}: {source}")]
    Read {
        /// The input, as shown to the user.
        input: String,
        /// The line being read.
        line: u64,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// `replay` did not deliver everything.
    #[error(transparent)]
    Replay(#[from] replay::Error),
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Read { .. } => crate::error::EXIT_FAILED,
            Error::Replay(err) => err.exit_code(),
        }
    }
}
