//! The trace-file core: what a `trace-data` file is and what it holds.
//!
//! A trace file is JSON Lines, one OTLP/JSON `ExportTraceServiceRequest` per line, as
//! the Collector's `file` exporter writes it. Lines can be many megabytes and files many
//! gigabytes, so everything here streams: `lines` reads one line at a time, `model` and
//! the `fast` scanner (with `skip`) parse a line into the few fields that are counted,
//! `counts` checks and counts lines, `scan` reads a file in blocks on every core into
//! the `stats` collectors (with `sketch` for percentiles), `validate` collects the
//! chunks `upload` sends, and `budget` chooses the traces a report of a big file keeps.
//! `upload`, `summary`, `report` and `replay` all read through here; nothing here
//! speaks a protocol, prints, or writes a file.

pub(crate) mod budget;
pub(crate) mod compare;
pub mod counts;
pub(crate) mod fast;
pub(crate) mod lines;
pub(crate) mod model;
pub(crate) mod scan;
pub(crate) mod sketch;
pub(crate) mod skip;
pub(crate) mod stats;
pub(crate) mod validate;

use std::path::Path;

use crate::config::Input;
use stats::Summary;

/// Errors of reading a trace file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input cannot be opened.
    #[error(transparent)]
    Open(#[from] crate::config::Error),
    /// Reading the input failed part-way.
    #[error("reading {input} failed at line {line}: {source}")]
    Read {
        /// The input, as shown to the user.
        input: String,
        /// The line being read.
        line: u64,
        /// The operating system's error.
        source: std::io::Error,
    },
}

impl Error {
    /// Exit status (see `crate::exit`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Open(_) => crate::exit::USAGE,
            Error::Read { .. } => crate::exit::FAILED,
        }
    }
}

/// Summarizes a trace file (or standard input). With `with_chart`, also reads the spans
/// of the slowest trace for the job summary's chart: a second pass, over the file
/// itself or over a spooled copy of an input that cannot be read twice.
pub(crate) fn summarize(input: &Input, with_chart: bool) -> Result<Summary, Error> {
    if !with_chart {
        return summarize_reader(lines::open(input)?, &input.display());
    }
    let twice = lines::Twice::open(input)?;
    let mut summary = summarize_reader(twice.reader()?, &input.display())?;
    if let Some(slowest) = summary.slowest.first() {
        let spans =
            scan::trace_spans(twice.reader()?, &slowest.trace_id).map_err(|(line, source)| {
                Error::Read {
                    input: input.display(),
                    line,
                    source,
                }
            })?;
        summary.slowest_trace_spans = Some(spans);
    }
    Ok(summary)
}

/// Summarizes what `reader` holds (`input` as shown to the user), on every core.
pub(crate) fn summarize_reader(
    reader: impl std::io::Read + Send,
    input: &str,
) -> Result<Summary, Error> {
    let collector = scan::collect(reader, workers()).map_err(|(line, source)| Error::Read {
        input: input.to_owned(),
        line,
        source,
    })?;
    Ok(collector.finish(input.to_owned()))
}

fn workers() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
}

/// Summarizes the trace file at `path` with the slowest trace's spans, ready for
/// the job summary's chart: what `upload` writes to `GITHUB_STEP_SUMMARY`.
pub fn summarize_file(path: &Path) -> Result<Summary, Error> {
    summarize(&Input::Path(path.to_owned()), true)
}
