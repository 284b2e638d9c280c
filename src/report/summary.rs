//! `ci-tracing summary`: what a trace file holds, as text, markdown or JSON; and
//! [`summarize_file`], which `upload` uses for its job summary.
//!
//! One streaming pass on every core gathers the counts (see `scan`); for the markdown
//! forms a second pass over a file (not standard input, which cannot be read twice)
//! picks out the spans of the slowest trace for the Mermaid chart. Invalid lines are
//! counted and listed, never fatal. Output goes to standard output only.

use std::io::Write;
use std::path::Path;

use super::stats::Summary;
use super::{Error, json, markdown, scan, text};
use crate::cli::{SummaryArgs, SummaryFormat};
use crate::config::Input;
use crate::otlp::{self, lines};

/// Runs `summary`.
pub fn run(args: &SummaryArgs) -> crate::Result<()> {
    let input = Input::resolve(args.file.as_deref());
    let with_chart = args.format == SummaryFormat::Markdown;
    let summary = summarize(&input, with_chart)?;
    let output = match args.format {
        SummaryFormat::Text => text::render(&summary),
        SummaryFormat::Markdown => markdown::job_summary_markdown(&summary),
        SummaryFormat::Json => json::render(&summary),
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
        .or_else(|err| {
            // A closed pipe (`| head`) is the reader's choice, not a failure.
            if err.kind() == std::io::ErrorKind::BrokenPipe {
                Ok(())
            } else {
                Err(Error::Write(format!("cannot write the summary: {err}")))
            }
        })?;
    for (line, reason) in summary.counts.invalid.iter().take(1) {
        crate::log::warn(&format!(
            "{} of {} lines are not valid trace data (first: line {line}: {reason})",
            summary.counts.invalid_lines, summary.counts.lines
        ));
    }
    Ok(())
}

/// Summarizes a trace file (or standard input). With `with_chart` and a file, also reads
/// the spans of the slowest trace for [`markdown::job_summary_markdown`].
pub fn summarize(input: &Input, with_chart: bool) -> crate::Result<Summary> {
    let reader = lines::open(input)?;
    let workers = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let read_error = |(line, source)| otlp::Error::Read {
        input: input.display(),
        line,
        source,
    };
    let collector = scan::collect(reader, workers).map_err(read_error)?;
    let mut summary = collector.finish(input.display());
    if let (true, Input::Path(_), Some(slowest)) = (with_chart, input, summary.slowest.first()) {
        let reader = lines::open(input)?;
        let spans = scan::trace_spans(reader, &slowest.trace_id).map_err(read_error)?;
        summary.slowest_trace_spans = Some(spans);
    }
    Ok(summary)
}

/// Summarizes the trace file at `path` with the slowest trace's spans, ready for
/// [`markdown::job_summary_markdown`]: what `upload` writes to `GITHUB_STEP_SUMMARY`.
pub fn summarize_file(path: &Path) -> crate::Result<Summary> {
    summarize(&Input::Path(path.to_owned()), true)
}
