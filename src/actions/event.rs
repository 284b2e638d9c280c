//! The event that started the workflow run: its name, the branch of a push
//! (`GITHUB_REF`) and, for pull requests, the number and labels from the payload file
//! the runner writes (`GITHUB_EVENT_PATH`).
//!
//! Only the few fields the gate and the job summary need are read; everything else in
//! the payload is ignored. This module never reaches the network: the payload of a
//! re-run job is stale, and asking the REST API is the gate's business (`--live`).

use serde::Deserialize;

use super::Error;
use crate::env::env_var;

/// Events whose payload carries a pull request and whose labels turn tracing on.
pub(crate) const PULL_REQUEST_EVENTS: &[&str] = &["pull_request", "pull_request_target"];

/// The event as far as ci-tracing cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    /// `GITHUB_EVENT_NAME` (`push`, `pull_request`, …).
    pub name: String,
    /// The pull request of a `pull_request`/`pull_request_target` event.
    pub pull_request: Option<PullRequest>,
    /// The branch of a `push` to a branch (`GITHUB_REF` `refs/heads/NAME`).
    pub pushed_branch: Option<String>,
}

/// A pull request as the payload shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct PullRequest {
    /// The pull request number.
    pub number: u64,
    /// Its labels when the run started.
    #[serde(default)]
    pub labels: Vec<Label>,
}

/// A label of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Label {
    /// The label's name.
    pub name: String,
}

#[derive(Deserialize)]
struct Payload {
    pull_request: Option<PullRequest>,
}

impl Event {
    /// Whether this is a pull request event.
    pub(crate) fn is_pull_request(&self) -> bool {
        PULL_REQUEST_EVENTS.contains(&self.name.as_str())
    }

    /// Reads `GITHUB_EVENT_NAME` and, for pull request events, `GITHUB_EVENT_PATH`.
    pub(crate) fn from_env() -> Result<Self, Error> {
        let name = env_var("GITHUB_EVENT_NAME").ok_or_else(|| {
            Error::Environment(
                "GITHUB_EVENT_NAME is not set: `gate` reads the event of a GitHub Actions run (run it in a workflow, or pass --force)".to_owned(),
            )
        })?;
        let pushed_branch = (name == "push")
            .then(|| env_var("GITHUB_REF"))
            .flatten()
            .and_then(|git_ref| git_ref.strip_prefix("refs/heads/").map(str::to_owned));
        let mut event = Event {
            name,
            pull_request: None,
            pushed_branch,
        };
        if event.is_pull_request() {
            let path = env_var("GITHUB_EVENT_PATH").ok_or_else(|| {
                Error::Environment(format!(
                    "GITHUB_EVENT_PATH is not set for a {} event: the gate needs the event payload the runner writes (or pass --force)",
                    event.name
                ))
            })?;
            event.pull_request = Some(read_pull_request(&path)?);
        }
        Ok(event)
    }
}

/// The pull request of the payload file at `path`.
pub(crate) fn read_pull_request(path: &str) -> Result<PullRequest, Error> {
    let text = std::fs::read(path)
        .map_err(|err| Error::EventUnreadable(crate::path_error::IoOnPath::new(path, &err)))?;
    let malformed = |reason: String| Error::EventMalformed {
        path: path.to_owned(),
        reason,
    };
    let payload: Payload =
        serde_json::from_slice(&text).map_err(|err| malformed(err.to_string()))?;
    payload
        .pull_request
        .ok_or_else(|| malformed("it has no `pull_request` object".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_number_are_read_and_other_fields_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("event.json");
        std::fs::write(
            &path,
            r#"{"action":"labeled","pull_request":{"number":7,"labels":[{"id":1,"name":"a"},{"name":"b"}]}}"#,
        )
        .unwrap();
        let pr = read_pull_request(path.to_str().unwrap()).unwrap();
        assert_eq!(pr.number, 7);
        assert_eq!(pr.labels.len(), 2);
        std::fs::write(&path, "{").unwrap();
        assert!(matches!(
            read_pull_request(path.to_str().unwrap()),
            Err(Error::EventMalformed { .. })
        ));
    }
}
