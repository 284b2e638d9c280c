//! ci-tracing: carry OpenTelemetry traces of CI smoke tests from the CI run to a
//! developer's desk.
//!
//! [`run`] dispatches each command to the one module that owns it. Commands that talk
//! to a network run on a Tokio runtime built here; the others run plainly. SIGINT and
//! SIGTERM are watched for every command alike (`signal`). Modules
//! return typed errors; [`Error::exit_code`] maps them to the documented exit status.

#![warn(unreachable_pub)]

mod actions;
mod archive;
mod artifact;
mod atomic;
mod browser;
pub mod cli;
mod commands;
pub mod config;
mod env;
mod error;
mod exit;
pub mod github;
mod http;
pub mod log;
pub mod otlp;
mod path_error;
pub mod report;
pub mod secret;
mod signal;
mod stack;
pub mod time;
pub mod trace;
mod tuning;

/// The generator of realistic trace files, shared with the tests and the dev tools.
#[cfg(test)]
#[path = "../tests/support/generate.rs"]
#[allow(unreachable_pub)] // its `pub` items are the API of tests/support and tools/gen-traces
mod generate;

use std::io::IsTerminal;

pub use error::{Error, Result};

use cli::Cli;
use config::Plan;

/// Runs one parsed command line: resolves it into its command's plan, then runs that.
pub fn run(cli: &Cli) -> Result<()> {
    let global = &cli.global;
    log::init(log::Verbosity {
        verbose: global.verbose,
        quiet: global.quiet,
        progress: !global.no_progress && std::io::stderr().is_terminal(),
        in_actions: config::in_actions(),
    });
    tuning::install(config::tuning(global));
    if let Err(err) = signal::install(forced_exit) {
        log::warn(&format!(
            "cannot watch for SIGINT and SIGTERM ({err}): an interrupted run may leave temporary files"
        ));
    }
    match Plan::build(cli)? {
        Plan::Gate(plan) => block_on(commands::gate::run(&plan)),
        Plan::Upload(plan) => block_on(commands::upload::run(&plan)),
        Plan::Fetch(plan) => block_on(commands::fetch_traces::run(&plan)),
        Plan::Replay(plan) => block_on(commands::replay::run(&plan)),
        Plan::Summary(plan) => commands::summary::run(&plan),
        Plan::Report(plan) => commands::report::run(&plan),
        Plan::Compare(plan) => commands::compare::run(&plan),
        Plan::StackInit(plan) => commands::stack::run(&plan),
        Plan::Collect(plan) => block_on(commands::collect::run(&plan)),
        Plan::Completions(shell) => {
            cli::write_completions(shell);
            Ok(())
        }
        Plan::Man(command) => commands::man::run(&command),
    }
}

/// Runs a network command to completion on a multi-threaded runtime.
fn block_on<F: Future<Output = Result<()>>>(future: F) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| Error::Runtime(path_error::io_reason(&err)))?;
    runtime.block_on(future)
}

/// Ends the process on SIGINT or SIGTERM, wherever the command is: removes its
/// temporary files (destructors do not run on `exit`), prints one line and exits 130
/// or 143.
fn forced_exit(signal: signal::Signal) {
    atomic::remove_temps();
    let error = Error::Interrupted(signal);
    log::print_error(&error);
    std::process::exit(i32::from(error.exit_code()));
}
