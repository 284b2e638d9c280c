//! Writes a deterministic, realistic trace-data file (JSON Lines) for tests and
//! benchmarks: `cargo run --release --example gen-traces -- --lines N --seed S [-o FILE]`
//! or `--bytes 512MiB`. Standard output when no `-o` is given.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

#[path = "../tests/support/generate.rs"]
mod generate;

use generate::Options;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gen-traces: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut options = Options::default();
    let mut output: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--lines" => {
                options.lines = Some(value()?.parse().map_err(|e| format!("--lines: {e}"))?);
            }
            "--bytes" => options.bytes = Some(parse_size(&value()?)?),
            "--seed" => options.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--start-unix-nano" => {
                options.start_unix_nano = value()?
                    .parse()
                    .map_err(|e| format!("--start-unix-nano: {e}"))?;
            }
            "-o" | "--output" => output = Some(value()?),
            "-h" | "--help" => {
                println!(
                    "usage: gen-traces [--lines N] [--bytes SIZE[KiB|MiB|GiB]] [--seed S] [--start-unix-nano T] [-o FILE]"
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}` (see --help)")),
        }
    }
    let generated = match output {
        Some(path) => {
            let file = File::create(&path).map_err(|e| format!("cannot create {path}: {e}"))?;
            generate::write(&options, BufWriter::with_capacity(1 << 20, file))
        }
        None => generate::write(&options, BufWriter::new(std::io::stdout().lock())),
    }
    .map_err(|e| format!("write failed: {e}"))?;
    let _ = writeln!(
        std::io::stderr(),
        "gen-traces: {} lines, {} spans, {} traces, {} bytes",
        generated.lines,
        generated.spans,
        generated.traces,
        generated.bytes
    );
    Ok(())
}

fn parse_size(text: &str) -> Result<u64, String> {
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, ""), |i| text.split_at(i));
    let factor = match unit {
        "" => 1,
        "KiB" | "K" => 1 << 10,
        "MiB" | "M" => 1 << 20,
        "GiB" | "G" => 1 << 30,
        _ => return Err(format!("size `{text}`: use a number with KiB, MiB or GiB")),
    };
    number
        .parse::<u64>()
        .map(|n| n * factor)
        .map_err(|e| format!("size `{text}`: {e}"))
}
