//! The GitHub REST API: pull requests, workflow runs, artifacts, and the streaming
//! download of an artifact's zip.

pub mod fetch;

/// Errors of the GitHub REST API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API answered with an error.
    #[error("{0}")]
    Api(String),
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Api(_) => crate::error::EXIT_FAILED,
        }
    }
}
