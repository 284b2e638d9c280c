//! Looking at traces without a backend: the text/markdown/JSON summary and the
//! self-contained HTML report.

pub mod html;
pub mod summary;

/// Errors of summaries and reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Writing the output failed.
    #[error("{0}")]
    Write(String),
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Write(_) => crate::error::EXIT_FAILED,
        }
    }
}
