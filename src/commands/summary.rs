//! `ci-tracing summary`: what a trace file holds, as text, markdown or JSON.
//!
//! The statistics come from the trace core ([`crate::trace::summarize`]); this command
//! only picks the form and writes it to standard output. Invalid lines are counted and
//! listed, never fatal.

use std::io::Write;

use crate::config::SummaryPlan;
use crate::config::plans::SummaryFormat;
use crate::report::{Error, json, markdown, text};
use crate::trace::stats::Summary;
use crate::trace::summarize;

/// Runs `summary`.
pub(crate) fn run(plan: &SummaryPlan) -> crate::Result<()> {
    let with_chart = plan.format == SummaryFormat::Markdown;
    let summary = summarize(&plan.input, with_chart)?;
    let output = match plan.format {
        SummaryFormat::Text => text::render(&summary),
        SummaryFormat::Markdown => markdown::job_summary_markdown(&summary),
        SummaryFormat::Json => json::render(&summary),
    };
    print(&output, "the summary")?;
    warn_invalid(&summary, "");
    Ok(())
}

/// Writes `output` (`what` it is, for the error) to standard output.
pub(crate) fn print(output: &str, what: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
        .or_else(|err| {
            // A closed pipe (`| head`) is the reader's choice, not a failure.
            if err.kind() == std::io::ErrorKind::BrokenPipe {
                Ok(())
            } else {
                Err(Error::Write(format!("cannot write {what}: {err}")))
            }
        })
}

/// Warns once when the summarized input had invalid lines (`which` input, when it
/// helps to say).
pub(crate) fn warn_invalid(summary: &Summary, which: &str) {
    for (line, reason) in summary.counts.invalid.iter().take(1) {
        crate::log::warn(&format!(
            "{which}{} of {} lines are not valid trace data (first: line {line}: {reason})",
            summary.counts.invalid_lines, summary.counts.lines
        ));
    }
}
