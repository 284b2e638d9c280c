//! The collector's bounds: traces, span names and pending durations.

use super::*;

#[test]
fn traces_past_the_limit_are_not_tracked_but_said_to_be_cut() {
    let mut detail = Detail::default();
    let label = Label {
        service: 0,
        name: 0,
    };
    let trace = TraceState {
        start: 1,
        end: 2,
        spans: 1,
        error: false,
        root: None,
        earliest: label,
    };
    for key in 0..=MAX_TRACES as u128 {
        detail.add_trace(key, &trace);
    }
    assert_eq!(detail.traces.len(), MAX_TRACES);
    assert!(detail.traces_capped);
    detail.add_trace(0, &trace);
    assert_eq!(detail.traces[&0].spans, 2, "known traces still count");
}

#[test]
fn pending_durations_go_into_sketches_before_they_grow_past_their_bound() {
    let mut collector = Collector::default();
    let spans: Vec<String> = (1..=100)
        .map(|ms| {
            format!(
                r#"{{"name":"op","startTimeUnixNano":"0","endTimeUnixNano":"{}"}}"#,
                ms * 1_000_000
            )
        })
        .collect();
    let line = format!(
        r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    );
    let lines = PENDING as u64 / 100 + 1;
    for no in 0..lines {
        collector.add_line(no, line.as_bytes());
    }
    let pending = collector.detail.pending.len() as u64;
    assert!(pending < PENDING as u64);
    let sketched = collector.detail.name_states[0].1.sketch.whole().count();
    assert_eq!(sketched + pending, lines * 100);
    let summary = collector.finish(String::new());
    let op = &summary.span_names[0];
    assert_eq!((op.count, op.max), (lines * 100, 100_000_000));
    assert!(op.p50.abs_diff(50_000_000) < 1_000_000, "{}", op.p50);
}

#[test]
fn span_names_past_the_limit_are_lumped_per_service() {
    let mut collector = Collector::default();
    for i in 0..=MAX_SPAN_NAMES {
        let line = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"name":"op{i}","startTimeUnixNano":"1","endTimeUnixNano":"3"}}]}}]}}]}}"#
        );
        collector.add_line(1, line.as_bytes());
    }
    let summary = collector.finish(String::new());
    assert!(summary.span_names_capped);
    assert_eq!(summary.span_names.len(), MAX_SPAN_NAMES + 1);
    let other = summary
        .span_names
        .iter()
        .find(|n| n.name == OTHER_NAMES)
        .unwrap();
    assert_eq!((other.count, other.total), (1, 2));
}
