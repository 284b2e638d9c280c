//! The baseline of a comparison: an artifact's spans fetched into a temporary file
//! (the download and extraction `fetch-traces` uses too), and the "Compared with run N"
//! section that `upload --compare-with` adds to the job summary.
//!
//! The comparison is an extra: a baseline that is missing, expired, unreadable or
//! forbidden (a token without `actions: read`) costs a `::notice::` and one line in the
//! job summary, never the upload; so does one that takes longer than the baseline
//! deadline (five minutes) to find, fetch and read. The baseline lives in a temporary directory that is
//! removed on return, whatever happens.

use std::fmt::Write as _;
use std::path::Path;

use crate::archive::extract::{Extracted, extract_spans, has_zip_signature, raw_spans};
use crate::atomic;
use crate::config::{BaselinePlan, CompareWith, Input, Repo};
use crate::github::Error;
use crate::github::client::Client;
use crate::github::models::{Artifact, short_sha};
use crate::github::select::{Selection, newest_on_branch, select};
use crate::log;
use crate::trace::compare::{Rules, compare};
use crate::trace::stats::Summary;

/// Rows of the comparison the job summary shows (flagged ones first).
const MAX_ROWS: usize = 10;

/// Streams `artifact` into a temporary file in `dir`. A zip's spans are extracted
/// into another temporary file there (the zip is deleted on return, whatever happens);
/// a file uploaded as is (upload-artifact's `archive: false`) is the spans itself.
/// Which it is, the download's headers say as `@actions/artifact` reads them; when
/// the bytes disagree (a zip starts with `PK\x03\x04`), the bytes win.
pub(crate) async fn download_spans(
    client: &Client,
    repo: &Repo,
    artifact: &Artifact,
    dir: &Path,
    max_unzipped: u64,
) -> crate::Result<Extracted> {
    std::fs::create_dir_all(dir).map_err(|err| Error::io(dir, &err))?;
    let mut blob =
        atomic::temp_in(dir, ".trace-data.", ".zip.part").map_err(|err| Error::io(dir, &err))?;
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
        extract_spans(reopened, dir, max_unzipped)?
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

/// The job summary's "Compared with run N" section for the uploaded traces `head`
/// (artifact `name`, of pull request `pr`), or the line saying why there is none.
pub(crate) async fn section(
    plan: &BaselinePlan,
    name: &str,
    pr: Option<u64>,
    head: &Summary,
) -> String {
    let deadline = crate::tuning::get().baseline_deadline;
    let fetched = tokio::time::timeout(deadline, fetch(plan, name, pr))
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "the baseline was not found, fetched and read within {} s; the comparison is left out",
                deadline.as_secs_f64()
            ))
        });
    match fetched {
        Ok((selection, base)) => compared(plan, &selection, &base, head),
        Err(reason) => {
            let reason = log::one_line(&reason);
            log::notice(&format!(
                "no comparison with a baseline (--compare-with {}): {reason}",
                plan.with
            ));
            format!(
                "> No comparison with a baseline (`--compare-with {}`): {}\n\n",
                plan.with,
                reason.replace('\n', " ")
            )
        }
    }
}

/// The baseline's selection and summary, or why there is none.
async fn fetch(
    plan: &BaselinePlan,
    name: &str,
    pr: Option<u64>,
) -> Result<(Selection, Summary), String> {
    let (access, repo) = plan.github.as_ref().map_err(Clone::clone)?;
    let client = Client::new(access).map_err(|err| err.to_string())?;
    let skip = plan.current_run;
    let found = match (&plan.with, pr) {
        (CompareWith::Previous, None) => {
            return Err("this run is not for a pull request, so it has no previous run: compare with branch:NAME or run:ID".to_owned());
        }
        (CompareWith::Previous, Some(pr)) => {
            select(&client, repo, Some(pr), name, None, skip).await
        }
        (CompareWith::Branch(branch), _) => {
            newest_on_branch(&client, repo, branch, name, skip).await
        }
        (CompareWith::Run(id), _) if Some(*id) == skip => {
            return Err(format!("run {id} is this run itself"));
        }
        (CompareWith::Run(id), _) => select(&client, repo, None, name, Some(*id), None).await,
    };
    let selection = found.map_err(|err| match err {
        Error::Forbidden { .. } => {
            format!("{err} (a workflow's GITHUB_TOKEN needs `permissions: actions: read`)")
        }
        _ => err.to_string(),
    })?;
    log::info(&format!(
        "comparing with artifact {} of workflow run {} (--compare-with {})",
        selection.artifact.id, selection.run_id, plan.with
    ));
    let dir = atomic::temp_dir("ci-tracing-baseline.")
        .map_err(|err| format!("cannot make a temporary directory: {err}"))?;
    let extracted = download_spans(
        &client,
        repo,
        &selection.artifact,
        dir.path(),
        plan.max_unzipped,
    )
    .await
    .map_err(|err| err.to_string())?;
    let input = Input::Path(extracted.file.path().to_owned());
    let mut summary = tokio::task::block_in_place(|| crate::trace::summarize(&input, false))
        .map_err(|err| err.to_string())?;
    summary.input = format!("run {}", selection.run_id);
    Ok((selection, summary))
}

/// The section of a baseline found and read.
fn compared(plan: &BaselinePlan, selection: &Selection, base: &Summary, head: &Summary) -> String {
    let run = selection.run_id;
    let mut markdown = String::new();
    let link = plan.github.as_ref().ok().map_or_else(
        || format!("run {run}"),
        |(_, repo)| format!("[run {run}]({}/{repo}/actions/runs/{run})", plan.server),
    );
    let commit = if selection.sha.is_empty() {
        String::new()
    } else {
        format!(", commit `{}`", short_sha(&selection.sha))
    };
    let _ = write!(
        markdown,
        "### Compared with run {run}\n\nBaseline: {link}{commit} (`--compare-with {}`).\n\n",
        plan.with
    );
    let comparison = compare(base, head, &Rules::default());
    let flagged = comparison
        .rows
        .iter()
        .filter(|row| row.is_flagged())
        .count();
    log::info(&format!(
        "compared with workflow run {run}: {flagged} span name(s) flagged{} (see the job summary)",
        if comparison.regressed() {
            ", regressed"
        } else {
            ""
        }
    ));
    markdown.push_str(&crate::report::compare::markdown(&comparison, MAX_ROWS));
    if let Some(command) = local_command(plan, run) {
        let _ = write!(markdown, "\nLocally: `{command}`\n\n");
    }
    markdown
}

/// The one line that fetches both runs' traces and compares them on a developer's machine.
fn local_command(plan: &BaselinePlan, base_run: u64) -> Option<String> {
    let (_, repo) = plan.github.as_ref().ok()?;
    let head_run = plan.current_run?;
    Some(format!(
        "ci-tracing fetch-traces -R {repo} --run-id {base_run} -D .github/tracing/base && ci-tracing fetch-traces -R {repo} --run-id {head_run} && ci-tracing compare .github/tracing/base/trace-data .github/tracing/trace-data"
    ))
}
