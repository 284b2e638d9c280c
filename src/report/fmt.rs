//! Numbers as people read them: durations with a unit, timestamps in RFC 3339 (UTC).
//!
//! Shared by the text and markdown summaries. Pure functions, no clock, no locale.

use crate::trace::stats::Summary;

/// The overview both summaries open with, as (label, value) pairs; values hold names
/// from the file and must be escaped by the caller.
pub(crate) fn facts(summary: &Summary) -> Vec<(&'static str, String)> {
    let c = &summary.counts;
    let mut facts = vec![
        ("File", summary.input.clone()),
        (
            "Lines",
            format!(
                "{} ({} invalid, {} in the pre-v0.48 shape)",
                c.lines, c.invalid_lines, c.legacy_lines
            ),
        ),
        ("Resource batches", c.resource_batches.to_string()),
        (
            "Spans",
            format!(
                "{} ({} with status ERROR, {} without ids)",
                c.spans, c.error_spans, c.spans_without_ids
            ),
        ),
        (
            "Traces",
            if summary.traces_capped {
                format!("at least {} (too many to track)", summary.traces)
            } else {
                summary.traces.to_string()
            },
        ),
    ];
    if let (Some(start), Some(end)) = (c.first_start, c.last_end) {
        let range = format!(
            "{} to {} ({})",
            timestamp(start),
            timestamp(end),
            duration(end.saturating_sub(start))
        );
        facts.push(("Time range", range));
    }
    facts
}

/// `1.23 s`, `45.6 ms`, `789 µs`, `12 ns`: three significant digits at most.
pub(crate) fn duration(nanos: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (3_600_000_000_000, "h"),
        (60_000_000_000, "min"),
        (1_000_000_000, "s"),
        (1_000_000, "ms"),
    ];
    for (scale, unit) in UNITS {
        if nanos >= scale {
            return format!("{} {unit}", significant(nanos, scale));
        }
    }
    if nanos >= 1_000 {
        return format!("{} µs", significant(nanos, 1_000));
    }
    format!("{nanos} ns")
}

/// `nanos / scale` with three significant digits, trailing zeros dropped.
fn significant(nanos: u64, scale: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let value = nanos as f64 / scale as f64;
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// `2026-11-18T00:53:20.123Z` for a time in ns since the Unix epoch (milliseconds shown).
pub(crate) fn timestamp(unix_nanos: u64) -> String {
    crate::time::rfc3339_millis(unix_nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(0), "0 ns");
        assert_eq!(duration(999), "999 ns");
        assert_eq!(duration(1_500), "1.5 µs");
        assert_eq!(duration(45_600_000), "45.6 ms");
        assert_eq!(duration(1_234_000_000), "1.23 s");
        assert_eq!(duration(120_000_000_000), "2 min");
        assert_eq!(duration(999_999_999), "1000 ms");
    }
}
