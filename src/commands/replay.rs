//! `ci-tracing replay`: send a trace file to an OTLP endpoint (HTTP with JSON or
//! protobuf, or gRPC), fast and without losing anything silently.
//!
//! One request per line, several in flight, with the file streamed through bounded
//! memory (see `pipeline.rs`). `--shift-to-now` needs the latest end time before the
//! first request, so it reads the input twice (an input that can be read only once, such
//! as standard input or a FIFO, is spooled first: see `trace::lines::Twice`). At the end it prints what happened to every line
//! and span and keeps every line that was not accepted in full in `<FILE>.failed`.
//! It never writes the input file, and never prints a header value or the endpoint's
//! credentials.
//!
//! Exit status: 0 when every span was accepted; 1 when any line failed, spans were
//! rejected, lines were invalid, or the receiver could not be reached; 2 for a wrong
//! invocation, and for `--strict` meeting an invalid line (the input is wrong); 130 or
//! 143 after SIGINT or SIGTERM, once the tally is printed and `.failed` saved.

use std::io::{self, BufRead, Write as _};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::otlp::Protocol;
use crate::config::{Input, ReplayPlan};
use crate::log;
use crate::otlp::Error;
use crate::otlp::failed::{self, FailedLines, Written};
use crate::otlp::pipeline::{self, Context, Stop};
use crate::otlp::rewrite;
use crate::otlp::send::{Encoding, Sender};
use crate::otlp::{grpc, http};
use crate::signal;
use crate::trace::lines;

/// Runs `replay`.
pub(crate) async fn run(plan: &ReplayPlan) -> crate::Result<()> {
    let (input, shown, concurrency) = (&plan.input, &plan.shown, plan.concurrency);
    let grpc = plan.protocol == Protocol::Grpc;
    let encoding = Encoding {
        protobuf: plan.protocol != Protocol::HttpJson,
        // gRPC compresses its messages itself.
        gzip: plan.gzip && !grpc,
    };
    let names: Vec<&str> = plan
        .headers
        .keys()
        .map(reqwest::header::HeaderName::as_str)
        .collect();
    log::debug(&format!(
        "replaying {} to {shown} ({}{}, {concurrency} in flight, extra headers: {})",
        input.display(),
        plan.protocol.name(),
        if plan.gzip { ", gzip" } else { "" },
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    ));
    let failed_path = failed::path_for(input);
    crate::atomic::check_target(&failed_path)
        .map_err(|err| Error::FailedTarget(err.to_string()))?;
    let (reader, shift, size) = open_input(input, plan.shift_to_now).await?;
    let sender = if grpc {
        grpc::Sender::new(
            &plan.endpoint,
            plan.headers.clone(),
            plan.gzip,
            plan.timeout,
        )
        .map(Sender::Grpc)
        .map_err(|err| Error::Client(err.to_string()))?
    } else {
        http::Sender::new(
            plan.endpoint.clone(),
            plan.headers.clone(),
            encoding,
            concurrency,
            plan.timeout,
        )
        .map(Sender::Http)
        .map_err(|err| Error::Client(err.to_string()))?
    };
    let failed = FailedLines::new(failed_path);
    let mut context = Context::new(sender, encoding, failed, concurrency);
    context.shift = shift;
    context.strict = plan.strict;
    context.max_failures = plan.max_consecutive_failures;
    context.progress = progress_bar(size);
    let context = Arc::new(context);
    signal::graceful();
    let watcher = {
        let context = context.clone();
        tokio::spawn(async move { context.stop_with(Stop::Interrupted(signal::received().await)) })
    };
    let started = Instant::now();
    let handle = tokio::runtime::Handle::current();
    let reading = {
        let context = context.clone();
        tokio::task::spawn_blocking(move || pipeline::dispatch(reader, &context, &handle))
    };
    let read = reading
        .await
        .map_err(|err| io::Error::other(err.to_string()));
    // Every request has finished once every slot is free again.
    let all = u32::try_from(concurrency).unwrap_or(u32::MAX);
    let _ = context.slots.acquire_many(all).await;
    context.progress.finish_and_clear();
    watcher.abort();
    if let Some(signal) = signal::arrived() {
        // Arrived after the last request: still said, and still 130 or 143.
        context.stop_with(Stop::Interrupted(signal));
    }
    let read_result = read.and_then(|r| r);
    finish(&context, plan, started, read_result)
}

/// Opens the input for sending and, for `--shift-to-now`, reads it once first to find
/// the offset. Returns the reader, the offset and the input's size (when known).
async fn open_input(
    input: &Input,
    shift_to_now: bool,
) -> crate::Result<(Box<dyn BufRead + Send>, Option<i128>, Option<u64>)> {
    let size = match input {
        Input::Path(path) => std::fs::metadata(path).ok().map(|m| m.len()),
        Input::Stdin => None,
    };
    if !shift_to_now {
        return Ok((lines::open(input)?, None, size));
    }
    let input = input.clone();
    let name = input.display();
    let first_pass = tokio::task::spawn_blocking(move || -> crate::Result<_> {
        let twice = lines::Twice::open(&input)?;
        let latest =
            rewrite::latest_end(twice.reader()?).map_err(|e| read_error(&input.display(), e))?;
        Ok((latest, twice.reader()?))
    });
    let (latest, reader) = first_pass
        .await
        .map_err(|err| read_error(&name, io::Error::other(err.to_string())))??;
    let offset = latest.map(rewrite::offset_to_now);
    match offset {
        Some(offset) => log::info(&format!(
            "shifting every timestamp by {:+.3} s so that the latest span ends now",
            seconds(offset)
        )),
        None => {
            log::warn("no span in the input has an end time; --shift-to-now has nothing to shift");
        }
    }
    Ok((reader, offset, size))
}

/// Nanoseconds as seconds, for a message.
#[allow(clippy::cast_precision_loss)] // shown with millisecond precision
fn seconds(nanos: i128) -> f64 {
    nanos as f64 / 1e9
}

fn read_error(input: &str, source: io::Error) -> crate::Error {
    crate::trace::Error::Read {
        input: input.to_owned(),
        line: 0,
        source,
    }
    .into()
}

fn progress_bar(size: Option<u64>) -> ProgressBar {
    let bar = match size {
        Some(size) => ProgressBar::new(size),
        None => ProgressBar::no_length(),
    };
    let style = ProgressStyle::with_template(
        "{spinner} {elapsed} {bytes}/{total_bytes} {binary_bytes_per_sec} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    let bar = log::bars().add(bar.with_style(style));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Prints what happened, saves `.failed`, and turns the counts into the exit status.
fn finish(
    context: &Context,
    plan: &ReplayPlan,
    started: Instant,
    read: io::Result<u64>,
) -> crate::Result<()> {
    let (input, shown) = (&plan.input, plan.shown.as_str());
    if let Some(Stop::NothingListens(reason)) = context.stop.get() {
        // Nothing was sent: the input is the file to replay, no `.failed` copy of it.
        return Err(Error::NothingListens {
            endpoint: shown.to_owned(),
            reason: reason.clone(),
            input: input.display(),
        }
        .into());
    }
    let seconds = started.elapsed().as_secs_f64();
    log::info(&format!(
        "replayed {} to {shown} in {seconds:.1} s",
        input.display()
    ));
    if plan.json {
        print_json(context, input, shown, seconds);
    } else {
        print_summary(context);
    }
    warn_about_content(context);
    let path = save_failed(context)?;
    let tally = &context.tally;
    let (lines, failed) = (tally.lines.load(Relaxed), tally.failed.load(Relaxed));
    if let Err(source) = read {
        let line = lines + 1;
        return Err(crate::trace::Error::Read {
            input: input.display(),
            line,
            source,
        }
        .into());
    }
    let error = match context.stop.get() {
        Some(Stop::Invalid { line, reason }) => Error::Strict {
            line: *line,
            reason: reason.clone(),
            path,
        },
        Some(Stop::Failing { lines, reason }) => Error::Failing {
            endpoint: shown.to_owned(),
            in_a_row: *lines,
            reason: reason.clone(),
            failed,
            path,
        },
        Some(Stop::Interrupted(signal)) => Error::Interrupted {
            signal: *signal,
            failed,
            path,
        },
        Some(Stop::NothingListens(_)) | None if failed > 0 => Error::NotAccepted {
            failed,
            lines,
            path,
        },
        Some(Stop::NothingListens(_)) | None => return Ok(()),
    };
    Err(error.into())
}

/// The tally as one JSON object on standard output, for scripts.
fn print_json(context: &Context, input: &Input, shown: &str, seconds: f64) {
    let tally = &context.tally;
    let kinds = context.kinds.lock().expect("not poisoned");
    let failures: serde_json::Map<String, serde_json::Value> = kinds
        .iter()
        .map(|(kind, n)| (kind.clone(), serde_json::json!(n)))
        .collect();
    let object = serde_json::json!({
        "input": input.display(),
        "endpoint": shown,
        "seconds": (seconds * 1000.0).round() / 1000.0,
        "lines_sent": tally.delivered.load(Relaxed),
        "spans_accepted": tally.spans_accepted.load(Relaxed),
        "spans_rejected": tally.spans_rejected.load(Relaxed),
        "lines_failed": tally.failed.load(Relaxed),
        "failures": failures,
    });
    let _ = writeln!(io::stdout().lock(), "{object}");
}

/// The four counts on standard output, with the kinds of failure.
fn print_summary(context: &Context) {
    let tally = &context.tally;
    let kinds = context.kinds.lock().expect("not poisoned");
    let why = if kinds.is_empty() {
        String::new()
    } else {
        let parts: Vec<String> = kinds
            .iter()
            .map(|(kind, n)| format!("{kind}: {n}"))
            .collect();
        format!(" ({})", parts.join(", "))
    };
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "lines sent:     {}", tally.delivered.load(Relaxed));
    let _ = writeln!(
        out,
        "spans accepted: {}",
        tally.spans_accepted.load(Relaxed)
    );
    let _ = writeln!(
        out,
        "spans rejected: {}",
        tally.spans_rejected.load(Relaxed)
    );
    let _ = writeln!(out, "lines failed:   {}{why}", tally.failed.load(Relaxed));
}

/// Renames `.failed` into place (when a line failed) and says so; returns its path.
fn save_failed(context: &Context) -> Result<String, Error> {
    let failed = std::mem::replace(
        &mut *context.failed.lock().expect("not poisoned"),
        FailedLines::new(std::path::PathBuf::new()),
    );
    let path = failed.target().display().to_string();
    match failed.finish() {
        Ok(Some(Written {
            path: written,
            lines,
            replaced,
        })) => {
            let note = if replaced {
                " (it replaced the file of that name from an earlier run)"
            } else {
                ""
            };
            log::info(&format!(
                "{lines} lines not accepted in full are in {}{note}",
                written.display()
            ));
            Ok(path)
        }
        Ok(None) => Ok(path),
        Err(source) => Err(Error::FailedFile {
            failure: crate::path_error::IoOnPath::new(&path, &source),
            lines: context.tally.failed.load(Relaxed),
        }),
    }
}

/// Warnings about what was sent as it is or could not be encoded.
fn warn_about_content(context: &Context) {
    let tally = &context.tally;
    let without_ids = tally.spans_without_ids.load(Relaxed);
    if without_ids > 0 {
        log::warn(&format!(
            "{without_ids} spans have an empty trace or span id; they were sent as they are (OTLP calls such spans invalid, and a receiver may refuse or drop them)"
        ));
    }
    let legacy = tally.legacy.load(Relaxed);
    if legacy > 0 {
        log::info(&format!(
            "{legacy} lines were converted from `instrumentationLibrarySpans` to `scopeSpans`"
        ));
    }
    let unknown = context.unknown_fields.lock().expect("not poisoned");
    if !unknown.is_empty() {
        let names: Vec<&str> = unknown.iter().map(String::as_str).collect();
        log::warn(&format!(
            "fields unknown to OTLP were left out of the protobuf encoding: {} (send JSON to keep them)",
            names.join(", ")
        ));
    }
}
