//! The binary protobuf encoding of `ExportTraceServiceRequest`, for `replay --protobuf`
//! and gRPC: the schema and the wire format. `transcode` walks a JSON line with it.
//!
//! A small table per message (field name in JSON, field number, wire type) drives one
//! generic encoder, so the schema can be read against the `.proto` files of
//! open-telemetry/opentelemetry-proto side by side. OTLP/JSON rules: ids are hex, 64-bit
//! integers come as strings or numbers, enums as integers, `bytesValue` as base64.
//! Proto3 rules: scalars equal to their default are left out, set messages and `oneof`
//! members are always written. The pre-v0.48 names (`instrumentationLibrarySpans`,
//! `instrumentationLibrary`) are written as the fields that replaced them.

use base64::Engine as _;

/// What a field holds and how it goes on the wire.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A message with these fields.
    Message(&'static [Field]),
    /// `AnyValue`, which contains itself (through arrays and lists): a table cannot
    /// name itself, so this kind stands for `Message(ANY_VALUE)`.
    AnyValue,
    /// UTF-8 text.
    String,
    /// `traceId`/`spanId`: hex in JSON, bytes on the wire.
    HexBytes,
    /// `bytesValue`: base64 in JSON.
    Base64Bytes,
    /// `bool`.
    Bool,
    /// `uint32`.
    Uint32,
    /// `int64`.
    Int64,
    /// Enums are integers in OTLP/JSON.
    Enum,
    /// `fixed32`.
    Fixed32,
    /// A span's or event's time: a `fixed64`, moved by `--shift-to-now`.
    Time,
    /// `double`.
    Double,
}

/// One field of a message.
#[derive(Debug)]
pub(crate) struct Field {
    /// The name in OTLP/JSON.
    pub json: &'static str,
    /// The protobuf field number.
    pub number: u32,
    /// What it holds.
    pub kind: Kind,
    /// A list.
    pub repeated: bool,
    /// A `oneof` member: written even when it holds the default value.
    pub oneof: bool,
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
/// `ExportTraceServiceRequest`.
pub(crate) const REQUEST: &[Field] = &[repeated("resourceSpans", 1, Kind::Message(RESOURCE_SPANS))];
// opentelemetry/proto/trace/v1/trace.proto
const RESOURCE_SPANS: &[Field] = &[
    field("resource", 1, Kind::Message(RESOURCE)),
    repeated("scopeSpans", 2, Kind::Message(SCOPE_SPANS)),
    field("schemaUrl", 3, Kind::String),
    // The pre-v0.48 name, which current receivers drop without a word: sent as `scopeSpans`.
    repeated("instrumentationLibrarySpans", 2, Kind::Message(SCOPE_SPANS)),
];
const SCOPE_SPANS: &[Field] = &[
    field("scope", 1, Kind::Message(SCOPE)),
    // The pre-v0.48 name of `scope`.
    field("instrumentationLibrary", 1, Kind::Message(SCOPE)),
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
    field("startTimeUnixNano", 7, Kind::Time),
    field("endTimeUnixNano", 8, Kind::Time),
    repeated("attributes", 9, Kind::Message(KEY_VALUE)),
    field("droppedAttributesCount", 10, Kind::Uint32),
    repeated("events", 11, Kind::Message(EVENT)),
    field("droppedEventsCount", 12, Kind::Uint32),
    repeated("links", 13, Kind::Message(LINK)),
    field("droppedLinksCount", 14, Kind::Uint32),
    field("status", 15, Kind::Message(STATUS)),
];
const EVENT: &[Field] = &[
    field("timeUnixNano", 1, Kind::Time),
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
/// `AnyValue`.
pub(crate) const ANY_VALUE: &[Field] = &[
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
/// The wire type of strings, bytes and messages.
pub(crate) const LEN: u32 = 2;
const I32: u32 = 5;

/// A JSON scalar as the parser gave it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scalar<'a> {
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A number with a fraction or an exponent.
    Float(f64),
    /// A string.
    Text(&'a str),
}

impl std::fmt::Display for Scalar<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Bool(flag) => write!(f, "{flag}"),
            Scalar::Int(number) => write!(f, "{number}"),
            Scalar::Float(number) => write!(f, "{number}"),
            Scalar::Text(text) => write!(f, "{}", serde_json::Value::from(*text)),
        }
    }
}

/// Writes a boolean or numeric field; `shift` moves a [`Kind::Time`].
pub(crate) fn number_field(
    out: &mut Vec<u8>,
    field: &Field,
    value: Scalar<'_>,
    always: bool,
    shift: Option<i128>,
) -> Result<(), String> {
    let bad = |expected: &str| format!("`{}` must be {expected}, not {value}", field.json);
    let (wire_type, bits, is_default) = match field.kind {
        Kind::Bool => {
            let Scalar::Bool(flag) = value else {
                return Err(bad("true or false"));
            };
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
        Kind::Time => {
            let number = integer(value).and_then(|v| u64::try_from(v).ok());
            let number = number.ok_or_else(|| bad("a timestamp in nanoseconds"))?;
            let number = match shift {
                Some(offset) => super::rewrite::shifted(field.json, number, offset)?,
                None => number,
            };
            (I64, number, number == 0)
        }
        Kind::Double => {
            let number = double(value).ok_or_else(|| bad("a number"))?;
            (I64, number.to_bits(), number.to_bits() == 0)
        }
        Kind::Message(_) | Kind::AnyValue | Kind::String | Kind::HexBytes | Kind::Base64Bytes => {
            return Err(bad("an object or a string"));
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
fn integer(value: Scalar<'_>) -> Option<i128> {
    match value {
        Scalar::Int(number) => Some(number),
        Scalar::Text(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A double given as a JSON number, a decimal string, or `NaN`/`Infinity`/`-Infinity`.
#[allow(clippy::cast_precision_loss)] // as JSON parsers read large integers
fn double(value: Scalar<'_>) -> Option<f64> {
    match value {
        Scalar::Int(number) => Some(number as f64),
        Scalar::Float(number) => Some(number),
        Scalar::Text(text) => match text {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.trim().parse().ok(),
        },
        Scalar::Bool(_) => None,
    }
}

/// Standard or URL-safe base64, padded or not, as proto3 JSON parsers accept.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
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

/// Writes a length-delimited field; an empty one only when `always`.
pub(crate) fn bytes_field(out: &mut Vec<u8>, number: u32, bytes: &[u8], always: bool) {
    if !bytes.is_empty() || always {
        tag(out, number, LEN);
        varint(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }
}

/// A field's key.
pub(crate) fn tag(out: &mut Vec<u8>, number: u32, wire_type: u32) {
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
pub(crate) fn prefix_length(out: &mut Vec<u8>, start: usize) {
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
}
