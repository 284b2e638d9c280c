//! A fake GitHub: the REST endpoints `fetch-traces` and `gate --live` use, answering
//! with bodies built from GitHub's own OpenAPI examples (`@octokit/openapi`,
//! `components.examples`) patched for the scenario, and the artifact blobs on a SECOND
//! server (another port, so another origin) that refuses any `Authorization` header.
//!
//! Faults are injected per test with hooks that answer before the normal routes.
//! Shared with `tools/fake-github.rs` through `#[path]`, so it uses only `super::http`.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};

use super::http::{Reply, Request, Server};

/// The token the fake accepts. A sentinel: no output may ever contain it.
pub const TOKEN: &str = "ghp_SENTINEL0token0must0never0show";
/// The signature of blob URLs. Also a secret.
pub const SIG: &str = "SENTINEL%2Bsig%2Fmust%3Dnever0show";
/// The branch of the pull request's runs.
pub const PR_BRANCH: &str = "new-topic";
/// The numeric id of the repository, for `/repositories/{id}/…` links.
pub const REPO_ID: u64 = 1_296_269;

/// GitHub's OpenAPI description, loaded once per process.
fn openapi() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("node_modules/@octokit/openapi/generated/api.github.com.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|err| {
            panic!(
                "cannot read {} ({err}): run scripts/setup-test.sh to install the npm packages the fakes are built from",
                path.display()
            )
        });
        serde_json::from_str(&text).expect("the OpenAPI description is JSON")
    })
}

/// A copy of `components.examples.<name>.value`.
pub fn example(name: &str) -> Value {
    let value = &openapi()["components"]["examples"][name]["value"];
    assert!(!value.is_null(), "no OpenAPI example named {name}");
    value.clone()
}

/// An artifact as the scenario has it.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// The run that made it.
    pub run: u64,
    /// Whether it expired.
    pub expired: bool,
    /// `sha256:<hex>` to announce (None: leave the field out).
    pub digest: Option<String>,
    /// The zip served for it (or the file, for an artifact uploaded as is).
    pub zip: Zip,
    /// For an artifact uploaded as is (upload-artifact's `archive: false`): the
    /// `Content-Type` its blob is served with, at a URL without `.zip`, with its name in
    /// `Content-Disposition`. `None`: a zip at `ID.zip` as `application/zip`.
    pub served_as: Option<String>,
}

/// Where an artifact's zip comes from.
#[derive(Debug, Clone)]
pub enum Zip {
    /// Bytes in memory.
    Bytes(Arc<Vec<u8>>),
    /// A file streamed from disk.
    File(PathBuf),
}

/// What the fake knows: one repository, one pull request, its commits, runs and artifacts.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// `OWNER/NAME`.
    pub repo: String,
    /// The pull request number.
    pub pr: u64,
    /// Labels of the pull request.
    pub labels: Vec<String>,
    /// The pull request's commits, oldest first; the last is the head.
    pub commits: Vec<String>,
    /// Workflow runs `(id, head sha)`, newest first.
    pub runs: Vec<(u64, String)>,
    /// Runs started by a push `(id, branch)`; the others are the pull request's (event
    /// `pull_request`, branch [`PR_BRANCH`]).
    pub pushes: Vec<(u64, String)>,
    /// The branch the pull request merges into.
    pub base: String,
    /// Artifacts, newest first.
    pub artifacts: Vec<Artifact>,
    /// Items per page of every listing (GitHub: `per_page`, here smaller to paginate).
    pub page_size: usize,
    /// Where the REST API lives on the host: `""` as on api.github.com, `"/api/v3"` as on
    /// GitHub Enterprise Server (every other path is a 404 then).
    pub api_prefix: &'static str,
}

/// A commit id made of one repeated hex digit pattern, easy to read in failures.
pub fn sha(n: u8) -> String {
    format!("{n:02x}").repeat(20)
}

impl Scenario {
    /// PR 1347 of octo-org/octo-repo with head `sha(2)` (earlier commit `sha(1)`), no runs.
    pub fn new() -> Self {
        Self {
            repo: "octo-org/octo-repo".to_owned(),
            pr: 1347,
            labels: vec!["enable tracing".to_owned()],
            commits: vec![sha(1), sha(2)],
            runs: Vec::new(),
            pushes: Vec::new(),
            base: "main".to_owned(),
            artifacts: Vec::new(),
            page_size: 100,
            api_prefix: "",
        }
    }

    /// The head commit.
    pub fn head(&self) -> String {
        self.commits.last().cloned().unwrap_or_default()
    }

    /// Adds a run of `sha`, newer than the ones added before.
    pub fn run(mut self, id: u64, sha: &str) -> Self {
        self.runs.insert(0, (id, sha.to_owned()));
        self
    }

    /// Adds a run of a push of `sha` to `branch`, newer than the ones added before.
    pub fn push_run(mut self, id: u64, sha: &str, branch: &str) -> Self {
        self.pushes.push((id, branch.to_owned()));
        self.run(id, sha)
    }

    /// The event and branch of run `id`.
    fn event_of(&self, id: u64) -> (&str, &str) {
        match self.pushes.iter().find(|(run, _)| *run == id) {
            Some((_, branch)) => ("push", branch),
            None => ("pull_request", PR_BRANCH),
        }
    }

    /// Adds an artifact of `run` serving `zip`, announcing its digest.
    pub fn artifact(mut self, id: u64, name: &str, run: u64, zip: &[u8]) -> Self {
        self.artifacts.insert(
            0,
            Artifact {
                id,
                name: name.to_owned(),
                run,
                expired: false,
                digest: Some(sha256(zip)),
                zip: Zip::Bytes(Arc::new(zip.to_vec())),
                served_as: None,
            },
        );
        self
    }

    /// Changes the last added artifact.
    pub fn last_artifact(mut self, change: impl FnOnce(&mut Artifact)) -> Self {
        change(&mut self.artifacts[0]);
        self
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Self::new()
    }
}

/// `sha256:<hex>` of bytes.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// A hook that may answer a request before the normal routes.
pub type Fault = Box<dyn Fn(&Request) -> Option<Reply> + Send + Sync>;

/// The running fake: the REST API and the blob host.
pub struct FakeGithub {
    /// The REST API.
    pub api: Server,
    /// The blob host artifact downloads redirect to.
    pub blobs: Server,
}

impl FakeGithub {
    /// Serves `scenario` without faults.
    pub fn start(scenario: Scenario) -> Self {
        Self::with_faults(scenario, Box::new(|_| None), Box::new(|_| None))
    }

    /// Serves `scenario`; `api_fault` and `blob_fault` may answer first.
    pub fn with_faults(scenario: Scenario, api_fault: Fault, blob_fault: Fault) -> Self {
        Self::serve(scenario, 0, api_fault, blob_fault)
    }

    /// Serves `scenario` with the API on `api_port` (0: any free port).
    pub fn serve(scenario: Scenario, api_port: u16, api_fault: Fault, blob_fault: Fault) -> Self {
        let zips: HashMap<u64, (Zip, Option<String>)> = scenario
            .artifacts
            .iter()
            .map(|a| (a.id, (a.zip.clone(), a.served_as.clone())))
            .collect();
        let blobs = Server::start(move |request| {
            if request.header("authorization").is_some() {
                // The token must never reach another host: fail the test.
                return Reply::Unexpected;
            }
            if let Some(reply) = blob_fault(request) {
                return reply;
            }
            serve_blob(&zips, request)
        });
        let blob_url = blobs.url();
        let api = Server::start_on(api_port, move |request| {
            if let Some(reply) = api_fault(request) {
                return reply;
            }
            route(&scenario, &blob_url, request)
        });
        Self { api, blobs }
    }

    /// The query parameter `name` of the first listing of workflow runs.
    pub fn runs_listed_by(&self, name: &str) -> Option<String> {
        let requests = self.api.requests();
        let listing = requests
            .iter()
            .find(|r| r.path().ends_with("/actions/runs"));
        listing.and_then(|r| r.query_param(name).map(str::to_owned))
    }

    /// Requests the API received for paths containing `part`.
    pub fn api_hits(&self, part: &str) -> usize {
        self.api
            .requests()
            .iter()
            .filter(|r| r.target.contains(part))
            .count()
    }
}

fn serve_blob(zips: &HashMap<u64, (Zip, Option<String>)>, request: &Request) -> Reply {
    let rest = request.path().strip_prefix("/blobs/").unwrap_or_default();
    // `ID.zip` for a zip, `ID/NAME` for a file uploaded as is.
    let id = rest.strip_suffix(".zip").unwrap_or(rest);
    let (id, name) = id.split_once('/').unwrap_or((id, ""));
    if request.query_param("sig") != Some(SIG) {
        return Reply::new(403, "<Error><Code>AuthenticationFailed</Code></Error>");
    }
    let Some((zip, served_as)) = id.parse::<u64>().ok().and_then(|id| zips.get(&id)) else {
        return Reply::Unexpected;
    };
    let reply = match zip {
        Zip::Bytes(bytes) => Reply::new(200, bytes.as_slice()),
        Zip::File(path) => Reply::file(200, path),
    };
    match served_as {
        None => reply.header("content-type", "application/zip"),
        Some(content_type) => reply.header("content-type", content_type).header(
            "content-disposition",
            &format!("attachment; filename=\"{name}\"; filename*=UTF-8''{name}"),
        ),
    }
}

/// GitHub's error body.
pub fn error(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        &json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": status.to_string()}),
    )
}

fn route(scenario: &Scenario, blob_url: &str, request: &Request) -> Reply {
    if request.header("accept") != Some("application/vnd.github+json")
        || request.header("x-github-api-version") != Some("2022-11-28")
    {
        return Reply::Unexpected;
    }
    if request.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
        return error(401, "Bad credentials");
    }
    let repos_prefix = format!("{}/repos/{}/", scenario.api_prefix, scenario.repo);
    let id_prefix = format!("{}/repositories/{REPO_ID}/", scenario.api_prefix);
    let Some(tail) = request
        .path()
        .strip_prefix(&repos_prefix)
        .or_else(|| request.path().strip_prefix(&id_prefix))
    else {
        return error(404, "Not Found");
    };
    let parts: Vec<&str> = tail.split('/').collect();
    let pr = scenario.pr.to_string();
    match parts.as_slice() {
        ["pulls", n] if *n == pr => Reply::json(200, &pull_request(scenario)),
        ["pulls", n, "commits"] if *n == pr => {
            let items: Vec<Value> = scenario.commits.iter().map(|s| commit(s)).collect();
            paged(scenario, request, tail, items, None)
        }
        ["actions", "runs"] => {
            let wanted = request.query_param("head_sha");
            let branch = request.query_param("branch");
            let items: Vec<Value> = scenario
                .runs
                .iter()
                .filter(|(_, sha)| wanted.is_none_or(|w| w == sha))
                .filter(|(id, _)| branch.is_none_or(|b| b == scenario.event_of(*id).1))
                .map(|(id, sha)| workflow_run(*id, sha, scenario.event_of(*id)))
                .collect();
            paged(scenario, request, tail, items, Some("workflow_runs"))
        }
        ["actions", "runs", id, "artifacts"] => {
            let Some((run, sha)) = scenario.runs.iter().find(|(r, _)| r.to_string() == *id) else {
                return error(404, "Not Found");
            };
            let items: Vec<Value> = scenario
                .artifacts
                .iter()
                .filter(|a| a.run == *run)
                .map(|a| artifact(scenario, a, sha))
                .collect();
            paged(scenario, request, tail, items, Some("artifacts"))
        }
        ["actions", "artifacts", id, "zip"] => {
            match scenario.artifacts.iter().find(|a| a.id.to_string() == *id) {
                Some(a) if a.expired => error(410, "Artifact has expired"),
                Some(a) => {
                    let blob = match a.served_as {
                        None => format!("{}.zip", a.id),
                        Some(_) => format!("{}/{}", a.id, a.name),
                    };
                    Reply::redirect(
                        302,
                        &format!("{blob_url}/blobs/{blob}?sv=2025-01-05&sig={SIG}"),
                    )
                }
                None => error(404, "Not Found"),
            }
        }
        _ => error(404, "Not Found"),
    }
}

/// One page of `items` (query `page`, 1-based) with a `Link` to the next in the
/// `/repositories/{id}/…` form GitHub uses.
fn paged(
    scenario: &Scenario,
    request: &Request,
    tail: &str,
    items: Vec<Value>,
    key: Option<&str>,
) -> Reply {
    let page: usize = request
        .query_param("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    let size = scenario.page_size;
    let total = items.len();
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .collect();
    let body = match key {
        Some(key) => json!({"total_count": total, key: slice}),
        None => Value::Array(slice),
    };
    let mut reply = Reply::json(200, &body);
    if page * size < total {
        let host = request.header("host").unwrap_or("127.0.0.1");
        let mut query: Vec<&str> = request
            .query()
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("page="))
            .collect();
        let next = format!("page={}", page + 1);
        query.push(&next);
        reply = reply.header(
            "link",
            &format!("<http://{host}{prefix}/repositories/{REPO_ID}/{tail}?{}>; rel=\"next\", <http://{host}{prefix}/repositories/{REPO_ID}/{tail}?page=99>; rel=\"last\"", query.join("&"), prefix = scenario.api_prefix),
        );
    }
    reply
}

fn pull_request(scenario: &Scenario) -> Value {
    let mut pull = example("pull-request");
    pull["number"] = json!(scenario.pr);
    pull["head"]["sha"] = json!(scenario.head());
    pull["head"]["ref"] = json!(PR_BRANCH);
    pull["base"]["ref"] = json!(scenario.base);
    let template = pull["labels"][0].clone();
    pull["labels"] = scenario
        .labels
        .iter()
        .map(|name| {
            let mut label = template.clone();
            label["name"] = json!(name);
            label
        })
        .collect();
    pull
}

fn commit(sha: &str) -> Value {
    let mut commit = example("commit-items")[0].clone();
    commit["sha"] = json!(sha);
    commit
}

fn workflow_run(id: u64, sha: &str, (event, branch): (&str, &str)) -> Value {
    let mut run = example("workflow-run-paginated")["workflow_runs"][0].clone();
    run["id"] = json!(id);
    run["event"] = json!(event);
    run["head_branch"] = json!(branch);
    run["head_sha"] = json!(sha);
    run["head_commit"]["id"] = json!(sha);
    run
}

fn artifact(scenario: &Scenario, a: &Artifact, sha: &str) -> Value {
    let mut value = example("artifact-paginated")["artifacts"][0].clone();
    let size = match &a.zip {
        Zip::Bytes(bytes) => bytes.len() as u64,
        Zip::File(path) => std::fs::metadata(path).map_or(0, |m| m.len()),
    };
    value["id"] = json!(a.id);
    value["name"] = json!(a.name);
    value["size_in_bytes"] = json!(size);
    value["expired"] = json!(a.expired);
    value["archive_download_url"] = json!(format!(
        "https://api.github.com/repos/{}/actions/artifacts/{}/zip",
        scenario.repo, a.id
    ));
    match &a.digest {
        Some(digest) => value["digest"] = json!(digest),
        None => drop(value.as_object_mut().map(|o| o.remove("digest"))),
    }
    value["workflow_run"]["id"] = json!(a.run);
    value["workflow_run"]["head_sha"] = json!(sha);
    value["workflow_run"]["head_branch"] = json!(scenario.event_of(a.run).1);
    value
}
