//! Counting what a trace file holds, in one streaming pass: lines, spans, traces,
//! services, errors, time range, and the lines that are not valid.
//!
//! `upload` uses these counts for its outputs and warnings, `summary` builds on them.
//! Memory grows with the number of distinct traces and services, never with the file.

use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;

use super::lines::Lines;
use super::model::{self, LineError, Span, TracesData};

/// How many invalid lines are kept with their reason (all are counted).
pub(crate) const INVALID_KEPT: usize = 100;

/// Per-service counts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ServiceCounts {
    /// Spans of this service.
    pub spans: u64,
    /// Spans with status ERROR.
    pub errors: u64,
}

impl ServiceCounts {
    fn add(&mut self, other: &ServiceCounts) {
        self.spans += other.spans;
        self.errors += other.errors;
    }
}

/// What one pass over a trace file found.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    /// Non-blank lines.
    pub lines: u64,
    /// Bytes of the non-blank lines (line endings excluded).
    pub bytes: u64,
    /// Resource batches (`resourceSpans` entries).
    pub resource_batches: u64,
    /// Spans.
    pub spans: u64,
    /// Spans without a trace or span id.
    pub spans_without_ids: u64,
    /// Spans with status ERROR.
    pub error_spans: u64,
    /// Lines in the pre-v0.48 shape.
    pub legacy_lines: u64,
    /// Distinct trace ids.
    pub traces: HashSet<u128>,
    /// Counts per `service.name`.
    pub services: BTreeMap<String, ServiceCounts>,
    /// Earliest span start (ns since the epoch), if any span had one.
    pub first_start: Option<u64>,
    /// Latest span end (ns since the epoch).
    pub last_end: Option<u64>,
    /// Invalid lines counted.
    pub invalid_lines: u64,
    /// The first [`INVALID_KEPT`] invalid lines: number and reason.
    pub invalid: Vec<(u64, LineError)>,
}

impl Counts {
    /// Reads every line of `reader` and counts it.
    pub fn scan(reader: impl BufRead) -> std::io::Result<Self> {
        let mut counts = Self::default();
        let mut lines = Lines::new(reader);
        while let Some((line_no, line)) = lines.next_line()? {
            counts.add_line(line_no, line);
        }
        Ok(counts)
    }

    /// Counts one line (valid or not) and returns the parsed line when valid.
    pub(crate) fn add_line<'a>(&mut self, line_no: u64, line: &'a [u8]) -> Option<TracesData<'a>> {
        let mut traces = std::mem::take(&mut self.traces);
        let data = self.add_line_each(line_no, line, |_, span| insert_trace(&mut traces, span));
        self.traces = traces;
        data
    }

    /// Like [`Counts::add_line`], but leaves `traces` alone and calls `on_span` with the
    /// service name and each span of a valid line, for callers that track traces
    /// themselves (the summary keeps more per trace than its id).
    pub(crate) fn add_line_each<'a>(
        &mut self,
        line_no: u64,
        line: &'a [u8],
        on_span: impl FnMut(&str, &Span<'_>),
    ) -> Option<TracesData<'a>> {
        self.add_parsed_each(line_no, line, model::parse_line(line), on_span)
    }

    /// Like [`Counts::add_line_each`], for a line that the caller parsed (with
    /// [`model::parse_line`] or a parser that gives the same results).
    pub(crate) fn add_parsed_each<'a>(
        &mut self,
        line_no: u64,
        line: &[u8],
        parsed: Result<TracesData<'a>, LineError>,
        on_span: impl FnMut(&str, &Span<'_>),
    ) -> Option<TracesData<'a>> {
        self.lines += 1;
        self.bytes += line.len() as u64;
        match parsed {
            Ok(data) => {
                self.add_each(&data, on_span);
                Some(data)
            }
            Err(err) => {
                self.invalid_lines += 1;
                if self.invalid.len() < INVALID_KEPT {
                    self.invalid.push((line_no, err));
                }
                None
            }
        }
    }

    /// Counts the spans of a valid line except their trace ids, and calls `on_span`
    /// with the service name and each span.
    pub(crate) fn add_each(
        &mut self,
        data: &TracesData<'_>,
        mut on_span: impl FnMut(&str, &Span<'_>),
    ) {
        let batches = data.resource_spans.as_deref().unwrap_or_default();
        if batches.iter().any(|rs| !rs.legacy_scope_spans.is_empty()) {
            self.legacy_lines += 1;
        }
        for rs in batches {
            self.resource_batches += 1;
            let name = rs.service_name();
            // Counted apart, then added to the service's counts with one lookup.
            let mut service = ServiceCounts::default();
            for span in rs.spans() {
                self.spans += 1;
                service.spans += 1;
                if span.is_error() {
                    self.error_spans += 1;
                    service.errors += 1;
                }
                if span.lacks_ids() {
                    self.spans_without_ids += 1;
                }
                on_span(name, span);
                if span.start_time_unix_nano > 0 {
                    self.first_start = min_some(self.first_start, span.start_time_unix_nano);
                }
                if span.end_time_unix_nano > 0 {
                    self.last_end = Some(self.last_end.unwrap_or(0).max(span.end_time_unix_nano));
                }
            }
            match self.services.get_mut(name) {
                Some(known) => known.add(&service),
                None => {
                    self.services.insert(name.to_owned(), service);
                }
            }
        }
    }

    /// Adds the counts of another pass (over other lines) to these. Invalid lines stay
    /// ordered by line number, and only the first [`INVALID_KEPT`] are kept.
    pub(crate) fn merge(&mut self, other: Counts) {
        // Destructured so that a new field of `Counts` cannot be forgotten here.
        let Counts {
            lines,
            bytes,
            resource_batches,
            spans,
            spans_without_ids,
            error_spans,
            legacy_lines,
            traces,
            services,
            first_start,
            last_end,
            invalid_lines,
            invalid,
        } = other;
        self.lines += lines;
        self.bytes += bytes;
        self.resource_batches += resource_batches;
        self.spans += spans;
        self.spans_without_ids += spans_without_ids;
        self.error_spans += error_spans;
        self.legacy_lines += legacy_lines;
        self.traces.extend(traces);
        for (name, counts) in services {
            self.services.entry(name).or_default().add(&counts);
        }
        if let Some(start) = first_start {
            self.first_start = min_some(self.first_start, start);
        }
        self.last_end = self.last_end.max(last_end);
        self.invalid_lines += invalid_lines;
        self.invalid.extend(invalid);
        self.invalid.sort_by_key(|(line, _)| *line);
        self.invalid.truncate(INVALID_KEPT);
    }
}

fn insert_trace(traces: &mut HashSet<u128>, span: &Span<'_>) {
    if let Some(key) = model::trace_key(&span.trace_id) {
        traces.insert(key);
    }
}

fn min_some(current: Option<u64>, value: u64) -> Option<u64> {
    current.map_or(Some(value), |t| Some(t.min(value)))
}

#[cfg(test)]
mod tests {
    use super::Counts;

    #[test]
    fn fixtures_are_counted() {
        let text = [
            include_str!("../../tests/fixtures/collector-pdata-sample.jsonl"),
            "not json\n",
            include_str!("../../tests/fixtures/legacy-instrumentation-library.jsonl"),
        ]
        .concat();
        let counts = Counts::scan(text.as_bytes()).unwrap();
        assert_eq!(counts.lines, 4);
        assert_eq!(counts.invalid_lines, 1);
        assert_eq!(counts.invalid[0].0, 3);
        assert_eq!(counts.spans, 4);
        assert_eq!(counts.spans_without_ids, 1);
        assert_eq!(counts.traces.len(), 2);
        assert_eq!(counts.legacy_lines, 1);
        assert_eq!(
            counts.services.keys().collect::<Vec<_>>(),
            ["legacy", "testService", "unknown_service"]
        );
    }

    #[test]
    fn merged_halves_equal_one_pass() {
        let sample = include_str!("../../tests/fixtures/collector-pdata-sample.jsonl");
        let whole = Counts::scan(format!("{sample}bad\n{sample}").as_bytes()).unwrap();
        let mut first = Counts::scan(format!("{sample}bad\n").as_bytes()).unwrap();
        let mut second = Counts::default();
        for (no, line) in sample.lines().enumerate() {
            second.add_line(no as u64 + 4, line.as_bytes());
        }
        first.merge(second);
        let key = |c: &Counts| {
            (
                (
                    c.lines,
                    c.bytes,
                    c.resource_batches,
                    c.spans,
                    c.spans_without_ids,
                ),
                (c.error_spans, c.legacy_lines, c.first_start, c.last_end),
                (c.traces.clone(), c.services.clone(), c.invalid.clone()),
            )
        };
        assert_eq!(key(&first), key(&whole));
        assert_eq!(first.invalid[0].0, 3);
    }
}
