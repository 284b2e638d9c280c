//! `ci-tracing report`: one self-contained HTML file with a trace list and a waterfall
//! per trace, that opens by double-click with no network.
//!
//! The page (`assets/`: HTML, CSS and JavaScript, embedded at build time) does the
//! layout; this module streams the spans into it (see `data`) and puts the file in
//! place: written to a temporary file next to the target, then renamed, never over an
//! existing file without `--force`. It never loads the whole trace file. With `--open`
//! it then hands the file to the browser (`crate::browser`).

use std::io::{BufWriter, Write};

use serde::Serialize;

use super::Error;
use super::data::{DataWriter, write_script_safe};
use crate::atomic;
use crate::cli::ReportArgs;
use crate::config::Input;
use crate::otlp::{self, lines};

const TEMPLATE: &str = include_str!("assets/report.html");
const STYLE: &str = include_str!("assets/report.css");
const SCRIPT: &str = include_str!("assets/report.js");
/// Spans past which the page gets slow to open (it holds every span in memory).
const LARGE: u64 = 500_000;

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

/// Runs `report`.
pub fn run(args: &ReportArgs) -> crate::Result<()> {
    let input = Input::resolve(args.file.as_deref());
    let output = args.output.as_path();
    let shown = output.display().to_string();
    if !args.force && output.exists() {
        return Err(Error::Exists(shown).into());
    }
    let reader = lines::open(&input)?;
    let write_error = |err: std::io::Error| Error::Write(format!("cannot write {shown}: {err}"));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".ci-tracing-report-").suffix(".tmp");
    // A report is for sharing: readable like any file a user writes (not 0600).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut temp = builder
        .tempfile_in(atomic::dir_of(output))
        .map_err(write_error)?;
    let mut out = BufWriter::with_capacity(1 << 20, temp.as_file_mut());
    let counts = write_page(reader, &mut out, &input.display())
        .map_err(|err| Error::Write(format!("{shown} was not written: {err}")))?;
    out.flush().map_err(write_error)?;
    drop(out);
    atomic::install(temp, output, args.force).map_err(|err| {
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
    if args.open {
        if let Err(why) = crate::browser::open(output) {
            crate::log::warn(&format!(
                "could not open {shown} in a browser ({why}); open it yourself"
            ));
        }
    }
    Ok(())
}

/// Writes the whole page: the template with the style, the spans, the facts about the
/// file, and the script.
fn write_page(
    reader: impl std::io::BufRead,
    out: &mut impl Write,
    input: &str,
) -> std::io::Result<otlp::stats::Counts> {
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
