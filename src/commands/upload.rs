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
use crate::artifact::pipeline::{self, Archived, Source};
use crate::artifact::twirp::Twirp;
use crate::artifact::{Error, files, mask_signature, token};
use crate::cli::{IfNoFilesFound, UploadArgs};
use crate::commands::gate;
use crate::config::{Settings, env_var};
use crate::log;
use crate::report::job_summary::{self as summary, Uploaded};
use crate::secret::Secret;

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
pub async fn run(settings: &Settings, args: &UploadArgs) -> crate::Result<()> {
    let decision = gate::decide(settings, &args.gate).await?;
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
    if args.if_no_files_found != IfNoFilesFound::Ignore {
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
    let twirp = connect()?;
    let uploaded = upload(&twirp, args, sources, decision.pull_request).await?;
    report(&uploaded)
}

/// Creates, fills and finalizes the artifact.
async fn upload(
    twirp: &Twirp,
    args: &UploadArgs,
    sources: Vec<Source>,
    pull_request: Option<u64>,
) -> crate::Result<Uploaded> {
    if args.overwrite {
        delete_namesakes(twirp, &args.name).await?;
    }
    let expires_at = expires_at(args.retention_days);
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
    let archived = transfer(&blob, sources, args.compression_level).await?;
    for warning in &archived.warnings {
        log::warn(warning);
    }
    let id = twirp
        .finalize_artifact(&args.name, archived.size, &archived.sha256)
        .await?;
    Ok(Uploaded {
        name: args.name.clone(),
        id,
        url: artifact_url(id),
        pull_request,
        files,
        archived,
    })
}

/// Streams the zip to blob storage and commits it once complete.
async fn transfer(blob: &BlobUpload, sources: Vec<Source>, level: u8) -> crate::Result<Archived> {
    let (tx, rx) = mpsc::channel(1);
    let progress = progress_bar(&sources);
    let bar = progress.clone();
    let producer =
        tokio::task::spawn_blocking(move || pipeline::archive(&sources, level, tx, &bar));
    let staged = blob.stage(rx).await;
    let zipped = producer.await;
    progress.finish_and_clear();
    let zipped =
        zipped.map_err(|err| Error::Blob(format!("writing the archive stopped: {err}")))?;
    // A failed read explains a stopped upload better than the upload's own error.
    let (archived, block_ids) = match (zipped, staged) {
        (Err(err @ Error::Input(_)), _) | (_, Err(err)) | (Err(err), Ok(_)) => {
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
fn report(uploaded: &Uploaded) -> crate::Result<()> {
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
        let traces = trace_summaries(&uploaded.files);
        outputs::append_summary(&summary::job_summary(uploaded, &traces))?;
    }
    Ok(())
}

/// The markdown trace summary (slowest traces, a gantt of the slowest) of each uploaded
/// file. The artifact is already uploaded, so a file that cannot be summarised costs a
/// warning, not the step.
fn trace_summaries(files: &[std::path::PathBuf]) -> String {
    let mut markdown = String::new();
    for file in files {
        match crate::trace::summarize_file(file) {
            Ok(summary) => {
                if files.len() > 1 {
                    let _ = write!(markdown, "#### `{}`\n\n", file.display());
                }
                markdown.push_str(&crate::report::job_summary_markdown(&summary));
                markdown.push('\n');
            }
            Err(err) => log::warn(&format!("no trace summary of {}: {err}", file.display())),
        }
    }
    markdown
}

fn nothing_found(args: &UploadArgs, unmatched: &[String]) -> crate::Result<()> {
    let message = format!(
        "no files found at {}: nothing uploaded (did the collector write its file there?)",
        unmatched
            .iter()
            .map(|p| format!("`{p}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    match args.if_no_files_found {
        IfNoFilesFound::Error => Err(Error::NoFiles(message).into()),
        IfNoFilesFound::Warn => {
            log::warn(&message);
            Ok(())
        }
        IfNoFilesFound::Ignore => {
            log::info(&message);
            Ok(())
        }
    }
}

/// The results service client, from `ACTIONS_RUNTIME_TOKEN` and `ACTIONS_RESULTS_URL`.
fn connect() -> Result<Twirp, Error> {
    let token = env_var("ACTIONS_RUNTIME_TOKEN")
        .map(Secret::new)
        .ok_or(Error::MissingRuntime("ACTIONS_RUNTIME_TOKEN"))?;
    let results_url =
        env_var("ACTIONS_RESULTS_URL").ok_or(Error::MissingRuntime("ACTIONS_RESULTS_URL"))?;
    let ids = token::backend_ids(&token)?;
    Twirp::new(&results_url, token, ids)
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
fn expires_at(retention_days: Option<u16>) -> Option<String> {
    let mut days = retention_days?;
    let limit = env_var("GITHUB_RETENTION_DAYS").and_then(|v| v.trim().parse::<u16>().ok());
    if let Some(limit) = limit.filter(|&limit| days > limit) {
        log::warn(&format!(
            "--retention-days {days} is more than the repository allows; keeping the artifact {limit} days"
        ));
        days = limit;
    }
    let when = SystemTime::now() + Duration::from_secs(u64::from(days) * 86_400);
    Some(crate::time::rfc3339(when))
}

/// The artifact's page, from `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, `GITHUB_RUN_ID`.
fn artifact_url(id: u64) -> Option<String> {
    let server = env_var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".to_owned());
    let repository = env_var("GITHUB_REPOSITORY")?;
    let run = env_var("GITHUB_RUN_ID")?;
    Some(format!(
        "{}/{repository}/actions/runs/{run}/artifacts/{id}",
        server.trim_end_matches('/')
    ))
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
