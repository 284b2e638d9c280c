"""Exports known spans with the OpenTelemetry Python SDK, as a service under test would.

Usage: otel_python_export.py PROTOCOL ENDPOINT [gzip]
  PROTOCOL  grpc | http  (OTLP/gRPC, or OTLP/HTTP with protobuf bodies)
  ENDPOINT  http://HOST:PORT (grpc) or http://HOST:PORT/v1/traces (http)

Prints one JSON object on standard output: the hex ids the SDK gave each span (by
name), so that the caller can check them against what the receiver wrote. Exits 1 when
the export failed.
"""

import json
import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

protocol, endpoint = sys.argv[1], sys.argv[2]
compressed = len(sys.argv) > 3 and sys.argv[3] == "gzip"

if protocol == "grpc":
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
        Compression,
        OTLPSpanExporter,
    )

    exporter = OTLPSpanExporter(
        endpoint=endpoint,
        insecure=True,
        compression=Compression.Gzip if compressed else Compression.NoCompression,
    )
else:
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    exporter = OTLPSpanExporter(
        endpoint=endpoint,
        compression=Compression.Gzip if compressed else Compression.NoCompression,
    )


class Checked:
    """Passes spans on to the exporter and remembers whether every export succeeded."""

    def __init__(self, inner):
        self.inner = inner
        self.failed = False

    def export(self, spans):
        result = self.inner.export(spans)
        if result != SpanExportResult.SUCCESS:
            self.failed = True
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return True


checked = Checked(exporter)
provider = TracerProvider(
    resource=Resource.create({"service.name": "python-sdk", "deployment.environment": "ci"})
)
provider.add_span_processor(SimpleSpanProcessor(checked))
tracer = provider.get_tracer("collect-test", "1.2.3")

T0 = 1_700_000_000_000_000_000
linked = SpanContext(
    trace_id=0x0102030405060708090A0B0C0D0E0F10,
    span_id=0x1112131415161718,
    is_remote=True,
    trace_flags=TraceFlags(TraceFlags.SAMPLED),
)
ids = {}

root = tracer.start_span(
    "root",
    kind=SpanKind.SERVER,
    start_time=T0,
    attributes={
        "text": "a <b> & \"c\"\n",
        "flag": True,
        "big": 2**53 + 1,
        "negative": -(2**63),
        "ratio": 0.25,
        "raw": b"\x00\x01\xfe\xff",
        "list": ["x", "y"],
        "map": {"inner": "v", "n": 7},
    },
    links=[Link(linked, {"link.attr": "l"})],
)
root.add_event("started", {"step": 1}, timestamp=T0 + 1_000)
root.set_status(Status(StatusCode.ERROR, "it broke"))
from opentelemetry import trace as api  # noqa: E402

context = api.set_span_in_context(root)
for name, kind, offset in [
    ("client", SpanKind.CLIENT, 10),
    ("producer", SpanKind.PRODUCER, 20),
    ("consumer", SpanKind.CONSUMER, 30),
    ("internal", SpanKind.INTERNAL, 40),
]:
    child = tracer.start_span(name, context=context, kind=kind, start_time=T0 + offset)
    if name == "client":
        child.set_status(Status(StatusCode.OK))
    child.end(end_time=T0 + offset + 5)
    ids[name] = format(child.get_span_context().span_id, "016x")
root.end(end_time=T0 + 1_000_000)
ids["root"] = format(root.get_span_context().span_id, "016x")
ids["trace"] = format(root.get_span_context().trace_id, "032x")
provider.shutdown()
print(json.dumps(ids))
sys.exit(1 if checked.failed else 0)
