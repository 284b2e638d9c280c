//! Export request bodies, as received, into the generated OTLP messages, with the
//! checks the Collector makes before it accepts spans.
//!
//! Both transports end here, so that a body means the same over HTTP and gRPC. Protobuf
//! goes straight through `prost`. OTLP/JSON traces are read with the crate's serde,
//! straight into the messages (docs/collect.md has the measurement: much faster than
//! through `serde_json::Value`, and a fraction of the memory on multi-megabyte bodies);
//! a body it refuses (an unknown field inside a value, a `null`) takes the long way,
//! through the project's own JSON-to-protobuf encoder (the one `replay --protobuf`
//! uses: the OTLP/JSON rules, in one place) and `prost`, which reads what OTLP/JSON
//! allows and names what is wrong. Logs and metrics, only counted and stored, go through
//! the crate's serde. Ids must be empty or of their full length (16 bytes for a trace, 8
//! for a span), as the Collector requires; anything else is the client's error.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use prost::Message as _;

/// How a body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/x-protobuf` (and gRPC).
    Protobuf,
    /// `application/json`.
    Json,
}

/// Decodes a traces request and checks its ids; the error says what is wrong.
pub fn traces(body: &[u8], encoding: Encoding) -> Result<ExportTraceServiceRequest, String> {
    let request = match encoding {
        Encoding::Protobuf => ExportTraceServiceRequest::decode(body)
            .map_err(|err| format!("not an OTLP protobuf ExportTraceServiceRequest: {err}"))?,
        Encoding::Json => match serde_json::from_slice(body) {
            Ok(request) => request,
            Err(_) => json_the_long_way(body)?,
        },
    };
    check_ids(&request)?;
    Ok(request)
}

/// OTLP/JSON through the project's transcoder: what the crate's serde refuses (an
/// unknown field inside a value, `null`s, the pre-v0.48 names) is read as OTLP/JSON
/// says, and what is really wrong gets a message that names the field.
fn json_the_long_way(body: &[u8]) -> Result<ExportTraceServiceRequest, String> {
    let mut unknown = std::collections::BTreeSet::new();
    let bytes = crate::otlp::transcode::encode(body, None, &mut unknown)
        .map_err(|err| format!("not an OTLP/JSON ExportTraceServiceRequest: {err}"))?;
    ExportTraceServiceRequest::decode(bytes.as_slice())
        .map_err(|err| format!("not an OTLP/JSON ExportTraceServiceRequest: {err}"))
}

/// Spans in a request.
pub(crate) fn span_count(request: &ExportTraceServiceRequest) -> u64 {
    request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len() as u64)
        .sum()
}

/// Checks the ids of every span and link (empty, or of their full length).
pub(crate) fn check_ids(request: &ExportTraceServiceRequest) -> Result<(), String> {
    let spans = request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans);
    for span in spans {
        let name = &span.name;
        check_id(name, "traceId", &span.trace_id, 16)?;
        check_id(name, "spanId", &span.span_id, 8)?;
        check_id(name, "parentSpanId", &span.parent_span_id, 8)?;
        for link in &span.links {
            check_id(name, "a link's traceId", &link.trace_id, 16)?;
            check_id(name, "a link's spanId", &link.span_id, 8)?;
        }
    }
    Ok(())
}

fn check_id(span: &str, field: &str, id: &[u8], length: usize) -> Result<(), String> {
    if id.is_empty() || id.len() == length {
        return Ok(());
    }
    let span: String = span.chars().take(100).collect();
    Err(format!(
        "span `{span}`: {field} has {} bytes, expected {length} (or none)",
        id.len()
    ))
}

/// A logs request and the number of log records in it.
pub(crate) fn logs(
    body: &[u8],
    encoding: Encoding,
) -> Result<(ExportLogsServiceRequest, u64), String> {
    let request: ExportLogsServiceRequest =
        decode_other(body, encoding, "ExportLogsServiceRequest")?;
    let records = log_records(&request);
    Ok((request, records))
}

/// The number of log records in a logs request.
pub(crate) fn log_records(request: &ExportLogsServiceRequest) -> u64 {
    request
        .resource_logs
        .iter()
        .flat_map(|r| &r.scope_logs)
        .map(|s| s.log_records.len() as u64)
        .sum()
}

/// A metrics request and the number of data points in it.
pub(crate) fn metrics(
    body: &[u8],
    encoding: Encoding,
) -> Result<(ExportMetricsServiceRequest, u64), String> {
    let request: ExportMetricsServiceRequest =
        decode_other(body, encoding, "ExportMetricsServiceRequest")?;
    let points = data_points(&request);
    Ok((request, points))
}

/// The number of data points in a metrics request.
pub(crate) fn data_points(request: &ExportMetricsServiceRequest) -> u64 {
    request
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .map(|m| match &m.data {
            Some(Data::Gauge(g)) => g.data_points.len(),
            Some(Data::Sum(s)) => s.data_points.len(),
            Some(Data::Histogram(h)) => h.data_points.len(),
            Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
            Some(Data::Summary(s)) => s.data_points.len(),
            None => 0,
        } as u64)
        .sum()
}

fn decode_other<T: prost::Message + Default + serde::de::DeserializeOwned>(
    body: &[u8],
    encoding: Encoding,
    what: &str,
) -> Result<T, String> {
    match encoding {
        Encoding::Protobuf => {
            T::decode(body).map_err(|err| format!("not an OTLP protobuf {what}: {err}"))
        }
        Encoding::Json => {
            serde_json::from_slice(body).map_err(|err| format!("not an OTLP/JSON {what}: {err}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Encoding, json_the_long_way, traces};

    #[test]
    fn both_ways_of_reading_json_agree() {
        let mut file = Vec::new();
        let options = crate::generate::Options {
            lines: Some(200),
            seed: 11,
            ..Default::default()
        };
        crate::generate::write(&options, &mut file).unwrap();
        let fixture = include_bytes!("../../../tests/fixtures/collector-pdata-sample.jsonl");
        for line in file
            .split(|&b| b == b'\n')
            .chain(fixture.split(|&b| b == b'\n'))
        {
            if line.is_empty() {
                continue;
            }
            let fast = serde_json::from_slice(line).expect("serde reads the line");
            assert_eq!(json_the_long_way(line).unwrap(), fast);
        }
        // An unknown field inside a value, a `null` where serde wants a string: both
        // readable, the same either way.
        for odd in [
            &br#"{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"future":1,"stringValue":"v"}}]}}]}"#[..],
            br#"{"resourceSpans":[{"schemaUrl":null,"scopeSpans":[{"spans":[{"name":"n"}]}]}]}"#,
        ] {
            assert_eq!(traces(odd, Encoding::Json), json_the_long_way(odd));
        }
    }

    #[test]
    fn ids_of_the_wrong_length_are_refused() {
        let line = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102","spanId":"","name":"x"}]}]}]}"#;
        let err = traces(line, Encoding::Json).unwrap_err();
        assert!(err.contains("traceId has 2 bytes"), "{err}");
        let empty = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"","spanId":"","name":"x"}]}]}]}"#;
        assert!(traces(empty, Encoding::Json).is_ok());
    }
}
