//! Which artifact `fetch-traces` downloads: pull request → head commit → its workflow
//! runs, newest first → the newest unexpired artifact of the name (re-run attempts
//! upload several under one name: the highest id wins). When the head commit has none,
//! the pull request's earlier commits are searched newest first. `--run-id` pins a run.
//!
//! Only reads; it must never pick an expired artifact or one of another name.

use std::collections::BTreeSet;

use super::Error;
use super::client::Client;
use super::models::{Artifact, short_sha};
use crate::config::Repo;
use crate::log;

/// The artifact chosen and where it came from.
#[derive(Debug)]
pub struct Selection {
    /// The artifact.
    pub artifact: Artifact,
    /// The run that made it.
    pub run_id: u64,
    /// The commit that run ran on.
    pub sha: String,
}

/// What a search saw besides the artifact it was after, for the error if none is found.
#[derive(Debug, Default)]
struct Seen {
    runs: usize,
    names: BTreeSet<String>,
    newest_expiry: Option<String>,
}

/// Finds the artifact to download for pull request `pr`.
pub async fn select(
    client: &Client,
    repo: &Repo,
    pr: u64,
    name: &str,
    run_id: Option<u64>,
) -> Result<Selection, Error> {
    let mut seen = Seen::default();
    if let Some(run_id) = run_id {
        let found = search_run(client, repo, run_id, name, &mut seen).await?;
        return found.ok_or_else(|| seen.into_error(pr, name, &format!("workflow run {run_id}")));
    }
    let pull = client.pull_request(repo, pr).await?;
    let head = pull.head.sha;
    // Searching runs by an empty commit would list the repository's runs instead.
    if head.is_empty() {
        return Err(Error::Unexpected {
            what: format!("pull request #{pr}"),
            reason: "an answer without the head commit".to_owned(),
        });
    }
    if let Some(found) = search_commit(client, repo, &head, name, &mut seen).await? {
        return Ok(found);
    }
    let commits = client.pull_request_commits(repo, pr).await?;
    for commit in commits.iter().rev().filter(|c| c.sha != head) {
        if let Some(found) = search_commit(client, repo, &commit.sha, name, &mut seen).await? {
            log::info(&format!(
                "the head commit {} of pull request #{pr} has no `{name}` artifact; using the one from the earlier commit {}",
                short_sha(&head),
                short_sha(&found.sha)
            ));
            return Ok(found);
        }
    }
    if seen.runs == 0 {
        return Err(Error::NoRun {
            pr,
            sha: short_sha(&head).to_owned(),
        });
    }
    let place = format!("the {} workflow run(s) of pull request #{pr}", seen.runs);
    Err(seen.into_error(pr, name, &place))
}

/// The newest run of `sha` that has the artifact.
async fn search_commit(
    client: &Client,
    repo: &Repo,
    sha: &str,
    name: &str,
    seen: &mut Seen,
) -> Result<Option<Selection>, Error> {
    for run in client.runs_for_commit(repo, sha).await? {
        if let Some(found) = search_run(client, repo, run.id, name, seen).await? {
            return Ok(Some(Selection {
                sha: if found.sha.is_empty() {
                    run.head_sha
                } else {
                    found.sha
                },
                ..found
            }));
        }
    }
    Ok(None)
}

/// The artifact of run `run_id`, if it made one.
async fn search_run(
    client: &Client,
    repo: &Repo,
    run_id: u64,
    name: &str,
    seen: &mut Seen,
) -> Result<Option<Selection>, Error> {
    let artifacts = client.run_artifacts(repo, run_id).await?;
    seen.runs += 1;
    seen.names.extend(artifacts.iter().map(|a| a.name.clone()));
    let (expired, live): (Vec<_>, Vec<_>) = artifacts
        .into_iter()
        .filter(|a| a.name == name)
        .partition(|a| a.expired);
    for expiry in expired.iter().filter_map(|a| a.expires_at.clone()) {
        if seen
            .newest_expiry
            .as_ref()
            .is_none_or(|newest| expiry > *newest)
        {
            seen.newest_expiry = Some(expiry);
        }
    }
    Ok(live
        .into_iter()
        .max_by_key(|a| a.id)
        .map(|artifact| Selection {
            run_id,
            sha: artifact
                .workflow_run
                .as_ref()
                .map(|run| run.head_sha.clone())
                .unwrap_or_default(),
            artifact,
        }))
}

impl Seen {
    /// Expired when only expired ones were seen, else missing.
    fn into_error(self, pr: u64, name: &str, place: &str) -> Error {
        if self.newest_expiry.is_some() || self.names.contains(name) {
            return Error::Expired {
                pr,
                name: name.to_owned(),
                when: self
                    .newest_expiry
                    .unwrap_or_else(|| "an unknown date".to_owned()),
            };
        }
        let found = if self.names.is_empty() {
            "none".to_owned()
        } else {
            self.names.into_iter().collect::<Vec<_>>().join(", ")
        };
        Error::NoArtifact {
            name: name.to_owned(),
            place: place.to_owned(),
            found,
        }
    }
}
