//! Looking at traces without a backend: the text/markdown/JSON summary and the
//! self-contained HTML report.
//!
//! The statistics come from the trace core (`crate::trace`); this folder renders them
//! as text, markdown (with a Mermaid chart) or JSON, and streams the spans of a file
//! into one HTML page that does the layout itself.
//! Both treat every name and attribute in the file as untrusted text. Neither ever
//! loads a whole file into memory or writes over a user's file without `--force`.

pub(crate) mod compare;
pub(crate) mod data;
pub(crate) mod fmt;
pub(crate) mod html;
pub(crate) mod job_summary;
pub(crate) mod json;
pub mod markdown;
pub(crate) mod text;

pub use markdown::job_summary_markdown;

/// Errors of summaries and reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Writing the output failed.
    #[error("{0}")]
    Write(String),
    /// The output file cannot be written.
    #[error("cannot write {0}")]
    Unwritable(crate::path_error::IoOnPath),
    /// The output path is a device, a FIFO, a socket or a directory.
    #[error("{0}")]
    NotAFile(String),
    /// `compare --fail-on-regression` found a regression.
    #[error("{0}")]
    Regressed(String),
    /// The output file exists and `--force` was not given.
    #[error("{0} already exists; pass --force to replace it, or choose another file with -o")]
    Exists(String),
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Write(_) | Error::Unwritable(_) | Error::Regressed(_) => crate::exit::FAILED,
            Error::Exists(_) | Error::NotAFile(_) => crate::exit::USAGE,
        }
    }
}
