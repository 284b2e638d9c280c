//! The `stack` command's raw flags (kept apart so that the command line stays one screen
//! a part).

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// Examples and exit statuses of `stack` and `stack init`.
pub(crate) const STACK_HELP: &str = concat!(
    "Examples:\n  ci-tracing stack init\n  ci-tracing stack init --dir ~/grafana-stack --force\n",
    "  docker compose -f .github/tracing/docker-compose.yaml up -d && ci-tracing replay --shift-to-now\n\n",
    "Exit status: 0 written, 1 a file cannot be written, 2 wrong invocation, or a file of the\nstack exists without --force (nothing is written then)."
);

/// Options of `stack`.
#[derive(Debug, Args)]
pub struct StackArgs {
    /// What to do with the stack.
    #[command(subcommand)]
    pub command: StackCommand,
}

/// The subcommands of `stack`.
#[derive(Debug, Subcommand)]
pub enum StackCommand {
    /// Write docker-compose.yaml, the collector, Tempo and Grafana configs and a README.
    #[command(after_long_help = STACK_HELP)]
    Init(StackInitArgs),
}

/// Options of `stack init`.
#[derive(Debug, Args)]
pub struct StackInitArgs {
    /// Directory to write into [default: <repository root>/.github/tracing].
    #[arg(short = 'D', long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Replace existing files of the stack.
    #[arg(long)]
    pub force: bool,
}
