//! One resolved plan per command, built from its clap arguments and the environment.
//!
//! A plan holds values a command can use as they are: paths, URLs, tokens, numbers.
//! Commands never see a clap struct and never read the environment; whatever order of
//! fallbacks a value has is decided here, once.

use std::path::PathBuf;

use reqwest::Url;
use reqwest::header::HeaderMap;

pub(crate) use super::SummaryFormat;
use super::compare::ComparePlan;
use super::github::{Api, GithubAccess, resolve_api};
use super::repo::{Located, Repo};
use super::target::parse_target;
use super::{Error, Input, env_var, otlp, tracing_dir};
use crate::cli::{self, Cli, Command};
use crate::secret::Secret;

/// What to run, resolved.
#[derive(Debug)]
pub(crate) enum Plan {
    /// `gate`.
    Gate(GatePlan),
    /// `upload`.
    Upload(Box<UploadPlan>),
    /// `fetch-traces`.
    Fetch(FetchPlan),
    /// `replay`.
    Replay(ReplayPlan),
    /// `summary`.
    Summary(SummaryPlan),
    /// `report`.
    Report(ReportPlan),
    /// `compare`.
    Compare(ComparePlan),
    /// `stack init`.
    StackInit(StackInitPlan),
    /// `collect`.
    Collect(CollectPlan),
    /// `completions`.
    Completions(clap_complete::Shell),
    /// `man`: the page of this command (empty: of `ci-tracing`).
    Man(String),
}

/// `gate`: the label rule and, with `--live`, where to ask for current labels.
#[derive(Debug, Clone)]
pub(crate) struct GatePlan {
    /// The label that turns tracing on.
    pub label: String,
    /// Trace whatever the event.
    pub force: bool,
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
}

/// The HTML report `upload` also uploads.
#[derive(Debug, Clone)]
pub(crate) struct ReportUpload {
    /// The artifact's (and file's) name.
    pub name: String,
    /// Spans past which only the slowest and failing traces are kept.
    pub max_spans: u64,
}

/// `fetch-traces`: where from, what, and where to.
#[derive(Debug)]
pub(crate) struct FetchPlan {
    /// The API and token.
    pub github: GithubAccess,
    /// The repository.
    pub repo: Repo,
    /// The pull request, when one was named.
    pub pr: Option<u64>,
    /// The workflow run, when one was named.
    pub run_id: Option<u64>,
    /// Artifact name.
    pub name: String,
    /// The directory `trace-data` goes into.
    pub dir: PathBuf,
    /// Whether `--dir` named it (the next command then names the file).
    pub dir_given: bool,
    /// Replace an existing `trace-data`.
    pub force: bool,
    /// List, do not download.
    pub list: bool,
    /// One JSON object on standard output.
    pub json: bool,
    /// Limit of the unzipped size.
    pub max_unzipped: u64,
}

/// `replay`: input, endpoint, headers and how to send.
#[derive(Debug)]
pub(crate) struct ReplayPlan {
    /// The trace file.
    pub input: Input,
    /// The traces endpoint.
    pub endpoint: Url,
    /// The endpoint as it may be shown (no credentials, no query).
    pub shown: String,
    /// Extra headers (values marked sensitive).
    pub headers: HeaderMap,
    /// Requests in flight.
    pub concurrency: usize,
    /// gRPC, HTTP with protobuf, or HTTP with JSON.
    pub protocol: otlp::Protocol,
    /// Gzip the bodies.
    pub gzip: bool,
    /// Move timestamps to now.
    pub shift_to_now: bool,
    /// Stop at the first invalid line.
    pub strict: bool,
    /// Time one request may take.
    pub timeout: std::time::Duration,
    /// Stop after this many lines in a row failed with nothing accepted in between.
    pub max_consecutive_failures: u32,
    /// The tally as JSON.
    pub json: bool,
}

/// `summary`.
#[derive(Debug)]
pub(crate) struct SummaryPlan {
    /// The trace file.
    pub input: Input,
    /// The form.
    pub format: SummaryFormat,
}

/// `report`.
#[derive(Debug)]
pub(crate) struct ReportPlan {
    /// The trace file.
    pub input: Input,
    /// The HTML file to write.
    pub output: PathBuf,
    /// Replace an existing output.
    pub force: bool,
    /// Open the report in a browser once written.
    pub open: bool,
    /// `BROWSER`, the commands to open it with, when set.
    pub browser: Option<String>,
    /// `--compare`: the run to show each span name's change against.
    pub compare: Option<Input>,
}

/// `stack init`: where the stack's files go.
#[derive(Debug)]
pub(crate) struct StackInitPlan {
    /// The directory, `<repository root>/.github/tracing` unless `--dir` names one.
    pub dir: PathBuf,
    /// Replace existing files.
    pub force: bool,
}

/// `collect`: where to listen and where to write.
#[derive(Debug)]
pub(crate) struct CollectPlan {
    /// The trace file to append to.
    pub output: PathBuf,
    /// OTLP/HTTP address, `None` when off.
    pub http: Option<std::net::SocketAddr>,
    /// OTLP/gRPC address, `None` when off.
    pub grpc: Option<std::net::SocketAddr>,
    /// Where to write the addresses once listening.
    pub ready_file: Option<PathBuf>,
    /// The largest request body taken.
    pub max_request_size: usize,
    /// Where to store logs, if anywhere.
    pub logs: Option<PathBuf>,
    /// Where to store metrics, if anywhere.
    pub metrics: Option<PathBuf>,
}

impl Plan {
    /// Resolves the command line and the environment into the plan of its command.
    pub(crate) fn build(cli: &Cli) -> Result<Self, Error> {
        Ok(match &cli.command {
            Command::Gate(args) => Plan::Gate(gate(args)),
            Command::Upload(args) => Plan::Upload(Box::new(upload(args))),
            Command::FetchTraces(args) => Plan::Fetch(fetch(args)?),
            Command::Replay(args) => Plan::Replay(replay(args)?),
            Command::Summary(args) => Plan::Summary(SummaryPlan {
                input: Input::resolve(args.file.as_deref()),
                format: format(args.format),
            }),
            Command::Compare(args) => {
                Plan::Compare(super::compare::plan(args, format(args.format))?)
            }
            Command::Report(args) => Plan::Report(report(args)?),
            Command::Stack(args) => match &args.command {
                cli::StackCommand::Init(init) => Plan::StackInit(StackInitPlan {
                    dir: init.dir.clone().unwrap_or_else(tracing_dir),
                    force: init.force,
                }),
            },
            Command::Collect(args) => Plan::Collect(collect(args)?),
            Command::Completions(args) => Plan::Completions(args.shell),
            Command::Man(args) => Plan::Man(args.command.clone()),
        })
    }
}

pub(super) fn format(format: cli::SummaryFormat) -> SummaryFormat {
    match format {
        cli::SummaryFormat::Text => SummaryFormat::Text,
        cli::SummaryFormat::Markdown => SummaryFormat::Markdown,
        cli::SummaryFormat::Json => SummaryFormat::Json,
    }
}

fn report(args: &cli::ReportArgs) -> Result<ReportPlan, Error> {
    let plan = ReportPlan {
        input: Input::resolve(args.file.as_deref()),
        output: args.output.clone(),
        force: args.force,
        open: args.open,
        browser: args.open.then(|| env_var("BROWSER")).flatten(),
        compare: args
            .compare
            .as_deref()
            .map(|base| Input::resolve(Some(base))),
    };
    if matches!(
        (&plan.input, &plan.compare),
        (Input::Stdin, Some(Input::Stdin))
    ) {
        return Err(Error::Invalid(
            "the trace file and --compare cannot both be `-` (standard input): give one as a file"
                .to_owned(),
        ));
    }
    Ok(plan)
}

fn gate(args: &cli::GateArgs) -> GatePlan {
    let live = args.live.then(|| {
        let located = Repo::resolve(None).map_err(|err| err.to_string())?;
        let api = api_of(&args.github, &located).map_err(|err| err.to_string())?;
        let access = api
            .with_token(args.github.token.as_ref())
            .map_err(|err| err.to_string())?;
        Ok((access, located.repo))
    });
    GatePlan {
        label: args.label.clone(),
        force: args.force,
        live,
    }
}

/// The API for a repository: its host counts as named unless it is only the remote's.
fn api_of(args: &cli::GithubArgs, located: &Located) -> Result<Api, Error> {
    let host = located.host.as_deref();
    let (named, remote) = if located.from_remote {
        (None, host)
    } else {
        (host, None)
    };
    resolve_api(args.api_url.as_deref(), named, remote)
}

fn upload(args: &cli::UploadArgs) -> UploadPlan {
    let run_page = (|| {
        let server =
            env_var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".to_owned());
        let repository = env_var("GITHUB_REPOSITORY")?;
        let run = env_var("GITHUB_RUN_ID")?;
        Some(format!(
            "{}/{repository}/actions/runs/{run}",
            server.trim_end_matches('/')
        ))
    })();
    UploadPlan {
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
    }
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

fn fetch(args: &cli::FetchTracesArgs) -> Result<FetchPlan, Error> {
    let target = args.target.as_deref().map(parse_target).transpose()?;
    let (mut pr, mut run_id, from_url) = match target {
        Some(target) => (target.pr, target.run_id, target.located),
        None => (None, None, None),
    };
    pr = pr.or(args.pr);
    if let (Some(flag), Some(url)) = (args.run_id, run_id)
        && flag != url
    {
        return Err(Error::Invalid(format!(
            "--run-id {flag} and the run URL ({url}) name different runs: give one of them"
        )));
    }
    run_id = run_id.or(args.run_id);
    if pr.is_none() && run_id.is_none() {
        return Err(Error::NoTarget);
    }
    let located = repository(args.repo.as_deref(), from_url)?;
    let api = api_of(&args.github, &located)?;
    let github = api.with_token(args.github.token.as_ref())?;
    Ok(FetchPlan {
        github,
        repo: located.repo,
        pr,
        run_id,
        name: args.name.clone(),
        dir: args.dir.clone().unwrap_or_else(tracing_dir),
        dir_given: args.dir.is_some(),
        force: args.force,
        list: args.list,
        json: args.json,
        max_unzipped: crate::tuning::get().max_unzipped,
    })
}

/// The repository of a URL argument, checked against `-R` when both are given.
fn repository(flag: Option<&str>, from_url: Option<Located>) -> Result<Located, Error> {
    match (flag, from_url) {
        (Some(flag), Some(url)) => {
            let given = Repo::parse_spec("--repo", flag)?;
            if given.repo != url.repo {
                return Err(Error::Invalid(format!(
                    "--repo {} and the URL's repository {} differ: give one of them",
                    given.repo, url.repo
                )));
            }
            Ok(url)
        }
        (None, Some(url)) => Ok(url),
        (flag, None) => Repo::resolve(flag),
    }
}

fn replay(args: &cli::ReplayArgs) -> Result<ReplayPlan, Error> {
    let protocol = otlp::resolve_protocol(args.protocol.as_deref(), args.protobuf)?;
    let endpoint = otlp::resolve_endpoint(args.endpoint.as_deref(), protocol)?;
    Ok(ReplayPlan {
        input: Input::resolve(args.file.as_deref()),
        shown: otlp::display_endpoint(&endpoint),
        endpoint,
        headers: otlp::resolve_headers(&args.headers)?,
        concurrency: args
            .concurrency
            .map_or_else(default_concurrency, usize::from),
        protocol,
        gzip: otlp::resolve_gzip(args.gzip)?,
        shift_to_now: args.shift_to_now,
        strict: args.strict,
        timeout: otlp::resolve_timeout(args.timeout.as_deref())?,
        max_consecutive_failures: args.max_consecutive_failures,
        json: args.json,
    })
}

/// 4 per core, as the command line documents.
fn default_concurrency() -> usize {
    4 * std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

fn collect(args: &cli::CollectArgs) -> Result<CollectPlan, Error> {
    let http = listen_address("--http", &args.http)?;
    let grpc = listen_address("--grpc", &args.grpc)?;
    if http.is_none() && grpc.is_none() {
        return Err(Error::Invalid(
            "--http none and --grpc none leave nothing to listen on: keep at least one".to_owned(),
        ));
    }
    Ok(CollectPlan {
        output: args.output.clone(),
        http,
        grpc,
        ready_file: args.ready_file.clone(),
        max_request_size: usize::try_from(args.max_request_size).unwrap_or(usize::MAX),
        logs: args.logs.clone(),
        metrics: args.metrics.clone(),
    })
}

/// `HOST:PORT` (a name is resolved, the first address taken), or `none`.
fn listen_address(flag: &str, value: &str) -> Result<Option<std::net::SocketAddr>, Error> {
    use std::net::ToSocketAddrs as _;
    let value = value.trim();
    if value.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let bad = || {
        Error::Invalid(format!(
            "{flag} `{value}` is not an address to listen on: expected HOST:PORT (127.0.0.1:4318, 0.0.0.0:4318, [::1]:0) or none"
        ))
    };
    let mut addresses = value.to_socket_addrs().map_err(|_| bad())?;
    addresses.next().map(Some).ok_or_else(bad)
}
