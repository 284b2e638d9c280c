//! `collect` receiving from the OpenTelemetry SDKs, clients nobody on this project
//! wrote: Python (`opentelemetry-sdk` with the gRPC and HTTP/protobuf exporters, from
//! `requirements-test.txt`) and Rust (`opentelemetry-otlp`, tonic and HTTP). Known spans
//! are checked field for field in the file: every attribute kind the SDK can send,
//! events, links, status and kinds.

mod support;

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use support::collect::Collect;

/// The spans of every line, by name, with the resource and scope they came with.
fn spans_by_name(collect: &Collect) -> Vec<(String, Value, Value, Value)> {
    let mut spans = Vec::new();
    for line in collect.lines() {
        for rs in line["resourceSpans"].as_array().unwrap() {
            for ss in rs["scopeSpans"].as_array().unwrap() {
                for span in ss["spans"].as_array().unwrap() {
                    let name = span["name"].as_str().unwrap().to_owned();
                    spans.push((
                        name,
                        span.clone(),
                        rs["resource"].clone(),
                        ss["scope"].clone(),
                    ));
                }
            }
        }
    }
    spans
}

fn the_span<'a>(spans: &'a [(String, Value, Value, Value)], name: &str) -> &'a Value {
    let found: Vec<_> = spans.iter().filter(|(n, ..)| n == name).collect();
    assert_eq!(found.len(), 1, "one span named {name}: {spans:?}");
    &found[0].1
}

#[allow(clippy::needless_pass_by_value)] // called with `json!(...)` values
fn attribute(key: &str, value: Value) -> Value {
    json!({"key": key, "value": value})
}

fn python() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python")
}

/// Every way an SDK exports: gRPC and HTTP/protobuf, each plain and gzipped.
const WAYS: [(&str, bool); 4] = [
    ("grpc", false),
    ("grpc", true),
    ("http", false),
    ("http", true),
];

/// Starts `collect` for each of [`WAYS`], lets `run` export to it and check what it
/// wrote, and stops it (exit 0, with the spans it counted).
fn each_way(dir: &Path, run: impl Fn(&Collect, &str, bool, &str)) {
    for (protocol, gzip) in WAYS {
        let collect = Collect::start(dir, &[]);
        let how = format!("{protocol} gzip={gzip}");
        run(&collect, protocol, gzip, &how);
        let stopped = collect.stop();
        assert_eq!(stopped.code, Some(0), "{}", stopped.stderr);
        assert!(
            stopped.stderr.contains(" 5 spans"),
            "{how}: {}",
            stopped.stderr
        );
        std::fs::remove_file(dir.join("trace-data.json")).unwrap();
    }
}

/// The root span both SDKs send: a server span with `attributes`, one event, `link`
/// and an error status.
fn expected_root(
    (trace, id, flags): (&Value, &Value, u64),
    attributes: &[Value],
    link: &Value,
) -> Value {
    json!({
        "traceId": trace,
        "spanId": id,
        "parentSpanId": "",
        "flags": flags,
        "name": "root",
        "kind": 2,
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000000001000000",
        "attributes": attributes,
        "events": [{
            "timeUnixNano": "1700000000000001000",
            "name": "started",
            "attributes": [attribute("step", json!({"intValue": "1"}))],
        }],
        "links": [link],
        "status": {"message": "it broke", "code": 2},
    })
}

/// The four children of `root`, with their kinds, times and status; `id_of` names
/// each one's span id.
fn check_children(
    spans: &[(String, Value, Value, Value)],
    (trace, root, flags): (&Value, &Value, u64),
    id_of: impl Fn(&str) -> Value,
    how: &str,
) {
    for (name, kind, offset, status) in [
        ("client", 3, 10, json!({"code": 1})),
        ("producer", 4, 20, json!({})),
        ("consumer", 5, 30, json!({})),
        ("internal", 1, 40, json!({})),
    ] {
        let start = 1_700_000_000_000_000_000u64 + offset;
        let expected = json!({
            "traceId": trace,
            "spanId": id_of(name),
            "parentSpanId": root,
            "flags": flags,
            "name": name,
            "kind": kind,
            "startTimeUnixNano": start.to_string(),
            "endTimeUnixNano": (start + 5).to_string(),
            "status": status,
        });
        assert_eq!(the_span(spans, name), &expected, "{how}");
    }
}

/// The scope of the first span, and its resource's service.
fn check_scope_and_service(spans: &[(String, Value, Value, Value)], service: &str) {
    let (_, _, resource, scope) = &spans[0];
    assert_eq!(scope, &json!({"name": "collect-test", "version": "1.2.3"}));
    let attributes = resource["attributes"].as_array().unwrap();
    assert!(attributes.contains(&attribute("service.name", json!({"stringValue": service}))));
}

/// Runs the Python exporter script; returns the ids it printed.
fn python_export(dir: &Path, protocol: &str, endpoint: &str, gzip: bool) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/otel_python_export.py");
    let output = support::scrubbed(python(), dir)
        .arg(script)
        .args([protocol, endpoint])
        .args(gzip.then_some("gzip"))
        .output()
        .expect(
            "the OpenTelemetry Python SDK is installed by scripts/setup.sh (requirements-test.txt)",
        );
    assert!(
        output.status.success(),
        "{protocol}: {}",
        support::text(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn the_python_sdk_is_received_field_for_field_over_grpc_and_http() {
    let dir = tempfile::tempdir().unwrap();
    each_way(dir.path(), |collect, protocol, gzip, how| {
        let endpoint = if protocol == "grpc" {
            collect.grpc_url()
        } else {
            collect.traces_url()
        };
        let ids = python_export(dir.path(), protocol, &endpoint, gzip);
        let spans = spans_by_name(collect);
        assert_eq!(spans.len(), 5, "{how}");
        let trace = &ids["trace"];
        let root = &ids["root"];
        let attributes = vec![
            attribute("text", json!({"stringValue": "a <b> & \"c\"\n"})),
            attribute("flag", json!({"boolValue": true})),
            attribute("big", json!({"intValue": "9007199254740993"})),
            attribute("negative", json!({"intValue": "-9223372036854775808"})),
            attribute("ratio", json!({"doubleValue": 0.25})),
            attribute("raw", json!({"bytesValue": "AAH+/w=="})),
            attribute(
                "list",
                json!({"arrayValue": {"values": [{"stringValue": "x"}, {"stringValue": "y"}]}}),
            ),
            attribute(
                "map",
                json!({"kvlistValue": {"values": [
                    attribute("inner", json!({"stringValue": "v"})),
                    attribute("n", json!({"intValue": "7"})),
                ]}}),
            ),
        ];
        let link = json!({
            "traceId": "0102030405060708090a0b0c0d0e0f10",
            "spanId": "1112131415161718",
            "attributes": [attribute("link.attr", json!({"stringValue": "l"}))],
            "flags": 768,
        });
        let expected_root = expected_root((trace, root, 256), &attributes, &link);
        assert_eq!(the_span(&spans, "root"), &expected_root, "{how}");
        check_children(&spans, (trace, root, 256), |name| ids[name].clone(), how);
        check_scope_and_service(&spans, "python-sdk");
        // Go's escaping, as the Collector writes strings.
        let raw = std::fs::read_to_string(&collect.output).unwrap();
        assert!(raw.contains(r#"{"stringValue":"a \u003cb\u003e \u0026 \"c\"\n"}"#));
    });
}

/// Exports known spans with the Rust SDK through `exporter`.
fn rust_export(exporter: opentelemetry_otlp::SpanExporter) {
    use opentelemetry::trace::{
        Link, Span as _, SpanContext, SpanId, SpanKind, Status, TraceContextExt as _, TraceFlags,
        TraceId, TraceState, Tracer as _, TracerProvider as _,
    };
    use opentelemetry::{Array, InstrumentationScope, KeyValue, Value as OtelValue};
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_simple_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder_empty()
                .with_service_name("rust-sdk")
                .build(),
        )
        .build();
    let tracer = provider.tracer_with_scope(
        InstrumentationScope::builder("collect-test")
            .with_version("1.2.3")
            .build(),
    );
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let linked = SpanContext::new(
        TraceId::from_hex("0102030405060708090a0b0c0d0e0f10").unwrap(),
        SpanId::from_hex("1112131415161718").unwrap(),
        TraceFlags::SAMPLED,
        true,
        TraceState::default(),
    );
    let mut root = tracer
        .span_builder("root")
        .with_kind(SpanKind::Server)
        .with_start_time(t0)
        .with_attributes(vec![
            KeyValue::new("text", "a <b> & \"c\"\n"),
            KeyValue::new("flag", true),
            KeyValue::new("big", 9_007_199_254_740_993_i64),
            KeyValue::new("ratio", 0.25),
            KeyValue::new(
                "list",
                OtelValue::Array(Array::String(vec!["x".into(), "y".into()])),
            ),
            KeyValue::new("ints", OtelValue::Array(Array::I64(vec![1, -2]))),
        ])
        .with_links(vec![Link::with_context(linked)])
        .start(&tracer);
    root.add_event_with_timestamp(
        "started",
        t0 + Duration::from_micros(1),
        vec![KeyValue::new("step", 1)],
    );
    root.set_status(Status::error("it broke"));
    let context = opentelemetry::Context::current_with_span(root);
    for (name, kind, offset) in [
        ("client", SpanKind::Client, 10),
        ("producer", SpanKind::Producer, 20),
        ("consumer", SpanKind::Consumer, 30),
        ("internal", SpanKind::Internal, 40),
    ] {
        let mut child = tracer
            .span_builder(name)
            .with_kind(kind)
            .with_start_time(t0 + Duration::from_nanos(offset))
            .start_with_context(&tracer, &context);
        if name == "client" {
            child.set_status(Status::Ok);
        }
        child.end_with_timestamp(t0 + Duration::from_nanos(offset + 5));
    }
    context
        .span()
        .end_with_timestamp(t0 + Duration::from_millis(1));
    provider.shutdown().expect("every span exported");
}

fn check_rust_spans(collect: &Collect, how: &str) {
    let spans = spans_by_name(collect);
    assert_eq!(spans.len(), 5, "{how}");
    let root = the_span(&spans, "root");
    let (trace, root_id) = (root["traceId"].clone(), root["spanId"].clone());
    assert_eq!(trace.as_str().unwrap().len(), 32);
    assert_eq!(root_id.as_str().unwrap().len(), 16);
    let attributes = vec![
        attribute("text", json!({"stringValue": "a <b> & \"c\"\n"})),
        attribute("flag", json!({"boolValue": true})),
        attribute("big", json!({"intValue": "9007199254740993"})),
        attribute("ratio", json!({"doubleValue": 0.25})),
        attribute(
            "list",
            json!({"arrayValue": {"values": [{"stringValue": "x"}, {"stringValue": "y"}]}}),
        ),
        attribute(
            "ints",
            json!({"arrayValue": {"values": [{"intValue": "1"}, {"intValue": "-2"}]}}),
        ),
    ];
    // The Rust API has no bytes or key-value-list attribute values.
    let link = json!({
        "traceId": "0102030405060708090a0b0c0d0e0f10",
        "spanId": "1112131415161718",
        "flags": 769,
    });
    let expected_root = expected_root((&trace, &root_id, 257), &attributes, &link);
    assert_eq!(root, &expected_root, "{how}");
    check_children(
        &spans,
        (&trace, &root_id, 257),
        |name| the_span(&spans, name)["spanId"].clone(),
        how,
    );
    check_scope_and_service(&spans, "rust-sdk");
}

#[test]
fn the_rust_sdk_is_received_field_for_field_over_grpc_and_http() {
    use opentelemetry_otlp::{
        Compression, Protocol, WithExportConfig as _, WithHttpConfig as _, WithTonicConfig as _,
    };
    let dir = tempfile::tempdir().unwrap();
    each_way(dir.path(), |collect, protocol, gzip, how| {
        if protocol == "grpc" {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            let _entered = runtime.enter();
            let mut builder = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(collect.grpc_url());
            if gzip {
                builder = builder.with_compression(Compression::Gzip);
            }
            rust_export(builder.build().unwrap());
        } else {
            let mut builder = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_protocol(Protocol::HttpBinary)
                .with_endpoint(collect.traces_url());
            if gzip {
                builder = builder.with_compression(Compression::Gzip);
            }
            let exporter = builder.build().unwrap();
            // The blocking HTTP client runs outside any async runtime.
            std::thread::spawn(move || rust_export(exporter))
                .join()
                .unwrap();
        }
        check_rust_spans(collect, how);
    });
}
