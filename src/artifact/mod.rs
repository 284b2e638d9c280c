//! The artifact upload protocol v4, as `actions/upload-artifact@v4` speaks it: backend
//! ids from the runtime token, Twirp calls to the results service, and the blob upload.
//!
//! Split by protocol: `token` (JWT claims), `twirp` (one `async fn` per RPC), `blob`
//! (Azure block blob upload), `files` (what to upload) and `pipeline` (zip, hash
//! and upload in one pass). The runtime token and signed URLs are [`Secret`]s and
//! must never appear in an error, a log line or an output, except the `::add-mask::`
//! line that tells the runner to hide a URL's signature.
//!
//! [`Secret`]: crate::secret::Secret

use std::time::Duration;

use crate::http::{Policy, Retry};

pub mod blob;
pub mod files;
pub mod pipeline;
pub mod token;
pub mod twirp;

/// Errors of the artifact protocol.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The results service refused the request.
    #[error("{0}")]
    Service(String),
    /// `ACTIONS_RUNTIME_TOKEN` or `ACTIONS_RESULTS_URL` is missing.
    #[error(
        "{0} is not set: the runner gives it only to JavaScript and Docker actions, not to `run:` steps or composite actions; upload with the ci-tracing action (`uses: OWNER/ci-tracing@v1`) instead of running the binary"
    )]
    MissingRuntime(&'static str),
    /// The runtime token does not carry the ids the upload needs.
    #[error("{0}")]
    RuntimeToken(String),
    /// The artifact name cannot be used.
    #[error("{0}")]
    InvalidName(String),
    /// Files to upload are missing or unreadable.
    #[error("{0}")]
    Input(String),
    /// No file matched and `--if-no-files-found error`.
    #[error("{0}")]
    NoFiles(String),
    /// An artifact of that name exists in this run.
    #[error(
        "an artifact named \"{0}\" already exists in this workflow run: pass --overwrite (action input `overwrite: true`) to replace it, or choose another --name"
    )]
    Conflict(String),
    /// The network failed (after retries).
    #[error("{0}")]
    Network(String),
    /// The blob store refused the upload.
    #[error("{0}")]
    Blob(String),
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::MissingRuntime(_)
            | Error::RuntimeToken(_)
            | Error::InvalidName(_)
            | Error::Input(_) => crate::exit::USAGE,
            Error::Service(_)
            | Error::NoFiles(_)
            | Error::Conflict(_)
            | Error::Network(_)
            | Error::Blob(_) => crate::exit::FAILED,
        }
    }
}

/// Retries of Twirp calls and blob blocks (toolkit: 5 attempts, 3 s × 1.5ⁿ, jittered),
/// none starting later than 10 minutes after the first.
pub const RETRIES: Policy = Policy {
    attempts: 5,
    base: Duration::from_secs(3),
    factor: 1.5,
    max: Duration::from_secs(60),
    deadline: Duration::from_secs(600),
    log: crate::log::info,
};

/// The longest one Twirp call or one block upload may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// The verdict on a non-success answer: 408, 429 and 5xx except 501 are worth another
/// attempt (as in the toolkit), after the answer's `Retry-After` when it has one.
pub fn classify(status: reqwest::StatusCode, headers: &reqwest::header::HeaderMap) -> Retry {
    if !matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504) {
        return Retry::Never;
    }
    Retry::transient(headers)
}

/// Tells the runner to hide the `sig` of a signed URL from the rest of the log (raw and
/// percent-decoded). Outside Actions nothing is printed.
pub fn mask_signature(url: &crate::secret::Secret) {
    if !crate::log::verbosity().in_actions {
        return;
    }
    let Some(query) = url.expose().split_once('?').map(|(_, q)| q) else {
        return;
    };
    for pair in query.split('&') {
        if let Some(sig) = pair.strip_prefix("sig=") {
            println!("{}", crate::actions::commands::add_mask(sig));
            let decoded = crate::http::percent_decode(sig);
            if decoded != sig {
                println!("{}", crate::actions::commands::add_mask(&decoded));
            }
        }
    }
}
