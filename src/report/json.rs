//! The summary as JSON for scripts: a stable, documented shape (docs/reference.md, "summary --format json").
//!
//! `"schema": 1` names this shape; a change that removes or renames a key, or changes
//! its meaning, must raise it. Adding keys does not. Timestamps are strings of
//! nanoseconds since the epoch (as in OTLP/JSON, since they exceed what a JavaScript
//! number holds) plus RFC 3339 text; durations are numbers of nanoseconds.

use serde::Serialize;

use super::fmt::timestamp;
use crate::trace::stats::{NameSummary, Summary, TraceSummary};

/// The version of the JSON shape.
pub(crate) const SCHEMA: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema: u32,
    input: &'a str,
    lines: u64,
    bytes: u64,
    invalid_lines: u64,
    legacy_lines: u64,
    resource_batches: u64,
    spans: u64,
    error_spans: u64,
    spans_without_ids: u64,
    traces: u64,
    traces_capped: bool,
    time_range: Option<TimeRange>,
    services: Vec<Service<'a>>,
    slowest_traces: Vec<Trace<'a>>,
    span_names: Vec<SpanName<'a>>,
    span_names_capped: bool,
    invalid: Vec<Invalid>,
}

#[derive(Serialize)]
struct TimeRange {
    start: String,
    end: String,
    start_unix_nano: String,
    end_unix_nano: String,
    wall_nanos: u64,
}

#[derive(Serialize)]
struct Service<'a> {
    name: &'a str,
    spans: u64,
    errors: u64,
}

#[derive(Serialize)]
#[allow(clippy::struct_field_names)] // `trace_id` is the documented JSON key
struct Trace<'a> {
    trace_id: &'a str,
    name: &'a str,
    service: &'a str,
    has_root: bool,
    start_unix_nano: String,
    duration_nanos: u64,
    spans: u64,
    error: bool,
}

#[derive(Serialize)]
struct SpanName<'a> {
    service: &'a str,
    name: &'a str,
    count: u64,
    errors: u64,
    total_nanos: u64,
    p50_nanos: u64,
    p95_nanos: u64,
    max_nanos: u64,
}

#[derive(Serialize)]
struct Invalid {
    line: u64,
    reason: String,
}

fn trace(t: &TraceSummary) -> Trace<'_> {
    Trace {
        trace_id: &t.trace_id,
        name: &t.name,
        service: &t.service,
        has_root: t.has_root,
        start_unix_nano: t.start.to_string(),
        duration_nanos: t.duration,
        spans: t.spans,
        error: t.error,
    }
}

fn span_name(n: &NameSummary) -> SpanName<'_> {
    SpanName {
        service: &n.service,
        name: &n.name,
        count: n.count,
        errors: n.errors,
        total_nanos: n.total,
        p50_nanos: n.p50,
        p95_nanos: n.p95,
        max_nanos: n.max,
    }
}

/// The summary as one pretty-printed JSON document (with a final newline).
pub(crate) fn render(summary: &Summary) -> String {
    let c = &summary.counts;
    let document = Document {
        schema: SCHEMA,
        input: &summary.input,
        lines: c.lines,
        bytes: c.bytes,
        invalid_lines: c.invalid_lines,
        legacy_lines: c.legacy_lines,
        resource_batches: c.resource_batches,
        spans: c.spans,
        error_spans: c.error_spans,
        spans_without_ids: c.spans_without_ids,
        traces: summary.traces,
        traces_capped: summary.traces_capped,
        time_range: c.first_start.zip(c.last_end).map(|(start, end)| TimeRange {
            start: timestamp(start),
            end: timestamp(end),
            start_unix_nano: start.to_string(),
            end_unix_nano: end.to_string(),
            wall_nanos: end.saturating_sub(start),
        }),
        services: c
            .services
            .iter()
            .map(|(name, s)| Service {
                name,
                spans: s.spans,
                errors: s.errors,
            })
            .collect(),
        slowest_traces: summary.slowest.iter().map(trace).collect(),
        span_names: summary.span_names.iter().map(span_name).collect(),
        span_names_capped: summary.span_names_capped,
        invalid: c
            .invalid
            .iter()
            .map(|(line, reason)| Invalid {
                line: *line,
                reason: reason.to_string(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&document).expect("plain data serializes");
    text.push('\n');
    text
}
