//! Raw deflate on several threads, as pigz does it, with the output of one stream.
//!
//! The input is cut into chunks; each chunk is compressed on its own worker with the
//! previous 32 KiB as a preset dictionary and ends with a sync flush (an empty stored
//! block, so it ends on a byte boundary and without the final bit). Concatenated in
//! order they form one deflate stream, which an empty final block closes. Chunks go to
//! workers round-robin and come back in the same order, through bounded channels, so
//! memory is a few chunks per worker whatever the input size. Output differs from
//! single-threaded deflate by a few bytes per chunk; any inflater reads it the same.

use std::io::{self, Read, Write};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use bytes::{Bytes, BytesMut};
use flate2::{Compress, Compression, FlushCompress};

/// Input bytes per chunk.
pub(crate) const CHUNK: usize = 1 << 20;
/// Deflate's window: the dictionary each chunk gets from the one before.
const WINDOW: usize = 32 << 10;
/// An empty block with the final bit set, closing a byte-aligned deflate stream.
const FINAL_BLOCK: [u8; 2] = [0x03, 0x00];

/// Worker threads for this machine (at least 1).
pub(crate) fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// Reads `reader` to its end in chunks; each chunk goes to `tee` (for the CRC and the
/// validator) and, deflated at `level` on `workers` threads, to `out`. Returns the
/// number of input bytes.
pub(crate) fn deflate(
    reader: &mut impl Read,
    out: &mut impl Write,
    level: u32,
    workers: usize,
    tee: &mut impl FnMut(&Bytes),
) -> io::Result<u64> {
    let workers = workers.max(1);
    std::thread::scope(|scope| {
        let mut jobs: Vec<SyncSender<(Bytes, Bytes)>> = Vec::new();
        let mut results: Vec<Receiver<io::Result<Vec<u8>>>> = Vec::new();
        for _ in 0..workers {
            let (job_tx, job_rx) = sync_channel::<(Bytes, Bytes)>(1);
            let (result_tx, result_rx) = sync_channel(1);
            scope.spawn(move || {
                for (chunk, dictionary) in job_rx {
                    if result_tx
                        .send(compress_chunk(&chunk, &dictionary, level))
                        .is_err()
                    {
                        break;
                    }
                }
            });
            jobs.push(job_tx);
            results.push(result_rx);
        }
        let (mut sent, mut written, mut total) = (0usize, 0usize, 0u64);
        let mut previous = Bytes::new();
        while let Some(chunk) = read_chunk(reader)? {
            total += chunk.len() as u64;
            tee(&chunk);
            if sent - written == 2 * workers {
                write_result(&results[written % workers], out)?;
                written += 1;
            }
            let dictionary = previous.slice(previous.len().saturating_sub(WINDOW)..);
            jobs[sent % workers]
                .send((chunk.clone(), dictionary))
                .map_err(|_| io::Error::other("a deflate worker stopped"))?;
            sent += 1;
            previous = chunk;
        }
        while written < sent {
            write_result(&results[written % workers], out)?;
            written += 1;
        }
        drop(jobs);
        out.write_all(&FINAL_BLOCK)?;
        Ok(total)
    })
}

fn write_result(results: &Receiver<io::Result<Vec<u8>>>, out: &mut impl Write) -> io::Result<()> {
    let compressed = results
        .recv()
        .map_err(|_| io::Error::other("a deflate worker stopped"))??;
    out.write_all(&compressed)
}

/// Up to [`CHUNK`] bytes, or `None` at the end.
pub(crate) fn read_chunk(reader: &mut impl Read) -> io::Result<Option<Bytes>> {
    let mut chunk = BytesMut::zeroed(CHUNK);
    let mut filled = 0;
    while filled < CHUNK {
        match reader.read(&mut chunk[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    chunk.truncate(filled);
    Ok((filled > 0).then(|| chunk.freeze()))
}

/// One chunk, deflated and sync-flushed.
fn compress_chunk(chunk: &[u8], dictionary: &[u8], level: u32) -> io::Result<Vec<u8>> {
    let mut compress = Compress::new(Compression::new(level), false);
    if !dictionary.is_empty() {
        compress
            .set_dictionary(dictionary)
            .map_err(|err| io::Error::other(format!("deflate dictionary: {err}")))?;
    }
    let mut out = Vec::with_capacity(chunk.len() / 4 + 1024);
    let mut consumed = 0;
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(out.capacity().max(64 << 10));
        }
        let before = compress.total_in();
        compress
            .compress_vec(&chunk[consumed..], &mut out, FlushCompress::Sync)
            .map_err(|err| io::Error::other(format!("deflate: {err}")))?;
        consumed += usize::try_from(compress.total_in() - before).unwrap_or(usize::MAX);
        // The flush is complete once all input is in and the output was not filled.
        if consumed >= chunk.len() && out.len() < out.capacity() {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::DeflateDecoder;

    fn round_trip(data: &[u8], workers: usize) {
        let mut compressed = Vec::new();
        let mut seen = Vec::new();
        let total = deflate(
            &mut &data[..],
            &mut compressed,
            6,
            workers,
            &mut |c: &Bytes| {
                seen.extend_from_slice(c);
            },
        )
        .unwrap();
        assert_eq!(total, data.len() as u64);
        assert_eq!(seen, data);
        let mut inflated = Vec::new();
        DeflateDecoder::new(&compressed[..])
            .read_to_end(&mut inflated)
            .unwrap();
        assert!(
            inflated == data,
            "{} bytes with {workers} workers",
            data.len()
        );
    }

    #[test]
    fn chunks_deflated_apart_inflate_as_one_stream() {
        let text: Vec<u8> = (0..400_000u32)
            .flat_map(|i| format!("{{\"span\":{},\"name\":\"op-{}\"}}\n", i, i % 97).into_bytes())
            .collect();
        assert!(text.len() > 3 * CHUNK);
        for workers in [1, 2, 3] {
            round_trip(&text, workers);
        }
        round_trip(b"", 2);
        round_trip(b"x", 2);
    }
}
