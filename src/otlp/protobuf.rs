//! OTLP/JSON to the binary protobuf encoding of `ExportTraceServiceRequest`, for
//! `replay --protobuf`.
//!
//! A small table per message (field name in JSON, field number, wire type) drives one
//! generic encoder, so the schema can be read against the `.proto` files of
//! open-telemetry/opentelemetry-proto side by side. OTLP/JSON rules: ids are hex, 64-bit
//! integers come as strings or numbers, enums as integers, `bytesValue` as base64.
//! Proto3 rules: scalars equal to their default are left out, set messages and `oneof`
//! members are always written. Unknown JSON fields cannot be encoded; they are reported
//! by name (never silently dropped), and a value of the wrong type fails the line.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde_json::{Map, Value};

/// What a field holds and how it goes on the wire.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Message(&'static [Field]),
    /// `AnyValue`, which contains itself (through arrays and lists): a table cannot
    /// name itself, so this kind stands for `Message(ANY_VALUE)`.
    AnyValue,
    String,
    /// `traceId`/`spanId`: hex in JSON, bytes on the wire.
    HexBytes,
    /// `bytesValue`: base64 in JSON.
    Base64Bytes,
    Bool,
    Uint32,
    Int64,
    /// Enums are integers in OTLP/JSON.
    Enum,
    Fixed32,
    Fixed64,
    Double,
}

/// One field of a message.
#[derive(Debug)]
struct Field {
    json: &'static str,
    number: u32,
    kind: Kind,
    repeated: bool,
    /// A `oneof` member: written even when it holds the default value.
    oneof: bool,
}

const fn field(json: &'static str, number: u32, kind: Kind) -> Field {
    Field {
        json,
        number,
        kind,
        repeated: false,
        oneof: false,
    }
}

const fn repeated(json: &'static str, number: u32, kind: Kind) -> Field {
    Field {
        json,
        number,
        kind,
        repeated: true,
        oneof: false,
    }
}

const fn oneof(json: &'static str, number: u32, kind: Kind) -> Field {
    Field {
        json,
        number,
        kind,
        repeated: false,
        oneof: true,
    }
}

// opentelemetry/proto/collector/trace/v1/trace_service.proto
const REQUEST: &[Field] = &[repeated("resourceSpans", 1, Kind::Message(RESOURCE_SPANS))];
// opentelemetry/proto/trace/v1/trace.proto
const RESOURCE_SPANS: &[Field] = &[
    field("resource", 1, Kind::Message(RESOURCE)),
    repeated("scopeSpans", 2, Kind::Message(SCOPE_SPANS)),
    field("schemaUrl", 3, Kind::String),
];
const SCOPE_SPANS: &[Field] = &[
    field("scope", 1, Kind::Message(SCOPE)),
    repeated("spans", 2, Kind::Message(SPAN)),
    field("schemaUrl", 3, Kind::String),
];
const SPAN: &[Field] = &[
    field("traceId", 1, Kind::HexBytes),
    field("spanId", 2, Kind::HexBytes),
    field("traceState", 3, Kind::String),
    field("parentSpanId", 4, Kind::HexBytes),
    field("flags", 16, Kind::Fixed32),
    field("name", 5, Kind::String),
    field("kind", 6, Kind::Enum),
    field("startTimeUnixNano", 7, Kind::Fixed64),
    field("endTimeUnixNano", 8, Kind::Fixed64),
    repeated("attributes", 9, Kind::Message(KEY_VALUE)),
    field("droppedAttributesCount", 10, Kind::Uint32),
    repeated("events", 11, Kind::Message(EVENT)),
    field("droppedEventsCount", 12, Kind::Uint32),
    repeated("links", 13, Kind::Message(LINK)),
    field("droppedLinksCount", 14, Kind::Uint32),
    field("status", 15, Kind::Message(STATUS)),
];
const EVENT: &[Field] = &[
    field("timeUnixNano", 1, Kind::Fixed64),
    field("name", 2, Kind::String),
    repeated("attributes", 3, Kind::Message(KEY_VALUE)),
    field("droppedAttributesCount", 4, Kind::Uint32),
];
const LINK: &[Field] = &[
    field("traceId", 1, Kind::HexBytes),
    field("spanId", 2, Kind::HexBytes),
    field("traceState", 3, Kind::String),
    repeated("attributes", 4, Kind::Message(KEY_VALUE)),
    field("droppedAttributesCount", 5, Kind::Uint32),
    field("flags", 6, Kind::Fixed32),
];
const STATUS: &[Field] = &[
    field("message", 2, Kind::String),
    field("code", 3, Kind::Enum),
];
// opentelemetry/proto/resource/v1/resource.proto
const RESOURCE: &[Field] = &[
    repeated("attributes", 1, Kind::Message(KEY_VALUE)),
    field("droppedAttributesCount", 2, Kind::Uint32),
    repeated("entityRefs", 3, Kind::Message(ENTITY_REF)),
];
// opentelemetry/proto/common/v1/common.proto
const ENTITY_REF: &[Field] = &[
    field("schemaUrl", 1, Kind::String),
    field("type", 2, Kind::String),
    repeated("idKeys", 3, Kind::String),
    repeated("descriptionKeys", 4, Kind::String),
];
const SCOPE: &[Field] = &[
    field("name", 1, Kind::String),
    field("version", 2, Kind::String),
    repeated("attributes", 3, Kind::Message(KEY_VALUE)),
    field("droppedAttributesCount", 4, Kind::Uint32),
];
const KEY_VALUE: &[Field] = &[
    field("key", 1, Kind::String),
    field("value", 2, Kind::AnyValue),
];
const ANY_VALUE: &[Field] = &[
    oneof("stringValue", 1, Kind::String),
    oneof("boolValue", 2, Kind::Bool),
    oneof("intValue", 3, Kind::Int64),
    oneof("doubleValue", 4, Kind::Double),
    oneof("arrayValue", 5, Kind::Message(ARRAY_VALUE)),
    oneof("kvlistValue", 6, Kind::Message(KEY_VALUE_LIST)),
    oneof("bytesValue", 7, Kind::Base64Bytes),
];
const ARRAY_VALUE: &[Field] = &[repeated("values", 1, Kind::AnyValue)];
const KEY_VALUE_LIST: &[Field] = &[repeated("values", 1, Kind::Message(KEY_VALUE))];

const VARINT: u32 = 0;
const I64: u32 = 1;
const LEN: u32 = 2;
const I32: u32 = 5;

/// How many unknown field names are remembered for the warning.
const UNKNOWN_KEPT: usize = 20;

/// Encodes OTLP/JSON requests; remembers the names of fields it could not encode.
#[derive(Debug, Default)]
pub struct Encoder {
    /// Names of JSON fields that are not part of the OTLP schema known here.
    pub unknown: BTreeSet<String>,
}

impl Encoder {
    /// Encodes one `ExportTraceServiceRequest` given as OTLP/JSON.
    pub fn encode(&mut self, request: &Value) -> Result<Vec<u8>, String> {
        let object = request.as_object().ok_or("the line is not a JSON object")?;
        let mut out = Vec::with_capacity(1024);
        self.message(&mut out, object, REQUEST)?;
        Ok(out)
    }

    fn message(
        &mut self,
        out: &mut Vec<u8>,
        object: &Map<String, Value>,
        schema: &[Field],
    ) -> Result<(), String> {
        for (name, value) in object {
            let Some(field) = schema.iter().find(|f| f.json == name) else {
                if self.unknown.len() < UNKNOWN_KEPT {
                    self.unknown.insert(name.clone());
                }
                continue;
            };
            match value {
                Value::Null => {}
                Value::Array(items) if field.repeated => {
                    for item in items {
                        self.value(out, field, item, true)?;
                    }
                }
                _ if field.repeated => return Err(format!("`{name}` must be a list")),
                _ => self.value(out, field, value, field.oneof)?,
            }
        }
        Ok(())
    }

    /// Writes one value; `always` keeps default values (repeated elements, oneofs).
    fn value(
        &mut self,
        out: &mut Vec<u8>,
        field: &Field,
        value: &Value,
        always: bool,
    ) -> Result<(), String> {
        let bad = |expected: &str| format!("`{}` must be {expected}, not {value}", field.json);
        let n = field.number;
        match field.kind {
            Kind::Message(_) | Kind::AnyValue => {
                let schema = match field.kind {
                    Kind::Message(schema) => schema,
                    _ => ANY_VALUE,
                };
                let object = value.as_object().ok_or_else(|| bad("an object"))?;
                tag(out, n, LEN);
                let start = out.len();
                self.message(out, object, schema)?;
                prefix_length(out, start);
            }
            Kind::String => {
                let text = value.as_str().ok_or_else(|| bad("a string"))?;
                bytes_field(out, n, text.as_bytes(), always);
            }
            Kind::HexBytes => {
                let text = value.as_str().ok_or_else(|| bad("a hex string"))?;
                let bytes = hex::decode(text).map_err(|_| bad("hex digits"))?;
                bytes_field(out, n, &bytes, always);
            }
            Kind::Base64Bytes => {
                let text = value.as_str().ok_or_else(|| bad("a base64 string"))?;
                let bytes = decode_base64(text).ok_or_else(|| bad("base64"))?;
                bytes_field(out, n, &bytes, always);
            }
            _ => number_field(out, field, value, always)?,
        }
        Ok(())
    }
}

/// Writes a boolean or numeric field.
fn number_field(
    out: &mut Vec<u8>,
    field: &Field,
    value: &Value,
    always: bool,
) -> Result<(), String> {
    let bad = |expected: &str| format!("`{}` must be {expected}, not {value}", field.json);
    let (wire_type, bits, is_default) = match field.kind {
        Kind::Bool => {
            let flag = value.as_bool().ok_or_else(|| bad("true or false"))?;
            (VARINT, u64::from(flag), !flag)
        }
        Kind::Uint32 => {
            let number = integer(value).and_then(|v| u32::try_from(v).ok());
            let number = number.ok_or_else(|| bad("an unsigned 32-bit integer"))?;
            (VARINT, u64::from(number), number == 0)
        }
        Kind::Enum => {
            let number = integer(value).and_then(|v| i32::try_from(v).ok());
            let number = number.ok_or_else(|| bad("an integer"))?;
            // Negative values are sign-extended to 64 bits, as protobuf does.
            (VARINT, two_complement(i64::from(number)), number == 0)
        }
        Kind::Int64 => {
            let number = integer(value).and_then(|v| i64::try_from(v).ok());
            let number = number.ok_or_else(|| bad("a 64-bit integer"))?;
            (VARINT, two_complement(number), number == 0)
        }
        Kind::Fixed32 => {
            let number = integer(value).and_then(|v| u32::try_from(v).ok());
            let number = number.ok_or_else(|| bad("an unsigned 32-bit integer"))?;
            (I32, u64::from(number), number == 0)
        }
        Kind::Fixed64 => {
            let number = integer(value).and_then(|v| u64::try_from(v).ok());
            let number = number.ok_or_else(|| bad("an unsigned 64-bit integer"))?;
            (I64, number, number == 0)
        }
        Kind::Double => {
            let number = double(value).ok_or_else(|| bad("a number"))?;
            (I64, number.to_bits(), number.to_bits() == 0)
        }
        Kind::Message(_) | Kind::AnyValue | Kind::String | Kind::HexBytes | Kind::Base64Bytes => {
            unreachable!("length-delimited kinds are written by Encoder::value")
        }
    };
    if is_default && !always {
        return Ok(());
    }
    tag(out, field.number, wire_type);
    match wire_type {
        VARINT => varint(out, bits),
        I32 => out.extend_from_slice(&bits.to_le_bytes()[..4]),
        _ => out.extend_from_slice(&bits.to_le_bytes()),
    }
    Ok(())
}

/// The two's complement bits of a signed number, as protobuf puts `int64` on the wire.
fn two_complement(number: i64) -> u64 {
    u64::from_le_bytes(number.to_le_bytes())
}

/// An integer given as a JSON number or a decimal string (proto3 JSON accepts both).
fn integer(value: &Value) -> Option<i128> {
    match value {
        Value::Number(number) => number
            .as_i64()
            .map(i128::from)
            .or_else(|| number.as_u64().map(i128::from)),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A double given as a JSON number, a decimal string, or `NaN`/`Infinity`/`-Infinity`.
fn double(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => match text.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.trim().parse().ok(),
        },
        _ => None,
    }
}

/// Standard or URL-safe base64, padded or not, as proto3 JSON parsers accept.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let standard = GeneralPurpose::new(&base64::alphabet::STANDARD, config);
    let url_safe = GeneralPurpose::new(&base64::alphabet::URL_SAFE, config);
    standard
        .decode(text)
        .or_else(|_| url_safe.decode(text))
        .ok()
}

fn bytes_field(out: &mut Vec<u8>, number: u32, bytes: &[u8], always: bool) {
    if !bytes.is_empty() || always {
        tag(out, number, LEN);
        varint(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }
}

fn tag(out: &mut Vec<u8>, number: u32, wire_type: u32) {
    varint(out, u64::from((number << 3) | wire_type));
}

/// Base-128 varint, least significant group first.
#[allow(clippy::cast_possible_truncation)] // 7 bits at a time
fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Inserts the length of `out[start..]` before it (a nested message just written).
fn prefix_length(out: &mut Vec<u8>, start: usize) {
    let mut length = Vec::with_capacity(5);
    varint(&mut length, (out.len() - start) as u64);
    out.splice(start..start, length);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_follow_the_protobuf_examples() {
        let mut out = Vec::new();
        varint(&mut out, 150);
        assert_eq!(out, [0x96, 0x01]);
        out.clear();
        varint(&mut out, two_complement(-1));
        assert_eq!(out.len(), 10);
    }

    #[test]
    fn wrong_types_fail_and_unknown_fields_are_named() {
        let mut encoder = Encoder::default();
        let line: Value = serde_json::from_str(
            r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"x","extra":1,"kind":"SERVER"}]}]}]}"#,
        )
        .unwrap();
        let err = encoder.encode(&line).unwrap_err();
        assert!(err.contains("`kind` must be an integer"), "{err}");
        assert!(encoder.unknown.contains("extra"));
    }

    #[test]
    fn a_oneof_zero_is_kept_and_a_plain_zero_is_not() {
        let mut encoder = Encoder::default();
        let line: Value = serde_json::from_str(
            r#"{"resourceSpans":[{"resource":{"droppedAttributesCount":0,"attributes":[{"key":"k","value":{"intValue":"0"}}]}}]}"#,
        )
        .unwrap();
        let bytes = encoder.encode(&line).unwrap();
        // resourceSpans{resource{attributes{key "k", value{intValue 0}}}}
        assert_eq!(
            bytes,
            [
                0x0a, 0x0b, 0x0a, 0x09, 0x0a, 0x07, 0x0a, 0x01, b'k', 0x12, 0x02, 0x18, 0x00
            ]
        );
    }
}
