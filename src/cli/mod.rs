//! The command line as clap sees it: raw flags only, no resolution.
//!
//! Turning these into plans (tokens, repositories, endpoints, paths) happens in
//! `config/`, so that every default and environment fallback has one home; nothing here
//! reads the environment. The help teaches: each command's long help ends with examples
//! and its exit statuses, and GitHub options appear only on the commands that talk to
//! GitHub. A wrong invocation prints one line and exits 2.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::secret::Secret;

mod collect;
mod compare;
mod job;
mod stack;

pub(crate) use collect::CollectArgs;
pub(crate) use compare::CompareArgs;
pub(crate) use job::{GateArgs, IfNoFilesFound, UploadArgs};
use stack::STACK_HELP;
pub(crate) use stack::{StackArgs, StackCommand};

/// Parses the process arguments. `--help` and `--version` print and exit 0; a usage
/// error prints its first line (what is wrong) and where to read more, and exits 2.
pub fn parse() -> Cli {
    Cli::try_parse().unwrap_or_else(|err| {
        use clap::error::ErrorKind::{
            DisplayHelp, DisplayHelpOnMissingArgumentOrSubcommand, DisplayVersion,
        };
        let shows_help = matches!(
            err.kind(),
            DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand
        );
        if shows_help || !err.use_stderr() {
            err.exit();
        }
        let command = Cli::command();
        let named = std::env::args().skip(1).find(|arg| {
            command
                .get_subcommands()
                .any(|sub| !sub.is_hide_set() && sub.get_name() == arg)
        });
        eprintln!(
            "{}",
            usage_line(&err.render().to_string(), named.as_deref())
        );
        std::process::exit(i32::from(crate::exit::USAGE));
    })
}

/// The first line of a clap error, with its tip or possible values and the pointer to
/// the `--help` of the command named (if any) on the same line.
fn usage_line(rendered: &str, command: Option<&str>) -> String {
    let first = rendered.lines().find(|line| !line.trim().is_empty());
    let first = first.unwrap_or("error: wrong invocation").trim_end();
    let notes: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("tip:") || line.starts_with("[possible values:"))
        .collect();
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    let help = command.map_or_else(
        || "ci-tracing --help".to_owned(),
        |name| format!("ci-tracing {name} --help"),
    );
    format!("{first}{notes}; see `{help}`")
}

/// Writes the completion script of `shell` to standard output.
pub(crate) fn write_completions(shell: clap_complete::Shell) {
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "ci-tracing",
        &mut std::io::stdout(),
    );
}

/// The man page of `command` (empty: of `ci-tracing` itself; words for a nested one,
/// `stack init`) as roff, with its file name in `docs/man/`; `None` for an unknown or
/// hidden command.
pub(crate) fn man_page(command: &str) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut cli = Cli::command().disable_help_subcommand(true);
    cli.build();
    let mut chosen = Some(cli);
    for word in command.split_whitespace() {
        chosen = chosen.and_then(|parent| {
            parent
                .get_subcommands()
                .find(|sub| sub.get_name() == word && !sub.is_hide_set())
                .cloned()
        });
    }
    let Some(chosen) = chosen else {
        return Ok(None);
    };
    let man = clap_mangen::Man::new(chosen);
    let mut page = Vec::new();
    man.render(&mut page)?;
    Ok(Some((man.get_filename(), page)))
}

/// Carry OpenTelemetry traces of CI smoke tests from the CI run to your desk.
#[derive(Debug, Parser)]
#[command(
    name = "ci-tracing",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_long_help = "Examples:\n  ci-tracing fetch-traces https://github.com/OWNER/REPO/pull/1234\n  ci-tracing replay --shift-to-now\n  ci-tracing summary\n\nExit status: 0 success, 1 the work failed, 2 wrong invocation (bad flag, missing token or\nrepository, unreadable input)."
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
    /// Say more (repeat for more detail).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, display_order = 900)]
    pub verbose: u8,
    /// Print only warnings and errors.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        display_order = 901
    )]
    pub quiet: bool,
    /// Never draw progress bars (they are drawn only on a terminal anyway).
    #[arg(long, global = true, display_order = 902)]
    pub no_progress: bool,
    /// The longest line of a trace file read as a line, in bytes [default: 268435456,
    /// 256 MiB]; a longer line is reported as invalid with its number and skipped.
    #[arg(long, global = true, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1024..), display_order = 903)]
    pub max_line_bytes: Option<u64>,
}

/// Options of the commands that talk to the GitHub REST API.
#[derive(Debug, Clone, Args)]
pub struct GithubArgs {
    /// GitHub REST API base URL [default: derived from the host (https://HOST/api/v3 for
    /// GitHub Enterprise Server), else $GITHUB_API_URL, else https://api.github.com].
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// GitHub token [default: $GH_TOKEN, then $GITHUB_TOKEN (for GitHub Enterprise Server
    /// hosts: $GH_ENTERPRISE_TOKEN, then $GITHUB_ENTERPRISE_TOKEN), then `gh auth token`].
    #[arg(long, value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<Secret>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decide from the pull request's labels whether this job traces (writes enabled=true|false).
    #[command(after_long_help = concat!(
        "Examples:\n  ci-tracing gate\n  ci-tracing gate --label 'trace me' --live --branch main\n  ci-tracing gate --force\n\n",
        "Exit status: 0 decided (tracing on or off), 1 the outputs cannot be written, 2 wrong\ninvocation (no event payload outside Actions: pass --force)."
    ))]
    Gate(GateArgs),
    /// Validate trace files and upload them as a workflow artifact (in GitHub Actions).
    ///
    /// Runs inside the ci-tracing action: it needs the runner's ACTIONS_RUNTIME_TOKEN and
    /// ACTIONS_RESULTS_URL, which the runner gives only to JavaScript and Docker actions
    /// (not to `run:` steps). The artifact service is not available on GitHub Enterprise
    /// Server.
    #[command(after_long_help = concat!(
        "Examples:\n  ci-tracing upload\n  ci-tracing upload traces/ --name smoke-traces --retention-days 7 --compare-with previous\n  ci-tracing upload trace-data.json --no-archive --report-name smoke.html\n\n",
        "Exit status: 0 uploaded (or gated off, or no files with --if-no-files-found warn|ignore),\n1 the upload failed or no files with --if-no-files-found error, 2 wrong invocation (no\nruntime token, bad name, unreadable file)."
    ))]
    Upload(UploadArgs),
    /// Download a pull request's newest trace-data artifact into .github/tracing/trace-data.
    ///
    /// Like `gh run download`: name a pull request (number or URL) or a workflow run
    /// (--run-id or its URL); the repository comes from a URL, -R, $GH_REPO,
    /// $GITHUB_REPOSITORY or the `origin` remote, and its host says which GitHub (and which
    /// token) to use.
    #[command(after_long_help = concat!(
        "Examples:\n  ci-tracing fetch-traces https://github.com/OWNER/REPO/pull/1234\n  ci-tracing fetch-traces 1234 --base\n  ci-tracing fetch-traces --run-id 987654321 -R ghe.example.com/OWNER/REPO --json\n\n",
        "Exit status: 0 written (or listed), 1 nothing to download or GitHub failed, 2 wrong\ninvocation (no token, bad repository, trace-data exists without --force)."
    ))]
    FetchTraces(FetchTracesArgs),
    /// Send a trace-data file to an OTLP/HTTP endpoint.
    #[command(after_long_help = concat!(
        "Examples:\n  ci-tracing replay --shift-to-now\n  ci-tracing replay trace-data --endpoint http://localhost:4318/v1/traces --gzip\n  ci-tracing replay - --json < trace-data\n\n",
        "Exit status: 0 every span accepted, 1 a line failed, spans were rejected or the receiver\nwas unreachable (the lines not accepted are in FILE.failed), 2 wrong invocation or\nunreadable input, or --strict met an invalid line."
    ))]
    Replay(ReplayArgs),
    /// Show what a trace-data file holds: counts, services, the slowest traces.
    #[command(after_long_help = concat!(
        "Examples:\n  ci-tracing summary\n  ci-tracing summary trace-data --format markdown >> \"$GITHUB_STEP_SUMMARY\"\n  ci-tracing summary - --format json < trace-data\n\n",
        "Exit status: 0 summarised (invalid lines are counted, not fatal), 1 the output cannot be\nwritten, 2 wrong invocation or unreadable input."
    ))]
    Summary(SummaryArgs),
    /// Compare two trace files: per span name, what got slower, faster, new, gone or failing
    ///
    /// BASE is the run compared with (say, the main branch's), HEAD the run under review.
    /// A span name's timing is flagged only when both sides have --min-samples spans and
    /// its p50 and p95 both moved by more than --threshold the same way, in all its spans
    /// and in each half of the traces alone (spans of one trace are not independent);
    /// errors are flagged when HEAD has some and BASE had none, or a clearly higher rate.
    #[command(after_long_help = concat!(
        "Examples:\n  ci-tracing compare main.trace-data .github/tracing/trace-data\n  ci-tracing compare base.jsonl head.jsonl --format markdown >> \"$GITHUB_STEP_SUMMARY\"\n  ci-tracing compare base.jsonl - --format json --fail-on-regression < head.jsonl\n\n",
        "Exit status: 0 compared, 1 --fail-on-regression and a regression was flagged (or the\noutput cannot be written), 2 wrong invocation or unreadable input."
    ))]
    Compare(CompareArgs),
    /// Write a self-contained HTML report with a waterfall per trace.
    #[command(after_long_help = concat!(
        "Examples:\n  ci-tracing report --open\n  ci-tracing report trace-data -o smoke.html --force\n\n",
        "Exit status: 0 written, 1 the report cannot be written, 2 wrong invocation, unreadable\ninput, or the output exists without --force."
    ))]
    Report(ReportArgs),
    /// Receive OTLP traces (HTTP and gRPC) and append them to a trace-data file, as the
    /// Collector's file exporter would.
    #[command(after_long_help = concat!(
        "Examples:\n  ci-tracing collect\n  ci-tracing collect --http 0.0.0.0:4318 --grpc none -o traces/trace-data.json\n  ci-tracing collect --http 127.0.0.1:0 --grpc 127.0.0.1:0 --ready-file ready.json &\n\n",
        "Exit status: 0 stopped by SIGTERM or SIGINT with every accepted span written, 1 a port\ncannot be bound or the file cannot be written, 2 wrong invocation."
    ))]
    Collect(CollectArgs),
    /// Set up a local Grafana stack (collector, Tempo, Grafana) to replay traces into.
    ///
    /// `stack init` writes a docker-compose stack into .github/tracing: an OpenTelemetry
    /// Collector listening where `replay` sends by default (localhost:3100) and on 4317/4318,
    /// Grafana Tempo, and Grafana on http://localhost:3000 with Tempo provisioned. Running
    /// it needs Docker with Compose.
    #[command(
        subcommand_required = true,
        arg_required_else_help = true,
        after_long_help = STACK_HELP
    )]
    Stack(StackArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_long_help = concat!(
        "Examples:\n  ci-tracing completions bash > ~/.local/share/bash-completion/completions/ci-tracing\n  ci-tracing completions zsh > \"${fpath[1]}/_ci-tracing\"\n  ci-tracing completions fish > ~/.config/fish/completions/ci-tracing.fish\n\n",
        "Exit status: 0 printed, 2 unknown shell."
    ))]
    Completions(CompletionsArgs),
    /// Print a man page (roff), as kept in docs/man/ (scripts/man.sh writes them all).
    #[command(hide = true)]
    Man(ManArgs),
}

/// Options of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print, `stack init` for a nested one [default: the page
    /// of ci-tracing itself].
    #[arg(value_name = "COMMAND", default_value = "")]
    pub command: String,
}

/// Options of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// Options of `fetch-traces`.
#[derive(Debug, Args)]
pub struct FetchTracesArgs {
    /// A pull request (number or URL) or a workflow run URL.
    #[arg(value_name = "PR|URL")]
    pub target: Option<String>,
    /// Pull request number (the same as giving it as the argument).
    #[arg(long, value_name = "N", conflicts_with = "target")]
    pub pr: Option<u64>,
    /// Repository [default: $GH_REPO, then $GITHUB_REPOSITORY, then the `origin` remote].
    #[arg(short = 'R', long, value_name = "[HOST/]OWNER/REPO")]
    pub repo: Option<String>,
    /// Take the artifact from this workflow run (no pull request needed).
    #[arg(long, value_name = "ID")]
    pub run_id: Option<u64>,
    /// Artifact name.
    #[arg(short, long, value_name = "NAME", default_value = "trace-data")]
    pub name: String,
    /// Directory to write into [default: <repository root>/.github/tracing].
    #[arg(short = 'D', long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Replace an existing trace-data file.
    #[arg(long)]
    pub force: bool,
    /// List the runs that have the artifact (run, attempt, commit, size, expiry); download nothing.
    #[arg(long)]
    pub list: bool,
    /// Fetch the baseline of the pull request instead: the newest artifact on its base
    /// branch, into .github/tracing/base unless --dir (then run the `compare` it prints).
    #[arg(long, conflicts_with_all = ["run_id", "list"])]
    pub base: bool,
    /// Print the result as one JSON object on standard output.
    #[arg(long)]
    pub json: bool,
    /// The REST API.
    #[command(flatten)]
    pub github: GithubArgs,
}

/// Options of `replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Trace file, `-` for standard input [default: <repository root>/.github/tracing/trace-data].
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// OTLP traces endpoint [default: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, then
    /// $OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces (for grpc without /v1/traces), then
    /// http://localhost:3100/v1/traces (for grpc http://localhost:4317)].
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Extra request header (repeatable), added to $OTEL_EXPORTER_OTLP_HEADERS.
    #[arg(long = "header", value_name = "NAME=VALUE")]
    pub headers: Vec<String>,
    /// Requests in flight [default: 4 per core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: Option<u16>,
    /// Compress request bodies with gzip [default: $OTEL_EXPORTER_OTLP_TRACES_COMPRESSION,
    /// then $OTEL_EXPORTER_OTLP_COMPRESSION (gzip or none), then none].
    #[arg(long)]
    pub gzip: bool,
    /// How to send: grpc, http/protobuf or http/json [default:
    /// $OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, then $OTEL_EXPORTER_OTLP_PROTOCOL, then http/json].
    #[arg(long, value_name = "PROTOCOL")]
    pub protocol: Option<String>,
    /// Send the protobuf encoding instead of JSON: the same as --protocol http/protobuf.
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
    /// Print the tally as one JSON object on standard output.
    #[arg(long)]
    pub json: bool,
}

/// Options of `collect`.
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
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
}

/// Options of `report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Trace file, `-` for standard input [default: <repository root>/.github/tracing/trace-data].
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Where to write the HTML report.
    #[arg(short, long, value_name = "FILE", default_value = "traces.html")]
    pub output: PathBuf,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Open the report in the default browser once written (the command in `BROWSER`,
    /// else xdg-open, open or start); failing to open it is only a warning.
    #[arg(long)]
    pub open: bool,
    /// Show beside each span name its change against this trace file (as `compare`).
    #[arg(long, value_name = "BASE")]
    pub compare: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn a_usage_error_is_one_line() {
        let rendered = "error: invalid value 'abc' for '--pr <N>': invalid digit found in string\n\nFor more information, try '--help'.\n";
        assert_eq!(
            super::usage_line(rendered, Some("fetch-traces")),
            "error: invalid value 'abc' for '--pr <N>': invalid digit found in string; see `ci-tracing fetch-traces --help`"
        );
        let rendered = "error: invalid value 'yaml' for '--format <FORMAT>'\n  [possible values: text, markdown, json]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            super::usage_line(rendered, None),
            "error: invalid value 'yaml' for '--format <FORMAT>' ([possible values: text, markdown, json]); see `ci-tracing --help`"
        );
    }
}
