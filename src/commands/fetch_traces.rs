//! `ci-tracing fetch-traces`: find a pull request's newest trace-data artifact and
//! leave its spans in `.github/tracing/trace-data`.
//!
//! Order matters: settings are resolved and an existing `trace-data` is refused (without
//! `--force`) before anything is downloaded; the zip streams into a temporary file next
//! to the target, the spans into another, and only a rename makes `trace-data` appear,
//! so an interrupted run leaves the old file or the new one, never half of one. The
//! rename itself refuses to replace a file that appeared meanwhile unless `--force`.

use std::path::{Path, PathBuf};

use crate::archive::extract::{Extracted, extract_spans, max_unzipped};
use crate::atomic;
use crate::cli::FetchTracesArgs;
use crate::config::{Repo, Settings, tracing_dir};
use crate::github::Error;
use crate::github::client::Client;
use crate::github::models::short_sha;
use crate::github::select::{Selection, select};
use crate::log;

/// The file the spans end up in, whatever the archive called them.
pub const TRACE_FILE: &str = "trace-data";

/// Runs `fetch-traces`.
pub async fn run(settings: &Settings, args: &FetchTracesArgs) -> crate::Result<()> {
    let token = settings.token()?;
    let repo = Repo::resolve(args.repo.as_deref())?;
    let dir = args.dir.clone().unwrap_or_else(tracing_dir);
    let target = dir.join(TRACE_FILE);
    refuse_existing(&target, args.force)?;
    let client = Client::new(settings, token)?;
    let selection = select(&client, &repo, args.pr, &args.name, args.run_id).await?;
    log::info(&format!(
        "downloading artifact {} ({} bytes) of workflow run {}",
        selection.artifact.id, selection.artifact.size_in_bytes, selection.run_id
    ));
    let extracted = download_and_extract(&client, &repo, &selection, &dir).await?;
    let (lines, bytes) = (extracted.lines, extracted.bytes);
    install(extracted, &target, args.force)?;
    println!(
        "{}",
        success_message(&target, args, lines, bytes, &selection)
    );
    Ok(())
}

/// Streams the artifact into a temporary zip in `dir` and extracts its spans into
/// another temporary file there; the zip is deleted on return, whatever happens.
async fn download_and_extract(
    client: &Client,
    repo: &Repo,
    selection: &Selection,
    dir: &Path,
) -> crate::Result<Extracted> {
    std::fs::create_dir_all(dir).map_err(|err| Error::io(dir, &err))?;
    let mut zip =
        atomic::temp_in(dir, ".trace-data.", ".zip.part").map_err(|err| Error::io(dir, &err))?;
    crate::github::download::download(client, repo, &selection.artifact, zip.as_file_mut()).await?;
    let reopened = zip.reopen().map_err(|err| Error::io(zip.path(), &err))?;
    let extracted = extract_spans(reopened, dir, max_unzipped())?;
    log::debug(&format!("took {}", extracted.entries.join(", ")));
    Ok(extracted)
}

/// Where the spans are, how many, where from, and the command to run next.
fn success_message(
    target: &Path,
    args: &FetchTracesArgs,
    lines: u64,
    bytes: u64,
    selection: &Selection,
) -> String {
    let shown = display_path(target);
    let replay = match &args.dir {
        None => "ci-tracing replay".to_owned(),
        Some(_) => format!("ci-tracing replay {}", shown.display()),
    };
    let commit = if selection.sha.is_empty() {
        "an unknown commit".to_owned()
    } else {
        format!("commit {}", short_sha(&selection.sha))
    };
    format!(
        "wrote {} ({lines} lines, {bytes} bytes) from pull request #{}, {commit}, workflow run {}\nnext: {replay}",
        shown.display(),
        args.pr,
        selection.run_id
    )
}

/// Fails before any download when the target exists and `--force` is not given.
fn refuse_existing(target: &Path, force: bool) -> Result<(), Error> {
    let exists = atomic::check_target(target).map_err(|err| Error::NotAFile {
        reason: err.to_string(),
    })?;
    if !force && exists {
        return Err(Error::Exists {
            path: display_path(target).display().to_string(),
        });
    }
    Ok(())
}

/// Renames the extracted file to `target`, replacing it only with `force`.
fn install(extracted: Extracted, target: &Path, force: bool) -> Result<(), Error> {
    match atomic::install(extracted.file, target, force) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::Exists {
            path: display_path(target).display().to_string(),
        }),
        Err(err) if err.kind() == std::io::ErrorKind::InvalidInput => Err(Error::NotAFile {
            reason: err.to_string(),
        }),
        Err(err) => Err(Error::io(target, &err)),
    }
}

/// The path relative to the current directory when it is inside it.
fn display_path(path: &Path) -> PathBuf {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf));
    let path = relative.unwrap_or_else(|| path.to_path_buf());
    path.strip_prefix(".")
        .map_or(path.clone(), Path::to_path_buf)
}
