//! Counting what a trace file holds, in one streaming pass: lines, spans, traces,
//! services, errors, time range, and the lines that are not valid.
//!
//! `upload` uses these counts for its outputs and warnings, `summary` builds on them.
//! Memory grows with the number of distinct traces and services, never with the file.

use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;

use super::lines::Lines;
use super::model::{self, LineError, TracesData};

/// How many invalid lines are kept with their reason (all are counted).
pub const INVALID_KEPT: usize = 100;

/// Per-service counts.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ServiceCounts {
    /// Spans of this service.
    pub spans: u64,
    /// Spans with status ERROR.
    pub errors: u64,
}

/// What one pass over a trace file found.
#[derive(Debug, Default)]
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
    pub fn add_line<'a>(&mut self, line_no: u64, line: &'a [u8]) -> Option<TracesData<'a>> {
        self.lines += 1;
        self.bytes += line.len() as u64;
        match model::parse_line(line) {
            Ok(data) => {
                self.add(&data);
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

    /// Counts the spans of a valid line.
    pub fn add(&mut self, data: &TracesData<'_>) {
        let batches = data.resource_spans.as_deref().unwrap_or_default();
        if batches.iter().any(|rs| !rs.legacy_scope_spans.is_empty()) {
            self.legacy_lines += 1;
        }
        for rs in batches {
            self.resource_batches += 1;
            let service = self
                .services
                .entry(rs.service_name().to_owned())
                .or_default();
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
                if let Some(key) = model::trace_key(&span.trace_id) {
                    self.traces.insert(key);
                }
                if span.start_time_unix_nano > 0 {
                    self.first_start =
                        Some(self.first_start.map_or(span.start_time_unix_nano, |t| {
                            t.min(span.start_time_unix_nano)
                        }));
                }
                if span.end_time_unix_nano > 0 {
                    self.last_end = Some(
                        self.last_end
                            .map_or(span.end_time_unix_nano, |t| t.max(span.end_time_unix_nano)),
                    );
                }
            }
        }
    }
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
}
