//! The GitHub Actions runtime as a step sees it: environment, workflow commands,
//! outputs, the job summary and the event payload.
//!
//! Everything here reads the documented `GITHUB_*`/`ACTIONS_*` variables through
//! [`crate::config::env_var`], so tests can run the binary outside Actions with a
//! cleaned environment. It must never write a token to the log or to an output file.

pub mod commands;
pub mod gate;

/// Errors of the Actions runtime.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A documented variable is missing or unusable.
    #[error("{0}")]
    Environment(String),
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Environment(_) => crate::error::EXIT_USAGE,
        }
    }
}
