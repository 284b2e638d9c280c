//! The command line as clap sees it: raw flags only, no resolution.
//!
//! Turning these into settings (tokens, repositories, endpoints, paths) happens in
//! `config.rs`, so that every default and environment fallback has one home. Nothing here
//! reads the environment except through clap's documented `env` fallbacks.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::secret::Secret;

/// Parses the process arguments; `--help`, `--version` and usage errors exit here
/// (usage errors with status 2, as SPEC.md says).
pub fn parse() -> Cli {
    Cli::parse()
}

/// Carry OpenTelemetry traces of CI smoke tests from the CI run to your desk.
#[derive(Debug, Parser)]
#[command(
    name = "ci-tracing",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// GitHub REST API base URL (GitHub Enterprise: https://HOST/api/v3).
    #[arg(
        long,
        global = true,
        env = "GITHUB_API_URL",
        default_value = "https://api.github.com",
        value_name = "URL"
    )]
    pub api_url: String,
    /// GitHub token [default: $GITHUB_TOKEN, then $GH_TOKEN, then `gh auth token`].
    #[arg(long, global = true, value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<Secret>,
    /// Say more (repeat for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print only warnings and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Never draw progress bars (they are drawn only on a terminal anyway).
    #[arg(long, global = true)]
    pub no_progress: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decide from the pull request's labels whether this job traces (writes enabled=true|false).
    Gate(GateArgs),
    /// Validate trace files and upload them as a workflow artifact (in GitHub Actions).
    Upload(UploadArgs),
    /// Download a pull request's newest trace-data artifact into .github/tracing/trace-data.
    FetchTraces(FetchTracesArgs),
    /// Send a trace-data file to an OTLP/HTTP endpoint.
    Replay(ReplayArgs),
    /// Show what a trace-data file holds: counts, services, the slowest traces.
    Summary(SummaryArgs),
    /// Write a self-contained HTML report with a waterfall per trace.
    Report(ReportArgs),
}

/// Options of `gate`, also taken by `upload`, which runs the gate first.
#[derive(Debug, Clone, Args)]
pub struct GateArgs {
    /// The label that turns tracing on (matched exactly, ignoring ASCII case).
    #[arg(long, value_name = "NAME", default_value = "enable tracing")]
    pub label: String,
    /// Ask the REST API for the pull request's current labels instead of the event payload.
    #[arg(long)]
    pub live: bool,
    /// Trace even when the event is not a pull request or the label is missing.
    #[arg(long)]
    pub force: bool,
}

/// What `upload` does when no file matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IfNoFilesFound {
    /// Warn and succeed.
    Warn,
    /// Fail the step.
    Error,
    /// Succeed quietly.
    Ignore,
}

/// Options of `upload`.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Files, directories or glob patterns to upload.
    #[arg(
        value_name = "PATH",
        default_value = "integration-tests/smoke/traces/trace-data.json"
    )]
    pub paths: Vec<String>,
    /// Artifact name.
    #[arg(long, default_value = "trace-data")]
    pub name: String,
    /// Days to keep the artifact (1-90; capped by the repository setting).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=90))]
    pub retention_days: Option<u16>,
    /// Zip compression level (0 = store, 9 = smallest).
    #[arg(long, value_name = "0-9", default_value_t = 6, value_parser = clap::value_parser!(u8).range(0..=9))]
    pub compression_level: u8,
    /// Replace an artifact of the same name in this run.
    #[arg(long)]
    pub overwrite: bool,
    /// What to do when no file matches.
    #[arg(long, value_enum, default_value_t = IfNoFilesFound::Warn)]
    pub if_no_files_found: IfNoFilesFound,
    /// The gate that runs first.
    #[command(flatten)]
    pub gate: GateArgs,
}

/// Options of `fetch-traces`.
#[derive(Debug, Args)]
pub struct FetchTracesArgs {
    /// Pull request number.
    #[arg(long, value_name = "N")]
    pub pr: u64,
    /// Repository [default: $GITHUB_REPOSITORY, then the `origin` remote].
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Take the artifact from this workflow run instead of searching.
    #[arg(long, value_name = "ID")]
    pub run_id: Option<u64>,
    /// Artifact name.
    #[arg(long, default_value = "trace-data")]
    pub name: String,
    /// Directory to write into [default: <repository root>/.github/tracing].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Replace an existing trace-data file.
    #[arg(long)]
    pub force: bool,
}

/// Options of `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Trace file, `-` for standard input [default: <repository root>/.github/tracing/trace-data].
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// OTLP/HTTP traces endpoint [default: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    /// then $OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces, then http://localhost:3100/v1/traces].
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Extra request header (repeatable), added to $OTEL_EXPORTER_OTLP_HEADERS.
    #[arg(long = "header", value_name = "K=V")]
    pub headers: Vec<String>,
    /// Requests in flight [default: 4 per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: Option<u16>,
    /// Compress request bodies with gzip.
    #[arg(long)]
    pub gzip: bool,
    /// Send the protobuf encoding instead of JSON.
    #[arg(long)]
    pub protobuf: bool,
    /// Move all timestamps so that the latest end time is now (durations kept).
    #[arg(long)]
    pub shift_to_now: bool,
    /// Stop at the first invalid line instead of skipping it.
    #[arg(long)]
    pub strict: bool,
    /// Time one request may take, in seconds or with a unit (`500ms`, `30s`) [default:
    /// $OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, then $OTEL_EXPORTER_OTLP_TIMEOUT (milliseconds),
    /// then 10s].
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Stop once this many lines in a row failed through every retry (timeouts, 429,
    /// 5xx, lost connections) with nothing accepted in between; every line not accepted
    /// is then in `<FILE>.failed`.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_consecutive_failures: u32,
}

/// Output formats of `summary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// For a terminal.
    Text,
    /// For a job summary or a pull request comment.
    Markdown,
    /// Stable, documented JSON for scripts.
    Json,
}

/// Options of `summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Trace file, `-` for standard input [default: <repository root>/.github/tracing/trace-data].
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
}

/// Options of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Trace file, `-` for standard input [default: <repository root>/.github/tracing/trace-data].
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Where to write the HTML report.
    #[arg(short, long, value_name = "FILE.html", default_value = "traces.html")]
    pub output: PathBuf,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Open the report in the default browser once written (the command in `BROWSER`,
    /// else xdg-open, open or start); failing to open it is only a warning.
    #[arg(long)]
    pub open: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
