//! The parts of an OTLP/JSON `ExportTraceServiceRequest` this tool looks at, and the
//! check every line gets before it is counted, uploaded or sent.
//!
//! The model borrows from the line and skips every field it does not name, so that
//! counting gigabytes stays cheap. It accepts both the current shape (`scopeSpans`) and
//! the pre-v0.48 one (`instrumentationLibrarySpans`) and says which it saw; it accepts
//! 64-bit numbers as strings or numbers, as OTLP/JSON receivers do. It never changes a
//! line: rewriting (time shift, legacy conversion) belongs to `replay`.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{self, Deserializer};

/// One line of a trace file.
#[derive(Debug, Deserialize)]
pub(crate) struct TracesData<'a> {
    /// Batches, one per resource.
    #[serde(rename = "resourceSpans", borrow)]
    pub resource_spans: Option<Vec<ResourceSpans<'a>>>,
}

/// Spans of one resource (one service instance).
#[derive(Debug, Deserialize)]
pub(crate) struct ResourceSpans<'a> {
    /// The resource; `service.name` is in its attributes.
    #[serde(default, borrow)]
    pub resource: Option<Resource<'a>>,
    /// Current shape.
    #[serde(rename = "scopeSpans", default, borrow)]
    pub scope_spans: Vec<ScopeSpans<'a>>,
    /// Pre-v0.48 shape; current receivers silently drop it.
    #[serde(rename = "instrumentationLibrarySpans", default, borrow)]
    pub legacy_scope_spans: Vec<ScopeSpans<'a>>,
}

impl<'a> ResourceSpans<'a> {
    /// All spans of this resource, whichever shape carried them.
    pub(crate) fn spans(&self) -> impl Iterator<Item = &Span<'a>> {
        self.scope_spans
            .iter()
            .chain(&self.legacy_scope_spans)
            .flat_map(|scope| &scope.spans)
    }

    /// `service.name`, or `unknown_service` as the SDKs name a service that did not say.
    pub(crate) fn service_name(&self) -> &str {
        self.resource
            .as_ref()
            .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
            .and_then(|kv| kv.value.string_value.as_deref())
            .unwrap_or("unknown_service")
    }
}

/// A resource.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Resource<'a> {
    /// Attributes such as `service.name`.
    #[serde(default, borrow)]
    pub attributes: Vec<KeyValue<'a>>,
}

/// An attribute; only string values are kept.
#[derive(Debug, Deserialize)]
pub(crate) struct KeyValue<'a> {
    /// Attribute name.
    #[serde(borrow)]
    pub key: Cow<'a, str>,
    /// Attribute value.
    #[serde(default, borrow)]
    pub value: AnyValue<'a>,
}

/// An attribute value; other kinds are skipped.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AnyValue<'a> {
    /// `stringValue`.
    #[serde(rename = "stringValue", default, borrow)]
    pub string_value: Option<Cow<'a, str>>,
}

/// Spans of one instrumentation scope.
#[derive(Debug, Deserialize)]
pub(crate) struct ScopeSpans<'a> {
    /// The spans.
    #[serde(default, borrow)]
    pub spans: Vec<Span<'a>>,
}

/// A span, as far as counting and timing need it.
#[derive(Debug, Deserialize)]
#[allow(clippy::struct_field_names)] // `span_id` is OTLP's `spanId`
pub(crate) struct Span<'a> {
    /// 32 hex digits (lowercase as the Collector writes them), or empty.
    #[serde(rename = "traceId", default, borrow)]
    pub trace_id: Cow<'a, str>,
    /// 16 hex digits, or empty.
    #[serde(rename = "spanId", default, borrow)]
    pub span_id: Cow<'a, str>,
    /// 16 hex digits, or empty for a root span.
    #[serde(rename = "parentSpanId", default, borrow)]
    pub parent_span_id: Cow<'a, str>,
    /// Operation name.
    #[serde(default, borrow)]
    pub name: Cow<'a, str>,
    /// Start, nanoseconds since the Unix epoch.
    #[serde(
        rename = "startTimeUnixNano",
        default,
        deserialize_with = "u64_from_string_or_number"
    )]
    pub start_time_unix_nano: u64,
    /// End, nanoseconds since the Unix epoch.
    #[serde(
        rename = "endTimeUnixNano",
        default,
        deserialize_with = "u64_from_string_or_number"
    )]
    pub end_time_unix_nano: u64,
    /// Status; code 2 is an error.
    #[serde(default)]
    pub status: Option<Status>,
}

impl Span<'_> {
    /// Whether the span's status is ERROR.
    pub(crate) fn is_error(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.code == STATUS_ERROR)
    }

    /// Duration in nanoseconds (0 when the end is before the start).
    pub(crate) fn duration_nanos(&self) -> u64 {
        self.end_time_unix_nano
            .saturating_sub(self.start_time_unix_nano)
    }

    /// Whether the span has no trace or span id (real files contain such spans).
    pub(crate) fn lacks_ids(&self) -> bool {
        self.trace_id.is_empty() || self.span_id.is_empty()
    }
}

/// `STATUS_CODE_ERROR`.
pub(crate) const STATUS_ERROR: i64 = 2;

/// A span status.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Status {
    /// 0 unset, 1 ok, 2 error.
    #[serde(default)]
    pub code: i64,
}

/// Accepts `"123"` and `123`, as OTLP/JSON receivers do for 64-bit integers (for
/// `#[serde(deserialize_with)]`). A visitor rather than an untagged enum: this runs
/// twice per span, and an untagged enum buffers the value and builds an error for
/// every variant that does not match.
pub(crate) fn u64_from_string_or_number<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<u64, D::Error> {
    struct U64Visitor;
    impl de::Visitor<'_> for U64Visitor {
        type Value = u64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a 64-bit unsigned integer, as a number or a string")
        }

        fn visit_u64<E: de::Error>(self, n: u64) -> Result<u64, E> {
            Ok(n)
        }

        fn visit_i64<E: de::Error>(self, n: i64) -> Result<u64, E> {
            u64::try_from(n).map_err(|_| E::custom(format!("`{n}` is not a 64-bit integer")))
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<u64, E> {
            if s.is_empty() {
                return Ok(0);
            }
            s.parse()
                .map_err(|_| E::custom(format!("`{s}` is not a 64-bit integer")))
        }
    }
    deserializer.deserialize_any(U64Visitor)
}

/// Why a line is not a usable `ExportTraceServiceRequest`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// Not JSON, or not of the expected shape.
    #[error("not an OTLP/JSON trace request: {0}")]
    Json(String),
    /// Longer than the line-length cap: read past, never held.
    #[error(
        "{bytes} bytes long, more than the line-length cap of {cap} bytes (raise it with --max-line-bytes)"
    )]
    TooLong {
        /// The line's length.
        bytes: u64,
        /// The cap in force.
        cap: usize,
    },
    /// A JSON object without `resourceSpans`.
    #[error("no `resourceSpans` (is this a traces file from the Collector's file exporter?)")]
    NoResourceSpans,
    /// An id of the wrong length or not hex.
    #[error("span `{span}` has {field} `{value}`, which is not {digits} hex digits")]
    BadId {
        /// The span's name.
        span: String,
        /// `traceId`, `spanId` or `parentSpanId`.
        field: &'static str,
        /// The value found (shortened).
        value: String,
        /// The expected length.
        digits: usize,
    },
}

/// The error of a line over the line-length cap: one that a reader read past (its
/// marker, see `lines::overlong`) or one that is in memory but longer than the cap
/// (a reader that holds whole blocks sees those), so that every reader agrees.
pub(crate) fn too_long(line: &[u8]) -> Option<LineError> {
    let cap = crate::tuning::get().max_line_bytes;
    let bytes = crate::trace::lines::overlong(line)
        .or_else(|| (line.len() > cap).then_some(line.len() as u64))?;
    Some(LineError::TooLong { bytes, cap })
}

/// Parses and checks one line: a JSON object with `resourceSpans`, ids that are hex of
/// the right length (or empty, which is counted apart, not rejected).
pub(crate) fn parse_line(line: &[u8]) -> Result<TracesData<'_>, LineError> {
    if let Some(err) = too_long(line) {
        return Err(err);
    }
    // The same grammar either way; checking UTF-8 once for the whole line is cheaper than
    // for every string, which is what parsing bytes does.
    let parsed = match std::str::from_utf8(line) {
        Ok(text) => serde_json::from_str(text),
        Err(_) => serde_json::from_slice(line),
    };
    checked(parsed.map_err(|e| LineError::Json(e.to_string()))?)
}

/// `data` if it has `resourceSpans` and every id is well-formed: the check of
/// [`parse_line`] after parsing, for parsers that build the same model another way.
pub(crate) fn checked(data: TracesData<'_>) -> Result<TracesData<'_>, LineError> {
    let resource_spans = data
        .resource_spans
        .as_ref()
        .ok_or(LineError::NoResourceSpans)?;
    for span in resource_spans.iter().flat_map(ResourceSpans::spans) {
        check_id(span, "traceId", &span.trace_id, 32)?;
        check_id(span, "spanId", &span.span_id, 16)?;
        check_id(span, "parentSpanId", &span.parent_span_id, 16)?;
    }
    Ok(data)
}

fn check_id(
    span: &Span<'_>,
    field: &'static str,
    value: &str,
    digits: usize,
) -> Result<(), LineError> {
    // OTLP/JSON ids are case-insensitive hex (the Collector writes lowercase). Every span
    // has three ids and `summary` checks millions of spans: `all_hex` is vector code.
    if value.is_empty() || (value.len() == digits && all_hex(value.as_bytes())) {
        return Ok(());
    }
    Err(LineError::BadId {
        span: span.name.chars().take(80).collect(),
        field,
        value: value.chars().take(40).collect(),
        digits,
    })
}

/// Whether every byte is a hex digit, either case; without early exit or branches, so
/// that it compiles to vector code.
fn all_hex(bytes: &[u8]) -> bool {
    let hex = |b: u8| (b.wrapping_sub(b'0') < 10) | ((b | 0x20).wrapping_sub(b'a') < 6);
    bytes.iter().fold(true, |all, &b| all & hex(b))
}

/// A trace id (32 hex digits) as a number, for counting distinct traces cheaply.
pub(crate) fn trace_key(trace_id: &str) -> Option<u128> {
    let digits: &[u8; 32] = trace_id.as_bytes().try_into().ok()?;
    all_hex(digits).then(|| {
        (digits.chunks_exact(8)).fold(0, |key, eight| {
            (key << 32) | u128::from(hex8(eight.try_into().expect("eight digits")))
        })
    })
}

/// The value of eight hex digits, eight at a time in a word: each byte becomes its
/// digit's value (the low four bits, plus 9 for letters, which have bit 6 set), then
/// neighbours are packed together, pairs, quads, eights.
fn hex8(digits: [u8; 8]) -> u32 {
    let word = u64::from_be_bytes(digits);
    let nibbles = (word & 0x0f0f_0f0f_0f0f_0f0f) + 9 * ((word >> 6) & 0x0101_0101_0101_0101);
    let bytes = (nibbles | (nibbles >> 4)) & 0x00ff_00ff_00ff_00ff;
    let halves = (bytes | (bytes >> 8)) & 0x0000_ffff_0000_ffff;
    u32::try_from((halves | (halves >> 16)) & 0xffff_ffff).expect("32 bits")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../../tests/fixtures/collector-pdata-sample.jsonl");
    const LEGACY: &str = include_str!("../../tests/fixtures/legacy-instrumentation-library.jsonl");

    #[test]
    fn collector_sample_lines_parse() {
        let mut lines = SAMPLE.lines();
        let first = parse_line(lines.next().unwrap().as_bytes()).unwrap();
        let rs = &first.resource_spans.as_ref().unwrap()[0];
        assert_eq!(rs.service_name(), "testService");
        let spans: Vec<_> = rs.spans().collect();
        assert_eq!(spans.len(), 2);
        assert_eq!(
            spans[0].duration_nanos(),
            1_684_623_646_539_558_000 - 1_684_617_382_541_971_000
        );
        assert!(spans[1].lacks_ids());
        let second = parse_line(lines.next().unwrap().as_bytes()).unwrap();
        assert_eq!(
            second.resource_spans.unwrap()[0].service_name(),
            "unknown_service"
        );
    }

    #[test]
    fn legacy_shape_is_read_and_told_apart() {
        let data = parse_line(LEGACY.trim().as_bytes()).unwrap();
        let rs = &data.resource_spans.as_ref().unwrap()[0];
        assert!(rs.scope_spans.is_empty());
        assert_eq!(rs.legacy_scope_spans.len(), 1);
        assert_eq!(rs.spans().count(), 1);
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(matches!(
            parse_line(b"{\"resourceSpans\":"),
            Err(LineError::Json(_))
        ));
        assert_eq!(
            parse_line(b"{\"resourceLogs\":[]}").unwrap_err(),
            LineError::NoResourceSpans
        );
        assert!(matches!(parse_line(b"[1]"), Err(LineError::Json(_))));
        let base64_id = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":"","name":"x"}]}]}]}"#;
        let err = parse_line(base64_id).unwrap_err();
        assert!(
            matches!(
                err,
                LineError::BadId {
                    field: "traceId",
                    digits: 32,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn trace_keys_are_the_ids_value() {
        let id = "0123456789abcdefABCDEF0000000fff";
        assert_eq!(trace_key(id), u128::from_str_radix(id, 16).ok());
        assert_eq!(trace_key(&"f".repeat(32)), Some(u128::MAX));
        // Every digit in every place, both cases.
        let digits = "0123456789abcdefABCDEF";
        for shift in 0..digits.len() {
            let id: String = digits.chars().cycle().skip(shift).take(32).collect();
            assert_eq!(trace_key(&id), u128::from_str_radix(&id, 16).ok(), "{id}");
        }
        for bad in [
            "",
            "0123",
            &"0".repeat(33),
            &format!("{}g", "0".repeat(31)),
            &format!("+{}", "0".repeat(31)),
        ] {
            assert_eq!(trace_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_are_case_insensitive_hex() {
        let upper = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090A0B0C0D0E0F10","spanId":"1112131415161718","parentSpanId":"AABBCCDDEEFF0011"}]}]}]}"#;
        let data = parse_line(upper).unwrap();
        let span = data.resource_spans.as_ref().unwrap()[0]
            .spans()
            .next()
            .unwrap()
            .trace_id
            .clone();
        assert_eq!(
            trace_key(&span),
            trace_key("0102030405060708090a0b0c0d0e0f10")
        );
    }

    #[test]
    fn numbers_as_strings_or_numbers() {
        let line = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":5,"endTimeUnixNano":"9"}]}]}]}"#;
        let data = parse_line(line).unwrap();
        let span = data.resource_spans.as_ref().unwrap()[0]
            .spans()
            .next()
            .unwrap()
            .duration_nanos();
        assert_eq!(span, 4);
    }
}
