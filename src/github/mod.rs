//! The GitHub REST API: pull requests, workflow runs, artifacts, and the streaming
//! download of an artifact's zip.
//!
//! Built on `reqwest` directly rather than octocrab: octocrab's `download_artifact`
//! buffers the whole zip in memory and does not check the HTTP status (a 410 body comes
//! back as `Ok`), its models fail on fields GitHub adds or leaves out, and its artifact
//! listing ignores `per_page`. Besides, the tool keeps one HTTP stack with one retry
//! policy (`crate::http`) for every protocol it speaks. The token goes only to the API's
//! origin: never to the blob host an artifact download redirects to, never into a
//! message.

pub(crate) mod client;
pub(crate) mod download;
pub(crate) mod models;
pub(crate) mod select;
pub(crate) mod status;

use crate::exit::{FAILED, USAGE};

/// Errors of the GitHub REST API and of `fetch-traces`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No token or repository, or a bad flag.
    #[error(transparent)]
    Config(#[from] crate::config::Error),
    /// 401: the token is wrong or revoked.
    #[error(
        "GitHub rejected the token (401 {message}): pass a valid one with --token, GITHUB_TOKEN or GH_TOKEN, or run `gh auth login`"
    )]
    BadCredentials {
        /// GitHub's message.
        message: String,
    },
    /// 403 that is not a rate limit.
    #[error(
        "GitHub refused access to {what} (403 {message}): use a token that can read the repository and its Actions artifacts"
    )]
    Forbidden {
        /// The resource asked for.
        what: String,
        /// GitHub's message.
        message: String,
    },
    /// Rate limited for longer than is worth waiting.
    #[error(
        "GitHub's API rate limit is used up until {until}: try again after that, or use a token with a higher limit"
    )]
    RateLimited {
        /// When to try again (HTTP date).
        until: String,
    },
    /// 404.
    #[error("{what} was not found on GitHub (or the token cannot see it): check --pr and --repo")]
    NotFound {
        /// The resource asked for.
        what: String,
    },
    /// 410.
    #[error("{what} is gone (410): GitHub has deleted it; re-run the workflow to make a new one")]
    Gone {
        /// The resource asked for.
        what: String,
    },
    /// 5xx after every retry.
    #[error(
        "GitHub answered {status} to the request for {what}, also after retrying: try again later"
    )]
    Server {
        /// The last status.
        status: u16,
        /// The resource asked for.
        what: String,
    },
    /// Connection failures after every retry.
    #[error("cannot reach GitHub for {what}, also after retrying: {reason}")]
    Network {
        /// The resource asked for.
        what: String,
        /// The transport's reason (no URL).
        reason: String,
    },
    /// An answer that makes no sense.
    #[error("unexpected answer from GitHub for {what}: {reason}")]
    Unexpected {
        /// The resource asked for.
        what: String,
        /// What was wrong with it.
        reason: String,
    },
    /// The pull request has no workflow run at all.
    #[error(
        "pull request #{pr} has no workflow runs (head commit {sha}): wait for its checks to start, or push a commit"
    )]
    NoRun {
        /// The pull request.
        pr: u64,
        /// Short head commit.
        sha: String,
    },
    /// No unexpired artifact on a branch.
    #[error(
        "no `{name}` artifact in {place}: trace pushes to the branch with `gate --branch NAME` (the action's `branch` input)"
    )]
    NoBranchArtifact {
        /// The artifact name.
        name: String,
        /// Where it was looked for.
        place: String,
    },
    /// Runs exist, but none made the artifact.
    #[error(
        "no `{name}` artifact in {place} (artifacts found: {found}): add the `enable tracing` label to the pull request and re-run its workflow"
    )]
    NoArtifact {
        /// The artifact name.
        name: String,
        /// Where it was looked for (`the 2 workflow runs of pull request #7`).
        place: String,
        /// Names seen, comma-separated, or `none`.
        found: String,
    },
    /// Only expired artifacts.
    #[error(
        "every `{name}` artifact of {place} has expired (the newest on {when}): re-run the workflow to make a new one"
    )]
    Expired {
        /// Where it was looked for (`pull request #7`, `workflow run 42`).
        place: String,
        /// The artifact name.
        name: String,
        /// When the newest one expired.
        when: String,
    },
    /// The download kept breaking off.
    #[error("the download of artifact {id} kept failing ({reason}): try again later")]
    Download {
        /// The artifact.
        id: u64,
        /// The last reason.
        reason: String,
    },
    /// The bytes do not match the artifact's digest.
    #[error(
        "the downloaded artifact {id} does not match its digest (expected {expected}, got {actual}): nothing was written; try again"
    )]
    DigestMismatch {
        /// The artifact.
        id: u64,
        /// The digest GitHub gave.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// The digest names an algorithm this tool cannot check, or is malformed.
    #[error(
        "artifact {id} has the digest `{digest}`, which cannot be checked (only sha256:<64 hex digits> can): refusing to use it unverified"
    )]
    UnsupportedDigest {
        /// The artifact.
        id: u64,
        /// The digest GitHub gave (shortened).
        digest: String,
    },
    /// The target exists and `--force` was not given.
    #[error("{path} already exists: pass --force to replace it")]
    Exists {
        /// The target file.
        path: String,
    },
    /// The target is a device, a FIFO, a socket or a directory.
    #[error("{reason}")]
    NotAFile {
        /// What is there, and what to do.
        reason: String,
    },
    /// A local file operation failed.
    #[error("cannot write {0}")]
    Io(crate::path_error::IoOnPath),
}

impl Error {
    /// Exit status (see `error.rs`): a token or flag to fix is 2, failed work is 1.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_)
            | Error::BadCredentials { .. }
            | Error::Forbidden { .. }
            | Error::Exists { .. }
            | Error::NotAFile { .. } => USAGE,
            _ => FAILED,
        }
    }

    /// An I/O failure on `path`.
    pub fn io(path: &std::path::Path, err: &std::io::Error) -> Self {
        Error::Io(crate::path_error::IoOnPath::new(path, err))
    }
}

/// The current labels of a pull request, for `gate --live` (the event payload of a
/// re-run job is stale).
pub async fn live_labels(
    access: &crate::config::GithubAccess,
    repo: &crate::config::Repo,
    number: u64,
) -> Result<Vec<String>, Error> {
    let client = client::Client::new(access)?;
    let pull = client.pull_request(repo, number).await?;
    Ok(pull.labels.into_iter().map(|label| label.name).collect())
}
