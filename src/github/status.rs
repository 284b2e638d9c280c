//! One function that turns a GitHub REST answer into an error kind and says whether,
//! and when, to try again.
//!
//! GitHub signals rate limits with 403 or 429 plus `retry-after` or
//! `x-ratelimit-remaining: 0` / `x-ratelimit-reset`; bad tokens with 401; transient
//! trouble with 5xx. The wait arithmetic lives in `crate::http`; this file only decides.
//! A `retry-after` is always honoured (the policy caps it); a quota whose reset is
//! further away than that cap is reported with its time instead of waited for.
//! It must never put a request header (the token) into an error.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::Error;
use super::models::ErrorBody;

use crate::http::{MAX_RETRY_AFTER, Retry};

/// The error to report if no retry follows, and whether one may.
#[derive(Debug)]
pub(crate) struct Verdict {
    /// What to report.
    pub error: Error,
    /// Whether to try again.
    pub retry: Retry,
}

/// Judges a non-2xx, non-3xx answer to a request for `what`.
pub(crate) fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    what: &str,
) -> Verdict {
    let message = error_message(body);
    let what = what.to_owned();
    let (error, retry) = match status.as_u16() {
        401 => (Error::BadCredentials { message }, Retry::Never),
        403 | 429 => {
            return rate_limit(status, headers, &message, SystemTime::now()).unwrap_or(Verdict {
                error: Error::Forbidden { what, message },
                retry: Retry::Never,
            });
        }
        404 => (Error::NotFound { what }, Retry::Never),
        410 => (Error::Gone { what }, Retry::Never),
        500 | 502 | 503 | 504 => (
            Error::Server {
                status: status.as_u16(),
                what,
            },
            Retry::transient(headers),
        ),
        other => (
            Error::Unexpected {
                what,
                reason: format!("HTTP {other}: {message}"),
            },
            Retry::Never,
        ),
    };
    Verdict { error, retry }
}

/// A rate-limit verdict, or `None` when a 403 is a plain refusal.
fn rate_limit(
    status: StatusCode,
    headers: &HeaderMap,
    message: &str,
    now: SystemTime,
) -> Option<Verdict> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // `Retry-After` is waited for (capped by the retry policy); a quota that resets
    // later than the cap is not, since no earlier attempt can succeed.
    let (wait, quota) = if let Some(after) = crate::http::retry_after(headers) {
        (Some(after), false)
    } else if header("x-ratelimit-remaining") == Some("0") {
        let reset = header("x-ratelimit-reset")?.trim().parse::<u64>().ok()?;
        let reset = UNIX_EPOCH + Duration::from_secs(reset);
        // One second more: the reset second itself may still be limited.
        let wait = reset.duration_since(now).unwrap_or_default() + Duration::from_secs(1);
        (Some(wait), true)
    } else if status == StatusCode::TOO_MANY_REQUESTS
        || message.to_ascii_lowercase().contains("rate limit")
    {
        (None, false)
    } else {
        return None;
    };
    let error = Error::RateLimited {
        until: httpdate::fmt_http_date(now + wait.unwrap_or(MAX_RETRY_AFTER)),
    };
    let retry = match wait {
        Some(wait) if quota && wait > MAX_RETRY_AFTER => Retry::Never,
        Some(wait) => Retry::After(wait),
        None => Retry::Backoff,
    };
    Some(Verdict { error, retry })
}

/// GitHub's `message`, on one line and short, or the start of a non-JSON body.
fn error_message(body: &[u8]) -> String {
    let message = serde_json::from_slice::<ErrorBody>(body).map_or_else(
        |_| String::from_utf8_lossy(body).into_owned(),
        |b| b.message,
    );
    let message = crate::log::one_line(&message);
    match message.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &message[..cut]),
        None if message.is_empty() => "no message".to_owned(),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn a_short_reset_is_waited_for_and_a_long_one_is_not() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        let short = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1010"),
        ]);
        let verdict = rate_limit(StatusCode::FORBIDDEN, &short, "", now).unwrap();
        assert_eq!(verdict.retry, Retry::After(Duration::from_secs(11)));
        let long = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "4600"),
        ]);
        let verdict = rate_limit(StatusCode::FORBIDDEN, &long, "", now).unwrap();
        assert_eq!(verdict.retry, Retry::Never);
        assert!(
            verdict.error.to_string().contains("01:16:41 GMT"),
            "{}",
            verdict.error
        );
    }

    #[test]
    fn any_retry_after_is_left_to_the_policy_to_cap() {
        let far = headers(&[("retry-after", "99999")]);
        let verdict = rate_limit(StatusCode::TOO_MANY_REQUESTS, &far, "", UNIX_EPOCH).unwrap();
        assert_eq!(verdict.retry, Retry::After(Duration::from_secs(99_999)));
        let verdict = classify(StatusCode::SERVICE_UNAVAILABLE, &far, b"", "x");
        assert_eq!(verdict.retry, Retry::After(Duration::from_secs(99_999)));
    }

    #[test]
    fn a_plain_403_is_a_refusal_and_a_secondary_limit_backs_off() {
        let none = HeaderMap::new();
        assert!(
            rate_limit(
                StatusCode::FORBIDDEN,
                &none,
                "Must have admin rights",
                UNIX_EPOCH
            )
            .is_none()
        );
        let secondary = "You have exceeded a secondary rate limit";
        let verdict = rate_limit(StatusCode::FORBIDDEN, &none, secondary, UNIX_EPOCH).unwrap();
        assert_eq!(verdict.retry, Retry::Backoff);
    }

    #[test]
    fn error_messages_are_one_short_line() {
        assert_eq!(
            error_message(br#"{"message":"Bad\ncredentials"}"#),
            "Bad credentials"
        );
        assert_eq!(error_message(b""), "no message");
        assert_eq!(error_message(&[b'x'; 500]).chars().count(), 201);
    }
}
