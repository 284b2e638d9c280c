//! What every HTTP protocol here shares: the client's identity and timeouts, backoff
//! with jitter, and `Retry-After`.
//!
//! Which statuses are retried differs per protocol (GitHub REST, Twirp, Azure blobs,
//! OTLP) and is decided in each protocol's module; the arithmetic of waiting lives only
//! here. Nothing here logs a URL, since signed URLs carry credentials in their query.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("ci-tracing/", env!("CARGO_PKG_VERSION"));

/// A client builder with the user agent, timeouts and no automatic redirects (each
/// protocol decides which redirects to follow and which headers go along).
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_secs(120))
        .redirect(reqwest::redirect::Policy::none())
}

/// Growing delays between attempts: `base × factor^n`, capped, with ±25 % jitter.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Delay before the second attempt.
    pub base: Duration,
    /// Growth per attempt.
    pub factor: f64,
    /// Longest single delay.
    pub max: Duration,
}

impl Backoff {
    /// The delay after failed attempt `attempt` (1-based), jittered and scaled by
    /// `CI_TRACING_RETRY_SCALE` (a test hook: `0.01` makes retries quick; default 1).
    pub fn delay(&self, attempt: u32) -> Duration {
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let raw = self.base.as_secs_f64() * self.factor.powi(exponent);
        let capped = raw.min(self.max.as_secs_f64());
        let jitter = 0.75 + 0.5 * random_unit();
        Duration::from_secs_f64(capped * jitter * retry_scale())
    }

    /// Whether another attempt may follow attempt `attempt` (1-based).
    pub fn allows_retry_after(&self, attempt: u32) -> bool {
        attempt < self.attempts
    }
}

/// The factor from `CI_TRACING_RETRY_SCALE` (see [`crate::tuning`]), for tests that must
/// not sleep for seconds.
pub fn retry_scale() -> f64 {
    crate::tuning::get().retry_scale
}

/// `Retry-After` as a delay: delta-seconds or an HTTP date (a past date means now).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    parse_retry_after(value, SystemTime::now())
}

/// Parses a `Retry-After` value relative to `now`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A transport error in a few words plus its deepest cause, on one line and without the
/// URL (`reqwest::Error`'s `Display` names it, and signed URLs carry credentials).
pub fn describe_transport_error(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "cannot connect"
    } else if err.is_body() || err.is_decode() {
        "the response body broke off"
    } else {
        "the connection failed before an answer"
    };
    let mut source = std::error::Error::source(err);
    let mut root = String::new();
    while let Some(cause) = source {
        root = cause.to_string();
        source = cause.source();
    }
    if root.is_empty() || root.contains("://") {
        kind.to_owned()
    } else {
        crate::log::one_line(&format!("{kind}: {root}"))
    }
}

/// Percent-decodes `%XX` escapes (signed URLs' `sig`, OTLP header values); a `%` not
/// followed by two hex digits is kept as it is.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A number in `[0, 1)` that differs between calls and processes; for jitter only.
fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    #[allow(clippy::cast_precision_loss)]
    let unit = (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64;
    unit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[tokio::test]
    async fn transport_errors_never_show_the_url() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/blob?sig=SIGNATURE_SENTINEL");
        let err = client_builder()
            .build()
            .unwrap()
            .get(url)
            .send()
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("SIGNATURE_SENTINEL"),
            "reqwest names the URL: {err}"
        );
        let described = describe_transport_error(&err);
        assert!(described.starts_with("cannot connect"), "{described}");
        assert!(
            !described.contains("SIGNATURE_SENTINEL") && !described.contains('\n'),
            "{described}"
        );
    }

    #[test]
    fn percent_decoding_keeps_stray_percent_signs() {
        assert_eq!(percent_decode("Basic%20dXNlcg%3D%3D"), "Basic dXNlcg==");
        assert_eq!(percent_decode("a%2Bb%2F%3D"), "a+b/=");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let backoff = Backoff {
            attempts: 5,
            base: Duration::from_secs(3),
            factor: 1.5,
            max: Duration::from_secs(5),
        };
        let first = backoff.delay(1).as_secs_f64();
        assert!((2.25..=3.75).contains(&first), "{first}");
        let late = backoff.delay(4).as_secs_f64();
        assert!((3.75..=6.25).contains(&late), "{late}");
        assert!(backoff.allows_retry_after(4));
        assert!(!backoff.allows_retry_after(5));
    }
}
