//! A GitHub Actions job as the binary sees it: an event payload, `GITHUB_OUTPUT`,
//! `GITHUB_STEP_SUMMARY`, and the runtime variables pointing at a [`FakeResults`].

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::ci_tracing_std;
use super::results::{FakeResults, job_scopes, runtime_token};

/// The signature part of the runtime token: a sentinel to look for in output.
pub const TOKEN_MARKER: &str = "RUNTIME-TOKEN-SENTINEL";
/// The pull request number of the event payload.
pub const PR: u64 = 42;

/// One job's files in a temporary directory.
pub struct Job {
    /// The job's working directory.
    pub dir: tempfile::TempDir,
    /// The runtime token.
    pub token: String,
    event_name: String,
}

impl Job {
    /// A `pull_request` job whose PR carries `labels`.
    pub fn pull_request(labels: &[&str]) -> Self {
        let job = Self::event("pull_request");
        let labels: Vec<_> = labels
            .iter()
            .enumerate()
            .map(|(i, name)| json!({"id": i, "name": name, "color": "ededed"}))
            .collect();
        let payload = json!({
            "action": "synchronize",
            "number": PR,
            "pull_request": {"number": PR, "state": "open", "labels": labels},
        });
        std::fs::write(job.event_path(), payload.to_string()).unwrap();
        job
    }

    /// A job for event `name` with a payload that has no pull request.
    pub fn event(name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("event.json"),
            r#"{"ref":"refs/heads/main"}"#,
        )
        .unwrap();
        Self {
            dir,
            token: runtime_token(&job_scopes(), TOKEN_MARKER),
            event_name: name.to_owned(),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The event payload file.
    pub fn event_path(&self) -> PathBuf {
        self.path().join("event.json")
    }

    /// Writes a file under the job directory.
    pub fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    /// The binary with the Actions environment (no runtime variables).
    pub fn command(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_command())
    }

    /// [`Job::command`] as a `std` command, for tests that watch a running process.
    pub fn std_command(&self) -> std::process::Command {
        let mut cmd = ci_tracing_std(self.path());
        cmd.env("GITHUB_ACTIONS", "true")
            .env("GITHUB_EVENT_NAME", &self.event_name)
            .env("GITHUB_EVENT_PATH", self.event_path())
            .env("GITHUB_OUTPUT", self.path().join("output.txt"))
            .env("GITHUB_STEP_SUMMARY", self.path().join("summary.md"))
            .env("GITHUB_REPOSITORY", "octo-org/node")
            .env("GITHUB_RUN_ID", "1658821493")
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("CI_TRACING_RETRY_SCALE", "0.01");
        cmd
    }

    /// The binary with the Actions environment and the runtime variables of `fake`.
    pub fn upload(&self, fake: &FakeResults) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_upload(fake))
    }

    /// [`Job::upload`] as a `std` command.
    pub fn std_upload(&self, fake: &FakeResults) -> std::process::Command {
        let mut cmd = self.std_command();
        cmd.arg("upload")
            .env("ACTIONS_RUNTIME_TOKEN", &self.token)
            .env("ACTIONS_RESULTS_URL", fake.results_url());
        cmd
    }

    /// The outputs written to `GITHUB_OUTPUT` (plain and heredoc forms).
    pub fn outputs(&self) -> HashMap<String, String> {
        let text = std::fs::read_to_string(self.path().join("output.txt")).unwrap_or_default();
        let mut outputs = HashMap::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if let Some((name, delimiter)) = line.split_once("<<") {
                let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
                outputs.insert(name.to_owned(), value.join("\n"));
            } else if let Some((name, value)) = line.split_once('=') {
                outputs.insert(name.to_owned(), value.to_owned());
            }
        }
        outputs
    }

    /// The job summary written so far.
    pub fn summary(&self) -> String {
        std::fs::read_to_string(self.path().join("summary.md")).unwrap_or_default()
    }
}
