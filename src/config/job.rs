//! The plans of the commands that run inside a GitHub Actions job, `gate` and `upload`
//! (which runs the gate first): the label and branch rules, the files and the artifact,
//! the runner's runtime values, and the job's own GitHub (API, token, repository) that
//! `gate --live` and `upload --compare-with` ask.

use super::baseline::{BaselinePlan, baseline_plan};
use super::github::{Api, GithubAccess, resolve_api};
use super::repo::{Located, Repo};
use super::{Error, env_var, server_url};
use crate::cli;
use crate::secret::Secret;

/// `gate`: the label rule and, with `--live`, where to ask for current labels.
#[derive(Debug, Clone)]
pub(crate) struct GatePlan {
    /// The label that turns tracing on.
    pub label: String,
    /// Trace whatever the event.
    pub force: bool,
    /// Branches whose pushes are traced too.
    pub branches: Vec<String>,
    /// With `--live`: the API and repository to ask, or why they cannot be had (the
    /// gate then warns and uses the payload's labels).
    pub live: Option<Result<(GithubAccess, Repo), String>>,
}

/// What `upload` does when no file matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WhenNoFiles {
    /// Warn and succeed.
    Warn,
    /// Fail the step.
    Error,
    /// Succeed quietly.
    Ignore,
}

/// `upload`: the gate, the files, the artifact and the runner's runtime values.
#[derive(Debug)]
pub(crate) struct UploadPlan {
    /// The gate that runs first.
    pub gate: GatePlan,
    /// Files, directories or glob patterns.
    pub paths: Vec<String>,
    /// Artifact name.
    pub name: String,
    /// `--retention-days`.
    pub retention_days: Option<u16>,
    /// The repository's limit (`GITHUB_RETENTION_DAYS`).
    pub retention_limit: Option<u16>,
    /// Zip compression level.
    pub compression_level: u8,
    /// Replace a namesake.
    pub overwrite: bool,
    /// What to do when no file matches.
    pub if_no_files_found: WhenNoFiles,
    /// `ACTIONS_RUNTIME_TOKEN`, when the runner gave it.
    pub runtime_token: Option<Secret>,
    /// `ACTIONS_RESULTS_URL`, when the runner gave it.
    pub results_url: Option<String>,
    /// The run's page (`GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID`).
    pub run_page: Option<String>,
    /// `GITHUB_SERVER_URL` when it names a GitHub Enterprise Server, which has no
    /// artifact service for this protocol.
    pub enterprise_server: Option<String>,
    /// Hidden files found in directories and by wildcards are uploaded too.
    pub include_hidden: bool,
    /// Zip the files (else: one file as is).
    pub archive: bool,
    /// The HTML report to upload next to the traces, unless turned off.
    pub report: Option<ReportUpload>,
    /// `--compare-with`: the baseline the job summary compares with.
    pub compare: Option<BaselinePlan>,
}

/// The HTML report `upload` also uploads.
#[derive(Debug, Clone)]
pub(crate) struct ReportUpload {
    /// The artifact's (and file's) name.
    pub name: String,
    /// Spans past which only the slowest and failing traces are kept.
    pub max_spans: u64,
}

pub(super) fn gate(args: &cli::GateArgs) -> GatePlan {
    GatePlan {
        label: args.label.clone(),
        force: args.force,
        branches: args.branches.iter().map(|b| b.trim().to_owned()).collect(),
        live: args.live.then(|| job_github(&args.github)),
    }
}

/// The API, token and repository of the job (`GITHUB_REPOSITORY`, `GITHUB_API_URL`,
/// `GITHUB_TOKEN`), or why they cannot be had.
fn job_github(args: &cli::GithubArgs) -> Result<(GithubAccess, Repo), String> {
    let located = Repo::resolve(None).map_err(|err| err.to_string())?;
    let api = api_of(args, &located).map_err(|err| err.to_string())?;
    let access = api
        .with_token(args.token.as_ref())
        .map_err(|err| err.to_string())?;
    Ok((access, located.repo))
}

/// The API for a repository: its host counts as named unless it is only the remote's.
pub(super) fn api_of(args: &cli::GithubArgs, located: &Located) -> Result<Api, Error> {
    let host = located.host.as_deref();
    let (named, remote) = if located.from_remote {
        (None, host)
    } else {
        (host, None)
    };
    resolve_api(args.api_url.as_deref(), named, remote)
}

pub(super) fn upload(args: &cli::UploadArgs) -> Result<UploadPlan, Error> {
    let run_page = (|| {
        let repository = env_var("GITHUB_REPOSITORY")?;
        let run = env_var("GITHUB_RUN_ID")?;
        Some(format!("{}/{repository}/actions/runs/{run}", server_url()))
    })();
    let compare = args
        .compare_with
        .as_deref()
        .map(|value| baseline_plan(value, || job_github(&args.gate.github)))
        .transpose()?;
    Ok(UploadPlan {
        gate: gate(&args.gate),
        paths: args.paths.clone(),
        name: args.name.clone(),
        retention_days: args.retention_days,
        retention_limit: env_var("GITHUB_RETENTION_DAYS").and_then(|v| v.trim().parse().ok()),
        compression_level: args.compression_level,
        overwrite: args.overwrite,
        if_no_files_found: match args.if_no_files_found {
            cli::IfNoFilesFound::Warn => WhenNoFiles::Warn,
            cli::IfNoFilesFound::Error => WhenNoFiles::Error,
            cli::IfNoFilesFound::Ignore => WhenNoFiles::Ignore,
        },
        runtime_token: env_var("ACTIONS_RUNTIME_TOKEN").map(Secret::new),
        results_url: env_var("ACTIONS_RESULTS_URL"),
        run_page,
        enterprise_server: env_var("GITHUB_SERVER_URL").filter(|url| is_enterprise_server(url)),
        include_hidden: args.include_hidden_files,
        archive: !args.no_archive,
        report: (!args.no_report).then(|| ReportUpload {
            name: args.report_name.clone(),
            max_spans: args.report_max_spans,
        }),
        compare,
    })
}

/// Whether `server_url` is a GitHub Enterprise Server, as `@actions/artifact` tells:
/// any host but github.com, `*.ghe.com` (GitHub Enterprise Cloud with data residency)
/// and `*.localhost`.
fn is_enterprise_server(server_url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(server_url.trim()) else {
        return false;
    };
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    host != "github.com" && !host.ends_with(".ghe.com") && !host.ends_with(".localhost")
}
