//! Counting and checking the lines of a file while it is being uploaded, on several
//! threads: chunks as read are cut at their last newline into line-aligned blocks, the
//! blocks go round-robin to workers that parse their lines into a statistics
//! [`Collector`] each (the counts, and what the job summary and the report need), and
//! the workers' collectors are merged at the end. This is the one pass `upload` makes
//! over a file: nothing else reads it again.
//!
//! Line numbers stay those of the whole file (each block carries the number of its first
//! line), so warnings point at the right place. Memory is a few blocks per worker, plus
//! the longest line. It only reads: the bytes zipped are never touched.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use bytes::{Bytes, BytesMut};

use crate::trace::lines::Lines;
use crate::trace::stats::Collector;

/// Collects the lines of the chunks received until the channel closes.
pub(crate) fn collect_lines(chunks: Receiver<Bytes>, workers: usize) -> Collector {
    let workers = workers.max(1);
    std::thread::scope(|scope| {
        let mut senders: Vec<SyncSender<(u64, Bytes)>> = Vec::new();
        let mut handles = Vec::new();
        for _ in 0..workers {
            let (tx, rx) = sync_channel::<(u64, Bytes)>(2);
            senders.push(tx);
            handles.push(scope.spawn(move || count_blocks(&rx)));
        }
        let mut splitter = Splitter::default();
        for chunk in chunks {
            if let Some(block) = splitter.push(&chunk) {
                let _ = senders[splitter.sent % workers].send(block);
                splitter.sent += 1;
            }
        }
        if let Some(block) = splitter.finish() {
            let _ = senders[splitter.sent % workers].send(block);
        }
        drop(senders);
        let parts = handles.into_iter().map(|h| h.join().unwrap_or_default());
        merge(parts)
    })
}

/// Cuts a stream of chunks into blocks of whole lines.
#[derive(Default)]
struct Splitter {
    pending: BytesMut,
    next_line: u64,
    sent: usize,
}

impl Splitter {
    /// The block of whole lines this chunk completes, with its first line number.
    fn push(&mut self, chunk: &Bytes) -> Option<(u64, Bytes)> {
        let Some(last) = chunk.iter().rposition(|&b| b == b'\n') else {
            self.pending.extend_from_slice(chunk);
            return None;
        };
        let block = if self.pending.is_empty() {
            chunk.slice(..=last)
        } else {
            self.pending.extend_from_slice(&chunk[..=last]);
            self.pending.split().freeze()
        };
        self.pending.extend_from_slice(&chunk[last + 1..]);
        Some(self.numbered(block))
    }

    /// The last line when it has no newline.
    fn finish(&mut self) -> Option<(u64, Bytes)> {
        let rest = self.pending.split().freeze();
        (!rest.is_empty()).then(|| self.numbered(rest))
    }

    #[allow(clippy::naive_bytecount)] // the compiler vectorises it; no crate needed
    fn numbered(&mut self, block: Bytes) -> (u64, Bytes) {
        let first = self.next_line + 1;
        self.next_line += block.iter().filter(|&&b| b == b'\n').count() as u64;
        (first, block)
    }
}

fn count_blocks(blocks: &Receiver<(u64, Bytes)>) -> Collector {
    let mut collector = Collector::default();
    for (first_line, block) in blocks {
        let mut lines = Lines::new(&block[..]);
        while let Ok(Some((line_no, line))) = lines.next_line() {
            collector.add_line(first_line + line_no - 1, line);
        }
    }
    collector
}

/// The collectors of several parts of one file as one.
fn merge(parts: impl Iterator<Item = Collector>) -> Collector {
    parts.fold(Collector::default(), |mut total, part| {
        total.merge(part);
        total
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::counts::Counts;

    fn count_in_chunks(text: &[u8], chunk: usize, workers: usize) -> Counts {
        let (tx, rx) = sync_channel(text.len().div_ceil(chunk));
        for part in text.chunks(chunk) {
            tx.send(Bytes::copy_from_slice(part)).unwrap();
        }
        drop(tx);
        let collector = collect_lines(rx, workers);
        let mut counts = collector.counts.clone();
        counts.traces = collector.trace_facts().map(|t| t.0).collect();
        counts
    }

    #[test]
    fn counts_and_line_numbers_match_a_single_pass_whatever_the_cuts() {
        let sample = include_str!("../../tests/fixtures/collector-pdata-sample.jsonl");
        let legacy = include_str!("../../tests/fixtures/legacy-instrumentation-library.jsonl");
        let text = [
            sample,
            "\nnot json\r\n",
            legacy,
            sample,
            "{\"broken\": ",
            "\n",
            sample,
        ]
        .concat()
        .repeat(7);
        let text = text.trim_end().as_bytes();
        let single = Counts::scan(text).unwrap();
        for (chunk, workers) in [(1, 1), (7, 2), (100, 3), (4096, 2), (text.len(), 4)] {
            let counts = count_in_chunks(text, chunk, workers);
            assert_eq!(counts.lines, single.lines);
            assert_eq!(counts.spans, single.spans);
            assert_eq!(counts.traces, single.traces);
            assert_eq!(counts.services, single.services);
            assert_eq!(counts.first_start, single.first_start);
            assert_eq!(counts.last_end, single.last_end);
            let lines = |c: &Counts| c.invalid.iter().map(|(n, _)| *n).collect::<Vec<_>>();
            assert_eq!(
                lines(&counts),
                lines(&single),
                "chunk {chunk}, {workers} workers"
            );
        }
    }
}
