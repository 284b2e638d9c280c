//! `ci-tracing fetch-traces`: find a pull request's newest trace-data artifact and
//! leave its spans in `.github/tracing/trace-data`.

use crate::cli::FetchTracesArgs;
use crate::config::Settings;

/// Runs `fetch-traces`.
#[allow(clippy::unused_async)] // a stub until its issue lands
pub async fn run(_settings: &Settings, _args: &FetchTracesArgs) -> crate::Result<()> {
    Err(crate::Error::NotImplemented("fetch-traces"))
}
