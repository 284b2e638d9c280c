//! Reading a trace file for `summary` on every core, in bounded memory.
//!
//! Parsing JSON is the cost, so the calling thread only reads blocks of whole lines
//! (about [`BLOCK`] bytes, more when one line is longer) and numbers them; worker threads
//! split blocks into lines and parse them into a [`Collector`] each, and one thread
//! merges those. At most a few blocks are in flight and their buffers are reused, so
//! memory is a few blocks plus the longest line plus what the collector tracks. Line
//! splitting agrees with [`crate::otlp::lines`]: blank lines are skipped, CRLF is accepted,
//! numbers are those an editor shows. This module never holds the whole file.

use std::io::{self, BufRead, Read};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use super::stats::{Collector, SpanTiming};
use crate::otlp::lines::{self, Lines};
use crate::otlp::model;

/// Bytes read per block.
pub const BLOCK: usize = 4 << 20;
/// Spans of one trace kept by [`trace_spans`].
pub const TRACE_SPANS_KEPT: usize = 10_000;

/// Whole lines, and the number of the first.
struct Block {
    first_line: u64,
    bytes: Vec<u8>,
}

/// Reads `reader` to the end on `workers` threads (at least one) and merges what they
/// collected. A read error comes with the number of the line being read.
pub fn collect(reader: impl Read, workers: usize) -> Result<Collector, (u64, io::Error)> {
    let workers = workers.max(1);
    let (block_tx, block_rx) = sync_channel::<Block>(workers);
    let (part_tx, part_rx) = sync_channel::<Collector>(workers);
    let block_rx = Mutex::new(block_rx);
    let pool = Mutex::new(Vec::<Vec<u8>>::new());
    thread::scope(|scope| {
        for _ in 0..workers {
            let part_tx = part_tx.clone();
            let (block_rx, pool) = (&block_rx, &pool);
            scope.spawn(move || parse_blocks(block_rx, &part_tx, pool));
        }
        drop(part_tx);
        let merger = scope.spawn(move || merge_parts(&part_rx));
        let read = read_blocks(reader, &block_tx, &pool);
        drop(block_tx);
        let total = merger.join().expect("the merging thread does not panic");
        read.map(|()| total)
    })
}

fn merge_parts(parts: &Receiver<Collector>) -> Collector {
    let mut total = Collector::default();
    for part in parts {
        total.merge(part);
    }
    total
}

/// A worker: parses blocks until the reader is done, gives the buffers back.
fn parse_blocks(
    blocks: &Mutex<Receiver<Block>>,
    parts: &SyncSender<Collector>,
    pool: &Mutex<Vec<Vec<u8>>>,
) {
    loop {
        let received = blocks.lock().expect("no thread panics holding it").recv();
        let Ok(block) = received else { return };
        let mut part = Collector::default();
        let mut line_no = block.first_line;
        let mut rest = block.bytes.as_slice();
        while !rest.is_empty() {
            let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
            if let Some(line) = lines::content(&rest[..end]) {
                part.add_line(line_no, line);
            }
            rest = &rest[end..];
            line_no += 1;
        }
        pool.lock()
            .expect("no thread panics holding it")
            .push(block.bytes);
        if parts.send(part).is_err() {
            return;
        }
    }
}

/// Sends `reader` as blocks of whole lines; stops early if the workers are gone.
fn read_blocks(
    mut reader: impl Read,
    blocks: &SyncSender<Block>,
    pool: &Mutex<Vec<Vec<u8>>>,
) -> Result<(), (u64, io::Error)> {
    let mut next_line = 1;
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let mut buf = pool
            .lock()
            .expect("no thread panics holding it")
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(BLOCK));
        buf.clear();
        buf.extend_from_slice(&carry);
        carry.clear();
        let want = BLOCK as u64;
        let got = (&mut reader)
            .take(want)
            .read_to_end(&mut buf)
            .map_err(|err| (next_line, err))?;
        let eof = (got as u64) < want;
        if !eof {
            let Some(last) = memchr::memrchr(b'\n', &buf) else {
                // One line longer than a block: keep reading it.
                carry = buf;
                continue;
            };
            carry.extend_from_slice(&buf[last + 1..]);
            buf.truncate(last + 1);
        }
        let first_line = next_line;
        next_line += memchr::memchr_iter(b'\n', &buf).count() as u64;
        if !buf.is_empty()
            && blocks
                .send(Block {
                    first_line,
                    bytes: buf,
                })
                .is_err()
        {
            return Ok(());
        }
        if eof {
            return Ok(());
        }
    }
}

/// The spans of one trace (at most [`TRACE_SPANS_KEPT`]), read in a second pass that
/// only parses the lines holding its id.
pub fn trace_spans(
    reader: impl BufRead,
    trace_id: &str,
) -> Result<Vec<SpanTiming>, (u64, io::Error)> {
    // Ids are case-insensitive hex (OTLP/JSON); files hold one case or the other.
    let lower = trace_id.to_ascii_lowercase();
    let upper = trace_id.to_ascii_uppercase();
    let finders = [
        memchr::memmem::Finder::new(&lower),
        memchr::memmem::Finder::new(&upper),
    ];
    let key = model::trace_key(trace_id);
    let mut lines = Lines::new(reader);
    let mut spans = Vec::new();
    loop {
        let line_no = lines.line_no() + 1;
        let Some((_, line)) = lines.next_line().map_err(|err| (line_no, err))? else {
            break;
        };
        if finders.iter().all(|finder| finder.find(line).is_none()) {
            continue;
        }
        let Ok(data) = model::parse_line(line) else {
            continue;
        };
        for rs in data.resource_spans.as_deref().unwrap_or_default() {
            for span in rs
                .spans()
                .filter(|span| model::trace_key(&span.trace_id) == key)
            {
                if spans.len() < TRACE_SPANS_KEPT {
                    spans.push(SpanTiming {
                        name: span.name.clone().into_owned(),
                        service: rs.service_name().to_owned(),
                        start: span.start_time_unix_nano,
                        end: span.end_time_unix_nano,
                        error: span.is_error(),
                    });
                }
            }
        }
    }
    Ok(spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{self, Options};

    #[test]
    fn parallel_blocks_agree_with_one_thread_and_number_lines() {
        let mut file = Vec::new();
        generate::write(
            &Options {
                lines: Some(400),
                ..Options::default()
            },
            &mut file,
        )
        .unwrap();
        file.extend_from_slice(b"\r\nnot json\r\n\n");
        let (lines, spans) = {
            let one = collect(file.as_slice(), 1).unwrap().finish(String::new());
            (one.counts.lines, one.counts.spans)
        };
        let many = collect(file.as_slice(), 3).unwrap().finish(String::new());
        assert_eq!((many.counts.lines, many.counts.spans), (lines, spans));
        assert_eq!(many.counts.invalid_lines, 1);
        assert_eq!(many.counts.invalid[0].0, 402);
    }

    #[test]
    fn a_line_longer_than_a_block_is_read_whole() {
        let name = "x".repeat(BLOCK + 10);
        let line = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"name":"{name}"}}]}}]}}]}}"#
        );
        let text = format!("{line}\n{line}");
        let summary = collect(text.as_bytes(), 2).unwrap().finish(String::new());
        assert_eq!(summary.counts.spans, 2);
        assert_eq!(summary.counts.invalid_lines, 0);
    }
}
