//! The GitHub Actions runtime as a step sees it: environment, workflow commands,
//! outputs, the job summary and the event payload.
//!
//! This is the runtime adapter: besides `config`, which builds each command's plan, it is
//! the only place that reads the environment (the documented `GITHUB_*` variables of the
//! event and the file commands, through [`crate::env::env_var`], an empty one counting
//! as unset), so tests can run the binary outside Actions with a cleaned environment. It
//! must never write a token to the log or to an output file.

pub(crate) mod commands;
pub(crate) mod event;
pub(crate) mod gate;
pub(crate) mod outputs;

/// Errors of the Actions runtime.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A documented variable is missing or unusable.
    #[error("{0}")]
    Environment(String),
    /// The event payload cannot be read.
    #[error(
        "cannot read the event payload {0} (GITHUB_EVENT_PATH must name the file the runner wrote)"
    )]
    EventUnreadable(crate::path_error::IoOnPath),
    /// The event payload is not the JSON the runner writes.
    #[error("the event payload {path} is not valid: {reason}")]
    EventMalformed {
        /// The file named by `GITHUB_EVENT_PATH`.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// `GITHUB_OUTPUT` or `GITHUB_STEP_SUMMARY` cannot be written.
    #[error("cannot write to {} ({variable}): {}", .failure.path, .failure.reason)]
    FileCommand {
        /// `GITHUB_OUTPUT` or `GITHUB_STEP_SUMMARY`.
        variable: &'static str,
        /// The file it names and why it cannot be written.
        failure: crate::path_error::IoOnPath,
    },
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Environment(_) | Error::EventUnreadable(_) | Error::EventMalformed { .. } => {
                crate::exit::USAGE
            }
            Error::FileCommand { .. } => crate::exit::FAILED,
        }
    }
}
