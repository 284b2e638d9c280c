//! `ci-tracing upload`: validate trace files and upload them as a workflow artifact.

use crate::cli::UploadArgs;
use crate::config::Settings;

/// Runs `upload`.
#[allow(clippy::unused_async)] // a stub until its issue lands
pub async fn run(_settings: &Settings, _args: &UploadArgs) -> crate::Result<()> {
    Err(crate::Error::NotImplemented("upload"))
}
