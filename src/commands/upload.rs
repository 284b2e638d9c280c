//! `ci-tracing upload`: validate trace files and upload them as a workflow artifact.
//!
//! The order is the one `actions/upload-artifact` follows, with the gate in front: gate
//! (off → do nothing, exit 0), refuse GitHub Enterprise Server, check the name and the
//! files, read the runtime token, `CreateArtifact` (after deleting a namesake with
//! `--overwrite`), stream the zip (or, with `--no-archive`, the one file as is) to blob
//! storage while hashing and validating, `FinalizeArtifact` with size and digest; then,
//! unless `--no-report`, the HTML report (written from the pass's statistics and the
//! spool of the blob, never from the inputs again) uploaded as is, whose failure is a
//! warning; then outputs and the job summary, whose first line links the report. Every
//! failure is one line; none shows a secret.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::mpsc;

use crate::actions::outputs;
use crate::artifact::blob::BlobUpload;
use crate::artifact::pipeline::{self, Archived, Form, Pass, Source};
use crate::artifact::spool::Spool;
use crate::artifact::twirp::Twirp;
use crate::artifact::{Error, files, mask_signature, mime, names, token};
use crate::commands::{baseline, gate};
use crate::config::{ReportUpload, UploadPlan, WhenNoFiles};
use crate::log;
use crate::report::html;
use crate::report::job_summary::{self as summary, ReportArtifact, Uploaded};
use crate::trace::budget;
use crate::trace::stats::{Collector, Summary};

/// Runs `upload`.
pub(crate) async fn run(args: &UploadPlan) -> crate::Result<()> {
    let decision = gate::decide(&args.gate).await?;
    if !decision.enabled {
        println!("{}; nothing uploaded", decision.reason);
        return Ok(());
    }
    log::info(&decision.reason);
    if let Some(server) = &args.enterprise_server {
        return Err(Error::EnterpriseServer(server.clone()).into());
    }
    if args.archive {
        names::validate_name(&args.name)?;
    }
    let found = files::find(&args.paths, args.include_hidden)?;
    if found.files.is_empty() {
        return nothing_found(args, &found.unmatched);
    }
    if args.if_no_files_found != WhenNoFiles::Ignore {
        for pattern in &found.unmatched {
            log::warn(&format!("no files found at `{pattern}`"));
        }
    }
    let names = crate::archive::write::entry_names(&found.roots, &found.files);
    let artifact = if args.archive {
        for name in &names {
            names::validate_entry_name(name)?;
        }
        Blob {
            name: args.name.clone(),
            form: Form::Zip(args.compression_level),
            content_type: mime::ZIP,
        }
    } else {
        as_is(&args.name, &names)?
    };
    let sources: Vec<Source> = found
        .files
        .into_iter()
        .zip(names)
        .map(|(path, name)| Source { path, name })
        .collect();
    let twirp = connect(args)?;
    let files = sources.iter().map(|source| source.path.clone()).collect();
    let pass = Pass {
        validate: true,
        spool: outputs::has_summary() || args.report.is_some(),
    };
    let (id, archived, spool) = send(&twirp, args, &artifact, sources, pass).await?;
    for warning in &archived.warnings {
        log::warn(warning);
    }
    let mut uploaded = Uploaded {
        url: artifact_page(args, id),
        name: artifact.name,
        id,
        pull_request: decision.pull_request,
        files,
        archived,
        report: None,
    };
    // After the traces, so that a report that fails never costs the trace artifact.
    if let (Some(plan), Some(spool)) = (&args.report, &spool) {
        match report_artifact(&twirp, args, plan, &uploaded, spool).await {
            Ok(report) => uploaded.report = Some(report),
            Err(err) => log::warn(&format!(
                "the HTML report was not uploaded (the traces were): {err}"
            )),
        }
    }
    if args.compare.is_some() && !outputs::has_summary() {
        log::info("no comparison: there is no job summary to write it to (GITHUB_STEP_SUMMARY)");
    }
    report(&mut uploaded, spool.as_ref(), args).await
}

/// The statistics of every uploaded file together (borrowed when there is one file).
fn merged(collected: &[Collector]) -> Cow<'_, Collector> {
    match collected {
        [one] => Cow::Borrowed(one),
        several => {
            let mut all = Collector::default();
            for collector in several {
                all.merge(collector.clone());
            }
            Cow::Owned(all)
        }
    }
}

/// Writes the HTML report of the uploaded files from the spool (within the span budget
/// and the page size limit) and uploads it as is, so that GitHub opens it in the browser.
async fn report_artifact(
    twirp: &Twirp,
    args: &UploadPlan,
    plan: &ReportUpload,
    uploaded: &Uploaded,
    spool: &Spool,
) -> crate::Result<ReportArtifact> {
    names::validate_name(&plan.name)?;
    let collected = &uploaded.archived.collected;
    let keep = budget::choose(&merged(collected), plan.max_spans, html::MAX_DATA_BYTES);
    let input: Vec<String> = uploaded
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    let unwritable = |err: std::io::Error| Error::Blob(format!("cannot write the report: {err}"));
    // In a registered directory (mode 0700), so that an interrupted run leaves no page
    // behind in the temp directory.
    let dir = crate::atomic::temp_dir("ci-tracing-report.").map_err(unwritable)?;
    let mut page = tempfile::NamedTempFile::new_in(dir.path()).map_err(unwritable)?;
    let written = tokio::task::block_in_place(|| {
        let mut out = std::io::BufWriter::with_capacity(1 << 20, page.as_file_mut());
        let written = html::write_page_with(
            &mut out,
            &input.join(", "),
            keep.as_ref(),
            html::MAX_PAGE_BYTES,
            |data, out| {
                for index in 0..collected.len() {
                    spool.read(index, |reader| data.add(reader, out))??;
                }
                Ok(())
            },
        )?;
        std::io::Write::flush(&mut out)?;
        Ok(written)
    })
    .map_err(unwritable)?;
    let blob = Blob {
        name: plan.name.clone(),
        form: Form::Raw,
        content_type: mime::of(&plan.name),
    };
    let source = Source {
        path: page.path().to_owned(),
        name: plan.name.clone(),
    };
    let pass = Pass {
        validate: false,
        spool: false,
    };
    let (id, _, _) = send(twirp, args, &blob, vec![source], pass).await?;
    Ok(ReportArtifact {
        name: plan.name.clone(),
        id,
        url: artifact_page(args, id),
        spans: written.spans,
        left_out: written.left_out + written.cut_for_size,
    })
}

/// An artifact to make: its name, and how its files become its blob.
struct Blob {
    name: String,
    form: Form,
    content_type: &'static str,
}

/// The artifact `--no-archive` makes of the one file found, named after it, as
/// `@actions/artifact` makes it with `skipArchive`.
fn as_is(name: &str, found: &[String]) -> Result<Blob, Error> {
    let [file] = found else {
        let shown: Vec<&str> = found.iter().take(3).map(String::as_str).collect();
        return Err(Error::Input(format!(
            "--no-archive uploads exactly one file, but {} matched ({}{}): name one file, or upload them zipped (without --no-archive, action input `archive: true`)",
            found.len(),
            shown.join(", "),
            if found.len() > 3 { ", …" } else { "" }
        )));
    };
    names::validate_name(file)?;
    if name != file {
        log::info(&format!(
            "the artifact is named after its file: \"{file}\" (--no-archive)"
        ));
    }
    Ok(Blob {
        name: file.clone(),
        form: Form::Raw,
        content_type: mime::of(file),
    })
}

/// `$GITHUB_SERVER_URL/OWNER/REPO/actions/runs/RUN/artifacts/ID`, when the run is known.
fn artifact_page(args: &UploadPlan, id: u64) -> Option<String> {
    args.run_page
        .as_ref()
        .map(|page| format!("{page}/artifacts/{id}"))
}

/// Creates, fills and finalizes one artifact; gives its id, what went in and, when
/// asked for, the spool of its blob.
async fn send(
    twirp: &Twirp,
    args: &UploadPlan,
    artifact: &Blob,
    sources: Vec<Source>,
    pass: Pass,
) -> crate::Result<(u64, Archived, Option<Spool>)> {
    let name = &artifact.name;
    if args.overwrite {
        delete_namesakes(twirp, name).await?;
    }
    let expires_at = expires_at(args.retention_days, args.retention_limit);
    let mime_type = (artifact.form == Form::Raw).then_some(artifact.content_type);
    let signed_url = twirp
        .create_artifact(name, expires_at.as_deref(), mime_type)
        .await?;
    mask_signature(&signed_url);
    log::info(&format!(
        "uploading {} file{} as artifact \"{name}\"{}",
        sources.len(),
        if sources.len() == 1 { "" } else { "s" },
        if artifact.form == Form::Raw {
            " (not zipped)"
        } else {
            ""
        }
    ));
    let blob = BlobUpload::new(signed_url)?;
    let (tx, rx) = mpsc::channel(1);
    let progress = progress_bar(&sources);
    let bar = progress.clone();
    let form = artifact.form;
    let producer =
        tokio::task::spawn_blocking(move || pipeline::archive(&sources, form, tx, &bar, pass));
    let staged = blob.stage(rx).await;
    let sent = producer.await;
    progress.finish_and_clear();
    let sent = sent.map_err(|err| Error::Blob(format!("writing the blob stopped: {err}")))?;
    // A failed read explains a stopped upload better than the upload's own error.
    let ((archived, spool), block_ids) = match (sent, staged) {
        (Err(err @ (Error::Input(_) | Error::Unreadable(_))), _)
        | (_, Err(err))
        | (Err(err), Ok(_)) => {
            return Err(err.into());
        }
        (Ok(sent), Ok(ids)) => (sent, ids),
    };
    blob.commit(&block_ids, artifact.content_type).await?;
    let id = twirp
        .finalize_artifact(name, archived.size, &archived.sha256)
        .await?;
    Ok((id, archived, spool))
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

/// Prints the result and writes outputs and the job summary (ending with the
/// comparison section of `--compare-with`).
async fn report(
    uploaded: &mut Uploaded,
    spool: Option<&Spool>,
    args: &UploadPlan,
) -> crate::Result<()> {
    println!(
        "uploaded artifact \"{}\" (id {}, {}, sha256:{}): {} spans in {} traces",
        uploaded.name,
        uploaded.id,
        summary::human_size(uploaded.archived.size),
        uploaded.archived.sha256,
        uploaded.archived.spans,
        uploaded.archived.traces
    );
    if let Some(report) = &uploaded.report {
        println!(
            "uploaded the HTML report \"{}\" (id {}): {} spans{}",
            report.name,
            report.id,
            report.spans,
            report
                .url
                .as_ref()
                .map(|url| format!(", open {url}"))
                .unwrap_or_default()
        );
    }
    outputs::set_outputs(&summary::outputs(uploaded))?;
    if outputs::has_summary() {
        let (traces, head) = trace_summaries(uploaded, spool, args.compare.is_some());
        let mut markdown = summary::job_summary(uploaded, &traces);
        if let (Some(plan), Some(head)) = (&args.compare, head) {
            let pr = uploaded.pull_request;
            markdown.push_str(&baseline::section(plan, &args.name, pr, &head).await);
        }
        outputs::append_summary(&markdown)?;
    }
    Ok(())
}

/// The markdown trace summary (slowest traces, a gantt of the slowest) of each uploaded
/// file, from what the upload's pass collected and, for the gantt, the spool. The
/// artifact is already uploaded, so a chart that cannot be drawn costs a warning. With
/// `with_head`, also the summary of all files together, to compare with a baseline.
fn trace_summaries(
    uploaded: &mut Uploaded,
    spool: Option<&Spool>,
    with_head: bool,
) -> (String, Option<Summary>) {
    // Taken, not copied: the statistics of a big file are tens of MiB.
    let collected = std::mem::take(&mut uploaded.archived.collected);
    let mut head = (with_head && collected.len() > 1).then(|| {
        merged(&collected)
            .into_owned()
            .finish("this run".to_owned())
    });
    let files = &uploaded.files;
    let mut markdown = String::new();
    for (index, (file, collected)) in files.iter().zip(collected).enumerate() {
        let mut summary = collected.finish(file.display().to_string());
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
        if with_head && head.is_none() {
            head = Some(summary);
        }
    }
    (markdown, head)
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

/// `expires_at` for `--retention-days`, capped by `GITHUB_RETENTION_DAYS`; none (the
/// repository's default) for 0, as in `actions/upload-artifact`.
fn expires_at(retention_days: Option<u16>, limit: Option<u16>) -> Option<String> {
    let mut days = retention_days.filter(|&days| days > 0)?;
    if let Some(limit) = limit.filter(|&limit| days > limit) {
        log::warn(&format!(
            "--retention-days {days} is more than the repository allows; keeping the artifact {limit} days"
        ));
        days = limit;
    }
    let when = SystemTime::now() + Duration::from_secs(u64::from(days) * 86_400);
    Some(crate::time::rfc3339(when))
}
