//! Skipping one JSON value quickly while checking it exactly as serde_json checks a
//! value it ignores: the grammar of strings (escapes, no control characters), numbers,
//! literals, objects and arrays (no trailing commas). Used by [`super::fast`] for the
//! parts of a span the summary does not need (attributes, events, links).
//!
//! One loop over the bytes with the open containers in a bit stack, no recursion: most
//! of a trace file is such values, so this is the inner loop of `summary`. It reports
//! where the value ends, or `None` for anything it does not accept (a raw `\n` too, see
//! [`whitespace`]), never a value that serde_json would refuse. UTF-8 is the caller's to
//! check. Attribute lists in the form the Collector writes take a shorter way
//! ([`key_values`]), and strings are scanned sixteen bytes at a time with SSE2 (through
//! `wide`, which keeps this crate free of `unsafe`): together these cut the instructions
//! `summary` spends on a generated file by about a third.

use wide::u8x16;

/// A reader of values of one form: from where one starts, the index just past it, or
/// `None` when the bytes there are not in that form.
pub(crate) type Reader = fn(&[u8], usize) -> Option<usize>;

/// Containers deeper than this (up to 64) give up.
const STACK_BITS: u32 = u64::BITS;

/// The index just past the value starting at or after `at` (after JSON whitespace), or
/// `None` when it is not valid JSON or nests more than `max_depth` containers deep.
pub(crate) fn value(bytes: &[u8], mut at: usize, max_depth: u32) -> Option<usize> {
    let max_depth = max_depth.min(STACK_BITS);
    // Bit i says whether the container at depth i + 1 is an object.
    let mut objects: u64 = 0;
    let mut depth = 0;
    loop {
        // A value is expected at `at`.
        at = whitespace(bytes, at);
        match *bytes.get(at)? {
            b'"' => at = string(bytes, at + 1)?,
            open @ (b'{' | b'[') => {
                if depth == max_depth {
                    return None;
                }
                depth += 1;
                objects = (objects << 1) | u64::from(open == b'{');
                at = whitespace(bytes, at + 1);
                let close = if open == b'{' { b'}' } else { b']' };
                if *bytes.get(at)? != close {
                    if open == b'{' {
                        at = key(bytes, at)?;
                    }
                    continue;
                }
                at += 1;
                depth -= 1;
                objects >>= 1;
            }
            b't' => at = expect(bytes, at, b"true")?,
            b'f' => at = expect(bytes, at, b"false")?,
            b'n' => at = expect(bytes, at, b"null")?,
            b'-' | b'0'..=b'9' => at = number(bytes, at)?,
            _ => return None,
        }
        // A value ended: close containers until one goes on with a comma.
        loop {
            if depth == 0 {
                return Some(at);
            }
            at = whitespace(bytes, at);
            let in_object = objects & 1 == 1;
            match (*bytes.get(at)?, in_object) {
                (b',', true) => {
                    at = key(bytes, at + 1)?;
                    break;
                }
                (b',', false) => {
                    at += 1;
                    break;
                }
                (b'}', true) | (b']', false) => {
                    at += 1;
                    depth -= 1;
                    objects >>= 1;
                }
                _ => return None,
            }
        }
    }
}

/// The index just past an attribute list starting at `at` in the form the Collector
/// writes, `[{"key":"k","value":{"intValue":"1"}},…]`: no whitespace, keys and string
/// values without escapes, values of the four scalar kinds. Attributes are most of what `summary` skips,
/// and this reads them with a few fixed comparisons instead of token by token. `None`
/// for a list in any other form (valid or not): [`value`] decides then.
pub(crate) fn key_values(bytes: &[u8], at: usize) -> Option<usize> {
    fixed_list(bytes, at, *b"[]", |bytes, at| {
        let at = plain_string_end(bytes, expect(bytes, at, br#"{"key":""#)?)?;
        let at = expect(bytes, at, br#","value":{""#)?;
        // The kind of value, known by its first letter; its value as the Collector
        // writes it (64-bit integers in quotes).
        let at = match *bytes.get(at)? {
            b's' => plain_string_end(bytes, expect(bytes, at, br#"stringValue":""#)?)?,
            b'i' => plain_string_end(bytes, expect(bytes, at, br#"intValue":""#)?)?,
            b'b' => match expect(bytes, at, br#"boolValue":"#)? {
                at if bytes.get(at) == Some(&b't') => expect(bytes, at, b"true")?,
                at => expect(bytes, at, b"false")?,
            },
            b'd' => number(bytes, expect(bytes, at, br#"doubleValue":"#)?)?,
            _ => return None,
        };
        expect(bytes, at, b"}}")
    })
}

/// The index just past a list of span events starting at `at` in the form the Collector
/// writes, `[{"timeUnixNano":"1","name":"retry","attributes":[…]},…]` (attributes as
/// [`key_values`] reads them, or none); `None` for any other form: [`value`] decides then.
pub(crate) fn events(bytes: &[u8], at: usize) -> Option<usize> {
    fixed_list(bytes, at, *b"[]", |bytes, at| {
        let at = plain_string_end(bytes, expect(bytes, at, br#"{"timeUnixNano":""#)?)?;
        let mut at = plain_string_end(bytes, expect(bytes, at, br#","name":""#)?)?;
        if let Some(list) = expect(bytes, at, br#","attributes":"#) {
            at = key_values(bytes, list)?;
        }
        expect(bytes, at, b"}")
    })
}

/// The index just past an object of plain strings starting at `at`, in the form the
/// Collector writes instrumentation scopes, `{"name":"x","version":"1.0"}`; `None` for
/// any other form (valid or not): [`value`] decides then.
pub(crate) fn string_object(bytes: &[u8], at: usize) -> Option<usize> {
    fixed_list(bytes, at, *b"{}", |bytes, at| {
        let at = plain_string_end(bytes, expect(bytes, at, b"\"")?)?;
        plain_string_end(bytes, expect(bytes, at, b":\"")?)
    })
}

/// The index just past a list of items that `item` reads, between `brackets` and
/// separated by commas, without whitespace; `None` when it is not one.
#[inline]
fn fixed_list(
    bytes: &[u8],
    at: usize,
    brackets: [u8; 2],
    item: impl Fn(&[u8], usize) -> Option<usize>,
) -> Option<usize> {
    let [open, close] = brackets;
    let mut at = expect(bytes, at, &[open])?;
    if bytes.get(at) == Some(&close) {
        return Some(at + 1);
    }
    loop {
        at = item(bytes, at)?;
        match *bytes.get(at)? {
            b',' => at += 1,
            byte if byte == close => return Some(at + 1),
            _ => return None,
        }
    }
}

/// The index past `text` if the bytes at `at` are `text` (a literal, or a fixed part of
/// an attribute list).
#[inline]
pub(crate) fn expect<const N: usize>(bytes: &[u8], at: usize, text: &[u8; N]) -> Option<usize> {
    let got: &[u8; N] = bytes.get(at..at + N)?.try_into().ok()?;
    (got == text).then_some(at + N)
}

/// The index past the closing quote of a string without escapes or control characters
/// whose opening quote is before `at`.
#[inline]
pub(crate) fn plain_string_end(bytes: &[u8], at: usize) -> Option<usize> {
    let end = plain_run(bytes, at);
    (*bytes.get(end)? == b'"').then_some(end + 1)
}

/// Past `"key":` (whitespace around allowed), starting at or before the quote.
#[inline]
fn key(bytes: &[u8], at: usize) -> Option<usize> {
    let at = whitespace(bytes, at);
    (*bytes.get(at)? == b'"').then_some(())?;
    let at = whitespace(bytes, string(bytes, at + 1)?);
    (*bytes.get(at)? == b':').then_some(at + 1)
}

/// The index past the closing quote of a string whose opening quote is before `at`.
#[inline]
pub(crate) fn string(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        at = plain_run(bytes, at);
        match *bytes.get(at)? {
            b'"' => return Some(at + 1),
            b'\\' => {
                at = match *bytes.get(at + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => at + 2,
                    b'u' if bytes.get(at + 2..at + 6)?.iter().all(u8::is_ascii_hexdigit) => at + 6,
                    _ => return None,
                };
            }
            _ => return None,
        }
    }
}

/// The index of the first quote, backslash or control character from `at` (or the
/// end), sixteen bytes at a time in a vector register.
#[inline]
pub(crate) fn plain_run(bytes: &[u8], mut at: usize) -> usize {
    let (quote, backslash, last_control) =
        (u8x16::splat(b'"'), u8x16::splat(b'\\'), u8x16::splat(0x1f));
    while let Some(chunk) = bytes.get(at..at + 16) {
        let chunk = u8x16::new(chunk.try_into().expect("sixteen bytes"));
        let stops =
            chunk.cmp_eq(quote) | chunk.cmp_eq(backslash) | chunk.min(last_control).cmp_eq(chunk);
        let mask = stops.move_mask();
        if mask != 0 {
            return at + mask.trailing_zeros() as usize;
        }
        at += 16;
    }
    while bytes
        .get(at)
        .is_some_and(|&byte| byte != b'"' && byte != b'\\' && byte >= 0x20)
    {
        at += 1;
    }
    at
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` from `at`; the index past it.
pub(crate) fn number(bytes: &[u8], mut at: usize) -> Option<usize> {
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    let end = digits(bytes, at);
    if end == at || (end - at > 1 && bytes[at] == b'0') {
        return None;
    }
    at = end;
    if bytes.get(at) == Some(&b'.') {
        let end = digits(bytes, at + 1);
        (end > at + 1).then_some(())?;
        at = end;
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let end = digits(bytes, at);
        (end > at).then_some(())?;
        at = end;
    }
    Some(at)
}

/// The index past the ASCII digits from `at`.
pub(crate) fn digits(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_digit) {
        at += 1;
    }
    at
}

/// The index of the first byte from `at` that is not JSON whitespace, taking `\n` for
/// the end of a line (lines of a trace file cannot hold one): JSON split over several
/// lines gives up, so that [`super::fast::parse_at`] never reads past a line.
pub(crate) fn whitespace(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\r')) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    /// Whether `text` is one JSON value and nothing else, for [`super::value`].
    fn accepted(text: &str) -> bool {
        let bytes = text.as_bytes();
        super::value(bytes, 0, 64).is_some_and(|end| super::whitespace(bytes, end) == bytes.len())
    }

    #[test]
    fn values_are_accepted_exactly_when_serde_json_accepts_them() {
        let values = [
            r#"{"a":[1,-2.5e+3,0.1,true,false,null,"\u00e9\n\/",{}],"b":{"c":[]}}"#,
            r#" { "a" : [ 1 , 2 ] } "#,
            "[1 2]",
            r#"{"a" 1}"#,
            r#"{"a":1,}"#,
            "[1,]",
            "01",
            "1.",
            "1e",
            "-",
            "tru",
            "nul",
            r#""\x""#,
            r#""\u12g4""#,
            "[",
            "{",
            r#"{"a":}"#,
            "{,}",
            "[]]",
        ];
        for value in values {
            let serde = serde_json::from_str::<serde::de::IgnoredAny>(value).is_ok();
            assert_eq!(accepted(value), serde, "{value}");
        }
    }

    /// `text` cut short, and with each byte removed.
    fn damaged(text: &str) -> Vec<String> {
        let mut forms: Vec<String> = (0..text.len()).map(|at| text[..at].to_owned()).collect();
        forms.extend((0..text.len()).map(|at| {
            let mut form = text.as_bytes().to_vec();
            form.remove(at);
            String::from_utf8_lossy(&form).into_owned()
        }));
        forms
    }

    /// Scopes and event lists in the Collector's form are skipped where the general
    /// skipper ends, or left to it; damaged, they are never accepted where it refuses.
    #[test]
    fn scopes_and_events_end_where_values_end() {
        let object = r#"{"name":"node::rpc","version":"1.4.2"}"#;
        let events = r#"[{"timeUnixNano":"1","name":"retry","attributes":[{"key":"a","value":{"intValue":"2"}}]},{"timeUnixNano":"2","name":"x"}]"#;
        assert_eq!(
            super::string_object(object.as_bytes(), 0),
            Some(object.len())
        );
        assert_eq!(super::events(events.as_bytes(), 0), Some(events.len()));
        let objects = [object, "{}", r#"{"a":1}"#, r#"{"a":"\n"}"#, r#"{"a":"b",}"#];
        let lists = [events, "[]", r#"[{"name":"x","timeUnixNano":"1"}]"#];
        let readers: [(&[&str], super::Reader); 2] =
            [(&objects, super::string_object), (&lists, super::events)];
        for (texts, read) in readers {
            for &text in texts {
                for form in damaged(text).into_iter().chain([text.to_owned()]) {
                    if let Some(end) = read(form.as_bytes(), 0) {
                        assert_eq!(Some(end), super::value(form.as_bytes(), 0, 64), "{form}");
                    }
                }
            }
        }
    }

    /// The fixed-form reader of attribute lists ends where the general one does, or
    /// leaves the list to it; it never accepts one that serde_json refuses.
    #[test]
    fn attribute_lists_in_the_collectors_form_end_where_values_end() {
        let list = r#"[{"key":"a","value":{"intValue":"1"}},{"key":"b","value":{"boolValue":false}},{"key":"c","value":{"doubleValue":-2.5e3}},{"key":"d","value":{"boolValue":true}},{"key":"e","value":{"stringValue":"x"}}]"#;
        assert_eq!(super::key_values(list.as_bytes(), 0), Some(list.len()));
        assert_eq!(super::key_values(b"[]", 0), Some(2));
        let lists = [
            list.to_owned(),
            r#"[{"key":"a","value":{"stringValue":"x\"y"}}]"#.to_owned(),
            r#"[{"key":"a","value":{"arrayValue":{"values":[]}}}]"#.to_owned(),
            r#"[{"key":"a","value":{}}]"#.to_owned(),
            r#"[{"value":{"intValue":1},"key":"a"}]"#.to_owned(),
            r#"[ {"key":"a","value":{"intValue":1}}]"#.to_owned(),
            r#"[{"key":"a","value":{"intValue":01}}]"#.to_owned(),
            r#"[{"key":"a","value":{"intValue":1}},]"#.to_owned(),
            r#"[{"key":"a","value":{"intValue":nul}}]"#.to_owned(),
            "[{\"key\":\"a\u{1}\",\"value\":{\"intValue\":1}}]".to_owned(),
        ];
        for text in lists {
            for form in damaged(&text).into_iter().chain([text.clone()]) {
                let bytes = form.as_bytes();
                if let Some(end) = super::key_values(bytes, 0) {
                    assert_eq!(Some(end), super::value(bytes, 0, 64), "{form}");
                    let serde = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes[..end]);
                    assert!(serde.is_ok(), "{form}");
                }
            }
        }
    }
}
