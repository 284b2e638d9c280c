//! Which traces a report of a big file keeps: past a span budget, the failing traces
//! and then the slowest, each whole (all its spans or none), as many as fit. The budget
//! is also held to what fits in the page's bytes, reckoning each span at the file's
//! average bytes per span (a page entry is smaller than its OTLP/JSON), so that the
//! page's own size limit rarely has to cut a trace.
//!
//! Chosen from what the one pass over the file collected (`stats`: spans, duration and
//! errors per trace), so the page can be written in one more pass over a copy of the
//! file. A trace past the collector's limit of tracked traces, or a span without a
//! trace id, is left out once a budget applies.

use rustc_hash::FxHashSet as HashSet;

use super::stats::Collector;

/// The traces a budgeted report keeps, and what it leaves out.
#[derive(Debug, Clone, Default)]
pub(crate) struct Keep {
    /// The trace ids kept.
    pub traces: HashSet<u128>,
    /// Spans kept.
    pub spans: u64,
    /// Traces left out (of those tracked).
    pub left_out_traces: u64,
    /// Spans left out.
    pub left_out_spans: u64,
    /// The budget that applied.
    pub max_spans: u64,
    /// Whether the page's size, not the span budget asked for, set it.
    pub by_size: bool,
}

/// The traces to keep within `max_spans` and about `max_bytes` of page; `None` when
/// the whole file fits.
pub(crate) fn choose(collector: &Collector, max_spans: u64, max_bytes: u64) -> Option<Keep> {
    let total = collector.counts.spans;
    let per_span = (collector.counts.bytes / total.max(1)).max(1);
    let by_size = max_bytes / per_span < max_spans;
    let max_spans = max_spans.min(max_bytes / per_span);
    if total <= max_spans {
        return None;
    }
    let mut traces: Vec<(u128, u64, u64, bool)> = collector.trace_facts().collect();
    // Failing traces first, then the slowest; the id breaks ties, for a stable page.
    traces.sort_unstable_by(|a, b| b.3.cmp(&a.3).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    let mut keep = Keep {
        max_spans,
        by_size,
        ..Keep::default()
    };
    for (key, spans, _, _) in &traces {
        if keep.spans + spans <= max_spans {
            keep.spans += spans;
            keep.traces.insert(*key);
        } else {
            keep.left_out_traces += 1;
        }
    }
    keep.left_out_spans = total - keep.spans;
    Some(keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(trace: u8, spans: &[(u64, bool)]) -> String {
        let spans: Vec<String> = spans
            .iter()
            .map(|(ms, error)| {
                format!(
                    r#"{{"traceId":"{trace:032x}","spanId":"0000000000000001","name":"op","startTimeUnixNano":"0","endTimeUnixNano":"{}","status":{{"code":{}}}}}"#,
                    ms * 1_000_000,
                    if *error { 2 } else { 0 }
                )
            })
            .collect();
        format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
            spans.join(",")
        )
    }

    #[test]
    fn failing_then_slowest_traces_are_kept_whole_within_the_budget() {
        let mut collector = Collector::default();
        let lines = [
            line(1, &[(10, false), (5, false)]),
            line(2, &[(50, false), (1, false), (1, false)]),
            line(3, &[(1, true)]),
            line(4, &[(30, false), (2, false)]),
        ];
        for (no, text) in lines.iter().enumerate() {
            collector.add_line(no as u64 + 1, text.as_bytes());
        }
        assert!(choose(&collector, 8, u64::MAX).is_none(), "8 spans fit");
        let keep = choose(&collector, 4, u64::MAX).unwrap();
        // Trace 3 fails (1 span), trace 2 is the slowest (3 spans): 4 spans.
        let mut kept: Vec<u128> = keep.traces.iter().copied().collect();
        kept.sort_unstable();
        assert_eq!(kept, [2, 3]);
        assert_eq!(
            (keep.spans, keep.left_out_spans, keep.left_out_traces),
            (4, 4, 2)
        );
        let keep = choose(&collector, 3, u64::MAX).unwrap();
        // Trace 2 does not fit whole after trace 3; trace 4 (2 spans) does.
        let mut kept: Vec<u128> = keep.traces.iter().copied().collect();
        kept.sort_unstable();
        assert_eq!(kept, [3, 4]);
        assert!(!keep.by_size);
        // Room for about 3 spans of the file's average size: the size sets the budget.
        let per_span = collector.counts.bytes / collector.counts.spans;
        let keep = choose(&collector, 100, per_span * 3).unwrap();
        assert_eq!((keep.max_spans, keep.by_size), (3, true));
    }
}
