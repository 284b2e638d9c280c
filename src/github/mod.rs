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

/// The current labels of a pull request, for `gate --live` (the event payload of a
/// re-run job is stale).
#[allow(clippy::unused_async)] // a stub until the REST client lands
pub async fn live_labels(
    _settings: &crate::config::Settings,
    _repo: &crate::config::Repo,
    _number: u64,
) -> Result<Vec<String>, Error> {
    Err(Error::Api("the REST client is not built yet".to_owned()))
}
