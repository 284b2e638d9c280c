//! The one error type that reaches `main`, and the exit status each kind maps to.
//!
//! Each protocol folder and the trace core have their own error type and say which exit
//! status (`crate::exit`) it maps to; this file only wraps them, and nothing it wraps
//! imports it back. The `Display` of every variant is one line that says what went
//! wrong and what to do; it never contains a secret.

use crate::exit::USAGE;
use crate::{actions, archive, artifact, config, github, otlp, report, stack, trace};

/// Every error a command can end with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Flags, environment or input files are wrong.
    #[error(transparent)]
    Config(#[from] config::Error),
    /// The GitHub Actions runtime (event payload, outputs, summary).
    #[error(transparent)]
    Actions(#[from] actions::Error),
    /// The GitHub REST API.
    #[error(transparent)]
    Github(#[from] github::Error),
    /// The artifact upload protocol.
    #[error(transparent)]
    Artifact(#[from] artifact::Error),
    /// Zip writing and extraction.
    #[error(transparent)]
    Archive(#[from] archive::Error),
    /// Reading trace files.
    #[error(transparent)]
    Trace(#[from] trace::Error),
    /// Sending trace files over OTLP.
    #[error(transparent)]
    Otlp(#[from] otlp::Error),
    /// Summaries and reports.
    #[error(transparent)]
    Report(#[from] report::Error),
    /// Writing the local stack's files.
    #[error(transparent)]
    Stack(#[from] stack::Error),
    /// The async runtime could not start (out of threads or memory): the machine's
    /// trouble, not the invocation's.
    #[error(
        "cannot start the async runtime: {0}; try again when the system has resources to spare"
    )]
    Runtime(String),
    /// SIGINT or SIGTERM arrived; temporary files were removed.
    #[error(
        "interrupted by {}: nothing was left half-written; run the command again to finish", .0.name()
    )]
    Interrupted(crate::signal::Signal),
}

impl Error {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) => USAGE,
            Error::Runtime(_) => crate::exit::FAILED,
            Error::Interrupted(signal) => signal.exit_code(),
            Error::Trace(err) => err.exit_code(),
            Error::Actions(err) => err.exit_code(),
            Error::Github(err) => err.exit_code(),
            Error::Artifact(err) => err.exit_code(),
            Error::Archive(err) => err.exit_code(),
            Error::Otlp(err) => err.exit_code(),
            Error::Report(err) => err.exit_code(),
            Error::Stack(err) => err.exit_code(),
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn a_runtime_that_cannot_start_is_failed_work_not_a_usage_error() {
        let err = Error::Runtime("Resource temporarily unavailable".to_owned());
        assert_eq!(err.exit_code(), crate::exit::FAILED);
        assert!(
            err.to_string()
                .starts_with("cannot start the async runtime: ")
        );
        let usage = Error::Config(crate::config::Error::NoTarget);
        assert_eq!(usage.exit_code(), crate::exit::USAGE);
    }
}
