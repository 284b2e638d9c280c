//! `ci-tracing summary`: what a trace file holds, as text, markdown or JSON.

use crate::cli::SummaryArgs;

/// Runs `summary`.
pub fn run(_args: &SummaryArgs) -> crate::Result<()> {
    Err(crate::Error::NotImplemented("summary"))
}
