//! The changes `replay` makes to a line before sending it: the pre-v0.48 shape turned
//! into the current one, and every timestamp moved by one offset (`--shift-to-now`).
//!
//! The shift of a line in the current shape is made on its bytes ([`shift_json`]): the
//! time values are replaced and every other byte is copied as it is, so a line of
//! hundreds of MiB costs its size once more, not a tree of JSON values. The legacy
//! conversion, rare and on small old lines, works on a parsed copy. The file itself is
//! never written. The shift
//! moves span start and end times and event times by the same number of nanoseconds,
//! so durations and the gaps between spans stay exactly as they were, and it leaves
//! ids alone. A timestamp of 0 means "not set" in OTLP and stays 0. A time that the
//! shift would move out of the 64-bit range is never clamped (that would change a
//! duration): its line fails with the reason, and the other lines are unaffected.
//! Likewise one absurd end time (far in the future) does not decide the offset: the
//! latest end is taken among the plausible ones.

use std::io::BufRead;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::trace::lines::Lines;
use crate::trace::model;

/// Renames `instrumentationLibrarySpans` to `scopeSpans` and `instrumentationLibrary`
/// to `scope` in every resource; returns whether anything changed.
pub(crate) fn convert_legacy(request: &mut Value) -> bool {
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
pub(crate) fn shift(request: &mut Value, offset: i128) -> Result<(), String> {
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
        *value = Value::String(shifted(name, nanos, offset)?.to_string());
    }
    Ok(())
}

/// `nanos` moved by `offset`; 0 (unset) stays 0, and a result outside OTLP's range is
/// an error naming the field, never clamped.
pub(crate) fn shifted(name: &str, nanos: u64, offset: i128) -> Result<u64, String> {
    if nanos == 0 {
        return Ok(0);
    }
    u64::try_from(i128::from(nanos) + offset)
        .ok()
        .filter(|moved| *moved > 0)
        .ok_or_else(|| {
            format!(
                "`{name}` {nanos} cannot be shifted by {offset} ns: the result is outside the range of OTLP timestamps"
            )
        })
}

/// The JSON keys whose values the shift moves (span start and end, event time).
const TIME_KEYS: [&[u8]; 3] = [b"startTimeUnixNano", b"endTimeUnixNano", b"timeUnixNano"];

/// The line with every span start/end time and event time moved by `offset`
/// nanoseconds and written as a decimal string, as OTLP/JSON writes 64-bit integers;
/// every other byte as it was. `line` must be valid JSON (the replay checked it).
pub(crate) fn shift_json(line: &[u8], offset: i128) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(line.len() + line.len() / 16 + 64);
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'"', &line[at..]) {
        let open = at + found;
        let close = string_end(line, open + 1);
        let name = &line[open + 1..close];
        let mut next = close + 1;
        while line.get(next).is_some_and(u8::is_ascii_whitespace) {
            next += 1;
        }
        if line.get(next) != Some(&b':') || !TIME_KEYS.contains(&name) {
            out.extend_from_slice(&line[at..=close]);
            at = close + 1;
            continue;
        }
        let mut start = next + 1;
        while line.get(start).is_some_and(u8::is_ascii_whitespace) {
            start += 1;
        }
        out.extend_from_slice(&line[at..start]);
        let (value, end) = if line.get(start) == Some(&b'"') {
            let end = string_end(line, start + 1);
            (&line[start + 1..end], end + 1)
        } else {
            let end = start
                + line[start..]
                    .iter()
                    .position(|b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                    .unwrap_or(line.len() - start);
            (&line[start..end], end)
        };
        let key = String::from_utf8_lossy(name);
        let text = String::from_utf8_lossy(value);
        let nanos: u64 = match text.as_ref() {
            "null" => {
                out.extend_from_slice(&line[start..end]);
                at = end;
                continue;
            }
            "" => 0,
            digits => digits
                .parse()
                .map_err(|_| format!("`{key}` is {text}, not a timestamp in nanoseconds"))?,
        };
        let moved = shifted(&key, nanos, offset)?;
        if nanos == 0 {
            out.extend_from_slice(&line[start..end]);
        } else {
            out.extend_from_slice(format!("\"{moved}\"").as_bytes());
        }
        at = end;
    }
    out.extend_from_slice(&line[at..]);
    Ok(out)
}

/// The index of the quote that closes the string whose contents begin at `from` (past
/// backslash escapes), or the line's end.
fn string_end(line: &[u8], mut from: usize) -> usize {
    while let Some(found) = memchr::memchr2(b'"', b'\\', &line[from..]) {
        let at = from + found;
        if line[at] == b'"' {
            return at;
        }
        from = at + 2;
        if from >= line.len() {
            break;
        }
    }
    line.len()
}

/// Nanoseconds since the Unix epoch, now.
fn now_nanos() -> i128 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    i128::try_from(now).unwrap_or(i128::MAX)
}

/// End times later than this after now are not taken as the file's latest end: a
/// clock a little fast is normal, a span ending in a later year is a broken one.
const FUTURE_SLACK_NANOS: i128 = 24 * 3600 * 1_000_000_000;

/// The offset that moves `latest_end` to now.
pub(crate) fn offset_to_now(latest_end: u64) -> i128 {
    now_nanos() - i128::from(latest_end)
}

/// The latest plausible span end time of a file's valid lines (a first pass for the
/// shift): end times more than a day after now are left out.
pub(crate) fn latest_end(reader: impl BufRead) -> std::io::Result<Option<u64>> {
    latest_end_before(reader, now_nanos() + FUTURE_SLACK_NANOS)
}

/// The latest span end time no later than `limit` (nanoseconds since the epoch).
fn latest_end_before(reader: impl BufRead, limit: i128) -> std::io::Result<Option<u64>> {
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
            .filter(|end| *end > 0 && i128::from(*end) <= limit);
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
    fn shifting_the_bytes_moves_the_times_and_copies_everything_else() {
        let line = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a \"startTimeUnixNano\": 5","startTimeUnixNano" : "100","endTimeUnixNano":250,"attributes":[{"key":"timeUnixNano","value":{"intValue":"7"}}],"events":[{"timeUnixNano":"200"},{"timeUnixNano":"0"},{"timeUnixNano":null}]}]}]}]}"#;
        let moved = shift_json(line, 1000).unwrap();
        let expected = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a \"startTimeUnixNano\": 5","startTimeUnixNano" : "1100","endTimeUnixNano":"1250","attributes":[{"key":"timeUnixNano","value":{"intValue":"7"}}],"events":[{"timeUnixNano":"1200"},{"timeUnixNano":"0"},{"timeUnixNano":null}]}]}]}]}"#;
        assert_eq!(
            String::from_utf8_lossy(&moved),
            String::from_utf8_lossy(expected)
        );
        let err = shift_json(br#"{"startTimeUnixNano":1.5e3}"#, 1).unwrap_err();
        assert!(err.contains("not a timestamp"), "{err}");
        let err = shift_json(br#"{"endTimeUnixNano":"100"}"#, -100).unwrap_err();
        assert!(err.contains("outside the range"), "{err}");
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

    /// Regression: one span ending near `u64::MAX` set the offset, and every other
    /// timestamp in the file was clamped to 1.
    #[test]
    fn an_absurd_end_time_neither_sets_the_offset_nor_is_clamped() {
        let absurd = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}]}}]}}]}}"#,
            u64::MAX - 10,
            u64::MAX - 5
        );
        let normal = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"1000","endTimeUnixNano":"5000"}]}]}]}"#;
        let text = format!("{absurd}\n{normal}\n");
        assert_eq!(latest_end(text.as_bytes()).unwrap(), Some(5000));

        let offset = 1_000_000;
        let mut moved: Value = serde_json::from_str(normal).unwrap();
        shift(&mut moved, offset).unwrap();
        let span = &moved["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        assert_eq!(span["startTimeUnixNano"], "1001000");
        assert_eq!(span["endTimeUnixNano"], "1005000");

        let mut broken: Value = serde_json::from_str(&absurd).unwrap();
        let reason = shift(&mut broken, offset).unwrap_err();
        assert!(reason.contains("outside the range"), "{reason}");
        let mut early: Value = serde_json::from_str(normal).unwrap();
        assert!(
            shift(&mut early, -2000).is_err(),
            "a time before 1970 fails, never becomes 1"
        );
    }
}
