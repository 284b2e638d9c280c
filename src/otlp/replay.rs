//! `ci-tracing replay`: send a trace file to an OTLP/HTTP endpoint.

use crate::cli::ReplayArgs;
use crate::config::Settings;

/// Runs `replay`.
#[allow(clippy::unused_async)] // a stub until its issue lands
pub async fn run(_settings: &Settings, _args: &ReplayArgs) -> crate::Result<()> {
    Err(crate::Error::NotImplemented("replay"))
}
