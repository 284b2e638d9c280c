//! Reading a trace file for `summary` on every core, in bounded memory.
//!
//! Parsing JSON is the cost, so every worker thread takes the next block of whole lines
//! (about [`BLOCK`] bytes, more when one line is longer) from the shared reader, under a
//! lock, and parses it into a [`Collector`] of its own; the calling thread merges those
//! and numbers the invalid lines once it knows how many lines each block held. Workers
//! read their blocks themselves: no thread only copies bytes, and no blocks wait in a
//! queue, so memory is a block per worker plus the longest line plus what the collectors
//! track. Line splitting agrees with [`crate::trace::lines`]: blank lines are skipped,
//! CRLF is accepted, numbers are those an editor shows. This module never holds the
//! whole file.

use std::io::{self, BufRead, Read};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use super::stats::{Collector, SpanTiming};
use crate::trace::lines::{self, Lines};
use crate::trace::{fast, model};

/// Bytes read per block. Smaller blocks cost more merging (2 MiB: about 3 % more
/// instructions); larger ones only more memory.
pub(crate) const BLOCK: usize = 4 << 20;
/// Spans of one trace kept by [`trace_spans`].
pub(crate) const TRACE_SPANS_KEPT: usize = 10_000;

/// The reader, cut into blocks of whole lines as the workers ask for them.
struct Blocks<R> {
    reader: R,
    /// The number of the next block.
    seq: usize,
    /// The start of a line that the last block cut off.
    carry: Vec<u8>,
    done: bool,
    error: Option<io::Error>,
    /// The line-length cap: a longer line is read past and stands as its marker.
    cap: usize,
}

impl<R: Read> Blocks<R> {
    /// Reads the next block into `buf` (whose length is kept between calls as room to
    /// read into, at least [`BLOCK`]) and gives its number and length; `None` at the end
    /// of the input or after a read error (kept in `error`). Reads go straight into
    /// `buf`: a buffered reader passes reads this large through without copying.
    fn next(&mut self, buf: &mut Vec<u8>) -> Option<(usize, usize)> {
        if buf.len() < BLOCK.max(self.carry.len()) {
            buf.resize(BLOCK.max(self.carry.len()), 0);
        }
        let mut filled = self.carry.len();
        buf[..filled].copy_from_slice(&self.carry);
        self.carry.clear();
        let mut len = filled;
        // Bytes at the start of `buf` already searched for a line end, in vain: each
        // byte is searched once, so a long line costs linear time.
        let mut searched = 0;
        while !self.done {
            if filled == buf.len() {
                // Full: the block ends after its last line end; a line longer than a
                // block grows the buffer a block at a time, up to the cap.
                if let Some(last) = memchr::memrchr(b'\n', &buf[searched..filled]) {
                    let last = searched + last;
                    self.carry.extend_from_slice(&buf[last + 1..filled]);
                    len = last + 1;
                    break;
                }
                // No line end at all: the block is one line so far.
                searched = filled;
                if filled > self.cap {
                    len = self.skip_line(buf, filled)?;
                    break;
                }
                buf.resize(filled + BLOCK, 0);
            }
            match self.reader.read(&mut buf[filled..]) {
                Ok(0) => self.done = true,
                Ok(got) => filled += got,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    self.error = Some(err);
                    self.done = true;
                    return None;
                }
            }
            len = filled;
        }
        if len == 0 {
            return None;
        }
        self.seq += 1;
        Some((self.seq - 1, len))
    }

    /// Reads past the rest of a line over the cap whose first `so_far` bytes fill `buf`,
    /// keeps what follows its end for the next block, and leaves in `buf` the line's
    /// marker (see [`lines::overlong`]); gives the marker's length with its `\n`. `None`
    /// after a read error (kept in `error`).
    fn skip_line(&mut self, buf: &mut [u8], so_far: usize) -> Option<usize> {
        let mut length = so_far as u64;
        loop {
            match self.reader.read(buf) {
                Ok(0) => {
                    self.done = true;
                    break;
                }
                Ok(got) => {
                    if let Some(at) = memchr::memchr(b'\n', &buf[..got]) {
                        length += at as u64;
                        self.carry.extend_from_slice(&buf[at + 1..got]);
                        break;
                    }
                    length += got as u64;
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => {
                    self.error = Some(err);
                    self.done = true;
                    return None;
                }
            }
        }
        let marker = lines::overlong_marker(length);
        buf[..marker.len()].copy_from_slice(&marker);
        buf[marker.len()] = b'\n';
        Some(marker.len() + 1)
    }
}

/// What a worker found in one block: lines are numbered within the block, see
/// [`line_key`], until the merger knows how many lines came before it.
struct Part {
    seq: usize,
    lines: u64,
    collector: Collector,
}

/// Workers number invalid lines `(block << 32) | line in block`: sorting by that is
/// sorting by line number, so the first [`crate::trace::counts::INVALID_KEPT`] are kept
/// as they come, and the reader need not count lines (a block holds fewer than 2^32).
fn line_key(seq: usize, line_in_block: u64) -> u64 {
    ((seq as u64) << 32) | line_in_block
}

/// Reads `reader` to the end on `workers` threads (at least one) and merges what they
/// collected. A read error comes with the number of the line being read.
pub(crate) fn collect(
    reader: impl Read + Send,
    workers: usize,
) -> Result<Collector, (u64, io::Error)> {
    let blocks = Mutex::new(Blocks {
        reader,
        seq: 0,
        carry: Vec::new(),
        done: false,
        error: None,
        cap: crate::tuning::get().max_line_bytes,
    });
    // Parts are merged as fast as they come: one waiting is enough.
    let (part_tx, part_rx) = sync_channel::<Part>(1);
    let (total, lines_read) = thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            let (part_tx, blocks) = (part_tx.clone(), &blocks);
            scope.spawn(move || parse_blocks(blocks, &part_tx));
        }
        drop(part_tx);
        merge_parts(&part_rx)
    });
    let blocks = blocks.into_inner().expect("no thread panics holding it");
    match blocks.error {
        Some(err) => Err((lines_read + 1, err)),
        None => Ok(total),
    }
}

/// Merges the workers' parts; gives the total and the number of lines in the blocks.
fn merge_parts(parts: &Receiver<Part>) -> (Collector, u64) {
    let mut total = Collector::default();
    let mut lines_per_block = Vec::new();
    for part in parts {
        if lines_per_block.len() <= part.seq {
            lines_per_block.resize(part.seq + 1, 0);
        }
        lines_per_block[part.seq] = part.lines;
        total.merge(part.collector);
    }
    let mut lines_before = Vec::with_capacity(lines_per_block.len());
    let mut lines_read = 0;
    for lines in lines_per_block {
        lines_before.push(lines_read);
        lines_read += lines;
    }
    for (key, _) in &mut total.counts.invalid {
        let seq = usize::try_from(*key >> 32).expect("a block number");
        *key = lines_before[seq] + (*key & u64::from(u32::MAX));
    }
    (total, lines_read)
}

/// A worker: reads and parses blocks until the reader is done.
fn parse_blocks(blocks: &Mutex<Blocks<impl Read>>, parts: &SyncSender<Part>) {
    let mut buf = Vec::new();
    loop {
        let next = blocks
            .lock()
            .expect("no thread panics holding it")
            .next(&mut buf);
        let Some((seq, len)) = next else { return };
        if parts.send(parse_block(seq, &buf[..len])).is_err() {
            return;
        }
    }
}

/// Parses the lines of a block. A line in the common form is parsed where it starts,
/// which finds its end too; any other is cut at its newline first and parsed as usual.
fn parse_block(seq: usize, bytes: &[u8]) -> Part {
    let mut collector = Collector::default();
    let mut lines = 0;
    // UTF-8 checked once for the block (a newline never splits a character).
    let text = simdutf8::basic::from_utf8(bytes).ok();
    let mut at = 0;
    while at < bytes.len() {
        lines += 1;
        let line_no = line_key(seq, lines);
        if let Some((parsed, end, next)) = text.and_then(|text| fast::parse_at(text, at)) {
            let line = &bytes[at..end];
            let parsed = match crate::trace::model::too_long(line) {
                Some(err) => Err(err),
                None => parsed,
            };
            collector.add_parsed(line_no, line, parsed);
            at = next;
            continue;
        }
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i + 1);
        if let Some(line) = lines::content(&bytes[at..end]) {
            collector.add_line(line_no, line);
        }
        at = end;
    }
    Part {
        seq,
        lines,
        collector,
    }
}

/// The spans of one trace (at most [`TRACE_SPANS_KEPT`]), read in a second pass that
/// only parses the lines holding its id.
pub(crate) fn trace_spans(
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
    fn invalid_lines_in_later_blocks_get_their_line_numbers() {
        let mut file = Vec::new();
        generate::write(
            &Options {
                bytes: Some(BLOCK as u64 * 5 / 2),
                ..Options::default()
            },
            &mut file,
        )
        .unwrap();
        let mut lines: Vec<&[u8]> = file.split(|&b| b == b'\n').collect();
        let bad = [3, lines.len() / 2, lines.len() - 1];
        for at in bad {
            lines.insert(at - 1, b"not json");
        }
        let text = lines.join(&b'\n');
        let summary = collect(text.as_slice(), 2).unwrap().finish(String::new());
        let numbers: Vec<u64> = summary.counts.invalid.iter().map(|(n, _)| *n).collect();
        assert_eq!(numbers, bad.map(|n| n as u64));
        // Merging the blocks' collectors (each numbering services and names its own way)
        // gives what one collector fed every line gives.
        let mut one = Collector::default();
        let mut lines = Lines::new(text.as_slice());
        while let Some((no, line)) = lines.next_line().unwrap() {
            one.add_line(no, line);
        }
        let one = one.finish(String::new());
        assert_eq!(summary.slowest, one.slowest);
        assert_eq!(summary.span_names, one.span_names);
        assert_eq!(summary.traces, one.traces);
    }

    /// Lines parsed where they start in a block read the same as lines cut first.
    #[test]
    fn lines_parsed_in_place_agree_with_lines_cut_first() {
        let sample = include_str!("../../tests/fixtures/collector-pdata-sample.jsonl");
        let first = sample.lines().next().unwrap();
        let forms = [
            format!("{first}\r\n"),
            format!("{first}  \r\r\n"),
            format!("{first} x\n"),
            "\n   \n\t\n".to_owned(),
            format!("  {first}\n"),
            first.replacen(':', ":\n", 1) + "\n",
            first.replacen("testSpan", "test\u{e9}", 1) + "\n",
            "{\"resourceSpans\":[]}\n{}\n".to_owned(),
            first.to_owned(),
        ];
        for text in [
            forms.concat(),
            forms.concat().replacen("testHost", "\u{fffd}", 1),
        ] {
            let mut bytes = text.into_bytes();
            assert_eq!(summary_in_place(&bytes), summary_line_by_line(&bytes));
            // Not UTF-8: the whole block is read line by line.
            bytes.insert(10, 0xff);
            assert_eq!(summary_in_place(&bytes), summary_line_by_line(&bytes));
        }
    }

    fn summary_in_place(file: &[u8]) -> String {
        format!("{:?}", collect(file, 2).unwrap().finish(String::new()))
    }

    fn summary_line_by_line(file: &[u8]) -> String {
        let mut collector = Collector::default();
        let mut lines = Lines::new(file);
        while let Some((no, line)) = lines.next_line().unwrap() {
            collector.add_line(no, line);
        }
        format!("{:?}", collector.finish(String::new()))
    }

    /// Gives its bytes, then fails.
    struct FailingReader(io::Cursor<Vec<u8>>);

    impl Read for FailingReader {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::other("disk on fire")),
                got => Ok(got),
            }
        }
    }

    #[test]
    fn a_read_error_names_the_first_line_not_read() {
        // Lines of 64 bytes fill a block exactly: two whole blocks, then half of one.
        let line = format!("{}\n", "x".repeat(63));
        let lines_per_block = BLOCK / line.len();
        let file = line.repeat(lines_per_block * 5 / 2).into_bytes();
        let Err((line_no, err)) = collect(FailingReader(io::Cursor::new(file)), 2) else {
            panic!("the read error is lost");
        };
        assert_eq!(line_no, 2 * lines_per_block as u64 + 1);
        assert_eq!(err.to_string(), "disk on fire");
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
