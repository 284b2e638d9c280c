//! The summary for a terminal: aligned plain-text tables.
//!
//! Span and service names come from the file and are untrusted: control characters
//! (terminal escape sequences, newlines) are shown as `�` so they can never move the
//! cursor or forge lines. Long names are cut with `…`.

use std::fmt::Write as _;

use super::fmt::{duration, facts};
use crate::trace::stats::{NameSummary, Summary};

/// Span names listed by total duration.
pub(crate) const TOP_BY_TOTAL: usize = 15;
/// Span names listed by p95.
pub(crate) const TOP_BY_P95: usize = 10;
const NAME_WIDTH: usize = 48;

/// A name safe to print: no control characters, at most `width` characters.
pub(crate) fn clean(name: &str, width: usize) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .take(width)
        .collect();
    if name.chars().count() > width {
        out.pop();
        out.push('…');
    }
    out
}

/// Rows as columns padded to their widest cell (numbers right-aligned).
pub(crate) fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let numeric: Vec<bool> = (0..header.len())
        .map(|i| {
            rows.iter()
                .all(|r| r[i].starts_with(|c: char| c.is_ascii_digit()))
        })
        .collect();
    aligned_table(out, header, rows, &numeric);
}

/// [`table`] with the right-aligned columns chosen by the caller.
pub(crate) fn aligned_table(
    out: &mut String,
    header: &[&str],
    rows: &[Vec<String>],
    numeric: &[bool],
) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if numeric[i] {
                line.push_str(&" ".repeat(pad + 2));
                line.push_str(cell);
            } else {
                line.push_str("  ");
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// The whole summary as text.
pub(crate) fn render(summary: &Summary) -> String {
    let mut out = String::new();
    for (label, value) in facts(summary) {
        let _ = writeln!(out, "  {:<17} {}", label.to_lowercase(), clean(&value, 200));
    }
    services(&mut out, summary);
    slowest(&mut out, summary);
    span_names(&mut out, summary);
    invalid(&mut out, summary);
    out
}

fn services(out: &mut String, summary: &Summary) {
    let rows: Vec<Vec<String>> = summary
        .counts
        .services
        .iter()
        .map(|(name, s)| {
            vec![
                clean(name, NAME_WIDTH),
                s.spans.to_string(),
                s.errors.to_string(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push_str("\nServices\n");
        table(out, &["SERVICE", "SPANS", "ERRORS"], &rows);
    }
}

fn slowest(out: &mut String, summary: &Summary) {
    let rows: Vec<Vec<String>> = summary
        .slowest
        .iter()
        .map(|t| {
            let name = if t.has_root {
                clean(&t.name, NAME_WIDTH)
            } else {
                format!("(no root) {}", clean(&t.name, NAME_WIDTH))
            };
            vec![
                duration(t.duration),
                t.spans.to_string(),
                if t.error { "error" } else { "ok" }.to_owned(),
                clean(&t.service, NAME_WIDTH),
                name,
                t.trace_id.clone(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push_str("\nSlowest traces\n");
        let header = [
            "DURATION",
            "SPANS",
            "STATUS",
            "SERVICE",
            "ROOT SPAN",
            "TRACE ID",
        ];
        table(out, &header, &rows);
    }
}

fn name_rows(names: &[&NameSummary]) -> Vec<Vec<String>> {
    names
        .iter()
        .map(|n| {
            vec![
                duration(n.total),
                n.count.to_string(),
                duration(n.p50),
                duration(n.p95),
                n.errors.to_string(),
                clean(&n.service, NAME_WIDTH),
                clean(&n.name, NAME_WIDTH),
            ]
        })
        .collect()
}

/// The span names with the largest total, and those with the largest p95.
pub(crate) fn top_names(summary: &Summary) -> (Vec<&NameSummary>, Vec<&NameSummary>) {
    let by_total: Vec<&NameSummary> = summary.span_names.iter().take(TOP_BY_TOTAL).collect();
    let mut by_p95: Vec<&NameSummary> = summary.span_names.iter().collect();
    by_p95.sort_by(|a, b| b.p95.cmp(&a.p95).then(b.total.cmp(&a.total)));
    by_p95.truncate(TOP_BY_P95);
    (by_total, by_p95)
}

fn span_names(out: &mut String, summary: &Summary) {
    if summary.span_names.is_empty() {
        return;
    }
    let header = [
        "TOTAL",
        "COUNT",
        "P50",
        "P95",
        "ERRORS",
        "SERVICE",
        "SPAN NAME",
    ];
    let (by_total, by_p95) = top_names(summary);
    let _ = writeln!(
        out,
        "\nSpan names by total duration ({} of {})",
        by_total.len(),
        summary.span_names.len()
    );
    table(out, &header, &name_rows(&by_total));
    out.push_str("\nSpan names by p95 duration\n");
    table(out, &header, &name_rows(&by_p95));
}

fn invalid(out: &mut String, summary: &Summary) {
    let c = &summary.counts;
    if c.invalid_lines == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "\nInvalid lines ({}): their spans are not counted",
        c.invalid_lines
    );
    for (line, reason) in &c.invalid {
        let _ = writeln!(out, "  line {line}: {}", clean(&reason.to_string(), 160));
    }
    if c.invalid_lines > c.invalid.len() as u64 {
        let _ = writeln!(
            out,
            "  … and {} more",
            c.invalid_lines - c.invalid.len() as u64
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_carry_terminal_escapes() {
        assert_eq!(clean("a\u{1b}[2Jb\nc", 80), "a\u{fffd}[2Jb\u{fffd}c");
        assert_eq!(clean("abcdef", 4), "abc…");
        assert_eq!(clean("abcd", 4), "abcd");
    }

    #[test]
    fn tables_align_numbers_right() {
        let mut out = String::new();
        let rows = vec![
            vec!["a".to_owned(), "5".to_owned()],
            vec!["bbb".to_owned(), "100".to_owned()],
        ];
        table(&mut out, &["NAME", "N"], &rows);
        assert_eq!(out, "  NAME    N\n  a       5\n  bbb   100\n");
    }
}
