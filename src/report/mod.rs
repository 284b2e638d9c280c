//! Looking at traces without a backend: the text/markdown/JSON summary and the
//! self-contained HTML report.
//!
//! `summary` streams a trace file once (on every core) into bounded statistics and
//! renders them; `report` streams it into one HTML file whose page does the layout.
//! Both treat every name and attribute in the file as untrusted text. Neither ever
//! loads a whole file into memory or writes over a user's file without `--force`.

pub mod data;
pub mod fmt;
pub mod html;
pub mod json;
pub mod markdown;
pub mod scan;
pub mod sketch;
pub mod stats;
pub mod summary;
pub mod text;

pub use markdown::job_summary_markdown;
pub use stats::Summary;
pub use summary::summarize_file;

/// Errors of summaries and reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Writing the output failed.
    #[error("{0}")]
    Write(String),
    /// The output file exists and `--force` was not given.
    #[error("{0} already exists; pass --force to replace it, or choose another file with -o")]
    Exists(String),
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Write(_) => crate::error::EXIT_FAILED,
            Error::Exists(_) => crate::error::EXIT_USAGE,
        }
    }
}
