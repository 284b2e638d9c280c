//! `ci-tracing upload`: validate trace files and upload them as a workflow artifact.
//!
//! The order is the one `actions/upload-artifact` follows, with the gate in front: gate
//! (off → do nothing, exit 0), check the name and the files, read the runtime token,
//! `CreateArtifact` (after deleting a namesake with `--overwrite`), stream the zip to
//! blob storage while hashing and validating, `FinalizeArtifact` with size and digest,
//! then outputs and the job summary. Every failure is one line; none shows a secret.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

use crate::actions::outputs;
use crate::artifact::blob::BlobUpload;
use crate::artifact::pipeline::{self, Archived, Form, Source};
use crate::artifact::spool::Spool;
use crate::artifact::twirp::Twirp;
use crate::artifact::{Error, files, mask_signature, token};
use crate::commands::gate;
use crate::config::{UploadPlan, WhenNoFiles};
use crate::log;
use crate::report::job_summary::{self as summary, Uploaded};

/// Characters an artifact name cannot hold (toolkit's list).
const INVALID_NAME_CHARACTERS: &[(char, &str)] = &[
    ('"', "\""),
    (':', ":"),
    ('<', "<"),
    ('>', ">"),
    ('|', "|"),
    ('*', "*"),
    ('?', "?"),
    ('\r', "a carriage return"),
    ('\n', "a line feed"),
    ('\\', "\\"),
    ('/', "/"),
];

/// Runs `upload`.
pub async fn run(args: &UploadPlan) -> crate::Result<()> {
    let decision = gate::decide(&args.gate).await?;
    if !decision.enabled {
        println!("{}; nothing uploaded", decision.reason);
        return Ok(());
    }
    log::info(&decision.reason);
    validate_name(&args.name)?;
    let found = files::find(&args.paths)?;
    if found.files.is_empty() {
        return nothing_found(args, &found.unmatched);
    }
    if args.if_no_files_found != WhenNoFiles::Ignore {
        for pattern in &found.unmatched {
            log::warn(&format!("no files found at `{pattern}`"));
        }
    }
    let names = crate::archive::write::entry_names(&found.roots, &found.files);
    for name in &names {
        validate_entry_name(name)?;
    }
    let sources: Vec<Source> = found
        .files
        .into_iter()
        .zip(names)
        .map(|(path, name)| Source { path, name })
        .collect();
    let twirp = connect(args)?;
    let (uploaded, spool) = upload(&twirp, args, sources, decision.pull_request).await?;
    report(&uploaded, spool.as_ref())
}

/// Creates, fills and finalizes the artifact.
async fn upload(
    twirp: &Twirp,
    args: &UploadPlan,
    sources: Vec<Source>,
    pull_request: Option<u64>,
) -> crate::Result<(Uploaded, Option<Spool>)> {
    if args.overwrite {
        delete_namesakes(twirp, &args.name).await?;
    }
    let expires_at = expires_at(args.retention_days, args.retention_limit);
    let signed_url = twirp
        .create_artifact(&args.name, expires_at.as_deref())
        .await?;
    mask_signature(&signed_url);
    log::info(&format!(
        "uploading {} file{} as artifact \"{}\"",
        sources.len(),
        if sources.len() == 1 { "" } else { "s" },
        args.name
    ));
    let blob = BlobUpload::new(signed_url)?;
    let files = sources.iter().map(|source| source.path.clone()).collect();
    let form = Form::Zip(args.compression_level);
    let spool = outputs::has_summary();
    let (archived, spool) = transfer(&blob, sources, form, spool).await?;
    for warning in &archived.warnings {
        log::warn(warning);
    }
    let id = twirp
        .finalize_artifact(&args.name, archived.size, &archived.sha256)
        .await?;
    let uploaded = Uploaded {
        name: args.name.clone(),
        id,
        url: args
            .run_page
            .as_ref()
            .map(|page| format!("{page}/artifacts/{id}")),
        pull_request,
        files,
        archived,
    };
    Ok((uploaded, spool))
}

/// Streams the blob to blob storage and commits it once complete; with `spool`, keeps
/// a copy to build the job summary from.
async fn transfer(
    blob: &BlobUpload,
    sources: Vec<Source>,
    form: Form,
    spool: bool,
) -> crate::Result<(Archived, Option<Spool>)> {
    let (tx, rx) = mpsc::channel(1);
    let progress = progress_bar(&sources);
    let bar = progress.clone();
    let producer =
        tokio::task::spawn_blocking(move || pipeline::archive(&sources, form, tx, &bar, spool));
    let staged = blob.stage(rx).await;
    let zipped = producer.await;
    progress.finish_and_clear();
    let zipped =
        zipped.map_err(|err| Error::Blob(format!("writing the archive stopped: {err}")))?;
    // A failed read explains a stopped upload better than the upload's own error.
    let (archived, block_ids) = match (zipped, staged) {
        (Err(err @ (Error::Input(_) | Error::Unreadable(_))), _)
        | (_, Err(err))
        | (Err(err), Ok(_)) => {
            return Err(err.into());
        }
        (Ok(archived), Ok(ids)) => (archived, ids),
    };
    blob.commit(&block_ids).await?;
    Ok(archived)
}

/// A bar over the input bytes (drawn only on a terminal, see `log::init`).
fn progress_bar(sources: &[Source]) -> ProgressBar {
    let total = sources
        .iter()
        .filter_map(|source| std::fs::metadata(&source.path).ok())
        .map(|meta| meta.len())
        .sum();
    let bar = log::bars().add(ProgressBar::new(total));
    if let Ok(style) =
        ProgressStyle::with_template("{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
    {
        bar.set_style(style);
    }
    bar.set_message("zipping and uploading");
    bar
}

/// Prints the result and writes outputs and the job summary.
fn report(uploaded: &Uploaded, spool: Option<&Spool>) -> crate::Result<()> {
    println!(
        "uploaded artifact \"{}\" (id {}, {}, sha256:{}): {} spans in {} traces",
        uploaded.name,
        uploaded.id,
        summary::human_size(uploaded.archived.size),
        uploaded.archived.sha256,
        uploaded.archived.spans,
        uploaded.archived.traces
    );
    outputs::set_outputs(&summary::outputs(uploaded))?;
    if outputs::has_summary() {
        let traces = trace_summaries(uploaded, spool);
        outputs::append_summary(&summary::job_summary(uploaded, &traces))?;
    }
    Ok(())
}

/// The markdown trace summary (slowest traces, a gantt of the slowest) of each uploaded
/// file, from what the upload's pass collected and, for the gantt, the spool. The
/// artifact is already uploaded, so a chart that cannot be drawn costs a warning.
fn trace_summaries(uploaded: &Uploaded, spool: Option<&Spool>) -> String {
    let files = &uploaded.files;
    let mut markdown = String::new();
    for (index, (file, collected)) in files.iter().zip(&uploaded.archived.collected).enumerate() {
        let mut summary = collected.clone().finish(file.display().to_string());
        if let (Some(spool), Some(slowest)) = (spool, summary.slowest.first()) {
            let id = slowest.trace_id.clone();
            match spool.read(index, |reader| crate::trace::scan::trace_spans(reader, &id)) {
                Ok(Ok(spans)) => summary.slowest_trace_spans = Some(spans),
                Ok(Err((_, err))) | Err(err) => {
                    log::warn(&format!(
                        "no chart of the slowest trace of {}: {err}",
                        file.display()
                    ));
                }
            }
        }
        if files.len() > 1 {
            let _ = write!(markdown, "#### `{}`\n\n", file.display());
        }
        markdown.push_str(&crate::report::job_summary_markdown(&summary));
        markdown.push('\n');
    }
    markdown
}

fn nothing_found(args: &UploadPlan, unmatched: &[String]) -> crate::Result<()> {
    let message = format!(
        "no files found at {}: nothing uploaded (did the collector write its file there?)",
        unmatched
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    match args.if_no_files_found {
        WhenNoFiles::Error => Err(Error::NoFiles(message).into()),
        WhenNoFiles::Warn => {
            log::warn(&message);
            Ok(())
        }
        WhenNoFiles::Ignore => {
            log::info(&message);
            Ok(())
        }
    }
}

/// The results service client, from `ACTIONS_RUNTIME_TOKEN` and `ACTIONS_RESULTS_URL`.
fn connect(plan: &UploadPlan) -> Result<Twirp, Error> {
    let token = plan
        .runtime_token
        .clone()
        .ok_or(Error::MissingRuntime("ACTIONS_RUNTIME_TOKEN"))?;
    let results_url = plan
        .results_url
        .as_deref()
        .ok_or(Error::MissingRuntime("ACTIONS_RESULTS_URL"))?;
    let ids = token::backend_ids(&token)?;
    Twirp::new(results_url, token, ids)
}

async fn delete_namesakes(twirp: &Twirp, name: &str) -> Result<(), Error> {
    let existing = twirp.list_artifacts(name).await?;
    if existing.iter().any(|artifact| artifact.name == name) {
        twirp.delete_artifact(name).await?;
        log::info(&format!(
            "deleted the existing artifact \"{name}\" (--overwrite)"
        ));
    }
    Ok(())
}

/// Refuses names the service refuses, before anything is created.
pub fn validate_name(name: &str) -> Result<(), Error> {
    let invalid = |why: String| {
        Error::InvalidName(format!(
            "invalid artifact name \"{}\": {why}; names cannot contain \" : < > | * ? \\ / or line breaks",
            name.escape_debug()
        ))
    };
    if name.trim().is_empty() {
        return Err(invalid("it is empty".to_owned()));
    }
    for (character, shown) in INVALID_NAME_CHARACTERS {
        if name.contains(*character) {
            return Err(invalid(format!("it contains {shown}")));
        }
    }
    Ok(())
}

/// Refuses file names the service refuses (the name rules less `\` and `/`).
fn validate_entry_name(name: &str) -> Result<(), Error> {
    let found = INVALID_NAME_CHARACTERS
        .iter()
        .filter(|(character, _)| !matches!(character, '\\' | '/'))
        .find(|(character, _)| name.contains(*character));
    match found {
        Some((_, shown)) => Err(Error::Input(format!(
            "cannot upload \"{}\": file names in an artifact cannot contain {shown} (nor \" : < > | * ? or line breaks); rename the file",
            name.escape_debug()
        ))),
        None => Ok(()),
    }
}

/// `expires_at` for `--retention-days`, capped by `GITHUB_RETENTION_DAYS`.
fn expires_at(retention_days: Option<u16>, limit: Option<u16>) -> Option<String> {
    let mut days = retention_days?;
    if let Some(limit) = limit.filter(|&limit| days > limit) {
        log::warn(&format!(
            "--retention-days {days} is more than the repository allows; keeping the artifact {limit} days"
        ));
        days = limit;
    }
    let when = SystemTime::now() + Duration::from_secs(u64::from(days) * 86_400);
    Some(crate::time::rfc3339(when))
}

#[cfg(test)]
mod tests {
    use super::{validate_entry_name, validate_name};

    #[test]
    fn names_with_reserved_characters_are_refused() {
        assert!(validate_name("trace-data").is_ok());
        assert!(validate_name("traces 2024.06").is_ok());
        for bad in [
            "", " ", "a/b", "a\\b", "a:b", "a\nb", "a*", "a?", "\"a\"", "<a>", "a|b",
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn file_names_may_hold_slashes_but_not_reserved_characters() {
        assert!(validate_entry_name("dir/sub/trace-data.json").is_ok());
        for bad in ["a:b.json", "dir/what?.json", "x|y"] {
            assert!(validate_entry_name(bad).is_err(), "{bad:?}");
        }
    }
}
