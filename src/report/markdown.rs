//! The summary as GitHub-flavoured markdown, and the job summary `upload` writes: the
//! same markdown plus a Mermaid `gantt` chart of the slowest trace.
//!
//! Names come from the trace file and are untrusted: in tables they are escaped so that
//! `|`, `*`, `<img …>` or a backtick stay literal text, and in the chart they are
//! rewritten so that `:`, `;`, `#`, `%`, keywords or a closing code fence can never end a
//! task, start a comment or leave the code block. This module only builds strings.

use std::fmt::Write as _;

use super::fmt::{duration, facts};
use super::text::top_names;
use crate::trace::stats::{NameSummary, SpanTiming, Summary};

/// Spans drawn in the chart at most (GitHub renders larger charts too small to read).
pub(crate) const GANTT_SPANS: usize = 50;
const NAME_CHARS: usize = 80;
/// The shortest bar drawn, as a fraction of the chart (1/`MIN_BAR`): about 10 pixels
/// of GitHub's chart width.
const MIN_BAR: u64 = 100;

/// Text safe inside a markdown table cell.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().take(NAME_CHARS) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The summary as markdown (what `summary --format markdown` prints).
pub(crate) fn render(summary: &Summary) -> String {
    let c = &summary.counts;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### Traces: {} spans in {}{} traces\n",
        c.spans,
        if summary.traces_capped {
            "at least "
        } else {
            ""
        },
        summary.traces
    );
    out.push_str("| | |\n|---|---|\n");
    for (label, value) in facts(summary) {
        let _ = writeln!(out, "| {label} | {} |", escape(&value));
    }
    if !c.services.is_empty() {
        out.push_str("\n#### Services\n\n| Service | Spans | Errors |\n|---|--:|--:|\n");
        for (name, s) in &c.services {
            let _ = writeln!(out, "| {} | {} | {} |", escape(name), s.spans, s.errors);
        }
    }
    slowest(&mut out, summary);
    if !summary.span_names.is_empty() {
        let (by_total, by_p95) = top_names(summary);
        out.push_str("\n#### Span names by total duration\n\n");
        name_table(&mut out, &by_total);
        out.push_str("\n#### Span names by p95 duration\n\n");
        name_table(&mut out, &by_p95);
    }
    if c.invalid_lines > 0 {
        let _ = writeln!(out, "\n#### Invalid lines ({})\n", c.invalid_lines);
        for (line, reason) in c.invalid.iter().take(10) {
            let _ = writeln!(out, "- line {line}: {}", escape(&reason.to_string()));
        }
    }
    out
}

fn slowest(out: &mut String, summary: &Summary) {
    if summary.slowest.is_empty() {
        return;
    }
    out.push_str("\n#### Slowest traces\n\n");
    out.push_str("| Duration | Spans | Status | Service | Root span | Trace ID |\n");
    out.push_str("|--:|--:|---|---|---|---|\n");
    for t in &summary.slowest {
        let root = if t.has_root { "" } else { "(no root) " };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {root}{} | `{}` |",
            duration(t.duration),
            t.spans,
            if t.error { "❌ error" } else { "ok" },
            escape(&t.service),
            escape(&t.name),
            t.trace_id
        );
    }
}

fn name_table(out: &mut String, names: &[&NameSummary]) {
    out.push_str("| Total | Count | p50 | p95 | Errors | Service | Span name |\n");
    out.push_str("|--:|--:|--:|--:|--:|---|---|\n");
    for n in names {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            duration(n.total),
            n.count,
            duration(n.p50),
            duration(n.p95),
            n.errors,
            escape(&n.service),
            escape(&n.name)
        );
    }
}

/// The job summary for `upload`: [`render`] plus a Mermaid gantt chart of the slowest
/// trace when `summary.slowest_trace_spans` holds its spans (a summary made by
/// [`super::summary::summarize_file`] does).
pub fn job_summary_markdown(summary: &Summary) -> String {
    let mut out = render(summary);
    if let (Some(trace), Some(spans)) = (summary.slowest.first(), &summary.slowest_trace_spans)
        && !spans.is_empty()
    {
        let _ = writeln!(
            out,
            "\n#### Slowest trace: {} ({})\n",
            escape(&trace.name),
            duration(trace.duration)
        );
        out.push_str(&gantt(spans));
    }
    out
}

/// Text safe as a Mermaid gantt task or section name.
pub(crate) fn mermaid_text(text: &str) -> String {
    const KEYWORDS: [&str; 14] = [
        "title",
        "section",
        "dateformat",
        "axisformat",
        "tickinterval",
        "excludes",
        "includes",
        "todaymarker",
        "weekday",
        "weekend",
        "acctitle",
        "accdescr",
        "click",
        "inclusiveenddates",
    ];
    let mut out: String = text
        .trim()
        .chars()
        .take(NAME_CHARS)
        .map(|c| match c {
            ':' => '∶',
            ';' => '；',
            '#' => '＃',
            '%' => '％',
            '`' => 'ˋ',
            '<' => '‹',
            '>' => '›',
            '&' => '＆',
            '"' => '”',
            '{' => '⦃',
            '}' => '⦄',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let first_word = out.split_whitespace().next().unwrap_or("").to_lowercase();
    if out.is_empty() || KEYWORDS.iter().any(|k| first_word.starts_with(k)) {
        out.insert(0, '·');
    }
    out
}

/// A fenced Mermaid gantt chart of up to [`GANTT_SPANS`] spans (the longest ones) of one
/// trace, times in milliseconds from the trace's start: one section per service (in
/// the order services first appear), spans in start order within it, and every bar at
/// least [`MIN_BAR`] of the chart long, so that a span of no length is still seen.
pub(crate) fn gantt(spans: &[SpanTiming]) -> String {
    let mut chosen: Vec<&SpanTiming> = spans.iter().collect();
    chosen.sort_by_key(|s| std::cmp::Reverse(s.end.saturating_sub(s.start)));
    chosen.truncate(GANTT_SPANS);
    chosen.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
    let origin = chosen.iter().map(|s| s.start).min().unwrap_or(0);
    let ms = |t: u64| (t.saturating_sub(origin) + 500_000) / 1_000_000;
    let last = chosen
        .iter()
        .map(|s| ms(s.end.max(s.start)))
        .max()
        .unwrap_or(0);
    let min_bar = (last / MIN_BAR).max(1);
    let mut out = String::from("```mermaid\ngantt\n    dateFormat x\n    axisFormat %M:%S.%L\n");
    if chosen.len() < spans.len() {
        let _ = writeln!(
            out,
            "    title The {} longest of {} spans",
            chosen.len(),
            spans.len()
        );
    }
    let mut services: Vec<&str> = Vec::new();
    for span in &chosen {
        if !services.contains(&span.service.as_str()) {
            services.push(&span.service);
        }
    }
    for service in services {
        let _ = writeln!(out, "    section {}", mermaid_text(service));
        for span in chosen.iter().filter(|s| s.service == service) {
            let start = ms(span.start);
            let end = ms(span.end.max(span.start)).max(start + min_bar);
            let tag = if span.error { "crit, " } else { "" };
            let _ = writeln!(out, "    {} :{tag}{start}, {end}", mermaid_text(&span.name));
        }
    }
    out.push_str("```\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_cells_stay_text() {
        assert_eq!(
            escape("<img src=x onerror=alert(1)> | *b*"),
            "&lt;img src=x onerror=alert(1)&gt; \\| \\*b\\*"
        );
        assert_eq!(escape("a\nb`c"), "a b\\`c");
    }

    #[test]
    fn mermaid_names_cannot_break_the_chart() {
        assert_eq!(mermaid_text("GET /a: b; c #1 %%"), "GET /a∶ b； c ＃1 ％％");
        assert_eq!(mermaid_text("section evil"), "·section evil");
        assert_eq!(mermaid_text("```"), "ˋˋˋ");
        assert_eq!(mermaid_text(""), "·");
    }

    #[test]
    fn gantt_keeps_the_longest_spans_in_start_order() {
        let span = |name: &str, start: u64, end: u64, error: bool| SpanTiming {
            name: name.to_owned(),
            service: "svc: a".to_owned(),
            start,
            end,
            error,
        };
        let mut spans = vec![span("root", 0, 900_000_000, false)];
        spans.extend((0..60).map(|i| span("child", 1_000_000 * i, 1_000_000 * i + 10, false)));
        spans.push(span("bad:one", 5_000_000, 80_000_000, true));
        let chart = gantt(&spans);
        assert!(chart.starts_with("```mermaid\ngantt\n"), "{chart}");
        assert!(chart.ends_with("```\n"));
        assert!(chart.contains("title The 50 longest of 62 spans"));
        assert!(
            chart.contains("    section svc∶ a\n    root :0, 900\n"),
            "{chart}"
        );
        assert!(chart.contains("    bad∶one :crit, 5, 80\n"), "{chart}");
        assert_eq!(chart.matches(" :").count(), 50);
    }

    #[test]
    fn gantt_has_one_section_per_service_and_no_bar_of_no_length() {
        let span = |service: &str, start_ms: u64, end_ms: u64| SpanTiming {
            name: format!("{service} at {start_ms}"),
            service: service.to_owned(),
            start: start_ms * 1_000_000,
            end: end_ms * 1_000_000,
            error: false,
        };
        let spans = [
            span("a", 0, 1000),
            span("b", 10, 20),
            span("a", 30, 30),
            span("b", 40, 40),
        ];
        let chart = gantt(&spans);
        assert_eq!(chart.matches("section").count(), 2, "{chart}");
        assert!(
            chart.contains(
                "    section a\n    a at 0 :0, 1000\n    a at 30 :30, 40\n    section b\n"
            ),
            "{chart}"
        );
        assert!(chart.contains("    b at 40 :40, 50\n"), "{chart}");
    }
}
