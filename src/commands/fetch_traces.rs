//! `ci-tracing fetch-traces`: find a pull request's newest trace-data artifact and
//! leave its spans in `.github/tracing/trace-data`. The artifact may be a zip (made by
//! `upload` or `actions/upload-artifact`) or a file uploaded as is (`archive: false`,
//! named `trace-data.json` and the like): both end up as `trace-data`.
//!
//! Order matters: settings are resolved and an existing `trace-data` is refused (without
//! `--force`) before anything is downloaded; the zip streams into a temporary file next
//! to the target, the spans into another, and only a rename makes `trace-data` appear,
//! so an interrupted run leaves the old file or the new one, never half of one. The
//! rename itself refuses to replace a file that appeared meanwhile unless `--force`.

use std::path::Path;

use serde_json::json;

use crate::archive::extract::{Extracted, extract_spans, has_zip_signature, raw_spans};
use crate::atomic;
use crate::config::{FetchPlan, Repo};
use crate::github::Error;
use crate::github::client::Client;
use crate::github::models::short_sha;
use crate::github::select::{Listed, Selection, list, select};
use crate::log;
use crate::path_error::shown_path as display_path;
use crate::report::job_summary::human_size;

/// The file the spans end up in, whatever the archive called them.
pub(crate) const TRACE_FILE: &str = "trace-data";

/// Runs `fetch-traces`.
pub(crate) async fn run(plan: &FetchPlan) -> crate::Result<()> {
    let client = Client::new(&plan.github)?;
    if plan.list {
        let listed = list(&client, &plan.repo, plan.pr, &plan.name, plan.run_id).await?;
        print_list(plan, &listed);
        return Ok(());
    }
    let (repo, dir) = (&plan.repo, &plan.dir);
    let target = dir.join(TRACE_FILE);
    refuse_existing(&target, plan.force)?;
    let selection = select(&client, repo, plan.pr, &plan.name, plan.run_id).await?;
    log::info(&format!(
        "downloading artifact {} ({} bytes) of workflow run {}",
        selection.artifact.id, selection.artifact.size_in_bytes, selection.run_id
    ));
    let extracted = download_and_extract(&client, plan, &selection).await?;
    let (lines, bytes) = (extracted.lines, extracted.bytes);
    install(extracted, &target, plan.force)?;
    let message = if plan.json {
        json!({
            "path": display_path(&target),
            "lines": lines,
            "bytes": bytes,
            "repository": repo.to_string(),
            "pull_request": plan.pr,
            "run_id": selection.run_id,
            "commit": selection.sha,
            "artifact": {
                "id": selection.artifact.id,
                "name": selection.artifact.name,
                "size_in_bytes": selection.artifact.size_in_bytes,
            },
        })
        .to_string()
    } else {
        success_message(&target, plan, lines, bytes, &selection)
    };
    println!("{message}");
    Ok(())
}

/// The artifacts `--list` found: a table, or one JSON object with `--json`.
fn print_list(plan: &FetchPlan, listed: &[Listed]) {
    if plan.json {
        let artifacts: Vec<_> = listed
            .iter()
            .map(|l| {
                json!({
                    "run_id": l.run_id,
                    "run_attempt": l.attempt,
                    "commit": l.sha,
                    "artifact_id": l.artifact.id,
                    "name": l.artifact.name,
                    "size_in_bytes": l.artifact.size_in_bytes,
                    "expires_at": l.artifact.expires_at,
                    "expired": l.artifact.expired,
                })
            })
            .collect();
        let object = json!({
            "repository": plan.repo.to_string(),
            "pull_request": plan.pr,
            "name": plan.name,
            "artifacts": artifacts,
        });
        println!("{object}");
        return;
    }
    if listed.is_empty() {
        log::warn(&format!("no `{}` artifact found", plan.name));
        return;
    }
    println!("RUN          ATTEMPT  COMMIT   ARTIFACT     SIZE        EXPIRES");
    for l in listed {
        let attempt = l.attempt.map_or_else(|| "-".to_owned(), |a| a.to_string());
        let expires = l.artifact.expires_at.as_deref().unwrap_or("-");
        let gone = if l.artifact.expired { " (expired)" } else { "" };
        println!(
            "{:<12} {attempt:<8} {:<8} {:<12} {:<11} {expires}{gone}",
            l.run_id,
            short_sha(&l.sha),
            l.artifact.id,
            human_size(l.artifact.size_in_bytes),
        );
    }
}

/// Streams the artifact into a temporary file in `dir`. A zip's spans are extracted
/// into another temporary file there (the zip is deleted on return, whatever happens);
/// a file uploaded as is (upload-artifact's `archive: false`) is the spans itself.
/// Which it is, the download's headers say as `@actions/artifact` reads them; when
/// the bytes disagree (a zip starts with `PK\x03\x04`), the bytes win.
async fn download_and_extract(
    client: &Client,
    plan: &FetchPlan,
    selection: &Selection,
) -> crate::Result<Extracted> {
    let (repo, dir): (&Repo, &Path) = (&plan.repo, &plan.dir);
    std::fs::create_dir_all(dir).map_err(|err| Error::io(dir, &err))?;
    let mut blob =
        atomic::temp_in(dir, ".trace-data.", ".zip.part").map_err(|err| Error::io(dir, &err))?;
    let artifact = &selection.artifact;
    let downloaded =
        crate::github::download::download(client, repo, artifact, blob.as_file_mut()).await?;
    let mut reopened = blob.reopen().map_err(|err| Error::io(blob.path(), &err))?;
    let zipped = has_zip_signature(&mut reopened).map_err(|err| Error::io(blob.path(), &err))?;
    if zipped != downloaded.says_zip {
        let (said, is) = if zipped {
            ("a file uploaded as is", "a zip")
        } else {
            ("a zip", "a file uploaded as is")
        };
        log::info(&format!(
            "the download of artifact {} was announced as {said}, but its bytes are {is}: reading it as {is}",
            artifact.id
        ));
    }
    let extracted = if zipped {
        extract_spans(reopened, dir, plan.max_unzipped)?
    } else {
        log::info(&format!(
            "artifact \"{}\" was uploaded as is (not zipped)",
            artifact.name
        ));
        raw_spans(blob, &artifact.name)?
    };
    log::debug(&format!("took {}", extracted.entries.join(", ")));
    Ok(extracted)
}

/// Where the spans are, how many, where from, and the command to run next.
fn success_message(
    target: &Path,
    plan: &FetchPlan,
    lines: u64,
    bytes: u64,
    selection: &Selection,
) -> String {
    let shown = display_path(target);
    let replay = if plan.dir_given {
        format!("ci-tracing replay {}", shown.display())
    } else {
        "ci-tracing replay".to_owned()
    };
    let commit = if selection.sha.is_empty() {
        "an unknown commit".to_owned()
    } else {
        format!("commit {}", short_sha(&selection.sha))
    };
    let source = plan
        .pr
        .map(|pr| format!("pull request #{pr}, "))
        .unwrap_or_default();
    format!(
        "wrote {} ({lines} lines, {bytes} bytes) from {source}{commit}, workflow run {}\nnext: {replay}",
        shown.display(),
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
