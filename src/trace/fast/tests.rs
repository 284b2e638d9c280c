//! The fast scanner against serde_json: the same answer on every line, valid or not.

use super::*;
use crate::generate::{self, Options};

const SAMPLE: &str = include_str!("../../../tests/fixtures/collector-pdata-sample.jsonl");
const LEGACY: &str = include_str!("../../../tests/fixtures/legacy-instrumentation-library.jsonl");

/// Both parsers' answers, compared through `Debug` (the model has no `PartialEq`).
fn assert_same(line: &[u8]) {
    let fast = format!("{:?}", parse_line(line));
    let slow = format!("{:?}", model::parse_line(line));
    assert_eq!(fast, slow, "line: {}", String::from_utf8_lossy(line));
}

fn generated_lines(lines: u64) -> Vec<u8> {
    let mut file = Vec::new();
    let options = Options {
        lines: Some(lines),
        ..Options::default()
    };
    generate::write(&options, &mut file).unwrap();
    file
}

#[test]
fn common_lines_take_the_fast_path_and_read_the_same() {
    let generated = generated_lines(50);
    let text = [SAMPLE.as_bytes(), LEGACY.as_bytes(), &generated].concat();
    for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        assert!(traces_data(line).is_some(), "not read the fast way");
        assert_same(line);
    }
}

/// A cursor at the start of `text`.
fn cursor(text: &str) -> Cursor<'_> {
    Cursor {
        text,
        at: 0,
        depth: 0,
    }
}

#[test]
fn spans_in_the_collectors_form_are_read_by_fixed_comparisons() {
    let full = r#"{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","traceState":"a=b","parentSpanId":"eee19b7ec3c1b173","flags":1,"name":"op","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[{"key":"a","value":{"intValue":"1"}}],"droppedAttributesCount":1,"events":[{"timeUnixNano":"1","name":"e"}],"droppedEventsCount":1,"links":[],"droppedLinksCount":1,"status":{"message":"m","code":2}}"#;
    let fixed = [full, r#"{"traceId":"","spanId":""}"#];
    let other = [
        r#"{"spanId":"","traceId":""}"#,
        r#"{"traceId":"","spanId":"","name":"a","name":"b"}"#,
        r#"{"traceId":"","spanId":"","x":1}"#,
        r#"{"traceId":"","spanId":"","kind":"2"}"#,
        r#"{ "traceId":"","spanId":""}"#,
        r#"{"traceId":"","spanId":"","status":{}"#,
    ];
    for span in fixed.into_iter().chain(other) {
        let read = cursor(span).collector_span();
        assert_eq!(read.is_some(), fixed.contains(&span), "{span}");
        if let Some(read) = read {
            let by_fields = cursor(span).span_fields().unwrap();
            assert_eq!(format!("{read:?}"), format!("{by_fields:?}"));
        }
        let line = format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{span}]}}]}}]}}"#);
        assert_same(line.as_bytes());
    }
}

#[test]
fn unusual_lines_are_left_to_serde_json() {
    let unusual: &[&[u8]] = &[
        br#"{"resourceSpans":null}"#,
        br#"{"resourceSpans":[],"resourceSpans":[]}"#,
        br#"[[{"scopeSpans":[]}]]"#,
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a\"b"}]}]}]}"#,
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"\ud800"}]}]}]}"#,
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"+5"}]}]}]}"#,
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":-0}]}]}]}"#,
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"endTimeUnixNano":1.0}]}]}]}"#,
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"endTimeUnixNano":"99999999999999999999"}]}]}]}"#,
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"status":{"code":"2"}}]}]}]}"#,
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"status":null}]}]}]}"#,
        br#"{"resourceSpans":[{"resource":{"attributes":[{"value":{}}]}}]}"#,
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[1,]}]}]}]}"#,
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[01]}]}]}]}"#,
        br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"x":"tab	inside"}]}]}]}"#,
        br#"{"resourceSpans":[]} x"#,
        br#"{"resourceSpans":[{"resource\u0020":{}}]}"#,
        b"{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"\xff\"}]}}]}",
    ];
    let deep = format!(
        r#"{{"resourceSpans":[],"x":{}{}}}"#,
        "[".repeat(70),
        "]".repeat(70)
    );
    for &line in unusual.iter().chain([&deep.as_bytes()]) {
        assert!(
            traces_data(line).is_none(),
            "{}",
            String::from_utf8_lossy(line)
        );
        assert_same(line);
    }
}

/// Every byte of real lines replaced by characters that matter to JSON, or removed:
/// whatever comes out, both parsers agree.
#[test]
fn damaged_lines_read_the_same_as_with_serde_json() {
    let generated = generated_lines(1);
    let lines = [
        SAMPLE.lines().next().unwrap().as_bytes(),
        LEGACY.trim().as_bytes(),
        &generated[..2000.min(generated.len())],
    ];
    let replacements = b"\"\\,:{}[]0-.eEn \x01";
    for line in lines {
        for at in 0..line.len() {
            let mut damaged = line.to_vec();
            damaged.remove(at);
            assert_same(&damaged);
            for &byte in replacements {
                damaged = line.to_vec();
                damaged[at] = byte;
                assert_same(&damaged);
            }
        }
    }
}

/// Random edits of a valid line: replace, insert or delete one byte at a place.
fn mutate(line: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut bytes = line.to_vec();
    for &(place, byte, kind) in edits {
        let at = place % (bytes.len() + 1);
        match kind % 3 {
            0 if at < bytes.len() => bytes[at] = byte,
            1 => bytes.insert(at, byte),
            _ if at < bytes.len() => {
                bytes.remove(at);
            }
            _ => bytes.push(byte),
        }
    }
    bytes
}

/// JSON-ish bytes: random picks from the characters lines are made of, so that random
/// input reaches deep into the parsers rather than failing at the first byte.
fn json_ish() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    let alphabet = b"{}[]:,\"\\ 0123456789abcdef-.eEtrufnlsx\xc3\xa9";
    proptest::collection::vec(proptest::sample::select(alphabet.to_vec()), 0..400)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Property: on random bytes, the fast scanner never panics and gives serde_json's
    /// answer.
    #[test]
    fn random_bytes_read_the_same(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
        assert_same(&bytes);
    }

    /// Property: the same on random JSON-like text.
    #[test]
    fn random_json_like_text_reads_the_same(bytes in json_ish()) {
        assert_same(&bytes);
    }

    /// Property: the same on random edits of real lines (the Collector's sample, the
    /// legacy shape, generated lines with every field kind).
    #[test]
    fn mutated_lines_read_the_same(
        which in 0usize..8,
        edits in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>(), 0u8..3), 1..6),
    ) {
        static LINES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
        let lines = LINES.get_or_init(|| {
            let generated = generated_lines(4);
            [SAMPLE.as_bytes(), LEGACY.as_bytes(), &generated]
                .into_iter()
                .flat_map(|text| text.split(|&b| b == b'\n'))
                .filter(|line| !line.is_empty())
                .map(<[u8]>::to_vec)
                .collect()
        });
        let line = &lines[which % lines.len()];
        assert_same(&mutate(line, &edits));
    }
}
