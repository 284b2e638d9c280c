//! A faster [`model::parse_line`] for reading gigabytes (`summary`), with the same result
//! for every line.
//!
//! serde_json spends most of its time in generic visitor code; this reads the OTLP/JSON
//! shape directly into the same borrowed [`model`] types, checking the grammar of every
//! value it skips (attributes, events, links) as serde_json does. It only answers for
//! the plain, common form of a line: at anything else (an escape in a string it keeps,
//! `null` where the model has a default, a duplicate field, a number a field would
//! refuse, invalid UTF-8, deep nesting, any syntax error) it gives up and
//! [`model::parse_line`] decides, so the answer, and the reason a line is refused, are
//! always serde_json's. It must never accept a line that `model::parse_line` refuses,
//! nor read one differently.
//!
//! Spans and string attributes are first tried in the exact form the Collector writes
//! (fields in the order of the `.proto`, no whitespace), where each field is known by
//! one fixed comparison rather than by reading and matching its key; anything else is
//! read again field by field. With timestamps read eight digits at a time, that took a
//! third off the instructions `summary` spends on a generated file.

use std::borrow::Cow;

use super::model::{
    self, AnyValue, KeyValue, LineError, Resource, ResourceSpans, ScopeSpans, Span, Status,
    TracesData,
};
use super::skip;
use digits::decimal;

mod digits;

/// Nesting beyond this is left to serde_json (whose limit is 128).
const MAX_DEPTH: u32 = 64;

/// Parses and checks one line like [`model::parse_line`], faster on common lines.
pub(crate) fn parse_line(line: &[u8]) -> Result<TracesData<'_>, LineError> {
    if let Some(err) = model::too_long(line) {
        return Err(err);
    }
    match traces_data(line) {
        Some(data) => model::checked(data),
        None => model::parse_line(line),
    }
}

/// The line read the plain way, or `None` to leave it to serde_json.
fn traces_data(line: &[u8]) -> Option<TracesData<'_>> {
    let mut cursor = Cursor {
        text: simdutf8::basic::from_utf8(line).ok()?,
        at: 0,
        depth: 0,
    };
    let data = cursor.traces_data()?;
    cursor.end()?;
    Some(data)
}

/// The line of `text` (lines split at `\n`, as in a block of a file) that starts at
/// `start`, read like [`parse_line`] without looking for its end first: the result, where
/// the line's content ends (before `\r\n` or `\n`, as [`super::lines::content`] says),
/// and where the next line starts. `None` when the line is not in the plain form (blank,
/// indented, unusual or invalid): read it the usual way.
pub(crate) fn parse_at(
    text: &str,
    start: usize,
) -> Option<(Result<TracesData<'_>, LineError>, usize, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(start) != Some(&b'{') {
        return None;
    }
    let mut cursor = Cursor {
        text,
        at: start,
        depth: 0,
    };
    // Whitespace never includes `\n` here, so the parse cannot run into the next line.
    let data = cursor.traces_data()?;
    let line_end = skip::whitespace(bytes, cursor.at);
    let next = match bytes.get(line_end) {
        None => line_end,
        Some(b'\n') => line_end + 1,
        Some(_) => return None,
    };
    let content_end = if bytes[line_end - 1] == b'\r' {
        line_end - 1
    } else {
        line_end
    };
    Some((model::checked(data), content_end, next))
}

/// Stores a field's value; `None` when the field came twice (serde refuses that).
fn set_once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    slot.is_none().then(|| *slot = Some(value))
}

/// A position in a line known to be UTF-8.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
    depth: u32,
}

impl<'a> Cursor<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte that is not JSON whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.at = skip::whitespace(self.bytes(), self.at);
        self.bytes().get(self.at).copied()
    }

    fn eat(&mut self, expected: u8) -> Option<()> {
        (self.peek()? == expected).then(|| self.at += 1)
    }

    /// An `ExportTraceServiceRequest` object.
    fn traces_data(&mut self) -> Option<TracesData<'a>> {
        let mut resource_spans = None;
        self.object(|cursor, key| match key {
            "resourceSpans" => set_once(&mut resource_spans, cursor.array(Cursor::resource_spans)?),
            _ => cursor.skip_value(),
        })?;
        Some(TracesData { resource_spans })
    }

    /// Only whitespace is left.
    fn end(&mut self) -> Option<()> {
        self.peek().is_none().then_some(())
    }

    /// An object; `on_field` reads the value of each key. Keys with escapes give up.
    #[inline]
    fn object(&mut self, mut on_field: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.entries(b'{', b'}', |cursor| {
            let key = cursor.plain_string()?;
            cursor.eat(b':')?;
            on_field(cursor, key)
        })
    }

    /// An array of items that `item` reads.
    #[inline]
    fn array<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        // Resources carry several attributes: fewer reallocations.
        let mut items = Vec::with_capacity(8);
        self.entries(b'[', b']', |cursor| {
            item(cursor).map(|value| items.push(value))
        })?;
        Some(items)
    }

    /// The comma-separated entries between `open` and `close`, each read by `entry`.
    #[inline]
    fn entries(
        &mut self,
        open: u8,
        close: u8,
        mut entry: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        self.eat(open)?;
        self.nest()?;
        if self.peek()? == close {
            self.at += 1;
        } else {
            loop {
                entry(self)?;
                match self.peek()? {
                    b',' => self.at += 1,
                    byte if byte == close => {
                        self.at += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    fn nest(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A string without escapes or control characters, borrowed from the line.
    fn plain_string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        self.string_rest()
    }

    /// Consumes `text` if the line goes on with it, exactly (no whitespace skipped).
    #[inline]
    fn fixed<const N: usize>(&mut self, text: &[u8; N]) -> Option<()> {
        self.at = skip::expect(self.bytes(), self.at, text)?;
        Some(())
    }

    /// A field that may be left out: what `read` reads after `field` (its key, colon
    /// and any opening quote) if the line goes on with it, else the default (`""`, 0).
    #[inline]
    fn field<const N: usize, T: Default>(
        &mut self,
        field: &[u8; N],
        read: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<T> {
        if self.fixed(field).is_some() {
            read(self)
        } else {
            Some(T::default())
        }
    }

    /// The rest of a plain string whose opening quote is consumed.
    #[inline]
    fn string_rest(&mut self) -> Option<&'a str> {
        let start = self.at;
        self.at = skip::plain_string_end(self.bytes(), start)?;
        self.text.get(start..self.at - 1)
    }

    /// A number, checked as serde_json checks one it ignores.
    fn number(&mut self) -> Option<()> {
        self.at = skip::number(self.bytes(), self.at)?;
        Some(())
    }

    /// Any JSON value, checked as serde_json checks a value it ignores; an object of
    /// plain strings (a scope) the short way.
    fn skip_value(&mut self) -> Option<()> {
        self.skip_with(skip::string_object)
    }

    /// An attribute list, skipped and checked like [`Cursor::skip_value`], faster in
    /// the Collector's own form.
    fn skip_key_values(&mut self) -> Option<()> {
        self.skip_with(skip::key_values)
    }

    /// A value skipped by `short` (a reader of one form, such as [`skip::events`]), or
    /// when that declines, by the general skipper. The short forms nest at most five
    /// deep: below the cursor's [`MAX_DEPTH`] that stays within serde_json's limit.
    fn skip_with(&mut self, short: skip::Reader) -> Option<()> {
        let start = skip::whitespace(self.bytes(), self.at);
        self.at = match short(self.bytes(), start) {
            Some(end) => end,
            None => skip::value(self.bytes(), start, MAX_DEPTH - self.depth)?,
        };
        Some(())
    }

    /// Consumes an integer without sign, fraction or exponent and gives its digits.
    fn integer(&mut self) -> Option<&'a str> {
        let bytes = self.bytes();
        let start = self.at;
        let end = skip::digits(bytes, start);
        let plain = end > start
            && (end - start == 1 || bytes[start] != b'0')
            && !matches!(bytes.get(end), Some(b'.' | b'e' | b'E'));
        self.at = end;
        plain.then(|| &self.text[start..end])
    }

    /// An unsigned integer as [`model::u64_from_string_or_number`] reads it: digits, or
    /// a string of digits (empty is 0). Signs, fractions, exponents and more than 19
    /// digits give up.
    fn nanos(&mut self) -> Option<u64> {
        // Nearly every timestamp: 19 digits in quotes (the years 2001 to 2286).
        let bytes = self.bytes();
        if bytes.get(self.at) == Some(&b'"')
            && bytes.get(self.at + 20) == Some(&b'"')
            && let Some(nanos) = decimal(&bytes[self.at + 1..self.at + 20])
        {
            self.at += 21;
            return Some(nanos);
        }
        let digits = if self.peek()? == b'"' {
            self.plain_string()?
        } else {
            self.integer()?
        };
        decimal(digits.as_bytes())
    }

    fn resource_spans(&mut self) -> Option<ResourceSpans<'a>> {
        let (mut resource, mut scope_spans, mut legacy) = (None, None, None);
        self.object(|cursor, key| match key {
            "resource" => set_once(&mut resource, cursor.resource()?),
            "scopeSpans" => set_once(&mut scope_spans, cursor.array(Cursor::scope_spans)?),
            "instrumentationLibrarySpans" => {
                set_once(&mut legacy, cursor.array(Cursor::scope_spans)?)
            }
            _ => cursor.skip_value(),
        })?;
        Some(ResourceSpans {
            resource,
            scope_spans: scope_spans.unwrap_or_default(),
            legacy_scope_spans: legacy.unwrap_or_default(),
        })
    }

    fn resource(&mut self) -> Option<Resource<'a>> {
        let attributes = self.array_field("attributes", Cursor::key_value)?;
        Some(Resource { attributes })
    }

    /// An object of which only the array `field` is read (missing: empty).
    #[inline]
    fn array_field<T>(
        &mut self,
        field: &str,
        mut item: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Vec<T>> {
        let mut items = None;
        self.object(|cursor, key| {
            if key == field {
                set_once(&mut items, cursor.array(&mut item)?)
            } else {
                cursor.skip_value()
            }
        })?;
        Some(items.unwrap_or_default())
    }

    /// An attribute: `{"key":"…","value":{"stringValue":"…"}}` (what resources carry) by
    /// fixed comparisons, anything else field by field.
    fn key_value(&mut self) -> Option<KeyValue<'a>> {
        self.either(Cursor::string_key_value, Cursor::key_value_fields)
    }

    /// What `fixed` reads (a reader of the Collector's form), or when it declines, what
    /// `general` reads from the same place.
    #[inline]
    fn either<T>(
        &mut self,
        fixed: impl FnOnce(&mut Self) -> Option<T>,
        general: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<T> {
        let (start, depth) = (self.at, self.depth);
        if let Some(value) = fixed(self) {
            return Some(value);
        }
        (self.at, self.depth) = (start, depth);
        general(self)
    }

    /// An attribute with a string value in the Collector's form, or `None`.
    fn string_key_value(&mut self) -> Option<KeyValue<'a>> {
        self.fixed(br#"{"key":""#)?;
        let key = self.string_rest()?;
        self.fixed(br#","value":{"stringValue":""#)?;
        let value = self.string_rest()?;
        // Two objects end here: nesting of two below the caller's, which allows it.
        (self.depth + 2 <= MAX_DEPTH).then_some(())?;
        self.fixed(b"}}")?;
        Some(KeyValue {
            key: Cow::Borrowed(key),
            value: AnyValue {
                string_value: Some(Cow::Borrowed(value)),
            },
        })
    }

    /// An attribute read field by field.
    fn key_value_fields(&mut self) -> Option<KeyValue<'a>> {
        let (mut name, mut value) = (None, None);
        self.object(|cursor, key| match key {
            "key" => set_once(&mut name, cursor.plain_string()?),
            "value" => set_once(&mut value, cursor.any_value()?),
            _ => cursor.skip_value(),
        })?;
        Some(KeyValue {
            key: Cow::Borrowed(name?),
            value: value.unwrap_or_default(),
        })
    }

    fn any_value(&mut self) -> Option<AnyValue<'a>> {
        let mut string_value = None;
        self.object(|cursor, key| match key {
            "stringValue" => set_once(&mut string_value, cursor.plain_string()?),
            _ => cursor.skip_value(),
        })?;
        Some(AnyValue {
            string_value: string_value.map(Cow::Borrowed),
        })
    }

    fn scope_spans(&mut self) -> Option<ScopeSpans<'a>> {
        let spans = self.array_field("spans", Cursor::span)?;
        Some(ScopeSpans { spans })
    }

    /// A span: in the Collector's form when it is one ([`Cursor::collector_span`]), else
    /// field by field.
    fn span(&mut self) -> Option<Span<'a>> {
        self.either(Cursor::collector_span, Cursor::span_fields)
    }

    /// A span in the form the Collector writes: no whitespace, the fields in the order of
    /// the `.proto`, empty ones left out, `{"traceId":"…","spanId":"…",…,"status":{}}`.
    /// Each field is then known by one fixed comparison instead of reading and matching
    /// its key. `None` at anything else (another order, an unknown or repeated field, a
    /// value it does not read): [`Cursor::span`] then starts again field by field.
    fn collector_span(&mut self) -> Option<Span<'a>> {
        self.fixed(br#"{"traceId":""#)?;
        self.nest()?;
        let trace_id = self.string_rest()?;
        self.fixed(br#","spanId":""#)?;
        let span_id = self.string_rest()?;
        self.field(br#","traceState":""#, Cursor::string_rest)?;
        let parent_span_id = self.field(br#","parentSpanId":""#, Cursor::string_rest)?;
        self.field(br#","flags":"#, Cursor::number)?;
        let name = self.field(br#","name":""#, Cursor::string_rest)?;
        self.field(br#","kind":"#, Cursor::number)?;
        let start = self.field(br#","startTimeUnixNano":"#, Cursor::nanos)?;
        let end = self.field(br#","endTimeUnixNano":"#, Cursor::nanos)?;
        self.field(br#","attributes":"#, Cursor::skip_key_values)?;
        self.field(br#","droppedAttributesCount":"#, Cursor::number)?;
        self.field(br#","events":"#, |cursor| cursor.skip_with(skip::events))?;
        self.field(br#","droppedEventsCount":"#, Cursor::number)?;
        self.field(br#","links":"#, Cursor::skip_value)?;
        self.field(br#","droppedLinksCount":"#, Cursor::number)?;
        let status = self.field(br#","status":"#, |cursor| cursor.status().map(Some))?;
        self.fixed(b"}")?;
        self.depth -= 1;
        Some(Span {
            trace_id: Cow::Borrowed(trace_id),
            span_id: Cow::Borrowed(span_id),
            parent_span_id: Cow::Borrowed(parent_span_id),
            name: Cow::Borrowed(name),
            start_time_unix_nano: start,
            end_time_unix_nano: end,
            status,
        })
    }

    /// A span read field by field, in any order and with any whitespace.
    fn span_fields(&mut self) -> Option<Span<'a>> {
        let mut ids: [Option<&'a str>; 4] = [None; 4];
        let (mut start, mut end, mut status) = (None, None, None);
        self.object(|cursor, key| match key {
            "traceId" => set_once(&mut ids[0], cursor.plain_string()?),
            "spanId" => set_once(&mut ids[1], cursor.plain_string()?),
            "parentSpanId" => set_once(&mut ids[2], cursor.plain_string()?),
            "name" => set_once(&mut ids[3], cursor.plain_string()?),
            "startTimeUnixNano" => set_once(&mut start, cursor.nanos()?),
            "endTimeUnixNano" => set_once(&mut end, cursor.nanos()?),
            "status" => set_once(&mut status, cursor.status()?),
            "attributes" => cursor.skip_key_values(),
            _ => cursor.skip_value(),
        })?;
        let [trace_id, span_id, parent_span_id, name] = ids.map(|s| Cow::Borrowed(s.unwrap_or("")));
        Some(Span {
            trace_id,
            span_id,
            parent_span_id,
            name,
            start_time_unix_nano: start.unwrap_or(0),
            end_time_unix_nano: end.unwrap_or(0),
            status,
        })
    }

    /// A status; its code is a small non-negative number (others give up).
    fn status(&mut self) -> Option<Status> {
        let mut code = None;
        self.object(|cursor, key| match key {
            "code" => {
                cursor.peek()?;
                let digits = cursor.integer().filter(|digits| digits.len() < 10)?;
                set_once(&mut code, digits.parse().ok()?)
            }
            _ => cursor.skip_value(),
        })?;
        Some(Status {
            code: code.unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests;
