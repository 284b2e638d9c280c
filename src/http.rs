//! What every HTTP protocol here shares: the client's identity and timeouts, and the
//! one retry policy (attempts, backoff with jitter, a cap on `Retry-After`, a deadline).
//!
//! Which answers are retried differs per protocol (GitHub REST, Twirp, Azure blobs,
//! OTLP): each protocol's module turns an answer into a [`Retry`] verdict and nothing
//! else; the arithmetic of waiting lives only here, in [`Policy`]. Nothing here logs a URL, since signed URLs carry credentials in their query.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// `User-Agent` of every request.
pub(crate) const USER_AGENT: &str = concat!("ci-tracing/", env!("CARGO_PKG_VERSION"));

/// A client builder with the user agent, timeouts and no automatic redirects (each
/// protocol decides which redirects to follow and which headers go along).
pub(crate) fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_secs(120))
        .redirect(reqwest::redirect::Policy::none())
}

/// The longest wait any server may impose with `Retry-After` (or a rate-limit reset):
/// a longer one is waited for this long, then the request is tried again.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Whether and when a failed attempt may be tried again: all a protocol decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// The answer is final.
    Never,
    /// Transient: wait as the policy's backoff says.
    Backoff,
    /// The server said how long to wait (capped at [`MAX_RETRY_AFTER`]).
    After(Duration),
}

impl Retry {
    /// Transient trouble: after the answer's `Retry-After` when it has one, else with
    /// backoff.
    pub(crate) fn transient(headers: &HeaderMap) -> Self {
        retry_after(headers).map_or(Retry::Backoff, Retry::After)
    }
}

/// A failed attempt and its protocol's verdict.
#[derive(Debug)]
pub(crate) struct Failed<E> {
    /// What to report if no attempt follows.
    pub error: E,
    /// The cause in a few words, for the retry message (`HTTP 503`, `timed out`).
    pub reason: String,
    /// Whether one may.
    pub retry: Retry,
}

/// The last failure once [`Policy::run`] stops trying.
#[derive(Debug)]
pub(crate) struct GaveUp<E> {
    /// The last attempt's error.
    pub error: E,
    /// Its cause in a few words.
    pub reason: String,
    /// Attempts made, the first included.
    pub attempts: u32,
    /// The last verdict: [`Retry::Never`] for a final answer, else the attempts or the
    /// deadline ran out.
    pub retry: Retry,
}

impl<E> GaveUp<E> {
    /// The last error when it was final, else the one `exhausted` makes from the
    /// attempts made and the last reason.
    pub(crate) fn or_exhausted(self, exhausted: impl FnOnce(u32, String) -> E) -> E {
        match self.retry {
            Retry::Never => self.error,
            _ => exhausted(self.attempts, self.reason),
        }
    }
}

/// Attempts, backoff and deadline of one kind of request; the one place that waits.
///
/// Backoff delays grow `base × factor^n` up to `max`, with ±25 % jitter. A server's
/// `Retry-After` is honoured up to [`MAX_RETRY_AFTER`]. No wait starts that would end
/// after `deadline` (counted from the first attempt). Every wait is multiplied by
/// `CI_TRACING_RETRY_SCALE` (a test knob: `0.01` makes retries quick; default 1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Policy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// Delay before the second attempt.
    pub base: Duration,
    /// Growth per attempt.
    pub factor: f64,
    /// Longest backoff delay.
    pub max: Duration,
    /// Longest time from the first attempt to the start of the last one.
    pub deadline: Duration,
    /// Where "retrying in N s" goes (`log::debug` or `log::info`).
    pub log: fn(&str),
}

impl Policy {
    /// Runs `attempt` until it succeeds, its verdict is [`Retry::Never`], or the
    /// attempts or the deadline run out. Each retry is logged as `{what}: {reason};
    /// retrying in N s`.
    pub(crate) async fn run<T, E, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T, GaveUp<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failed<E>>>,
    {
        let started = Instant::now();
        let mut attempts = 1;
        loop {
            let failed = match attempt().await {
                Ok(value) => return Ok(value),
                Err(failed) => failed,
            };
            let Some(wait) = self.wait(attempts, failed.retry, started.elapsed()) else {
                return Err(GaveUp {
                    error: failed.error,
                    reason: failed.reason,
                    attempts,
                    retry: failed.retry,
                });
            };
            (self.log)(&format!(
                "{what}: {}; retrying in {:.1} s (attempt {attempts} of {}){}",
                failed.reason,
                wait.as_secs_f64(),
                self.attempts,
                asked(failed.retry)
            ));
            tokio::time::sleep(wait).await;
            attempts += 1;
        }
    }

    /// The wait after failed attempt `attempt` (1-based) judged `retry`, `elapsed`
    /// after the first attempt began; `None` when no attempt may follow.
    pub(crate) fn wait(&self, attempt: u32, retry: Retry, elapsed: Duration) -> Option<Duration> {
        let unscaled = match retry {
            Retry::Never => return None,
            Retry::Backoff => self.backoff(attempt),
            Retry::After(asked) => asked.min(MAX_RETRY_AFTER),
        };
        let wait = unscaled.mul_f64(retry_scale());
        (attempt < self.attempts && elapsed + wait <= self.deadline).then_some(wait)
    }

    /// The jittered backoff delay after failed attempt `attempt` (1-based), unscaled.
    fn backoff(&self, attempt: u32) -> Duration {
        let exponent = i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX);
        let raw = self.base.as_secs_f64() * self.factor.powi(exponent);
        let capped = raw.min(self.max.as_secs_f64());
        let jitter = 0.75 + 0.5 * random_unit();
        Duration::from_secs_f64(capped * jitter)
    }
}

/// What a retry message adds when the server set the wait.
fn asked(retry: Retry) -> String {
    match retry {
        Retry::After(asked) if asked > MAX_RETRY_AFTER => format!(
            " (its Retry-After asked for {} s; capped at {} s)",
            asked.as_secs(),
            MAX_RETRY_AFTER.as_secs()
        ),
        Retry::After(_) => " as its Retry-After asks".to_owned(),
        _ => String::new(),
    }
}

/// The factor from `CI_TRACING_RETRY_SCALE` (see [`crate::tuning`]), for tests that must
/// not sleep for seconds.
fn retry_scale() -> f64 {
    crate::tuning::get().retry_scale
}

/// `Retry-After` as a delay: delta-seconds or an HTTP date (a past date means now).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    parse_retry_after(value, SystemTime::now())
}

/// Parses a `Retry-After` value relative to `now`.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A transport error in a few words plus its deepest cause, on one line and without the
/// URL (`reqwest::Error`'s `Display` names it, and signed URLs carry credentials).
pub(crate) fn describe_transport_error(err: &reqwest::Error) -> String {
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
pub(crate) fn percent_decode(text: &str) -> String {
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

    const POLICY: Policy = Policy {
        attempts: 5,
        base: Duration::from_secs(3),
        factor: 1.5,
        max: Duration::from_secs(5),
        deadline: Duration::from_secs(100),
        log: crate::log::debug,
    };

    #[test]
    fn backoff_grows_and_is_capped() {
        let first = POLICY.backoff(1).as_secs_f64();
        assert!((2.25..=3.75).contains(&first), "{first}");
        let late = POLICY.backoff(4).as_secs_f64();
        assert!((3.75..=6.25).contains(&late), "{late}");
    }

    #[test]
    fn waits_end_with_the_attempts_the_deadline_or_a_final_answer() {
        let zero = Duration::ZERO;
        assert!(POLICY.wait(4, Retry::Backoff, zero).is_some());
        assert_eq!(POLICY.wait(5, Retry::Backoff, zero), None);
        assert_eq!(POLICY.wait(1, Retry::Never, zero), None);
        let late = Duration::from_secs(95);
        assert_eq!(
            POLICY.wait(1, Retry::After(Duration::from_secs(10)), late),
            None
        );
    }

    #[test]
    fn a_retry_after_is_honoured_up_to_the_cap() {
        let zero = Duration::ZERO;
        let short = Retry::After(Duration::from_secs(7));
        assert_eq!(POLICY.wait(1, short, zero), Some(Duration::from_secs(7)));
        let long = Retry::After(Duration::from_secs(99_999));
        assert_eq!(POLICY.wait(1, long, zero), Some(MAX_RETRY_AFTER));
        assert!(asked(long).contains("capped at 60 s"), "{}", asked(long));
    }
}
