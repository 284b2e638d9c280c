//! Where `replay` sends and with which extra headers, resolved the way OpenTelemetry
//! SDKs resolve them.
//!
//! Endpoint: `--endpoint`, then `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is), then
//! `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, then the collector of
//! `.github/tracing` at `http://localhost:3100/v1/traces`. Headers:
//! `OTEL_EXPORTER_OTLP_HEADERS`, then `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, then every
//! `--header K=V`, a later one replacing an earlier one of the same name. Timeout per
//! request: `--timeout`, then `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, then
//! `OTEL_EXPORTER_OTLP_TIMEOUT` (both in milliseconds), then 10 s. Header values
//! are credentials more often than not: nothing here may put a value into an error
//! message or a log line, only names.
//!
//! Protocol: `--protocol` (or `--protobuf`, which means `http/protobuf`), then
//! `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, then `OTEL_EXPORTER_OTLP_PROTOCOL`, then
//! `http/json`. For `grpc` the endpoint is used as given by any of the sources (the
//! service path is gRPC's own, no `/v1/traces`), and defaults to `http://localhost:4317`.
//! Compression: `--gzip`, then `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`, then
//! `OTEL_EXPORTER_OTLP_COMPRESSION` (`gzip` or `none`). A value this tool cannot honour
//! is an error, never ignored: an exporter setting silently replaced would send
//! something other than what the user asked for.

use std::time::Duration;

use reqwest::Url;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use super::{Error, env_var};

/// The endpoint used when nothing else names one.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:3100/v1/traces";
/// The gRPC endpoint used when nothing else names one (OTLP's default gRPC port).
pub(crate) const DEFAULT_GRPC_ENDPOINT: &str = "http://localhost:4317";

/// The OTLP transport and encoding, as `OTEL_EXPORTER_OTLP_PROTOCOL` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// OTLP/gRPC (protobuf over HTTP/2).
    Grpc,
    /// OTLP/HTTP with protobuf bodies.
    HttpProtobuf,
    /// OTLP/HTTP with JSON bodies.
    HttpJson,
}

impl Protocol {
    /// The name the OTel environment uses.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Protocol::Grpc => "grpc",
            Protocol::HttpProtobuf => "http/protobuf",
            Protocol::HttpJson => "http/json",
        }
    }

    fn parse(origin: &str, value: &str) -> Result<Self, Error> {
        match value.trim().to_ascii_lowercase().as_str() {
            "grpc" => Ok(Protocol::Grpc),
            "http/protobuf" => Ok(Protocol::HttpProtobuf),
            "http/json" => Ok(Protocol::HttpJson),
            _ => Err(Error::Invalid(format!(
                "{origin} `{}` is not a protocol ci-tracing can send: use grpc, http/protobuf or http/json",
                value.trim().chars().take(40).collect::<String>()
            ))),
        }
    }
}

/// The protocol: `--protocol`, `--protobuf` (an alias of `--protocol http/protobuf`),
/// then the OTLP variables, then `http/json`.
pub(crate) fn resolve_protocol(flag: Option<&str>, protobuf: bool) -> Result<Protocol, Error> {
    let flag = flag.map(|v| Protocol::parse("--protocol", v)).transpose()?;
    match (flag, protobuf) {
        (Some(protocol), true) if protocol != Protocol::HttpProtobuf => {
            return Err(Error::Invalid(format!(
                "--protobuf means --protocol http/protobuf, and --protocol says {}: pass one of them",
                protocol.name()
            )));
        }
        (Some(protocol), _) => return Ok(protocol),
        (None, true) => return Ok(Protocol::HttpProtobuf),
        (None, false) => {}
    }
    for variable in [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ] {
        if let Some(value) = env_var(variable) {
            return Protocol::parse(variable, &value);
        }
    }
    Ok(Protocol::HttpJson)
}

/// Whether to gzip: `--gzip`, then the OTLP compression variables (`gzip` or `none`).
pub(crate) fn resolve_gzip(flag: bool) -> Result<bool, Error> {
    if flag {
        return Ok(true);
    }
    for variable in [
        "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
    ] {
        if let Some(value) = env_var(variable) {
            return match value.trim().to_ascii_lowercase().as_str() {
                "gzip" => Ok(true),
                "none" => Ok(false),
                _ => Err(Error::Invalid(format!(
                    "{variable} `{}` is not a compression ci-tracing can use: use gzip or none",
                    value.trim().chars().take(40).collect::<String>()
                ))),
            };
        }
    }
    Ok(false)
}

/// The time a request may take when nothing says otherwise (the SDKs' default).
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest timeout accepted.
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// The time one request may take: `--timeout` (seconds, or with a unit: `500ms`,
/// `30s`), then the OTLP variables (milliseconds), then [`DEFAULT_TIMEOUT`].
pub(crate) fn resolve_timeout(flag: Option<&str>) -> Result<Duration, Error> {
    if let Some(value) = flag {
        return parse_timeout("--timeout", value, 1000);
    }
    for variable in [
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        "OTEL_EXPORTER_OTLP_TIMEOUT",
    ] {
        if let Some(value) = env_var(variable) {
            return parse_timeout(variable, &value, 1);
        }
    }
    Ok(DEFAULT_TIMEOUT)
}

/// A positive timeout of at most an hour: a number of `unit_ms` milliseconds, or a
/// number followed by `ms` or `s`.
fn parse_timeout(origin: &str, value: &str, unit_ms: u64) -> Result<Duration, Error> {
    let text = value.trim();
    let (number, unit_ms) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1000)
    } else {
        (text, unit_ms)
    };
    #[allow(clippy::cast_precision_loss)] // units of 1 and 1000
    let timeout = number
        .trim()
        .parse::<f64>()
        .ok()
        .and_then(|n| Duration::try_from_secs_f64(n * unit_ms as f64 / 1000.0).ok())
        .filter(|t| !t.is_zero() && *t <= MAX_TIMEOUT);
    timeout.ok_or_else(|| {
        let unit = if unit_ms == 1 { "milliseconds" } else { "seconds" };
        Error::Invalid(format!(
            "{origin} `{text}` is not a timeout: expected a number of {unit} (or with a unit, like 500ms or 30s), more than 0 and at most 3600 s"
        ))
    })
}

/// The traces endpoint, from the flag or the environment; for gRPC the base URL of the
/// receiver (gRPC names its service in its own path).
pub(crate) fn resolve_endpoint(flag: Option<&str>, protocol: Protocol) -> Result<Url, Error> {
    if let Some(value) = flag {
        return parse_endpoint("--endpoint", value);
    }
    if let Some(value) = env_var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        return parse_endpoint("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &value);
    }
    let grpc = protocol == Protocol::Grpc;
    if let Some(value) = env_var("OTEL_EXPORTER_OTLP_ENDPOINT") {
        let base = value.trim().trim_end_matches('/');
        let url = if grpc {
            base.to_owned()
        } else {
            format!("{base}/v1/traces")
        };
        return parse_endpoint("OTEL_EXPORTER_OTLP_ENDPOINT", &url);
    }
    let default = if grpc {
        DEFAULT_GRPC_ENDPOINT
    } else {
        DEFAULT_ENDPOINT
    };
    parse_endpoint("the default endpoint", default)
}

/// Parses an http(s) URL without changing its path.
fn parse_endpoint(origin: &'static str, value: &str) -> Result<Url, Error> {
    let url = Url::parse(value.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some());
    url.ok_or_else(|| Error::BadUrl {
        origin,
        value: super::shown_url(value),
    })
}

/// The endpoint as it may be shown: no user, password or query (they can hold secrets).
pub(crate) fn display_endpoint(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// Extra request headers from the environment and `--header` flags. Every value is
/// marked sensitive so that no `Debug` output of the client shows it.
pub(crate) fn resolve_headers(flags: &[String]) -> Result<HeaderMap, Error> {
    let mut headers = HeaderMap::new();
    for variable in [
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    ] {
        if let Some(list) = env_var(variable) {
            let pairs = list.split(',').filter(|p| !p.trim().is_empty());
            for (index, pair) in pairs.enumerate() {
                let origin = format!("{variable}, entry number {}", index + 1);
                let (name, value) = split_pair(&origin, pair)?;
                insert(
                    &mut headers,
                    variable,
                    &name,
                    &crate::http::percent_decode(&value),
                )?;
            }
        }
    }
    for (index, pair) in flags.iter().enumerate() {
        let origin = format!("--header number {}", index + 1);
        let (name, value) = split_pair(&origin, pair)?;
        insert(&mut headers, "--header", &name, &value)?;
    }
    Ok(headers)
}

/// `K=V` into a trimmed name and value. The error names the entry by its place, never
/// by its text: without an `=`, any part of it may be the secret value.
fn split_pair(origin: &str, pair: &str) -> Result<(String, String), Error> {
    let (name, value) = pair.split_once('=').ok_or_else(|| {
        Error::Invalid(format!(
            "{origin}: a header must be written NAME=VALUE, and this one has no `=` (its text is not shown: it may hold a secret)"
        ))
    })?;
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

fn insert(headers: &mut HeaderMap, origin: &str, name: &str, value: &str) -> Result<(), Error> {
    let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        Error::Invalid(format!(
            "{origin}: `{}` is not a valid HTTP header name",
            name.chars().take(60).collect::<String>()
        ))
    })?;
    if header_name == CONTENT_TYPE || header_name == CONTENT_ENCODING {
        return Err(Error::Invalid(format!(
            "{origin}: {header_name} is set by ci-tracing (use --protocol or --gzip instead)"
        )));
    }
    let mut header_value = HeaderValue::from_str(value).map_err(|_| {
        Error::Invalid(format!(
            "{origin}: the value of header `{header_name}` holds characters HTTP does not allow"
        ))
    })?;
    header_value.set_sensitive(true);
    headers.insert(header_name, header_value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_take_seconds_milliseconds_and_units() {
        let secs = Duration::from_secs;
        assert_eq!(parse_timeout("--timeout", "30", 1000).unwrap(), secs(30));
        assert_eq!(
            parse_timeout("--timeout", "1.5s", 1000).unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(
            parse_timeout("--timeout", "250ms", 1000).unwrap(),
            Duration::from_millis(250)
        );
        assert_eq!(
            parse_timeout("OTEL", "2500", 1).unwrap(),
            Duration::from_millis(2500)
        );
        for bad in ["0", "-1", "soon", "7200s", "NaN"] {
            let err = parse_timeout("--timeout", bad, 1000)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("--timeout `"), "{err}");
        }
    }

    #[test]
    fn shown_endpoints_lose_credentials() {
        let url = Url::parse("https://user:pw@otel.example.com/v1/traces?key=s3cret").unwrap();
        assert_eq!(display_endpoint(&url), "https://otel.example.com/v1/traces");
    }

    #[test]
    fn bad_headers_do_not_echo_their_value() {
        let err = resolve_headers(&["Authorization Bearer sentinel".to_owned()]).unwrap_err();
        assert!(!err.to_string().contains("sentinel"), "{err}");
        let err = resolve_headers(&["X-Key=bad\nsentinel".to_owned()]).unwrap_err();
        assert!(!err.to_string().contains("sentinel"), "{err}");
        assert!(err.to_string().contains("x-key"), "{err}");
    }
}
