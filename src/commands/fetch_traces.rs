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

use super::baseline::download_spans;
use crate::archive::extract::Extracted;
use crate::atomic;
use crate::config::FetchPlan;
use crate::github::Error;
use crate::github::client::Client;
use crate::github::models::short_sha;
use crate::github::select::{Listed, Selection, base_of_pull_request, list, select};
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
    let (base_branch, selection) = match (&plan.base, plan.pr) {
        (Some(_), Some(pr)) => {
            let (branch, selection) = base_of_pull_request(&client, repo, pr, &plan.name).await?;
            (Some(branch), selection)
        }
        _ => (
            None,
            select(&client, repo, plan.pr, &plan.name, plan.run_id, None).await?,
        ),
    };
    log::info(&format!(
        "downloading artifact {} ({} bytes) of workflow run {}",
        selection.artifact.id, selection.artifact.size_in_bytes, selection.run_id
    ));
    let extracted =
        download_spans(&client, repo, &selection.artifact, dir, plan.max_unzipped).await?;
    let (lines, bytes) = (extracted.lines, extracted.bytes);
    install(extracted, &target, plan.force)?;
    let message = if plan.json {
        let mut object = json!({
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
        });
        if let Some(branch) = &base_branch {
            object["base_branch"] = json!(branch);
        }
        object.to_string()
    } else {
        success_message(
            &target,
            plan,
            lines,
            bytes,
            &selection,
            base_branch.as_deref(),
        )
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

/// Where the spans are, how many, where from, and the command to run next.
fn success_message(
    target: &Path,
    plan: &FetchPlan,
    lines: u64,
    bytes: u64,
    selection: &Selection,
    base_branch: Option<&str>,
) -> String {
    let shown = display_path(target);
    let next = match (&plan.base, plan.pr) {
        (Some(head), Some(pr)) => {
            let fetch_head = if head.exists() {
                String::new()
            } else {
                format!("ci-tracing fetch-traces {pr} && ")
            };
            format!(
                "{fetch_head}ci-tracing compare {} {}",
                shown.display(),
                display_path(head).display()
            )
        }
        _ if plan.dir_given => format!("ci-tracing replay {}", shown.display()),
        _ => "ci-tracing replay".to_owned(),
    };
    let commit = if selection.sha.is_empty() {
        "an unknown commit".to_owned()
    } else {
        format!("commit {}", short_sha(&selection.sha))
    };
    let source = match (base_branch, plan.pr) {
        (Some(branch), Some(pr)) => format!(
            "branch {} (the base of pull request #{pr}), ",
            branch.escape_debug()
        ),
        (_, Some(pr)) => format!("pull request #{pr}, "),
        _ => String::new(),
    };
    format!(
        "wrote {} ({lines} lines, {bytes} bytes) from {source}{commit}, workflow run {}\nnext: {next}",
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
