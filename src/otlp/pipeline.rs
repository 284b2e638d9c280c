//! The streaming part of `replay`: a reader thread that checks each line and hands it to
//! a task that encodes and sends it, with a bounded number of lines and bytes in flight.
//!
//! Memory stays bounded whatever the file size: the reader waits for a free slot (at
//! most `concurrency` requests in flight) and for room in a byte budget before it
//! reads on. Every line ends up counted exactly once, as delivered, as rejected or
//! failed (and then written to `.failed`), or as invalid; after a stop (`--strict`, a
//! receiver failing `--max-consecutive-failures` lines in a row, a signal) the
//! remaining lines go to `.failed` unsent, so nothing is dropped without a trace. Only
//! when nothing listens at the endpoint and nothing was delivered does the replay end
//! at once without a `.failed` file: the input itself is then what to replay.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write as _};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use indicatif::ProgressBar;
use tokio::runtime::Handle;
use tokio::sync::Semaphore;

use super::failed::FailedLines;
use super::rewrite;
use super::send::{Encoding, Failure, Gate, Outcome, Sender};
use super::transcode;
use crate::log;
use crate::signal::{self, Signal};
use crate::trace::lines::Lines;
use crate::trace::model::{self, ResourceSpans};

/// Line bytes in flight at most, in KiB (a longer line is sent alone).
const BYTE_BUDGET_KIB: u32 = 32 * 1024;
/// The body size OTLP recommends receivers accept at most (opentelemetry-proto
/// `docs/specification.md`); larger lines are sent, with a warning.
const RECEIVER_LIMIT: usize = 20 << 20;
/// Failures reported one by one before they are only counted.
const WARNINGS_SHOWN: u64 = 10;

/// Why a replay stopped before the end of its input.
#[derive(Debug, Clone)]
pub(crate) enum Stop {
    /// `--strict` and an invalid line.
    Invalid {
        /// Its number.
        line: u64,
        /// Why it is invalid.
        reason: String,
    },
    /// Nothing listens at the endpoint, and nothing was delivered.
    NothingListens(String),
    /// The receiver failed this many lines in a row, the last one for this reason.
    Failing {
        /// Lines failed in a row.
        lines: u32,
        /// The last line's reason.
        reason: String,
    },
    /// SIGINT or SIGTERM.
    Interrupted(Signal),
}

/// Counts of a replay; every line lands in exactly one of the line counters.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Non-blank lines read.
    pub lines: AtomicU64,
    /// Lines answered with 2xx (including partial successes).
    pub delivered: AtomicU64,
    /// Spans the receiver accepted.
    pub spans_accepted: AtomicU64,
    /// Spans the receiver rejected (partial success).
    pub spans_rejected: AtomicU64,
    /// Spans in lines that failed or were not sent.
    pub spans_failed: AtomicU64,
    /// Lines written to `.failed`.
    pub failed: AtomicU64,
    /// Spans without a trace or span id (sent as they are).
    pub spans_without_ids: AtomicU64,
    /// Lines converted from the pre-v0.48 shape.
    pub legacy: AtomicU64,
}

/// What every task shares.
pub(crate) struct Context {
    /// The client.
    pub sender: Sender,
    /// Body encoding.
    pub encoding: Encoding,
    /// `--shift-to-now` offset in nanoseconds.
    pub shift: Option<i128>,
    /// `--strict`.
    pub strict: bool,
    /// Counts.
    pub tally: Tally,
    /// Failure kinds and how many lines each.
    pub kinds: Mutex<BTreeMap<String, u64>>,
    /// Lines not delivered in full.
    pub failed: Mutex<FailedLines>,
    /// JSON fields the protobuf encoder did not know.
    pub unknown_fields: Mutex<BTreeSet<String>>,
    /// Set once the replay stops early.
    pub stop: OnceLock<Stop>,
    /// Progress (hidden unless on a terminal).
    pub progress: ProgressBar,
    /// Requests in flight.
    pub slots: Arc<Semaphore>,
    /// Shared with every line's sending.
    pub gate: Gate,
    /// Lines that may fail through every retry in a row before the replay stops.
    pub max_failures: u32,
    failures_in_a_row: AtomicU32,
    stopping: AtomicBool,
    bytes: Arc<Semaphore>,
    warned: AtomicU64,
}

/// One valid line on its way.
struct Job {
    line_no: u64,
    line: Bytes,
    spans: u64,
    legacy: bool,
}

impl Context {
    /// Shared state for one replay.
    pub(crate) fn new(
        sender: Sender,
        encoding: Encoding,
        failed: FailedLines,
        concurrency: usize,
    ) -> Self {
        Self {
            sender,
            encoding,
            shift: None,
            strict: false,
            tally: Tally::default(),
            kinds: Mutex::default(),
            failed: Mutex::new(failed),
            unknown_fields: Mutex::default(),
            stop: OnceLock::new(),
            progress: ProgressBar::hidden(),
            slots: Arc::new(Semaphore::new(concurrency)),
            gate: Gate::default(),
            max_failures: u32::MAX,
            failures_in_a_row: AtomicU32::new(0),
            stopping: AtomicBool::new(false),
            bytes: Arc::new(Semaphore::new(BYTE_BUDGET_KIB as usize)),
            warned: AtomicU64::new(0),
        }
    }

    /// Stops reading on; unless the stop is `--strict`'s, lines in flight are not
    /// tried again either.
    pub(crate) fn stop_with(&self, stop: Stop) {
        if !matches!(stop, Stop::Invalid { .. }) {
            self.gate.stopping.store(true, Relaxed);
        }
        let _ = self.stop.set(stop);
        self.stopping.store(true, Relaxed);
    }

    fn stopped(&self) -> bool {
        self.stopping.load(Relaxed)
    }

    /// Lines already handed on are still sent after `--strict` stops the reading, but
    /// not after any other stop.
    fn halted(&self) -> bool {
        self.gate.stopping.load(Relaxed)
    }

    /// Counts a line that failed through every retry, or (`None`) a delivered one;
    /// stops the replay once `max_failures` failed in a row.
    fn count_in_a_row(&self, failed: Option<&str>) {
        let Some(reason) = failed else {
            self.failures_in_a_row.store(0, Relaxed);
            return;
        };
        let lines = self.failures_in_a_row.fetch_add(1, Relaxed) + 1;
        if lines >= self.max_failures {
            self.stop_with(Stop::Failing {
                lines,
                reason: reason.to_owned(),
            });
        }
    }

    /// Counts a line as failed and keeps it in `.failed`.
    fn fail(&self, line: &[u8], spans: u64, kind: &str) {
        self.tally.failed.fetch_add(1, Relaxed);
        self.tally.spans_failed.fetch_add(spans, Relaxed);
        *self
            .kinds
            .lock()
            .expect("not poisoned")
            .entry(kind.to_owned())
            .or_default() += 1;
        // A line over the cap was never held: only its marker is here, and the marker is
        // no trace data.
        if crate::trace::lines::overlong(line).is_none() {
            self.failed.lock().expect("not poisoned").push(line);
        }
    }

    /// Warns about one line, up to [`WARNINGS_SHOWN`] times in a replay.
    fn warn_line(&self, message: &str) {
        let shown = self.warned.fetch_add(1, Relaxed);
        if shown < WARNINGS_SHOWN {
            log::warn(message);
        } else if shown == WARNINGS_SHOWN {
            log::warn("more lines failed; the summary at the end counts them all");
        }
    }
}

/// Reads every line, checks it and starts its request; runs on a blocking thread.
/// Returns when every line is read and handed on (requests may still be in flight).
pub(crate) fn dispatch(
    reader: impl BufRead,
    context: &Arc<Context>,
    handle: &Handle,
) -> std::io::Result<u64> {
    let mut lines = Lines::new(reader);
    while let Some((line_no, line)) = lines.next_line()? {
        context.tally.lines.fetch_add(1, Relaxed);
        context.progress.inc(line.len() as u64 + 1);
        if line_no % 128 == 0 {
            let tally = &context.tally;
            context.progress.set_message(format!(
                "{} lines sent, {} spans accepted",
                tally.delivered.load(Relaxed),
                tally.spans_accepted.load(Relaxed)
            ));
        }
        if context.stopped() {
            context.fail(line, 0, "not sent");
            continue;
        }
        let data = match model::parse_line(line) {
            Ok(data) => data,
            Err(err) => {
                context.warn_line(&format!("line {line_no} skipped: {err}"));
                if crate::trace::lines::overlong(line).is_some() {
                    log::warn(&format!(
                        "line {line_no} is not copied to .failed either (it was read past, never held): replay it from the input with a higher --max-line-bytes"
                    ));
                }
                context.fail(line, 0, "invalid");
                if context.strict {
                    context.stop_with(Stop::Invalid {
                        line: line_no,
                        reason: err.to_string(),
                    });
                }
                continue;
            }
        };
        let job = job(context, line_no, line, &data);
        drop(data);
        let kib = u32::try_from(job.line.len() / 1024 + 1)
            .unwrap_or(u32::MAX)
            .min(BYTE_BUDGET_KIB);
        let budget = handle.block_on(context.bytes.clone().acquire_many_owned(kib));
        let slot = handle.block_on(context.slots.clone().acquire_owned());
        if context.halted() {
            // Stopped while this line waited: kept in order, behind the lines in flight.
            context.fail(&job.line, job.spans, "not sent");
            continue;
        }
        let context = context.clone();
        handle.spawn(async move {
            deliver(&context, job).await;
            drop((budget, slot));
        });
    }
    Ok(lines.line_no())
}

/// Counts what a valid line holds and copies it for its task.
fn job(context: &Context, line_no: u64, line: &[u8], data: &model::TracesData<'_>) -> Job {
    let resources = data.resource_spans.as_deref().unwrap_or_default();
    let legacy = resources.iter().any(|rs| !rs.legacy_scope_spans.is_empty());
    if legacy && context.tally.legacy.fetch_add(1, Relaxed) == 0 {
        log::warn(&format!(
            "line {line_no} has the pre-v0.48 shape (`instrumentationLibrarySpans`), which current receivers drop without a word; converting such lines to `scopeSpans`"
        ));
    }
    if line.len() > RECEIVER_LIMIT {
        log::warn(&format!(
            "line {line_no} is {} MiB; receivers refuse bodies over 20 MiB by default (HTTP 413), and then the line is kept in .failed",
            line.len() >> 20
        ));
    }
    let spans = resources.iter().flat_map(ResourceSpans::spans);
    let (mut count, mut without_ids) = (0, 0);
    for span in spans {
        count += 1;
        without_ids += u64::from(span.lacks_ids());
    }
    context
        .tally
        .spans_without_ids
        .fetch_add(without_ids, Relaxed);
    Job {
        line_no,
        line: Bytes::copy_from_slice(line),
        spans: count,
        legacy,
    }
}

/// Encodes and sends one line and counts the outcome.
async fn deliver(context: &Context, job: Job) {
    if context.halted() {
        context.fail(&job.line, job.spans, "not sent");
        return;
    }
    let body = match body(context, &job) {
        Ok(body) => body,
        Err(reason) => {
            context.warn_line(&format!("line {} cannot be sent: {reason}", job.line_no));
            context.fail(&job.line, job.spans, "cannot be encoded");
            return;
        }
    };
    let outcome = tokio::select! {
        outcome = context.sender.send(job.line_no, body, &context.gate) => outcome,
        _ = signal::received() => Outcome::Failed {
            kind: "not sent".to_owned(),
            reason: "interrupted".to_owned(),
            how: Failure::Stopping,
        },
    };
    match outcome {
        Outcome::Delivered { rejected, message } => {
            context.count_in_a_row(None);
            let rejected = rejected.min(job.spans);
            let tally = &context.tally;
            tally.delivered.fetch_add(1, Relaxed);
            tally
                .spans_accepted
                .fetch_add(job.spans - rejected, Relaxed);
            tally.spans_rejected.fetch_add(rejected, Relaxed);
            let said = message.map(|m| format!(": {m}")).unwrap_or_default();
            if rejected > 0 {
                context.warn_line(&format!(
                    "line {}: the receiver rejected {rejected} of {} spans{said}",
                    job.line_no, job.spans
                ));
                context.tally.failed.fetch_add(1, Relaxed);
                *context
                    .kinds
                    .lock()
                    .expect("not poisoned")
                    .entry("spans rejected".to_owned())
                    .or_default() += 1;
                context.failed.lock().expect("not poisoned").push(&job.line);
            } else if !said.is_empty() {
                log::debug(&format!(
                    "line {}: the receiver accepted every span and says{said}",
                    job.line_no
                ));
            }
        }
        Outcome::Failed { kind, reason, how } => {
            context.fail(&job.line, job.spans, &kind);
            match how {
                Failure::NothingListens => context.stop_with(Stop::NothingListens(reason)),
                Failure::Stopping => {}
                Failure::Final | Failure::Exhausted => {
                    context.warn_line(&format!("line {} not delivered: {reason}", job.line_no));
                    if how == Failure::Exhausted {
                        context.count_in_a_row(Some(&reason));
                    }
                }
            }
        }
    }
}

/// The request body: the line as it is when nothing needs changing, else with its times
/// shifted on its bytes or (a pre-v0.48 line) rewritten (JSON), or transcoded straight
/// from the line's bytes (protobuf); gzipped on request.
fn body(context: &Context, job: &Job) -> Result<Bytes, String> {
    let encoding = context.encoding;
    let plain = if encoding.protobuf {
        let mut unknown = BTreeSet::new();
        let protobuf = transcode::encode(&job.line, context.shift, &mut unknown);
        if !unknown.is_empty() {
            context
                .unknown_fields
                .lock()
                .expect("not poisoned")
                .extend(unknown);
        }
        Bytes::from(protobuf?)
    } else if !job.legacy && context.shift.is_none() {
        job.line.clone()
    } else if let (false, Some(offset)) = (job.legacy, context.shift) {
        Bytes::from(rewrite::shift_json(&job.line, offset)?)
    } else {
        let mut value: serde_json::Value =
            serde_json::from_slice(&job.line).map_err(|e| e.to_string())?;
        rewrite::convert_legacy(&mut value);
        if let Some(offset) = context.shift {
            rewrite::shift(&mut value, offset)?;
        }
        Bytes::from(serde_json::to_vec(&value).map_err(|e| e.to_string())?)
    };
    if !encoding.gzip {
        return Ok(plain);
    }
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(plain.len() / 4),
        flate2::Compression::fast(),
    );
    gz.write_all(&plain).map_err(|e| e.to_string())?;
    gz.finish().map(Bytes::from).map_err(|e| e.to_string())
}
