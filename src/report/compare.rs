//! A [`Comparison`] of two runs as text, markdown or JSON: what `compare` prints, and
//! the table `upload` puts under "Compared with run N" in the job summary.
//!
//! Every form lists the flagged rows first (the order of [`Comparison::rows`]). Names
//! come from the trace files and are untrusted: text cleans them as the summary does
//! (`text::clean`), markdown escapes them (`markdown::escape`), JSON quotes them.
//! The JSON shape is versioned by [`SCHEMA`] like the summary's (docs/compare.md).

use std::fmt::Write as _;

use serde::Serialize;

use super::fmt::duration;
use super::markdown::escape;
use super::text::{aligned_table, clean};
use crate::trace::compare::{Comparison, Flag, Row, Side, Totals};

/// The version of the JSON shape: raised when a key is removed, renamed or changes
/// meaning; adding keys does not raise it.
pub(crate) const SCHEMA: u32 = 1;
/// Rows `compare --format text|markdown` lists at most (flagged ones first); the JSON
/// has them all.
pub(crate) const MAX_ROWS: usize = 50;
const NAME_WIDTH: usize = 48;
const FLAGS: [Flag; 5] = [
    Flag::NewErrors,
    Flag::Slower,
    Flag::New,
    Flag::Vanished,
    Flag::Faster,
];

/// `+104%`, `-50%`, `+0%`.
pub(crate) fn change(relative: f64) -> String {
    format!("{:+.0}%", relative * 100.0)
}

/// The flag as people read it.
fn flag_label(flag: Flag) -> &'static str {
    match flag {
        Flag::NewErrors => "new errors",
        Flag::Slower => "slower",
        Flag::New => "new",
        Flag::Vanished => "vanished",
        Flag::Faster => "faster",
    }
}

fn flags_label(row: &Row) -> String {
    let labels: Vec<&str> = row.flags.iter().map(|f| flag_label(*f)).collect();
    labels.join(", ")
}

/// One sentence: what is flagged, and under which rule.
fn verdict(c: &Comparison) -> String {
    let counts: Vec<String> = FLAGS
        .iter()
        .map(|flag| (flag, c.with_flag(*flag).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(flag, n)| match flag {
            Flag::NewErrors => format!("{n} with new errors"),
            _ => format!("{n} {}", flag_label(*flag)),
        })
        .collect();
    let found = if counts.is_empty() {
        "no change flagged".to_owned()
    } else {
        format!("flagged: {}", counts.join(", "))
    };
    format!(
        "{}{found} (timing: p50 and p95 both past {:.0} % with at least {} spans a side, in each half of the traces too)",
        if c.regressed() { "REGRESSED, " } else { "" },
        c.rules.threshold * 100.0,
        c.rules.min_samples
    )
}

/// `12 → 15` of a number on each side (`–` for a missing side).
fn pair(base: Option<u64>, head: Option<u64>, show: impl Fn(u64) -> String) -> String {
    let side = |v: Option<u64>| v.map_or_else(|| "–".to_owned(), &show);
    format!("{} → {}", side(base), side(head))
}

fn stat(row: &Row, pick: fn(&Side) -> u64) -> String {
    pair(
        row.base.as_ref().map(pick),
        row.head.as_ref().map(pick),
        duration,
    )
}

fn change_cell(row: &Row, relative: Option<f64>) -> String {
    match (row.base, row.head, relative) {
        (None, _, _) => "new".to_owned(),
        (_, None, _) => "gone".to_owned(),
        (_, _, Some(r)) => change(r),
        _ => "n/a".to_owned(),
    }
}

/// The cells of a row after its flags: service, name, changes, both sides' numbers;
/// `name` makes a name from the file safe for the form.
fn row_cells(row: &Row, name: impl Fn(&str) -> String) -> Vec<String> {
    let count = |n: u64| n.to_string();
    vec![
        name(&row.service),
        name(&row.name),
        change_cell(row, row.p50_change),
        change_cell(row, row.p95_change),
        stat(row, |s| s.p50),
        stat(row, |s| s.p95),
        pair(row.base.map(|s| s.count), row.head.map(|s| s.count), count),
        pair(
            row.base.map(|s| s.errors),
            row.head.map(|s| s.errors),
            count,
        ),
    ]
}

fn totals_rows(c: &Comparison) -> Vec<(&'static str, String, String)> {
    let wall = |t: &Totals| t.wall.map_or_else(|| "–".to_owned(), duration);
    let traces = |t: &Totals| {
        if t.traces_capped {
            format!("at least {}", t.traces)
        } else {
            t.traces.to_string()
        }
    };
    let (b, h) = (&c.base, &c.head);
    vec![
        ("Spans", b.spans.to_string(), h.spans.to_string()),
        (
            "Error spans",
            b.error_spans.to_string(),
            h.error_spans.to_string(),
        ),
        ("Traces", traces(b), traces(h)),
        ("Services", b.services.to_string(), h.services.to_string()),
        ("Wall duration", wall(b), wall(h)),
        (
            "Invalid lines",
            b.invalid_lines.to_string(),
            h.invalid_lines.to_string(),
        ),
    ]
}

/// The comparison for a terminal (what `compare` prints by default).
pub(crate) fn text(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "  base  {}", clean(&c.base.input, 200));
    let _ = writeln!(out, "  head  {}", clean(&c.head.input, 200));
    let _ = writeln!(out, "  {}\n", verdict(c));
    let rows: Vec<Vec<String>> = totals_rows(c)
        .into_iter()
        .map(|(label, b, h)| vec![label.to_owned(), b, h])
        .collect();
    aligned_table(&mut out, &["", "Base", "Head"], &rows, &[false, true, true]);
    if c.rows.is_empty() {
        return out;
    }
    out.push('\n');
    let rows: Vec<Vec<String>> = (c.rows.iter().take(MAX_ROWS))
        .map(|row| {
            let mut cells = vec![flags_label(row)];
            cells.extend(row_cells(row, |name| clean(name, NAME_WIDTH)));
            cells
        })
        .collect();
    aligned_table(
        &mut out,
        &[
            "Flag",
            "Service",
            "Span name",
            "p50",
            "p95",
            "p50 base → head",
            "p95 base → head",
            "Spans",
            "Errors",
        ],
        &rows,
        &[false, false, false, true, true, true, true, true, true],
    );
    more(&mut out, c, MAX_ROWS);
    out
}

/// "… and N more rows" when `shown` rows are fewer than all.
fn more(out: &mut String, c: &Comparison, shown: usize) {
    let rest = c.rows.len().saturating_sub(shown);
    if rest > 0 {
        let flagged = c.rows.iter().skip(shown).filter(|r| r.is_flagged()).count();
        let _ = writeln!(
            out,
            "\n… and {rest} more span names ({flagged} of them flagged); `--format json` lists all"
        );
    }
}

/// The comparison as markdown without a heading: a verdict line, the totals of both
/// sides, and a table of the first `max_rows` rows, flagged first. `upload` puts it
/// under "Compared with run N"; `compare --format markdown` under its own heading.
pub(crate) fn markdown(comparison: &Comparison, max_rows: usize) -> String {
    let c = comparison;
    let mut out = String::new();
    let verdict = verdict(c);
    if c.regressed() {
        let _ = writeln!(out, "❌ **{verdict}**\n");
    } else {
        let _ = writeln!(out, "{verdict}\n");
    }
    out.push_str("| | Base | Head |\n|---|--:|--:|\n");
    for (label, b, h) in totals_rows(c) {
        let _ = writeln!(out, "| {label} | {} | {} |", escape(&b), escape(&h));
    }
    if c.rows.is_empty() || max_rows == 0 {
        return out;
    }
    out.push_str("\n| Flag | Service | Span name | p50 | p95 | p50 base → head | p95 base → head | Spans | Errors |\n");
    out.push_str("|---|---|---|--:|--:|--:|--:|--:|--:|\n");
    for row in c.rows.iter().take(max_rows) {
        let flag = if row.flags.iter().any(|f| f.is_regression()) {
            format!("❌ {}", flags_label(row))
        } else {
            flags_label(row)
        };
        let _ = writeln!(out, "| {flag} | {} |", row_cells(row, escape).join(" | "));
    }
    more(&mut out, c, max_rows);
    out
}

/// What `compare --format markdown` prints: a heading, then [`markdown`].
pub(crate) fn markdown_document(c: &Comparison) -> String {
    format!(
        "### Traces compared: {} against {}\n\n{}",
        escape(&c.head.input),
        escape(&c.base.input),
        markdown(c, MAX_ROWS)
    )
}

#[derive(Serialize)]
struct Document<'a> {
    schema: u32,
    regressed: bool,
    rules: RulesJson,
    base: TotalsJson<'a>,
    head: TotalsJson<'a>,
    flagged: FlagCounts,
    new_names: Vec<NameJson<'a>>,
    vanished_names: Vec<NameJson<'a>>,
    rows: Vec<RowJson<'a>>,
}

#[derive(Serialize)]
struct RulesJson {
    min_samples: u64,
    threshold: f64,
    error_z: f64,
}

#[derive(Serialize)]
struct TotalsJson<'a> {
    input: &'a str,
    lines: u64,
    invalid_lines: u64,
    spans: u64,
    error_spans: u64,
    traces: u64,
    traces_capped: bool,
    services: u64,
    wall_nanos: Option<u64>,
    span_names_capped: bool,
}

#[derive(Serialize)]
struct FlagCounts {
    new_errors: usize,
    slower: usize,
    new: usize,
    vanished: usize,
    faster: usize,
}

#[derive(Serialize)]
struct NameJson<'a> {
    service: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct SideJson {
    count: u64,
    errors: u64,
    total_nanos: u64,
    p50_nanos: u64,
    p95_nanos: u64,
}

#[derive(Serialize)]
struct RowJson<'a> {
    service: &'a str,
    name: &'a str,
    flags: Vec<&'static str>,
    base: Option<SideJson>,
    head: Option<SideJson>,
    p50_change: Option<f64>,
    p95_change: Option<f64>,
    impact_nanos: u64,
}

fn totals_json(t: &Totals) -> TotalsJson<'_> {
    TotalsJson {
        input: &t.input,
        lines: t.lines,
        invalid_lines: t.invalid_lines,
        spans: t.spans,
        error_spans: t.error_spans,
        traces: t.traces,
        traces_capped: t.traces_capped,
        services: t.services,
        wall_nanos: t.wall,
        span_names_capped: t.span_names_capped,
    }
}

fn side_json(s: &Side) -> SideJson {
    SideJson {
        count: s.count,
        errors: s.errors,
        total_nanos: s.total,
        p50_nanos: s.p50,
        p95_nanos: s.p95,
    }
}

fn names(c: &Comparison, flag: Flag) -> Vec<NameJson<'_>> {
    c.with_flag(flag)
        .map(|r| NameJson {
            service: &r.service,
            name: &r.name,
        })
        .collect()
}

/// The comparison as one pretty-printed JSON document (with a final newline).
pub(crate) fn json(c: &Comparison) -> String {
    let count = |flag| c.with_flag(flag).count();
    let document = Document {
        schema: SCHEMA,
        regressed: c.regressed(),
        rules: RulesJson {
            min_samples: c.rules.min_samples,
            threshold: c.rules.threshold,
            error_z: crate::trace::compare::ERROR_Z,
        },
        base: totals_json(&c.base),
        head: totals_json(&c.head),
        flagged: FlagCounts {
            new_errors: count(Flag::NewErrors),
            slower: count(Flag::Slower),
            new: count(Flag::New),
            vanished: count(Flag::Vanished),
            faster: count(Flag::Faster),
        },
        new_names: names(c, Flag::New),
        vanished_names: names(c, Flag::Vanished),
        rows: c
            .rows
            .iter()
            .map(|r| RowJson {
                service: &r.service,
                name: &r.name,
                flags: r.flags.iter().map(|f| f.key()).collect(),
                base: r.base.as_ref().map(side_json),
                head: r.head.as_ref().map(side_json),
                p50_change: r.p50_change.filter(|v| v.is_finite()),
                p95_change: r.p95_change.filter(|v| v.is_finite()),
                impact_nanos: r.impact,
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&document).expect("plain data serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::compare::Rules;

    fn totals(input: &str) -> Totals {
        Totals {
            input: input.to_owned(),
            lines: 1,
            invalid_lines: 0,
            spans: 10,
            error_spans: 0,
            traces: 1,
            traces_capped: false,
            services: 1,
            wall: Some(1_000),
            span_names_capped: false,
        }
    }

    fn row(name: &str, flags: Vec<Flag>) -> Row {
        let side = Side {
            count: 10,
            errors: 0,
            total: 100,
            p50: 10,
            p95: 20,
            halves: Default::default(),
        };
        Row {
            service: "svc".to_owned(),
            name: name.to_owned(),
            base: Some(side),
            head: Some(side),
            p50_change: Some(1.0),
            p95_change: Some(1.04),
            flags,
            impact: 0,
        }
    }

    #[test]
    fn markdown_has_no_heading_and_at_most_max_rows_with_a_count_of_the_rest() {
        let comparison = Comparison {
            rules: Rules::default(),
            base: totals("base"),
            head: totals("head"),
            rows: vec![
                row("a|b", vec![Flag::Slower]),
                row("c", vec![]),
                row("d", vec![Flag::Faster]),
            ],
        };
        let out = markdown(&comparison, 1);
        assert!(!out.contains('#'), "{out}");
        assert!(out.starts_with("❌ **REGRESSED"), "{out}");
        assert!(
            out.contains("| ❌ slower | svc | a\\|b | +100% | +104% |"),
            "{out}"
        );
        assert!(!out.contains("| c |"), "{out}");
        assert!(
            out.contains("and 2 more span names (1 of them flagged)"),
            "{out}"
        );
    }
}
