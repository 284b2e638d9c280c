//! The artifact upload protocol v4, as `actions/upload-artifact@v4` speaks it: backend
//! ids from the runtime token, Twirp calls to the results service, and the blob upload.

pub mod upload;

/// Errors of the artifact protocol.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The results service refused the request.
    #[error("{0}")]
    Service(String),
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Service(_) => crate::error::EXIT_FAILED,
        }
    }
}
