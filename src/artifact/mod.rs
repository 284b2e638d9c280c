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

pub(crate) mod blob;
pub(crate) mod files;
pub(crate) mod mime;
pub(crate) mod names;
pub(crate) mod pipeline;
pub(crate) mod spool;
pub(crate) mod token;
pub(crate) mod twirp;

/// Errors of the artifact protocol.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The results service could not be reached or kept failing.
    #[error("{0}")]
    Service(String),
    /// The results service refused a call with 401 or 403.
    #[error(
        "{method} was refused (HTTP {status}){message}: the runtime token is not valid for this job"
    )]
    Unauthorized {
        /// The RPC.
        method: String,
        /// The HTTP status.
        status: u16,
        /// `: ` and the service's message, or nothing.
        message: String,
    },
    /// The results service answered a call with another final error status.
    #[error("{method} failed with HTTP {status}{message}")]
    Refused {
        /// The RPC.
        method: String,
        /// The HTTP status.
        status: u16,
        /// `: ` and the service's message, or nothing.
        message: String,
    },
    /// The results service answered `ok: false`.
    #[error(
        "{method}: the results service answered but did not accept the request (ok: false); re-run the job"
    )]
    NotAccepted {
        /// The RPC.
        method: String,
    },
    /// An answer that is not what the protocol promises.
    #[error("{method}: {problem}")]
    BadAnswer {
        /// The RPC.
        method: String,
        /// What is wrong with it.
        problem: String,
    },
    /// `ACTIONS_RUNTIME_TOKEN` or `ACTIONS_RESULTS_URL` is missing.
    #[error(
        "{0} is not set: the runner gives it only to JavaScript and Docker actions, not to `run:` steps or composite actions; upload with the ci-tracing action (`uses: OWNER/ci-tracing@v1`) instead of running the binary"
    )]
    MissingRuntime(&'static str),
    /// The run is on GitHub Enterprise Server, which has no artifact service for v4.
    #[error(
        "the artifact service that upload uses is not available on GitHub Enterprise Server ({0}), as for actions/upload-artifact@v4 and later; on GHES upload the file with actions/upload-artifact@v3"
    )]
    EnterpriseServer(String),
    /// The runtime token or results URL the runner gave cannot be used.
    #[error("{variable} {problem}; the action must run in a job of a GitHub Actions workflow run")]
    RuntimeToken {
        /// `ACTIONS_RUNTIME_TOKEN` or `ACTIONS_RESULTS_URL`.
        variable: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// The artifact name cannot be used.
    #[error("{0}")]
    InvalidName(String),
    /// Files to upload cannot be used.
    #[error("{0}")]
    Input(String),
    /// A file to upload cannot be read.
    #[error("cannot read {0}; fix its permissions or leave it out of PATH")]
    Unreadable(crate::path_error::IoOnPath),
    /// A glob pattern does not parse.
    #[error("`{pattern}` is not a valid glob pattern: {reason}")]
    BadPattern {
        /// The pattern as given.
        pattern: String,
        /// The glob parser's reason.
        reason: String,
    },
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
    /// The blob upload kept failing or stopped.
    #[error("{0}")]
    Blob(String),
    /// The blob store refused a request for good.
    #[error(
        "blob storage refused {what}: HTTP {status}{code}; the signed upload URL may have expired, re-run the job"
    )]
    BlobRefused {
        /// What was being uploaded (`a block`, `the block list`).
        what: String,
        /// The HTTP status.
        status: u16,
        /// ` (x-ms-error-code)`, or nothing.
        code: String,
    },
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::MissingRuntime(_)
            | Error::EnterpriseServer(_)
            | Error::RuntimeToken { .. }
            | Error::InvalidName(_)
            | Error::Input(_)
            | Error::Unreadable(_)
            | Error::BadPattern { .. } => crate::exit::USAGE,
            Error::Service(_)
            | Error::Unauthorized { .. }
            | Error::Refused { .. }
            | Error::NotAccepted { .. }
            | Error::BadAnswer { .. }
            | Error::NoFiles(_)
            | Error::Conflict(_)
            | Error::Network(_)
            | Error::Blob(_)
            | Error::BlobRefused { .. } => crate::exit::FAILED,
        }
    }
}

/// Retries of Twirp calls and blob blocks (toolkit: 5 attempts, 3 s × 1.5ⁿ, jittered),
/// none starting later than 10 minutes after the first.
pub(crate) const RETRIES: Policy = Policy {
    attempts: 5,
    base: Duration::from_secs(3),
    factor: 1.5,
    max: Duration::from_secs(60),
    deadline: Duration::from_secs(600),
    log: crate::log::info,
};

/// The longest one Twirp call or one block upload may take.
pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// The verdict on a non-success answer: 408, 429 and 5xx except 501 are worth another
/// attempt (as in the toolkit), after the answer's `Retry-After` when it has one.
pub(crate) fn classify(status: reqwest::StatusCode, headers: &reqwest::header::HeaderMap) -> Retry {
    if !matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504) {
        return Retry::Never;
    }
    Retry::transient(headers)
}

/// Tells the runner to hide the `sig` of a signed URL from the rest of the log (raw and
/// percent-decoded). Outside Actions nothing is printed.
pub(crate) fn mask_signature(url: &crate::secret::Secret) {
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

#[cfg(test)]
mod tests {
    use super::Error;
    use crate::path_error::IoOnPath;

    #[test]
    fn structured_failures_read_as_one_line_with_their_exit_status() {
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let unreadable = Error::Unreadable(IoOnPath::new("t/trace.json", &denied));
        assert_eq!(
            unreadable.to_string(),
            "cannot read t/trace.json: permission denied; fix its permissions or leave it out of PATH"
        );
        assert_eq!(unreadable.exit_code(), crate::exit::USAGE);
        let refused = Error::BlobRefused {
            what: "a block".to_owned(),
            status: 403,
            code: " (AuthenticationFailed)".to_owned(),
        };
        assert!(
            refused
                .to_string()
                .starts_with("blob storage refused a block: HTTP 403 (AuthenticationFailed);")
        );
        assert_eq!(refused.exit_code(), crate::exit::FAILED);
        let token = Error::RuntimeToken {
            variable: "ACTIONS_RUNTIME_TOKEN",
            problem: "is not a JWT".to_owned(),
        };
        assert_eq!(
            token.to_string(),
            "ACTIONS_RUNTIME_TOKEN is not a JWT; the action must run in a job of a GitHub Actions workflow run"
        );
        assert_eq!(token.exit_code(), crate::exit::USAGE);
    }
}
