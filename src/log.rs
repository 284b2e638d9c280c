//! Messages for the person (or the workflow log) watching a command run.
//!
//! Results go to standard output; everything said along the way goes to standard error
//! through this module, so that `-q`/`-v` and GitHub workflow commands (`::warning::`,
//! `::error::`, only when `GITHUB_ACTIONS=true`) are handled in one place, and so that
//! lines printed while a progress bar is drawn do not tear it. Callers must never pass
//! a secret: nothing here can tell one from ordinary text.

use std::io::Write;
use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressDrawTarget};

use crate::actions::commands;

/// How chatty the run is, fixed once at start-up.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Verbosity {
    /// `-v` count.
    pub verbose: u8,
    /// `-q`.
    pub quiet: bool,
    /// Progress bars allowed (a terminal, and no `--no-progress`).
    pub progress: bool,
    /// Running inside GitHub Actions (`GITHUB_ACTIONS=true`).
    pub in_actions: bool,
}

struct State {
    verbosity: Verbosity,
    bars: MultiProgress,
}

static STATE: OnceLock<State> = OnceLock::new();

/// Sets the verbosity for the rest of the process; later calls are ignored.
pub(crate) fn init(verbosity: Verbosity) {
    let target = if verbosity.progress && !verbosity.quiet {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let _ = STATE.set(State {
        verbosity,
        bars: MultiProgress::with_draw_target(target),
    });
}

fn state() -> &'static State {
    STATE.get_or_init(|| State {
        verbosity: Verbosity::default(),
        bars: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
    })
}

/// The verbosity in force.
pub(crate) fn verbosity() -> Verbosity {
    state().verbosity
}

/// Where progress bars are added, so that log lines print above them.
pub(crate) fn bars() -> &'static MultiProgress {
    &state().bars
}

fn write_line(line: &str) {
    state().bars.suspend(|| {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    });
}

/// A normal progress message (hidden by `-q`).
pub(crate) fn info(message: &str) {
    if !state().verbosity.quiet {
        write_line(message);
    }
}

/// Detail shown with `-v`.
pub(crate) fn debug(message: &str) {
    if state().verbosity.verbose > 0 {
        write_line(message);
    }
}

/// Something worth knowing that is not a problem (`::notice::` in Actions; not hidden by `-q`).
pub fn notice(message: &str) {
    let state = state();
    if state.verbosity.in_actions {
        write_line(&commands::notice(message));
    } else {
        write_line(&format!("note: {message}"));
    }
}

/// Something the user should look at; the command goes on.
pub(crate) fn warn(message: &str) {
    let state = state();
    if state.verbosity.in_actions {
        write_line(&commands::warning(message));
    } else {
        write_line(&format!("warning: {message}"));
    }
}

/// Prints the one line a failed command ends with. It takes any message, not the
/// crate's `Error`, so that this leaf does not import the module that gathers every error.
pub fn print_error(err: &dyn std::fmt::Display) {
    let message = one_line(&err.to_string());
    if state().verbosity.in_actions {
        write_line(&commands::error(&message));
    } else {
        write_line(&format!("error: {message}"));
    }
}

/// Folds a message onto one line, so that a failure is always a single line.
pub(crate) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
