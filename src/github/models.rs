//! The few fields of GitHub's REST answers that `fetch-traces` and `gate --live` read.
//!
//! Every struct is lenient (`#[serde(default)]`, unknown fields ignored): GitHub adds
//! fields all the time and leaves some out on older GitHub Enterprise servers, and a
//! missing field we do not need must never fail a download. Never add
//! `deny_unknown_fields` here.

use serde::Deserialize;

/// `GET /repos/{o}/{r}/pulls/{n}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PullRequest {
    /// The number.
    pub number: u64,
    /// The head of the branch.
    pub head: Head,
    /// The branch it merges into.
    pub base: Base,
    /// Current labels.
    pub labels: Vec<Label>,
}

/// `head` of a pull request.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Head {
    /// The commit the branch points at.
    pub sha: String,
}

/// `base` of a pull request.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Base {
    /// The branch's name (`main`).
    #[serde(rename = "ref")]
    pub branch: String,
}

/// A label.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Label {
    /// Its name.
    pub name: String,
}

/// `GET /repos/{o}/{r}/actions/runs`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RunPage {
    /// Runs, newest first.
    pub workflow_runs: Vec<WorkflowRun>,
}

/// A workflow run.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WorkflowRun {
    /// Its id.
    pub id: u64,
    /// The workflow's name.
    pub name: Option<String>,
    /// Which attempt of the run this is (1 unless re-run).
    pub run_attempt: Option<u64>,
    /// The commit it ran on.
    pub head_sha: String,
    /// The event that started it (`push`, `pull_request`, …).
    pub event: String,
}

/// `GET /repos/{o}/{r}/actions/runs/{id}/artifacts`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ArtifactPage {
    /// Artifacts, newest first.
    pub artifacts: Vec<Artifact>,
}

/// An artifact.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct Artifact {
    /// Its id (re-run attempts upload new ones under the same name: highest wins).
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Zip size in bytes.
    pub size_in_bytes: u64,
    /// Whether GitHub has deleted the content.
    pub expired: bool,
    /// When it expires (or expired).
    pub expires_at: Option<String>,
    /// `sha256:<hex>` of the zip, on v4 artifacts.
    pub digest: Option<String>,
    /// The run that made it.
    pub workflow_run: Option<ArtifactRun>,
}

/// `workflow_run` of an artifact.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub(crate) struct ArtifactRun {
    /// The run id.
    pub id: u64,
    /// The commit it ran on.
    pub head_sha: String,
}

/// An item of `GET /repos/{o}/{r}/pulls/{n}/commits` (oldest first).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Commit {
    /// The commit id.
    pub sha: String,
}

/// The `message` of an error answer.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ErrorBody {
    /// What GitHub says went wrong.
    pub message: String,
}

/// A page of a list endpoint: the items it holds.
pub(crate) trait Page: serde::de::DeserializeOwned {
    /// The item type.
    type Item;
    /// Takes the items out.
    fn items(self) -> Vec<Self::Item>;
}

impl Page for RunPage {
    type Item = WorkflowRun;
    fn items(self) -> Vec<WorkflowRun> {
        self.workflow_runs
    }
}

impl Page for ArtifactPage {
    type Item = Artifact;
    fn items(self) -> Vec<Artifact> {
        self.artifacts
    }
}

impl Page for Vec<Commit> {
    type Item = Commit;
    fn items(self) -> Vec<Commit> {
        self
    }
}

/// The first 7 characters of a commit id, as GitHub shows them.
pub(crate) fn short_sha(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}
