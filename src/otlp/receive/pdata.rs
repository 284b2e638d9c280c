//! Received spans as one line of the Collector's `file` exporter: its JSON marshaler's
//! form, byte for byte.
//!
//! `collect` replaces a Collector whose `file` exporter wrote trace-data files, and every
//! reader of those files (ours, Grafana's importers, people's scripts) knows that form.
//! It is the Collector's `pdata` JSON of releases up to v0.130 (gogo `jsonpb` with
//! integer enums): camelCase names in the order of the `.proto` files, no whitespace,
//! scalars equal to their default left out, 64-bit integers as decimal strings, ids as
//! lowercase hex, `bytesValue` as padded base64. Some fields are written even when
//! empty, because the Go structs held them by value: a span's `traceId`, `spanId`,
//! `parentSpanId` and `status`, a link's `traceId` and `spanId`, `resource`, `scope`,
//! and a key-value's `value`. An id that is empty or all zeros is `""`. Strings are
//! escaped as Go's `encoding/json` does (`<`, `>`, `&`, U+2028 and U+2029 as `\u`
//! escapes), doubles formatted as Go formats them (exponent below 1e-6 and from 1e21
//! on; NaN and the infinities as strings).
//!
//! The crate's own serde form is not this (it writes every default) and is slower; the
//! measurement is in docs/collect.md.

use base64::Engine as _;
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, EntityRef, InstrumentationScope, KeyValue, any_value::Value,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Event, Link};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

/// Appends `{"resourceSpans":[...]}` for `resource_spans` to `out` (no line end).
pub fn write_traces(out: &mut Vec<u8>, resource_spans: &[ResourceSpans]) {
    let mut o = Object::open(out);
    o.list("resourceSpans", resource_spans, resource_spans_json);
    o.close();
}

/// Writes one JSON object's fields, with the commas between them.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Object<'a> {
    fn open(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Object { out, first: true }
    }

    fn key(&mut self, name: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    fn close(self) {
        self.out.push(b'}');
    }

    fn string(&mut self, name: &str, value: &str) {
        if !value.is_empty() {
            string(self.key(name), value);
        }
    }

    fn uint(&mut self, name: &str, value: u32) {
        if value != 0 {
            let out = self.key(name);
            out.extend_from_slice(itoa(u64::from(value)).as_bytes());
        }
    }

    fn int(&mut self, name: &str, value: i32) {
        if value != 0 {
            let out = self.key(name);
            out.extend_from_slice(value.to_string().as_bytes());
        }
    }

    /// A 64-bit integer: a decimal string.
    fn long(&mut self, name: &str, value: u64) {
        if value != 0 {
            let out = self.key(name);
            out.push(b'"');
            out.extend_from_slice(itoa(value).as_bytes());
            out.push(b'"');
        }
    }

    /// An id: always written, `""` when empty or all zeros.
    fn id(&mut self, name: &str, bytes: &[u8]) {
        let out = self.key(name);
        out.push(b'"');
        if bytes.iter().any(|&b| b != 0) {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            for &b in bytes {
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
        }
        out.push(b'"');
    }

    fn list<T>(&mut self, name: &str, items: &[T], write: fn(&mut Vec<u8>, &T)) {
        if items.is_empty() {
            return;
        }
        let out = self.key(name);
        out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write(out, item);
        }
        out.push(b']');
    }
}

fn itoa(value: u64) -> String {
    value.to_string()
}

fn resource_spans_json(out: &mut Vec<u8>, rs: &ResourceSpans) {
    let mut o = Object::open(out);
    resource_json(o.key("resource"), rs.resource.as_ref());
    o.list("scopeSpans", &rs.scope_spans, scope_spans_json);
    o.string("schemaUrl", &rs.schema_url);
    o.close();
}

fn resource_json(out: &mut Vec<u8>, resource: Option<&Resource>) {
    let mut o = Object::open(out);
    if let Some(r) = resource {
        o.list("attributes", &r.attributes, key_value_json);
        o.uint("droppedAttributesCount", r.dropped_attributes_count);
        o.list("entityRefs", &r.entity_refs, entity_ref_json);
    }
    o.close();
}

fn entity_ref_json(out: &mut Vec<u8>, e: &EntityRef) {
    let mut o = Object::open(out);
    o.string("schemaUrl", &e.schema_url);
    o.string("type", &e.r#type);
    o.list("idKeys", &e.id_keys, string_item);
    o.list("descriptionKeys", &e.description_keys, string_item);
    o.close();
}

fn scope_spans_json(out: &mut Vec<u8>, ss: &ScopeSpans) {
    let mut o = Object::open(out);
    scope_json(o.key("scope"), ss.scope.as_ref());
    o.list("spans", &ss.spans, span_json);
    o.string("schemaUrl", &ss.schema_url);
    o.close();
}

fn scope_json(out: &mut Vec<u8>, scope: Option<&InstrumentationScope>) {
    let mut o = Object::open(out);
    if let Some(s) = scope {
        o.string("name", &s.name);
        o.string("version", &s.version);
        o.list("attributes", &s.attributes, key_value_json);
        o.uint("droppedAttributesCount", s.dropped_attributes_count);
    }
    o.close();
}

fn span_json(out: &mut Vec<u8>, s: &Span) {
    let mut o = Object::open(out);
    o.id("traceId", &s.trace_id);
    o.id("spanId", &s.span_id);
    o.string("traceState", &s.trace_state);
    o.id("parentSpanId", &s.parent_span_id);
    o.uint("flags", s.flags);
    o.string("name", &s.name);
    o.int("kind", s.kind);
    o.long("startTimeUnixNano", s.start_time_unix_nano);
    o.long("endTimeUnixNano", s.end_time_unix_nano);
    o.list("attributes", &s.attributes, key_value_json);
    o.uint("droppedAttributesCount", s.dropped_attributes_count);
    o.list("events", &s.events, event_json);
    o.uint("droppedEventsCount", s.dropped_events_count);
    o.list("links", &s.links, link_json);
    o.uint("droppedLinksCount", s.dropped_links_count);
    status_json(o.key("status"), s.status.as_ref());
    o.close();
}

fn event_json(out: &mut Vec<u8>, e: &Event) {
    let mut o = Object::open(out);
    o.long("timeUnixNano", e.time_unix_nano);
    o.string("name", &e.name);
    o.list("attributes", &e.attributes, key_value_json);
    o.uint("droppedAttributesCount", e.dropped_attributes_count);
    o.close();
}

fn link_json(out: &mut Vec<u8>, l: &Link) {
    let mut o = Object::open(out);
    o.id("traceId", &l.trace_id);
    o.id("spanId", &l.span_id);
    o.string("traceState", &l.trace_state);
    o.list("attributes", &l.attributes, key_value_json);
    o.uint("droppedAttributesCount", l.dropped_attributes_count);
    o.uint("flags", l.flags);
    o.close();
}

fn status_json(out: &mut Vec<u8>, status: Option<&Status>) {
    let mut o = Object::open(out);
    if let Some(s) = status {
        o.string("message", &s.message);
        o.int("code", s.code);
    }
    o.close();
}

fn key_value_json(out: &mut Vec<u8>, kv: &KeyValue) {
    let mut o = Object::open(out);
    o.string("key", &kv.key);
    any_value_json(o.key("value"), kv.value.as_ref());
    o.close();
}

fn any_value_json(out: &mut Vec<u8>, value: Option<&AnyValue>) {
    let mut o = Object::open(out);
    match value.and_then(|v| v.value.as_ref()) {
        Some(Value::StringValue(s)) => string(o.key("stringValue"), s),
        Some(Value::BoolValue(b)) => {
            let text: &[u8] = if *b { b"true" } else { b"false" };
            o.key("boolValue").extend_from_slice(text);
        }
        Some(Value::IntValue(i)) => {
            let out = o.key("intValue");
            out.push(b'"');
            out.extend_from_slice(i.to_string().as_bytes());
            out.push(b'"');
        }
        Some(Value::DoubleValue(d)) => double(o.key("doubleValue"), *d),
        Some(Value::ArrayValue(a)) => {
            let mut inner = Object::open(o.key("arrayValue"));
            inner.list("values", &a.values, |out, v| any_value_json(out, Some(v)));
            inner.close();
        }
        Some(Value::KvlistValue(l)) => {
            let mut inner = Object::open(o.key("kvlistValue"));
            inner.list("values", &l.values, key_value_json);
            inner.close();
        }
        Some(Value::BytesValue(b)) => {
            let out = o.key("bytesValue");
            out.push(b'"');
            out.extend_from_slice(
                base64::engine::general_purpose::STANDARD
                    .encode(b)
                    .as_bytes(),
            );
            out.push(b'"');
        }
        // A profiling-only member: the Collector of that form did not know it.
        Some(Value::StringValueStrindex(_)) | None => {}
    }
    o.close();
}

#[allow(clippy::ptr_arg)] // the item type of `Vec<String>`, for `Object::list`
fn string_item(out: &mut Vec<u8>, text: &String) {
    string(out, text);
}

/// A JSON string as Go's `encoding/json` writes it (HTML-safe).
fn string(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x08 => Some(b"\\b"),
            0x0c => Some(b"\\f"),
            0..0x20 | b'<' | b'>' | b'&' => Some(b""),
            // U+2028 and U+2029 (E2 80 A8 / E2 80 A9).
            0xe2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
            {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(if bytes[i + 2] == 0xa8 {
                    b"\\u2028"
                } else {
                    b"\\u2029"
                });
                i += 3;
                start = i;
                continue;
            }
            _ => None,
        };
        if let Some(escape) = escape {
            out.extend_from_slice(&bytes[start..i]);
            if escape.is_empty() {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            } else {
                out.extend_from_slice(escape);
            }
            start = i + 1;
        }
        i += 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// A double as Go's `encoding/json` writes it: the shortest form that reads back the
/// same, with an exponent below 1e-6 and from 1e21 on (`1e-7`, `1e+21`).
fn double(out: &mut Vec<u8>, value: f64) {
    if value.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if value.is_infinite() {
        out.extend_from_slice(if value > 0.0 {
            b"\"Infinity\""
        } else {
            b"\"-Infinity\""
        });
    } else {
        let abs = value.abs();
        if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
            let text = format!("{value:e}");
            match text.split_once('e') {
                Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                    out.extend_from_slice(format!("{mantissa}e+{exponent}").as_bytes());
                }
                _ => out.extend_from_slice(text.as_bytes()),
            }
        } else {
            out.extend_from_slice(format!("{value}").as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{double, string};

    fn text(write: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn doubles_read_as_go_writes_them() {
        for (value, expected) in [
            (1.1, "1.1"),
            (1.0, "1"),
            (-0.0, "-0"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (1.5e-7, "1.5e-7"),
            (1e-300, "1e-300"),
            (0.000_001, "0.000001"),
            (f64::NAN, "\"NaN\""),
            (f64::NEG_INFINITY, "\"-Infinity\""),
        ] {
            assert_eq!(text(|out| double(out, value)), expected, "{value}");
        }
    }

    #[test]
    fn strings_are_escaped_as_go_escapes_them() {
        assert_eq!(
            text(|out| string(out, "a\"b\\c\n\t\u{1}\u{8}<&>\u{2028}é")),
            r#""a\"b\\c\n\t\u0001\b\u003c\u0026\u003e\u2028é""#
        );
    }
}
