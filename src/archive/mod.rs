//! Zip archives: writing artifacts as `actions/upload-artifact` does, and extracting
//! downloaded ones without trusting their entry names or sizes.

/// Errors of zip writing and extraction.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The archive is damaged or unsafe.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Invalid(_) => crate::error::EXIT_FAILED,
        }
    }
}

pub mod deflate;
pub mod write;
