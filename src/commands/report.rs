//! `ci-tracing report`: one self-contained HTML file with a trace list and a waterfall
//! per trace, that opens by double-click with no network.
//!
//! The page is written by [`crate::report::html`] into a temporary file next to the
//! target, which is then renamed into place: never over an existing file without
//! `--force`, never half-written. With `--open` it is then handed to the browser
//! (`crate::browser`); failing to open it is a warning, not a failure. With `--compare`
//! both files are summarized first and the page shows each span name's change.

use std::io::{BufWriter, Write};

use crate::atomic;
use crate::config::ReportPlan;
use crate::report::Error;
use crate::report::html::{LARGE, write_page};
use crate::trace::compare::{Rules, compare};
use crate::trace::{lines, summarize, summarize_reader};

/// Runs `report`.
pub(crate) fn run(plan: &ReportPlan) -> crate::Result<()> {
    let input = &plan.input;
    let output = plan.output.as_path();
    let shown = output.display().to_string();
    let exists = atomic::check_target(output).map_err(|err| Error::NotAFile(err.to_string()))?;
    if !plan.force && exists {
        return Err(Error::Exists(shown).into());
    }
    // With --compare the input is read twice: summarized, then written into the page.
    let (reader, comparison) = match &plan.compare {
        None => (lines::open(input)?, None),
        Some(base) => {
            let base = summarize(base, false)?;
            let twice = lines::Twice::open(input)?;
            let head = summarize_reader(twice.reader()?, &input.display())?;
            let comparison = compare(&base, &head, &Rules::default());
            (twice.reader()?, Some(comparison))
        }
    };
    let write_error =
        |err: std::io::Error| Error::Unwritable(crate::path_error::IoOnPath::new(output, &err));
    let mut temp = atomic::temp_in(atomic::dir_of(output), ".ci-tracing-report-", ".tmp")
        .map_err(write_error)?;
    let mut out = BufWriter::with_capacity(1 << 20, temp.as_file_mut());
    let counts = write_page(reader, &mut out, &input.display(), comparison.as_ref())
        .map_err(|err| Error::Write(format!("{shown} was not written: {err}")))?;
    out.flush().map_err(write_error)?;
    drop(out);
    atomic::install(temp, output, plan.force).map_err(|err| {
        if err.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Exists(shown.clone())
        } else {
            write_error(err)
        }
    })?;
    crate::log::info(&format!(
        "wrote {shown}: {} spans in {} traces from {} lines",
        counts.spans,
        counts.traces.len(),
        counts.lines
    ));
    if counts.spans > LARGE {
        crate::log::warn(&format!(
            "{shown} holds {} spans: a browser may take long to open it; \
             a report of a smaller trace file is easier to read",
            counts.spans
        ));
    }
    if counts.invalid_lines > 0 {
        crate::log::warn(&format!(
            "{} of {} lines are not valid trace data and were left out (see `ci-tracing summary`)",
            counts.invalid_lines, counts.lines
        ));
    }
    if plan.open
        && let Err(why) = crate::browser::open(output, plan.browser.as_deref())
    {
        crate::log::warn(&format!(
            "could not open {shown} in a browser ({why}); open it yourself"
        ));
    }
    Ok(())
}
