//! The GitHub Actions runtime as a step sees it: environment, workflow commands,
//! outputs, the job summary and the event payload.
//!
//! Everything here reads the documented `GITHUB_*`/`ACTIONS_*` variables through
//! [`crate::config::env_var`], so tests can run the binary outside Actions with a
//! cleaned environment. It must never write a token to the log or to an output file.

pub mod commands;
pub mod event;
pub mod gate;
pub mod outputs;

/// Errors of the Actions runtime.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A documented variable is missing or unusable.
    #[error("{0}")]
    Environment(String),
    /// The event payload cannot be read.
    #[error(
        "cannot read the event payload {path}: {reason} (GITHUB_EVENT_PATH must name the file the runner wrote)"
    )]
    EventUnreadable {
        /// The file named by `GITHUB_EVENT_PATH`.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// The event payload is not the JSON the runner writes.
    #[error("the event payload {path} is not valid: {reason}")]
    EventMalformed {
        /// The file named by `GITHUB_EVENT_PATH`.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// `GITHUB_OUTPUT` or `GITHUB_STEP_SUMMARY` cannot be written.
    #[error("cannot write to {path} ({variable}): {reason}")]
    FileCommand {
        /// `GITHUB_OUTPUT` or `GITHUB_STEP_SUMMARY`.
        variable: &'static str,
        /// The file it names.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Environment(_)
            | Error::EventUnreadable { .. }
            | Error::EventMalformed { .. } => crate::exit::USAGE,
            Error::FileCommand { .. } => crate::exit::FAILED,
        }
    }
}
