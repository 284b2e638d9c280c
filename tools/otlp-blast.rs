//! The ceiling for `bench/replay.sh`: POSTs every non-blank line of a file as it is, one
//! request per line, N in flight on kept-alive connections, with no parsing, checking,
//! counting of spans, retrying or `.failed` file — the least any replay must do.
//! `cargo run --release --example otlp-blast -- FILE URL CONCURRENCY`. Prints the lines
//! sent and the non-2xx answers; exits 1 if any.

use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Semaphore;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, url, concurrency] = args.as_slice() else {
        eprintln!("usage: otlp-blast FILE URL CONCURRENCY");
        return ExitCode::from(2);
    };
    let Ok(concurrency) = concurrency.parse::<usize>() else {
        eprintln!("otlp-blast: CONCURRENCY must be a number");
        return ExitCode::from(2);
    };
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    match runtime.block_on(blast(file, url, concurrency)) {
        Ok((sent, bad)) => {
            println!("lines sent: {sent}, non-2xx answers: {bad}");
            if bad == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(err) => {
            eprintln!("otlp-blast: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn blast(
    file: &str,
    url: &str,
    concurrency: usize,
) -> Result<(u64, u64), Box<dyn std::error::Error>> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .tcp_nodelay(true)
        .build()?;
    let slots = Arc::new(Semaphore::new(concurrency));
    let bad = Arc::new(AtomicU64::new(0));
    let mut reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
    let mut sent = 0;
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        if line.is_empty() {
            continue;
        }
        let slot = slots.clone().acquire_owned().await?;
        let request = client
            .post(url)
            .header("content-type", "application/json")
            .body(line);
        let bad = bad.clone();
        tokio::spawn(async move {
            let ok = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let _ = response.bytes().await;
                    status.is_success()
                }
                Err(_) => false,
            };
            if !ok {
                bad.fetch_add(1, Ordering::Relaxed);
            }
            drop(slot);
        });
        sent += 1;
    }
    let all = u32::try_from(concurrency)?;
    let _ = slots.acquire_many(all).await?;
    Ok((sent, bad.load(Ordering::Relaxed)))
}
