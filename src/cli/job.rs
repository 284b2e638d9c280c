//! The raw flags of the commands that run inside a GitHub Actions job: `gate`, and
//! `upload`, which takes the gate's flags too since it runs the gate first.

use clap::{Args, ValueEnum};

use super::GithubArgs;

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
    /// Also trace pushes to this branch (repeatable), so that `--compare-with branch:NAME` has a baseline.
    #[arg(long = "branch", value_name = "NAME")]
    pub branches: Vec<String>,
    /// The REST API, for --live (and for upload's --compare-with).
    #[command(flatten)]
    pub github: GithubArgs,
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
    #[arg(long, value_name = "NAME", default_value = "trace-data")]
    pub name: String,
    /// Days to keep the artifact (1-90, capped by the repository setting; 0: the repository default).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(0..=90))]
    pub retention_days: Option<u16>,
    /// Zip compression level, 0 (store) to 9 (smallest).
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u8).range(0..=9))]
    pub compression_level: u8,
    /// Replace an artifact of the same name in this run.
    #[arg(long)]
    pub overwrite: bool,
    /// What to do when no file matches.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = IfNoFilesFound::Warn)]
    pub if_no_files_found: IfNoFilesFound,
    /// Also upload hidden files (names starting with a dot) found in directories and by wildcards.
    #[arg(long)]
    pub include_hidden_files: bool,
    /// Upload one file as is, not zipped, named after the file (GitHub opens it in the browser).
    #[arg(long)]
    pub no_archive: bool,
    /// Do not also upload the HTML report of the traces.
    #[arg(long)]
    pub no_report: bool,
    /// Name of the HTML report artifact.
    #[arg(long, value_name = "NAME", default_value = "traces.html")]
    pub report_name: String,
    /// Spans past which the report keeps only the slowest and failing traces.
    #[arg(long, value_name = "N", default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub report_max_spans: u64,
    /// Compare with a baseline `trace-data` in the job summary: `previous` (this pull
    /// request's last earlier run that has one), `branch:NAME` (the newest on that branch)
    /// or `run:ID`. Needs `actions: read`; a missing baseline is a notice, never a failure.
    #[arg(long, value_name = "WHICH")]
    pub compare_with: Option<String>,
    /// The gate that runs first.
    #[command(flatten)]
    pub gate: GateArgs,
}
