//! The data of the HTML report: every span of a trace file as compact JSON, streamed
//! into a `<script type="application/json">` element.
//!
//! The page needs what counting skips (attributes, events, links, status message,
//! resource and scope), so spans are read with a richer borrowed model than
//! [`crate::trace::model`], after the same check (`parse_line`): a line `summary` calls
//! invalid is left out here too. Attribute lists pass through as raw JSON. Everything
//! written is escaped so that no byte sequence from the file can end the script element
//! (`<`, `>`, `&`, U+2028 and U+2029 become `\uXXXX`). Memory stays bounded: one line at
//! a time, plus the ids of the resources already written. The page of a big file may
//! hold only some traces, and stops growing at a size limit: what is left out is counted.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{self, BufRead, Write};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::trace::counts::Counts;
use crate::trace::lines::Lines;
use crate::trace::model::{self, u64_from_string_or_number};

/// Distinct resources remembered; past this the list starts over (resources are then
/// written again, which costs bytes, not correctness).
const RESOURCES_KEPT: usize = 10_000;

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(rename = "resourceSpans", borrow, default)]
    resource_spans: Vec<Batch<'a>>,
}

#[derive(Deserialize)]
struct Batch<'a> {
    #[serde(borrow, default)]
    resource: Option<&'a RawValue>,
    #[serde(rename = "scopeSpans", borrow, default)]
    scope_spans: Vec<Scope<'a>>,
    #[serde(rename = "instrumentationLibrarySpans", borrow, default)]
    legacy_scope_spans: Vec<Scope<'a>>,
}

#[derive(Deserialize)]
struct Scope<'a> {
    #[serde(borrow, default, alias = "instrumentationLibrary")]
    scope: Option<&'a RawValue>,
    #[serde(borrow, default)]
    spans: Vec<FullSpan<'a>>,
}

#[derive(Deserialize)]
struct FullSpan<'a> {
    #[serde(rename = "traceId", borrow, default)]
    trace_id: Cow<'a, str>,
    #[serde(rename = "spanId", borrow, default)]
    span_id: Cow<'a, str>,
    #[serde(rename = "parentSpanId", borrow, default)]
    parent_span_id: Cow<'a, str>,
    #[serde(borrow, default)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(
        rename = "startTimeUnixNano",
        default,
        deserialize_with = "u64_from_string_or_number"
    )]
    start: u64,
    #[serde(
        rename = "endTimeUnixNano",
        default,
        deserialize_with = "u64_from_string_or_number"
    )]
    end: u64,
    #[serde(borrow, default)]
    attributes: Option<&'a RawValue>,
    #[serde(borrow, default)]
    events: Option<&'a RawValue>,
    #[serde(borrow, default)]
    links: Option<&'a RawValue>,
    #[serde(default, borrow)]
    status: Option<FullStatus<'a>>,
}

#[derive(Deserialize, Default)]
struct FullStatus<'a> {
    #[serde(default)]
    code: i64,
    /// Raw: counting does not look at it, so it may be of any type.
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
}

/// A resource the first time it is seen: `{"service": …, "resource": {…}}`.
#[derive(Serialize)]
struct ResourceEntry<'a> {
    service: &'a str,
    resource: Option<&'a RawValue>,
}

/// A span: `[traceId, spanId, parentSpanId, name, resource index, start seconds, start
/// nanoseconds, duration ns, status code, status message, kind, attributes, events,
/// links, scope]`: seconds and nanoseconds apart because JavaScript numbers cannot hold
/// nanoseconds since the epoch.
type SpanEntry<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    u32,
    u64,
    u64,
    u64,
    i64,
    Option<&'a RawValue>,
    Option<&'a RawValue>,
    Option<&'a RawValue>,
    Option<&'a RawValue>,
    Option<&'a RawValue>,
    Option<&'a RawValue>,
);

/// Writes `bytes` so that they cannot close or confuse an HTML `<script>` element;
/// gives the number of bytes written.
pub(crate) fn write_script_safe(out: &mut impl Write, bytes: &[u8]) -> io::Result<u64> {
    let mut start = 0;
    let mut i = 0;
    let mut written = 0;
    while i < bytes.len() {
        let escape: Option<(&[u8], usize)> = match bytes[i] {
            b'<' => Some((b"\\u003c", 1)),
            b'>' => Some((b"\\u003e", 1)),
            b'&' => Some((b"\\u0026", 1)),
            0xE2 if bytes[i + 1..].starts_with(&[0x80, 0xA8]) => Some((b"\\u2028", 3)),
            0xE2 if bytes[i + 1..].starts_with(&[0x80, 0xA9]) => Some((b"\\u2029", 3)),
            _ => None,
        };
        if let Some((replacement, len)) = escape {
            out.write_all(&bytes[start..i])?;
            out.write_all(replacement)?;
            written += (i - start + replacement.len()) as u64;
            i += len;
            start = i;
        } else {
            i += 1;
        }
    }
    out.write_all(&bytes[start..])?;
    Ok(written + (bytes.len() - start) as u64)
}

/// What a [`DataWriter`] wrote.
#[derive(Debug, Default)]
pub(crate) struct Written {
    /// The counts of every line read (with `traces` filled).
    pub counts: Counts,
    /// Spans written.
    pub spans: u64,
    /// Spans of traces not kept.
    pub left_out: u64,
    /// Spans of kept traces not written because the page reached its size limit.
    pub cut_for_size: u64,
}

/// Streams the spans of trace files as the elements of one JSON array: all of them, or
/// those of the traces kept (see `crate::trace::budget`), until the data reaches
/// `max_bytes`.
pub(crate) struct DataWriter<'k> {
    resources: HashMap<u64, u32>,
    next_resource: u32,
    entry: Vec<u8>,
    escaped: Vec<u8>,
    first: bool,
    keep: Option<&'k rustc_hash::FxHashSet<u128>>,
    max_bytes: u64,
    bytes: u64,
    written: Written,
}

impl<'k> DataWriter<'k> {
    /// A writer of the spans of `keep` (all: `None`) up to `max_bytes`; writes the
    /// array's start to `out`.
    pub(crate) fn start(
        keep: Option<&'k rustc_hash::FxHashSet<u128>>,
        max_bytes: u64,
        out: &mut impl Write,
    ) -> io::Result<Self> {
        out.write_all(b"[")?;
        Ok(DataWriter {
            resources: HashMap::new(),
            next_resource: 0,
            entry: Vec::new(),
            escaped: Vec::new(),
            first: true,
            keep,
            max_bytes,
            bytes: 1,
            written: Written::default(),
        })
    }

    /// Reads every line of `reader` and writes its spans to `out` (already inside the
    /// script element); returns the counts (with `traces` filled).
    #[cfg(test)]
    pub(crate) fn write_all(reader: impl BufRead, out: &mut impl Write) -> io::Result<Counts> {
        let mut writer = DataWriter::start(None, u64::MAX, out)?;
        writer.add(reader, out)?;
        Ok(writer.finish(out)?.counts)
    }

    /// Reads every line of `reader` and writes the spans wanted to `out`.
    pub(crate) fn add(&mut self, reader: impl BufRead, out: &mut impl Write) -> io::Result<()> {
        let mut lines = Lines::new(reader);
        loop {
            let next = lines.line_no() + 1;
            let read = lines.next_line().map_err(|err| {
                io::Error::new(err.kind(), format!("reading line {next} failed: {err}"))
            })?;
            let Some((line_no, line)) = read else { break };
            if self.written.counts.add_line(line_no, line).is_none() {
                continue;
            }
            // Everything this model reads beyond `model` is raw JSON, so a line that
            // passed `parse_line` parses here too; should one not, it is left out.
            let Ok(parsed) = serde_json::from_slice::<Line<'_>>(line) else {
                continue;
            };
            for batch in &parsed.resource_spans {
                self.batch(batch, out)?;
            }
        }
        Ok(())
    }

    /// Ends the array; what was written.
    pub(crate) fn finish(self, out: &mut impl Write) -> io::Result<Written> {
        out.write_all(b"]")?;
        Ok(self.written)
    }

    /// Whether `span` is of a trace kept (counting it as left out when not).
    fn wanted(&mut self, span: &FullSpan<'_>) -> bool {
        if let Some(keep) = self.keep
            && !model::trace_key(&span.trace_id).is_some_and(|key| keep.contains(&key))
        {
            self.written.left_out += 1;
            return false;
        }
        true
    }

    /// The index of the batch's resource, written the first time it is seen.
    fn resource(&mut self, batch: &Batch<'_>, out: &mut impl Write) -> io::Result<u32> {
        let resource = batch.resource.map(RawValue::get);
        let service = resource
            .and_then(|raw| serde_json::from_str::<model::Resource<'_>>(raw).ok())
            .and_then(|r| {
                r.attributes
                    .into_iter()
                    .find(|kv| kv.key == "service.name")
                    .and_then(|kv| kv.value.string_value)
            })
            .unwrap_or(Cow::Borrowed("unknown_service"));
        let mut hasher = DefaultHasher::new();
        (resource, &service).hash(&mut hasher);
        let key = hasher.finish();
        if let Some(&index) = self.resources.get(&key) {
            return Ok(index);
        }
        if self.resources.len() >= RESOURCES_KEPT {
            self.resources.clear();
        }
        let index = self.next_resource;
        self.next_resource += 1;
        self.resources.insert(key, index);
        let entry = ResourceEntry {
            service: &service,
            resource: batch.resource,
        };
        self.write_entry(&entry, out, false)?;
        Ok(index)
    }

    fn batch(&mut self, batch: &Batch<'_>, out: &mut impl Write) -> io::Result<()> {
        // Written before the batch's first span on the page: not at all when none is.
        let mut index = None;
        for scope in batch.scope_spans.iter().chain(&batch.legacy_scope_spans) {
            for span in &scope.spans {
                if !self.wanted(span) {
                    continue;
                }
                let index = match index {
                    Some(index) => index,
                    None => *index.insert(self.resource(batch, out)?),
                };
                let status = span.status.as_ref();
                let entry: SpanEntry<'_> = (
                    &span.trace_id,
                    &span.span_id,
                    &span.parent_span_id,
                    &span.name,
                    index,
                    span.start / 1_000_000_000,
                    span.start % 1_000_000_000,
                    span.end.saturating_sub(span.start),
                    status.map_or(0, |s| s.code),
                    status.and_then(|s| s.message),
                    span.kind,
                    span.attributes,
                    span.events,
                    span.links,
                    scope.scope,
                );
                if self.write_entry(&entry, out, true)? {
                    self.written.spans += 1;
                } else {
                    self.written.cut_for_size += 1;
                }
            }
        }
        Ok(())
    }

    /// Writes one array element; with `limited`, only if the data stays within
    /// `max_bytes` (gives whether it was written).
    fn write_entry(
        &mut self,
        entry: &impl Serialize,
        out: &mut impl Write,
        limited: bool,
    ) -> io::Result<bool> {
        self.entry.clear();
        if !self.first {
            self.entry.push(b',');
        }
        serde_json::to_writer(&mut self.entry, entry).map_err(io::Error::other)?;
        self.escaped.clear();
        let len = write_script_safe(&mut self.escaped, &self.entry)?;
        if limited && self.bytes + len > self.max_bytes {
            return Ok(false);
        }
        out.write_all(&self.escaped)?;
        self.bytes += len;
        self.first = false;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_can_close_the_script_element() {
        let mut out = Vec::new();
        write_script_safe(&mut out, "a</script><b>&\u{2028}\u{2029}é".as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r"a\u003c/script\u003e\u003cb\u003e\u0026\u2028\u2029é"
        );
    }

    #[test]
    fn spans_resources_and_escapes_round_trip() {
        let line = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc</script>"}}]},"scopeSpans":[{"scope":{"name":"s"},"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1112131415161718","name":"<img src=x>","startTimeUnixNano":"1795000000123456789","endTimeUnixNano":1795000001123456789,"status":{"code":2,"message":"boom"}}]}]}]}"#;
        let text = format!("{line}\nnot json\n{line}\n");
        let mut out = Vec::new();
        let counts = DataWriter::write_all(text.as_bytes(), &mut out).unwrap();
        assert_eq!((counts.spans, counts.invalid_lines), (2, 1));
        let written = String::from_utf8(out).unwrap();
        assert!(!written.contains('<'), "{written}");
        let rows: Vec<serde_json::Value> = serde_json::from_str(&written).unwrap();
        assert_eq!(rows.len(), 3, "one resource, written once, and two spans");
        assert_eq!(rows[0]["service"], "svc</script>");
        assert_eq!(rows[1][3], "<img src=x>");
        assert_eq!(rows[1][5], 1_795_000_000_u64);
        assert_eq!(rows[1][6], 123_456_789);
        assert_eq!(rows[1][7], 1_000_000_000);
        assert_eq!(
            (rows[1][8].clone(), rows[1][9].clone()),
            (2.into(), "boom".into())
        );
        let odd = line.replace(r#""message":"boom""#, r#""message":{"x":[1]}"#);
        let mut out = Vec::new();
        let counts = DataWriter::write_all(odd.as_bytes(), &mut out).unwrap();
        assert_eq!(
            counts.spans, 1,
            "a message of another type is no reason to fail"
        );
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
        assert_eq!(rows[1][9], serde_json::json!({"x": [1]}));
    }
}
