//! The changes `replay` makes to a line before sending it: the pre-v0.48 shape turned
//! into the current one, and every timestamp moved by one offset (`--shift-to-now`).
//!
//! Both work on a parsed copy of the line; the file itself is never written. The shift
//! moves span start and end times and event times by the same number of nanoseconds,
//! so durations and the gaps between spans stay exactly as they were, and it leaves
//! ids alone. A timestamp of 0 means "not set" in OTLP and stays 0.

use std::io::BufRead;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::trace::lines::Lines;
use crate::trace::model;

/// Renames `instrumentationLibrarySpans` to `scopeSpans` and `instrumentationLibrary`
/// to `scope` in every resource; returns whether anything changed.
pub fn convert_legacy(request: &mut Value) -> bool {
    let mut changed = false;
    for resource in resource_spans(request) {
        let Some(Value::Array(legacy)) = resource.remove("instrumentationLibrarySpans") else {
            continue;
        };
        changed = true;
        let converted = legacy.into_iter().map(|mut scope_spans| {
            if let Some(object) = scope_spans.as_object_mut()
                && let Some(library) = object.remove("instrumentationLibrary")
            {
                object.insert("scope".to_owned(), library);
            }
            scope_spans
        });
        match resource.get_mut("scopeSpans") {
            Some(Value::Array(current)) => current.extend(converted),
            _ => {
                resource.insert("scopeSpans".to_owned(), Value::Array(converted.collect()));
            }
        }
    }
    changed
}

/// Adds `offset` nanoseconds to every span start/end time and event time.
pub fn shift(request: &mut Value, offset: i128) -> Result<(), String> {
    for resource in resource_spans(request) {
        let Some(Value::Array(scopes)) = resource.get_mut("scopeSpans") else {
            continue;
        };
        for scope in scopes.iter_mut().filter_map(Value::as_object_mut) {
            let Some(Value::Array(spans)) = scope.get_mut("spans") else {
                continue;
            };
            for span in spans.iter_mut().filter_map(Value::as_object_mut) {
                shift_field(span, "startTimeUnixNano", offset)?;
                shift_field(span, "endTimeUnixNano", offset)?;
                if let Some(Value::Array(events)) = span.get_mut("events") {
                    for event in events.iter_mut().filter_map(Value::as_object_mut) {
                        shift_field(event, "timeUnixNano", offset)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn resource_spans(request: &mut Value) -> impl Iterator<Item = &mut Map<String, Value>> {
    request
        .get_mut("resourceSpans")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

/// Moves one timestamp (a string or a number) and writes it back as a decimal string,
/// as OTLP/JSON writes 64-bit integers.
fn shift_field(object: &mut Map<String, Value>, name: &str, offset: i128) -> Result<(), String> {
    let Some(value) = object.get_mut(name) else {
        return Ok(());
    };
    let nanos: u64 = match value {
        Value::Null => return Ok(()),
        Value::Number(number) => number.as_u64(),
        Value::String(text) if text.is_empty() => Some(0),
        Value::String(text) => text.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| format!("`{name}` is {value}, not a timestamp in nanoseconds"))?;
    if nanos != 0 {
        let moved = (i128::from(nanos) + offset).clamp(1, i128::from(u64::MAX));
        *value = Value::String(moved.to_string());
    }
    Ok(())
}

/// The offset that moves `latest_end` to now.
pub fn offset_to_now(latest_end: u64) -> i128 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    i128::try_from(now).unwrap_or(i128::MAX) - i128::from(latest_end)
}

/// The latest span end time of a file's valid lines (a first pass for the shift).
pub fn latest_end(reader: impl BufRead) -> std::io::Result<Option<u64>> {
    let mut lines = Lines::new(reader);
    let mut latest: Option<u64> = None;
    while let Some((_, line)) = lines.next_line()? {
        let Ok(data) = model::parse_line(line) else {
            continue;
        };
        let ends = data
            .resource_spans
            .iter()
            .flatten()
            .flat_map(model::ResourceSpans::spans)
            .map(|span| span.end_time_unix_nano)
            .filter(|end| *end > 0);
        latest = ends.fold(latest, |acc, end| Some(acc.map_or(end, |l| l.max(end))));
    }
    Ok(latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEGACY: &str = include_str!("../../tests/fixtures/legacy-instrumentation-library.jsonl");

    #[test]
    fn legacy_lines_become_scope_spans() {
        let mut line: Value = serde_json::from_str(LEGACY.trim()).unwrap();
        assert!(convert_legacy(&mut line));
        let resource = &line["resourceSpans"][0];
        assert!(resource.get("instrumentationLibrarySpans").is_none());
        assert_eq!(resource["scopeSpans"][0]["scope"]["name"], "name");
        assert_eq!(resource["scopeSpans"][0]["spans"][0]["name"], "testSpan");
        assert!(!convert_legacy(&mut line));
    }

    #[test]
    fn shifting_moves_every_time_and_keeps_zero() {
        let mut line: Value = serde_json::from_str(
            r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"100","endTimeUnixNano":250,"events":[{"timeUnixNano":"200"},{"timeUnixNano":"0"}]}]}]}]}"#,
        )
        .unwrap();
        shift(&mut line, 1000).unwrap();
        let span = &line["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(span["startTimeUnixNano"], "1100");
        assert_eq!(span["endTimeUnixNano"], "1250");
        assert_eq!(span["events"][0]["timeUnixNano"], "1200");
        assert_eq!(span["events"][1]["timeUnixNano"], "0");
    }

    #[test]
    fn the_first_pass_finds_the_latest_end_of_valid_lines() {
        let text = [
            include_str!("../../tests/fixtures/collector-pdata-sample.jsonl"),
            "not json\n",
            LEGACY,
        ]
        .concat();
        assert_eq!(
            latest_end(text.as_bytes()).unwrap(),
            Some(1_694_388_218_053_415_000)
        );
        assert_eq!(latest_end(&b""[..]).unwrap(), None);
    }
}
