//! `ci-tracing gate`: decide from the pull request's labels whether this job traces.

use crate::cli::GateArgs;
use crate::config::Settings;

/// Runs `gate`.
#[allow(clippy::unused_async)] // a stub until its issue lands
pub async fn run(_settings: &Settings, _args: &GateArgs) -> crate::Result<()> {
    Err(crate::Error::NotImplemented("gate"))
}
