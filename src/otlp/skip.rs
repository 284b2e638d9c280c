//! Skipping one JSON value quickly while checking it exactly as serde_json checks a
//! value it ignores: the grammar of strings (escapes, no control characters), numbers,
//! literals, objects and arrays (no trailing commas). Used by [`super::fast`] for the
//! parts of a span the summary does not need (attributes, events, links).
//!
//! One loop over the bytes with the open containers in a bit stack, no recursion: most
//! of a trace file is such values, so this is the inner loop of `summary`. It reports
//! where the value ends, or `None` for anything it does not accept (a raw `\n` too, see
//! [`whitespace`]), never a value that serde_json would refuse. UTF-8 is the caller's to
//! check.

/// Containers deeper than this (up to 64) give up.
const STACK_BITS: u32 = u64::BITS;

/// The index just past the value starting at or after `at` (after JSON whitespace), or
/// `None` when it is not valid JSON or nests more than `max_depth` containers deep.
pub fn value(bytes: &[u8], mut at: usize, max_depth: u32) -> Option<usize> {
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
            b't' => at = literal(bytes, at, b"true")?,
            b'f' => at = literal(bytes, at, b"false")?,
            b'n' => at = literal(bytes, at, b"null")?,
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
pub fn string(bytes: &[u8], mut at: usize) -> Option<usize> {
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
/// end), eight bytes at a time.
#[inline]
pub fn plain_run(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    // Bit 7 of each byte that is zero (exact up to the first such byte).
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let found = zero_bytes(word ^ (ONES * u64::from(b'"')))
            | zero_bytes(word ^ (ONES * u64::from(b'\\')))
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGHS);
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
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
pub fn number(bytes: &[u8], mut at: usize) -> Option<usize> {
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
pub fn digits(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_digit) {
        at += 1;
    }
    at
}

fn literal(bytes: &[u8], at: usize, word: &[u8]) -> Option<usize> {
    let end = at + word.len();
    (bytes.get(at..end)? == word).then_some(end)
}

/// The index of the first byte from `at` that is not JSON whitespace, taking `\n` for
/// the end of a line (lines of a trace file cannot hold one): JSON split over several
/// lines gives up, so that [`super::fast::parse_at`] never reads past a line.
pub fn whitespace(bytes: &[u8], mut at: usize) -> usize {
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
}
