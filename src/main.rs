//! The `ci-tracing` binary: parse the command line, run, print one line on failure.
//!
//! Everything else lives in the library so that it can be tested; this file must stay
//! this small: a thin `main`, one screen of dispatch in `commands`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = ci_tracing::cli::parse();
    match ci_tracing::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            ci_tracing::log::print_error(&err);
            ExitCode::from(err.exit_code())
        }
    }
}
