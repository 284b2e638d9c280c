//! Which artifact `fetch-traces` downloads: pull request → head commit → its workflow
//! runs, newest first → the newest unexpired artifact of the name (re-run attempts
//! upload several under one name: the highest id wins). When the head commit has none,
//! the pull request's earlier commits are searched newest first. `--run-id` pins a run.
//! A comparison's baseline skips the run being compared (`skip`), and a branch's
//! baseline is the newest artifact of its recent runs that are not pull requests'.
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
pub(crate) struct Selection {
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
    /// Runs passed over: the one being compared.
    skipped: usize,
    names: BTreeSet<String>,
    newest_expiry: Option<String>,
}

/// Finds the artifact to download for pull request `pr` (never one of run `skip`), or
/// of run `run_id`.
pub(crate) async fn select(
    client: &Client,
    repo: &Repo,
    pr: Option<u64>,
    name: &str,
    run_id: Option<u64>,
    skip: Option<u64>,
) -> Result<Selection, Error> {
    let mut seen = Seen::default();
    let owner = match (pr, run_id) {
        (Some(pr), _) => format!("pull request #{pr}"),
        (None, Some(run_id)) => format!("workflow run {run_id}"),
        (None, None) => return Err(Error::Config(crate::config::Error::NoTarget)),
    };
    if let Some(run_id) = run_id {
        let found = search_run(client, repo, run_id, name, &mut seen).await?;
        let place = format!("workflow run {run_id}");
        return found.ok_or_else(|| seen.into_error(&owner, name, &place));
    }
    let Some(pr) = pr else {
        return Err(Error::Config(crate::config::Error::NoTarget));
    };
    let pull = client.pull_request(repo, pr).await?;
    let head = pull.head.sha;
    // Searching runs by an empty commit would list the repository's runs instead.
    if head.is_empty() {
        return Err(Error::Unexpected {
            what: format!("pull request #{pr}"),
            reason: "an answer without the head commit".to_owned(),
        });
    }
    if let Some(found) = search_commit(client, repo, &head, name, skip, &mut seen).await? {
        return Ok(found);
    }
    let commits = client.pull_request_commits(repo, pr).await?;
    for commit in commits.iter().rev().filter(|c| c.sha != head) {
        if let Some(found) = search_commit(client, repo, &commit.sha, name, skip, &mut seen).await?
        {
            log::info(&format!(
                "the head commit {} of pull request #{pr} has no `{name}` artifact; using the one from the earlier commit {}",
                short_sha(&head),
                short_sha(&found.sha)
            ));
            return Ok(found);
        }
    }
    if seen.runs == 0 && seen.skipped == 0 {
        return Err(Error::NoRun {
            pr,
            sha: short_sha(&head).to_owned(),
        });
    }
    let place = match (seen.runs, seen.skipped) {
        (0, _) => format!("the earlier workflow runs of pull request #{pr}"),
        (runs, 0) => format!("the {runs} workflow run(s) of pull request #{pr}"),
        (runs, _) => format!("the {runs} earlier workflow run(s) of pull request #{pr}"),
    };
    Err(seen.into_error(&owner, name, &place))
}

/// The baseline of pull request `pr`: the newest artifact `name` on the branch it
/// merges into (`base.ref`), and that branch.
pub(crate) async fn base_of_pull_request(
    client: &Client,
    repo: &Repo,
    pr: u64,
    name: &str,
) -> Result<(String, Selection), Error> {
    let branch = client.pull_request(repo, pr).await?.base.branch;
    if branch.is_empty() {
        return Err(Error::Unexpected {
            what: format!("pull request #{pr}"),
            reason: "an answer without the base branch".to_owned(),
        });
    }
    log::info(&format!(
        "the baseline of pull request #{pr} is the newest `{name}` on its base branch {}",
        branch.escape_debug()
    ));
    let selection = newest_on_branch(client, repo, &branch, name, None).await?;
    Ok((branch, selection))
}

/// Runs of a branch looked at for its newest artifact.
pub(crate) const BRANCH_RUNS: u8 = 50;

/// The newest artifact `name` of the newest [`BRANCH_RUNS`] runs of `branch` that were
/// not started by a pull request (whose branch may have the same name in a fork),
/// never one of run `skip`.
pub(crate) async fn newest_on_branch(
    client: &Client,
    repo: &Repo,
    branch: &str,
    name: &str,
    skip: Option<u64>,
) -> Result<Selection, Error> {
    let mut seen = Seen::default();
    let runs = client.runs_on_branch(repo, branch, BRANCH_RUNS).await?;
    let pulls = crate::actions::event::PULL_REQUEST_EVENTS;
    for run in runs
        .into_iter()
        .filter(|run| !pulls.contains(&run.event.as_str()))
    {
        if Some(run.id) == skip {
            seen.skipped += 1;
            continue;
        }
        if let Some(found) = search_run(client, repo, run.id, name, &mut seen).await? {
            let sha = if found.sha.is_empty() {
                run.head_sha
            } else {
                found.sha.clone()
            };
            return Ok(Selection { sha, ..found });
        }
    }
    let owner = format!("branch {}", branch.escape_debug());
    if seen.newest_expiry.is_some() {
        return Err(seen.into_error(&owner, name, &owner));
    }
    let place = if seen.runs == 0 {
        format!("{owner}, which has no workflow runs but pull requests'")
    } else {
        format!("the {} newest workflow run(s) of {owner}", seen.runs)
    };
    Err(Error::NoBranchArtifact {
        name: name.to_owned(),
        place,
    })
}

/// The newest run of `sha` that has the artifact.
async fn search_commit(
    client: &Client,
    repo: &Repo,
    sha: &str,
    name: &str,
    skip: Option<u64>,
    seen: &mut Seen,
) -> Result<Option<Selection>, Error> {
    for run in client.runs_for_commit(repo, sha).await? {
        if Some(run.id) == skip {
            seen.skipped += 1;
            continue;
        }
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
        .filter(|a| name_matches(&a.name, name))
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

/// Whether an artifact named `found` is the one asked for as `wanted`: that name, or
/// that name with `.json`, `.jsonl` or `.ndjson`, which is what `actions/upload-artifact`
/// with `archive: false` names a trace file uploaded as is.
pub(crate) fn name_matches(found: &str, wanted: &str) -> bool {
    found == wanted
        || found.strip_prefix(wanted).is_some_and(|extension| {
            [".json", ".jsonl", ".ndjson"]
                .iter()
                .any(|known| extension.eq_ignore_ascii_case(known))
        })
}

/// An artifact of the name, and the run that made it, for `--list`.
#[derive(Debug)]
pub(crate) struct Listed {
    /// The run.
    pub run_id: u64,
    /// The run's attempt, when the run listing said.
    pub attempt: Option<u64>,
    /// The commit the run ran on.
    pub sha: String,
    /// The artifact (expired ones included).
    pub artifact: Artifact,
}

/// Every artifact named `name` of run `run_id`, or of every run of every commit of pull
/// request `pr` (head commit first, then earlier commits newest first).
pub(crate) async fn list(
    client: &Client,
    repo: &Repo,
    pr: Option<u64>,
    name: &str,
    run_id: Option<u64>,
) -> Result<Vec<Listed>, Error> {
    let mut runs = Vec::new();
    if let Some(run_id) = run_id {
        runs.push((run_id, None, String::new()));
    } else if let Some(pr) = pr {
        let head = client.pull_request(repo, pr).await?.head.sha;
        let commits = client.pull_request_commits(repo, pr).await?;
        let older = commits
            .into_iter()
            .rev()
            .map(|c| c.sha)
            .filter(|s| *s != head);
        for sha in std::iter::once(head.clone()).chain(older) {
            for run in client.runs_for_commit(repo, &sha).await? {
                runs.push((run.id, run.run_attempt, run.head_sha));
            }
        }
    }
    let mut listed = Vec::new();
    for (run_id, attempt, sha) in runs {
        for artifact in client.run_artifacts(repo, run_id).await? {
            if name_matches(&artifact.name, name) {
                let from_artifact = artifact.workflow_run.as_ref().map(|r| r.head_sha.clone());
                listed.push(Listed {
                    run_id,
                    attempt,
                    sha: from_artifact
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| sha.clone()),
                    artifact,
                });
            }
        }
    }
    Ok(listed)
}

impl Seen {
    /// Expired when only expired ones were seen, else missing.
    fn into_error(self, owner: &str, name: &str, place: &str) -> Error {
        if self.newest_expiry.is_some() || self.names.iter().any(|n| name_matches(n, name)) {
            return Error::Expired {
                place: owner.to_owned(),
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
