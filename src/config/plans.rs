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
use super::github::GithubAccess;
use super::job::{GatePlan, UploadPlan, api_of, gate, upload};
use super::repo::{Located, Repo};
use super::target::parse_target;
use super::{Error, Input, env_var, otlp, tracing_dir};
use crate::cli::{self, Cli, Command};

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
    /// With `--base`, the file the baseline is compared with (the pull request's own
    /// `trace-data`, where `fetch-traces` leaves it by default).
    pub base: Option<PathBuf>,
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
            Command::Upload(args) => Plan::Upload(Box::new(upload(args)?)),
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
    if args.base && (pr.is_none() || run_id.is_some()) {
        return Err(Error::Invalid(
            "--base fetches a pull request's baseline: name the pull request (`fetch-traces 1234 --base`), not a run".to_owned(),
        ));
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
        dir: match (&args.dir, args.base) {
            (Some(dir), _) => dir.clone(),
            (None, true) => tracing_dir().join("base"),
            (None, false) => tracing_dir(),
        },
        dir_given: args.dir.is_some(),
        force: args.force,
        list: args.list,
        base: args.base.then(super::default_trace_file),
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
