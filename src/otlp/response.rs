//! What an OTLP/HTTP receiver's answer means: `ExportTraceServiceResponse` on success
//! (in JSON or protobuf, matching the request), a `google.rpc.Status` on failure.
//!
//! Receivers differ in what they put in the body: the specification asks for the
//! message in the request's encoding, many answer `{"partialSuccess":null}`, `{}` or
//! nothing at all, and proxies in front of them answer plain text. This module turns
//! all of those into a count of rejected spans and a message; it never fails a
//! delivery because a body could not be understood.

use serde_json::Value;

/// What a 2xx answer says.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Success {
    /// `partialSuccess.rejectedSpans` (0 when absent).
    pub rejected_spans: u64,
    /// `partialSuccess.errorMessage`, when not empty.
    pub message: Option<String>,
}

/// Reads the body of a 2xx answer; an empty or unreadable body is a full success.
pub(crate) fn success(content_type: &str, body: &[u8], sent_protobuf: bool) -> Success {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Success::default();
    }
    if is_protobuf(content_type, sent_protobuf) {
        return success_from_protobuf(body);
    }
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Success::default();
    };
    let partial = value
        .get("partialSuccess")
        .or_else(|| value.get("partial_success"));
    let Some(partial) = partial.filter(|p| p.is_object()) else {
        return Success::default();
    };
    let rejected = partial
        .get("rejectedSpans")
        .or_else(|| partial.get("rejected_spans"));
    let rejected_spans = match rejected {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0),
        _ => 0,
    };
    let message = partial
        .get("errorMessage")
        .or_else(|| partial.get("error_message"))
        .and_then(Value::as_str);
    Success {
        rejected_spans,
        message: message.map(one_line).filter(|m| !m.is_empty()),
    }
}

/// The message of a failure answer (`Status.message`, a JSON `message`, or the text).
pub(crate) fn failure_message(
    content_type: &str,
    body: &[u8],
    sent_protobuf: bool,
) -> Option<String> {
    let message = if is_protobuf(content_type, sent_protobuf) {
        fields(body)
            .find(|(number, _)| *number == 2)
            .and_then(|(_, value)| match value {
                Wire::Bytes(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
                Wire::Number(_) => None,
            })
    } else if let Ok(value) = serde_json::from_slice::<Value>(body) {
        value
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| Some(value.to_string()))
    } else {
        Some(String::from_utf8_lossy(body).into_owned())
    };
    message.map(|m| one_line(&m)).filter(|m| !m.is_empty())
}

fn is_protobuf(content_type: &str, sent_protobuf: bool) -> bool {
    if content_type.is_empty() {
        sent_protobuf
    } else {
        content_type.contains("protobuf")
    }
}

/// One line of at most 300 characters, for a warning.
fn one_line(text: &str) -> String {
    let line = crate::log::one_line(text);
    if line.chars().count() > 300 {
        format!("{}…", line.chars().take(300).collect::<String>())
    } else {
        line
    }
}

/// `ExportTraceServiceResponse { partial_success = 1 { rejected_spans = 1; error_message = 2 } }`
fn success_from_protobuf(body: &[u8]) -> Success {
    let mut success = Success::default();
    for (number, value) in fields(body) {
        if let (1, Wire::Bytes(partial)) = (number, value) {
            for (number, value) in fields(partial) {
                match (number, value) {
                    (1, Wire::Number(n)) => success.rejected_spans = n,
                    (2, Wire::Bytes(text)) => {
                        success.message = Some(one_line(&String::from_utf8_lossy(text)))
                            .filter(|m| !m.is_empty());
                    }
                    _ => {}
                }
            }
        }
    }
    success
}

/// A protobuf field value as far as these two messages need it.
enum Wire<'a> {
    Number(u64),
    Bytes(&'a [u8]),
}

/// The fields of a protobuf message; stops quietly at the first malformed byte.
fn fields(mut body: &[u8]) -> impl Iterator<Item = (u64, Wire<'_>)> {
    std::iter::from_fn(move || {
        let key = read_varint(&mut body)?;
        let value = match key & 7 {
            0 => Wire::Number(read_varint(&mut body)?),
            1 => Wire::Number(u64::from_le_bytes(take(&mut body, 8)?.try_into().ok()?)),
            2 => {
                let length = usize::try_from(read_varint(&mut body)?).ok()?;
                Wire::Bytes(take(&mut body, length)?)
            }
            5 => Wire::Number(u64::from(u32::from_le_bytes(
                take(&mut body, 4)?.try_into().ok()?,
            ))),
            _ => return None,
        };
        Some((key >> 3, value))
    })
}

fn take<'a>(body: &mut &'a [u8], length: usize) -> Option<&'a [u8]> {
    if body.len() < length {
        return None;
    }
    let (head, rest) = body.split_at(length);
    *body = rest;
    Some(head)
}

fn read_varint(body: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = body.split_first()?;
        *body = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_partial_success_in_every_spelling() {
        let json = "application/json";
        for body in [
            "",
            "{}",
            r#"{"partialSuccess":null}"#,
            r#"{"partialSuccess":{}}"#,
        ] {
            assert_eq!(
                success(json, body.as_bytes(), false),
                Success::default(),
                "{body}"
            );
        }
        let number = success(
            json,
            br#"{"partialSuccess":{"rejectedSpans":5,"errorMessage":"bad"}}"#,
            false,
        );
        assert_eq!(number.rejected_spans, 5);
        assert_eq!(number.message.as_deref(), Some("bad"));
        let string = success(json, br#"{"partialSuccess":{"rejectedSpans":"7"}}"#, false);
        assert_eq!(string.rejected_spans, 7);
    }

    #[test]
    fn protobuf_partial_success() {
        // partial_success { rejected_spans: 3, error_message: "no" }
        let body = [0x0a, 0x06, 0x08, 0x03, 0x12, 0x02, b'n', b'o'];
        let got = success("application/x-protobuf", &body, true);
        assert_eq!(got.rejected_spans, 3);
        assert_eq!(got.message.as_deref(), Some("no"));
        assert_eq!(
            success("application/x-protobuf", &[], true),
            Success::default()
        );
    }

    #[test]
    fn failure_messages_from_status_json_and_text() {
        let status = [0x08, 0x03, 0x12, 0x03, b'b', b'a', b'd'];
        assert_eq!(
            failure_message("application/x-protobuf", &status, true).as_deref(),
            Some("bad")
        );
        assert_eq!(
            failure_message("application/json", br#"{"code":3,"message":"bad"}"#, false).as_deref(),
            Some("bad")
        );
        assert_eq!(
            failure_message("text/plain", b"too\nlarge", false).as_deref(),
            Some("too large")
        );
    }
}
