//! `ci-tracing report`: one self-contained HTML file with a waterfall per trace.

use crate::cli::ReportArgs;

/// Runs `report`.
pub fn run(_args: &ReportArgs) -> crate::Result<()> {
    Err(crate::Error::NotImplemented("report"))
}
