//! `ci-tracing compare`: what changed between two trace files, as text, markdown or JSON.
//!
//! Each input is summarized by the trace core's streaming statistics, one after the
//! other with every core (so memory holds two summaries, never a file; both at once was
//! measured slower on two cores and takes half as much memory again, docs/benchmarks.md),
//! and compared by [`crate::trace::compare`]; this command picks the form, prints it,
//! and with `--fail-on-regression` turns a flagged regression into exit status 1.

use super::summary::{print, warn_invalid};
use crate::config::ComparePlan;
use crate::config::plans::SummaryFormat;
use crate::report::{Error, compare as render};
use crate::trace::compare::{Rules, compare};
use crate::trace::summarize;

/// Runs `compare`.
pub(crate) fn run(plan: &ComparePlan) -> crate::Result<()> {
    let base = summarize(&plan.base, false)?;
    let head = summarize(&plan.head, false)?;
    let rules = Rules {
        min_samples: plan.min_samples,
        threshold: plan.threshold,
    };
    let comparison = compare(&base, &head, &rules);
    let output = match plan.format {
        SummaryFormat::Text => render::text(&comparison),
        SummaryFormat::Markdown => render::markdown_document(&comparison),
        SummaryFormat::Json => render::json(&comparison),
    };
    print(&output, "the comparison")?;
    warn_invalid(&base, "base: ");
    warn_invalid(&head, "head: ");
    if plan.fail_on_regression && comparison.regressed() {
        let regressions = comparison
            .rows
            .iter()
            .filter(|row| row.flags.iter().any(|f| f.is_regression()))
            .count();
        return Err(Error::Regressed(format!(
            "{regressions} span names regressed (slower or with new errors) in {} against {}; see the flagged rows above",
            head.input, base.input
        ))
        .into());
    }
    Ok(())
}
