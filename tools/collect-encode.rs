//! The measurements behind `collect`'s JSON reading and writing (docs/collect.md), on
//! every line of a trace file, one thread: reading OTLP/JSON with opentelemetry-proto's
//! serde straight into the messages, and the long way (the project's streaming
//! OTLP/JSON-to-protobuf transcoder, then `prost`); writing the messages with the project's writer
//! of the Collector's form, and with the crate's serde (and whether each reproduces the
//! input's lines).
//! `cargo run --release --example collect-encode -- FILE`.

// Sizes become MiB/s figures for people to read.
#![allow(clippy::cast_precision_loss)]

use std::io::BufRead;
use std::process::ExitCode;
use std::time::Instant;

use ci_tracing::otlp::receive::{Encoding, decode, pdata};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message as _;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: collect-encode FILE");
        return ExitCode::from(2);
    };
    let file = match std::fs::File::open(&path) {
        Ok(file) => std::io::BufReader::new(file),
        Err(err) => {
            eprintln!("collect-encode: cannot read {path}: {err}");
            return ExitCode::from(2);
        }
    };
    let mut lines = Vec::new();
    let mut requests = Vec::new();
    for line in file.lines() {
        let Ok(line) = line else { break };
        if let Ok(request) = decode::traces(line.as_bytes(), Encoding::Json) {
            requests.push(request);
            lines.push(line);
        }
    }
    let input: usize = lines.iter().map(String::len).sum();
    let mb = |bytes: usize, seconds: f64| bytes as f64 / 1_048_576.0 / seconds;

    let start = Instant::now();
    let mut same = 0;
    let mut written = 0;
    for (request, line) in requests.iter().zip(&lines) {
        let mut out = Vec::with_capacity(line.len());
        pdata::write_traces(&mut out, &request.resource_spans);
        written += out.len();
        same += usize::from(out == line.as_bytes());
    }
    let ours = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut serde_same = 0;
    let mut serde_written = 0;
    for (request, line) in requests.iter().zip(&lines) {
        let out = serde_json::to_vec(request).unwrap_or_default();
        serde_written += out.len();
        serde_same += usize::from(out == line.as_bytes());
    }
    let serde = start.elapsed().as_secs_f64();

    let start = Instant::now();
    for line in &lines {
        let _ = serde_json::from_slice::<ExportTraceServiceRequest>(line.as_bytes());
    }
    let serde_reading = start.elapsed().as_secs_f64();

    let start = Instant::now();
    for line in &lines {
        let mut unknown = std::collections::BTreeSet::new();
        let bytes = ci_tracing::otlp::transcode::encode(line.as_bytes(), None, &mut unknown)
            .unwrap_or_default();
        let _ = ExportTraceServiceRequest::decode(bytes.as_slice());
    }
    let long_reading = start.elapsed().as_secs_f64();

    println!(
        "{} lines, {:.1} MiB of OTLP/JSON ({path})",
        lines.len(),
        input as f64 / 1_048_576.0
    );
    println!(
        "read OTLP/JSON: crate serde {:.0} MiB/s; the long way (transcoder + prost) {:.0} MiB/s; ratio {:.2}",
        mb(input, serde_reading),
        mb(input, long_reading),
        long_reading / serde_reading
    );
    println!(
        "own writer (Collector form): {:.0} MiB/s written, {same}/{} lines identical to the input",
        mb(written, ours),
        lines.len()
    );
    println!(
        "opentelemetry-proto serde: {:.0} MiB/s written, {serde_same}/{} lines identical, output {:.2}x the size",
        mb(serde_written, serde),
        lines.len(),
        serde_written as f64 / written.max(1) as f64
    );
    println!("own writer / serde speed: {:.2}", serde / ours);
    ExitCode::SUCCESS
}
