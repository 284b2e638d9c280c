//! `ci-tracing report`: one self-contained HTML file with a trace list and a waterfall
//! per trace, that opens by double-click with no network.
//!
//! The page (`assets/`: HTML, CSS and JavaScript, embedded at build time) does the
//! layout; this module streams the spans into it (see `data`). Putting the file in
//! place is the `report` command's job. It never loads the whole trace file.

use std::io::Write;

use serde::Serialize;

use super::data::{DataWriter, Written, write_script_safe};
use crate::trace::budget::Keep;
use crate::trace::compare::Comparison;
use crate::trace::counts::Counts;

const TEMPLATE: &str = include_str!("assets/report.html");
const STYLE: &str = include_str!("assets/report.css");
const SCRIPT: &str = include_str!("assets/report.js");
/// Spans past which the page gets slow to open (it holds every span in memory).
pub(crate) const LARGE: u64 = 500_000;

/// What the page shows about the file besides its spans.
#[derive(Serialize)]
struct Meta<'a> {
    input: &'a str,
    lines: u64,
    spans: u64,
    invalid_lines: u64,
    first_invalid: Option<String>,
    generator: &'a str,
    /// What the page leaves out, in words, when it holds only part of the file.
    left_out: Option<String>,
    /// With `report --compare`: each span name's change against the base.
    compare: Option<Compared<'a>>,
}

/// `report --compare`: the base, the verdict, and per (service, span name) of either
/// side `[service, name, flags, p50 change, p95 change, base p50 ns, head p50 ns]`.
#[derive(Serialize)]
struct Compared<'a> {
    base: &'a str,
    regressed: bool,
    threshold: f64,
    min_samples: u64,
    rows: Vec<CompareRow<'a>>,
}

type CompareRow<'a> = (
    &'a str,
    &'a str,
    Vec<&'static str>,
    Option<f64>,
    Option<f64>,
    Option<u64>,
    Option<u64>,
);

fn compared(c: &Comparison) -> Compared<'_> {
    Compared {
        base: &c.base.input,
        regressed: c.regressed(),
        threshold: c.rules.threshold,
        min_samples: c.rules.min_samples,
        rows: (c.rows.iter())
            .map(|r| {
                (
                    r.service.as_str(),
                    r.name.as_str(),
                    r.flags.iter().map(|f| f.key()).collect(),
                    r.p50_change.filter(|v| v.is_finite()),
                    r.p95_change.filter(|v| v.is_finite()),
                    r.base.map(|s| s.p50),
                    r.head.map(|s| s.p50),
                )
            })
            .collect(),
    }
}

/// The largest page `upload` makes (GitHub previews an HTML artifact in the browser;
/// past 64 MiB a browser struggles and the artifact viewer may refuse it). The data
/// stops growing [`PAGE_MARGIN`] below it.
pub(crate) const MAX_PAGE_BYTES: u64 = 64 << 20;
/// Room kept below [`MAX_PAGE_BYTES`] for the template, style, script and facts.
const PAGE_MARGIN: u64 = 2 << 20;
/// The most data a page of [`MAX_PAGE_BYTES`] holds.
pub(crate) const MAX_DATA_BYTES: u64 =
    MAX_PAGE_BYTES - PAGE_MARGIN - (TEMPLATE.len() + STYLE.len() + SCRIPT.len()) as u64;

/// Writes the whole page: the template with the style, the spans, the facts about the
/// file (and, with `compared`, each span name's change against a base), and the script.
pub(crate) fn write_page(
    reader: impl std::io::BufRead,
    out: &mut impl Write,
    input: &str,
    compared: Option<&Comparison>,
) -> std::io::Result<Counts> {
    let written = page(out, input, None, u64::MAX, compared, |data, out| {
        data.add(reader, out)
    })?;
    Ok(written.counts)
}

/// Writes the page of the spans `fill` hands to the [`DataWriter`]: those of the
/// traces in `keep` (all: `None`), in at most `max_bytes` of page; says on the page
/// what was left out.
pub(crate) fn write_page_with<W: Write>(
    out: &mut W,
    input: &str,
    keep: Option<&Keep>,
    max_bytes: u64,
    fill: impl FnOnce(&mut DataWriter<'_>, &mut W) -> std::io::Result<()>,
) -> std::io::Result<Written> {
    page(out, input, keep, max_bytes, None, fill)
}

fn page<W: Write>(
    out: &mut W,
    input: &str,
    keep: Option<&Keep>,
    max_bytes: u64,
    compared: Option<&Comparison>,
    fill: impl FnOnce(&mut DataWriter<'_>, &mut W) -> std::io::Result<()>,
) -> std::io::Result<Written> {
    let page = TEMPLATE.replace("/*STYLE*/", STYLE);
    let (head, rest) = page.split_once("{{DATA}}").expect("template has {{DATA}}");
    let (middle, tail) = rest.split_once("{{META}}").expect("template has {{META}}");
    let tail = tail.replace("/*SCRIPT*/", SCRIPT);
    out.write_all(head.as_bytes())?;
    let data_limit = max_bytes.saturating_sub(PAGE_MARGIN + (head.len() + tail.len()) as u64);
    let mut data = DataWriter::start(keep.map(|k| &k.traces), data_limit, out)?;
    fill(&mut data, out)?;
    let written = data.finish(out)?;
    out.write_all(middle.as_bytes())?;
    let counts = &written.counts;
    let meta = Meta {
        input,
        lines: counts.lines,
        spans: counts.spans,
        invalid_lines: counts.invalid_lines,
        first_invalid: counts
            .invalid
            .first()
            .map(|(line, reason)| format!("line {line}: {reason}")),
        generator: concat!("ci-tracing ", env!("CARGO_PKG_VERSION")),
        left_out: left_out(keep, &written),
        compare: compared.map(self::compared),
    };
    let meta = serde_json::to_vec(&meta).map_err(std::io::Error::other)?;
    write_script_safe(out, &meta)?;
    out.write_all(tail.as_bytes())?;
    Ok(written)
}

/// What a page leaves out, in words; `None` when it holds every span.
fn left_out(keep: Option<&Keep>, written: &Written) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(keep) = keep {
        parts.push(format!(
            "This page holds the failing and the slowest traces of the file, whole, within a budget of {} spans{}: {} spans of {} traces were left out{}.",
            keep.max_spans,
            if keep.by_size {
                format!(" (what fits in {} MiB)", MAX_PAGE_BYTES >> 20)
            } else {
                String::new()
            },
            keep.left_out_spans,
            keep.left_out_traces,
            if keep.left_out_traces == 0 {
                " (spans without a trace id, or of traces past the tracked limit)"
            } else {
                ""
            }
        ));
    }
    if written.cut_for_size > 0 {
        parts.push(format!(
            "{} more spans were left out to keep the page under {} MiB.",
            written.cut_for_size,
            MAX_PAGE_BYTES >> 20
        ));
    }
    (!parts.is_empty()).then(|| {
        parts.push("Fetch the whole file with `ci-tracing fetch-traces` and run `ci-tracing report` on it.".to_owned());
        parts.join(" ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The data stops before the page passes its limit, and the page says how many
    /// spans that left out.
    #[test]
    fn a_page_stops_at_its_size_limit_and_says_so() {
        let sample = include_str!("../../tests/fixtures/collector-pdata-sample.jsonl");
        let text = sample.repeat(2000);
        let mut all = Vec::new();
        let whole = write_page_with(&mut all, "t", None, u64::MAX, |data, out| {
            data.add(text.as_bytes(), out)
        })
        .unwrap();
        assert_eq!(whole.cut_for_size, 0);
        let limit = all.len() as u64 / 2 + PAGE_MARGIN;
        let mut page = Vec::new();
        let cut = write_page_with(&mut page, "t", None, limit, |data, out| {
            data.add(text.as_bytes(), out)
        })
        .unwrap();
        assert!((page.len() as u64) < limit, "{} bytes", page.len());
        assert!(cut.cut_for_size > 0 && cut.spans > 0);
        assert_eq!(cut.spans + cut.cut_for_size, whole.spans);
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains(&format!(
            "{} more spans were left out to keep the page under 64 MiB.",
            cut.cut_for_size
        )));
    }
}
