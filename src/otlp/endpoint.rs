//! Where `replay` sends and with which extra headers, resolved the way OpenTelemetry
//! SDKs resolve them.
//!
//! Endpoint: `--endpoint`, then `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is), then
//! `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, then the collector of
//! `.github/tracing` at `http://localhost:3100/v1/traces`. Headers:
//! `OTEL_EXPORTER_OTLP_HEADERS`, then `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, then every
//! `--header K=V`, a later one replacing an earlier one of the same name. Header values
//! are credentials more often than not: nothing here may put a value into an error
//! message or a log line, only names.

use reqwest::Url;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};

use crate::config::{self, env_var};

/// The endpoint used when nothing else names one.
pub const DEFAULT_ENDPOINT: &str = "http://localhost:3100/v1/traces";

/// The traces endpoint, from the flag or the environment.
pub fn resolve_endpoint(flag: Option<&str>) -> Result<Url, config::Error> {
    if let Some(value) = flag {
        return parse_endpoint("--endpoint", value);
    }
    if let Some(value) = env_var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") {
        return parse_endpoint("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &value);
    }
    if let Some(value) = env_var("OTEL_EXPORTER_OTLP_ENDPOINT") {
        let base = value.trim().trim_end_matches('/');
        return parse_endpoint("OTEL_EXPORTER_OTLP_ENDPOINT", &format!("{base}/v1/traces"));
    }
    parse_endpoint("the default endpoint", DEFAULT_ENDPOINT)
}

/// Parses an http(s) URL without changing its path.
fn parse_endpoint(origin: &'static str, value: &str) -> Result<Url, config::Error> {
    let url = Url::parse(value.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host_str().is_some());
    url.ok_or_else(|| config::Error::BadUrl {
        origin,
        value: config::shown_url(value),
    })
}

/// The endpoint as it may be shown: no user, password or query (they can hold secrets).
pub fn display_endpoint(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// Extra request headers from the environment and `--header` flags. Every value is
/// marked sensitive so that no `Debug` output of the client shows it.
pub fn resolve_headers(flags: &[String]) -> Result<HeaderMap, config::Error> {
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
fn split_pair(origin: &str, pair: &str) -> Result<(String, String), config::Error> {
    let (name, value) = pair.split_once('=').ok_or_else(|| {
        config::Error::Invalid(format!(
            "{origin}: a header must be written NAME=VALUE, and this one has no `=` (its text is not shown: it may hold a secret)"
        ))
    })?;
    Ok((name.trim().to_owned(), value.trim().to_owned()))
}

fn insert(
    headers: &mut HeaderMap,
    origin: &str,
    name: &str,
    value: &str,
) -> Result<(), config::Error> {
    let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        config::Error::Invalid(format!(
            "{origin}: `{}` is not a valid HTTP header name",
            name.chars().take(60).collect::<String>()
        ))
    })?;
    if header_name == CONTENT_TYPE || header_name == CONTENT_ENCODING {
        return Err(config::Error::Invalid(format!(
            "{origin}: {header_name} is set by ci-tracing (use --protobuf or --gzip instead)"
        )));
    }
    let mut header_value = HeaderValue::from_str(value).map_err(|_| {
        config::Error::Invalid(format!(
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
