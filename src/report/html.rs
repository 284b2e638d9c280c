//! `ci-tracing report`: one self-contained HTML file with a trace list and a waterfall
//! per trace, that opens by double-click with no network.
//!
//! The page (`assets/`: HTML, CSS and JavaScript, embedded at build time) does the
//! layout; this module streams the spans into it (see `data`). Putting the file in
//! place is the `report` command's job. It never loads the whole trace file.

use std::io::Write;

use serde::Serialize;

use super::data::{DataWriter, write_script_safe};
use crate::trace::counts::Counts;

const TEMPLATE: &str = include_str!("assets/report.html");
const STYLE: &str = include_str!("assets/report.css");
const SCRIPT: &str = include_str!("assets/report.js");
/// Spans past which the page gets slow to open (it holds every span in memory).
pub const LARGE: u64 = 500_000;

/// What the page shows about the file besides its spans.
#[derive(Serialize)]
struct Meta<'a> {
    input: &'a str,
    lines: u64,
    spans: u64,
    invalid_lines: u64,
    first_invalid: Option<String>,
    generator: &'a str,
}

/// Writes the whole page: the template with the style, the spans, the facts about the
/// file, and the script.
pub fn write_page(
    reader: impl std::io::BufRead,
    out: &mut impl Write,
    input: &str,
) -> std::io::Result<Counts> {
    let page = TEMPLATE.replace("/*STYLE*/", STYLE);
    let (head, rest) = page.split_once("{{DATA}}").expect("template has {{DATA}}");
    let (middle, tail) = rest.split_once("{{META}}").expect("template has {{META}}");
    let tail = tail.replace("/*SCRIPT*/", SCRIPT);
    out.write_all(head.as_bytes())?;
    let counts = DataWriter::write_all(reader, out)?;
    out.write_all(middle.as_bytes())?;
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
    };
    let meta = serde_json::to_vec(&meta).map_err(std::io::Error::other)?;
    write_script_safe(out, &meta)?;
    out.write_all(tail.as_bytes())?;
    Ok(counts)
}
