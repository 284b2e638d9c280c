//! The measurement behind `collect`'s JSON writer (docs/collect.md): encodes every line
//! of a trace file, decoded once into the generated OTLP messages, with the project's
//! writer of the Collector's form and with opentelemetry-proto's serde, and prints the
//! speed of each and whether each reproduces the input's lines.
//! `cargo run --release --example collect-encode -- FILE`.

use std::io::BufRead;
use std::process::ExitCode;
use std::time::Instant;

use ci_tracing::otlp::receive::{Encoding, decode, pdata};

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
        let _ = decode::traces(line.as_bytes(), Encoding::Json);
    }
    let decoding = start.elapsed().as_secs_f64();

    println!(
        "{} lines, {:.1} MiB of OTLP/JSON ({path})",
        lines.len(),
        input as f64 / 1_048_576.0
    );
    println!(
        "decode OTLP/JSON (serde_json + protobuf encoder + prost): {:.0} MiB/s",
        mb(input, decoding)
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
