//! The upload's data path: files → zip (deflate on every core) → SHA-256 + 8 MiB blocks
//! → the blob upload, with each file's bytes also parsed line by line on other threads
//! to count and check its spans (`validate`).
//!
//! Runs on a blocking thread and hands finished blocks to the async uploader through a
//! bounded channel, so memory stays at a few blocks whatever the file size, and
//! compression, validation and network transfer overlap. The bytes zipped are the
//! bytes found: validation only reads, it never drops or rewrites a line.

use std::collections::{BTreeSet, HashSet};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;

use bytes::{Bytes, BytesMut};
use indicatif::ProgressBar;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::Error;
use super::blob::BLOCK_SIZE;
use crate::archive::deflate;
use crate::archive::write::ZipStream;
use crate::trace::counts::Counts;
use crate::trace::validate;

/// Chunks queued between the zipper and a validator thread (1 MiB each).
const VALIDATION_QUEUE: usize = 8;

/// One file to put in the archive.
#[derive(Debug, Clone)]
pub struct Source {
    /// Where it is.
    pub path: PathBuf,
    /// Its name in the archive.
    pub name: String,
}

/// What was archived.
#[derive(Debug, Default)]
pub struct Archived {
    /// Zip length in bytes.
    pub size: u64,
    /// SHA-256 of the zip, lowercase hex.
    pub sha256: String,
    /// Spans in all files.
    pub spans: u64,
    /// Distinct trace ids in all files.
    pub traces: u64,
    /// Services in all files.
    pub services: BTreeSet<String>,
    /// Bytes of input.
    pub input_bytes: u64,
    /// Warnings about the content (invalid lines, empty files), in file order.
    pub warnings: Vec<String>,
}

/// Zips `sources` into blocks sent to `blocks`, counting what they hold.
pub fn archive(
    sources: &[Source],
    level: u8,
    blocks: mpsc::Sender<Bytes>,
    progress: &ProgressBar,
) -> Result<Archived, Error> {
    let mut sink = BlockSink {
        pending: BytesMut::with_capacity(BLOCK_SIZE),
        hasher: Sha256::new(),
        size: 0,
        blocks,
    };
    let mut archived = Archived::default();
    let mut traces = HashSet::new();
    let mut zip = ZipStream::new(&mut sink, level);
    for source in sources {
        let counts = add_source(&mut zip, source, progress)?;
        archived.input_bytes += counts.bytes;
        archived.spans += counts.spans;
        traces.extend(counts.traces.iter().copied());
        archived.services.extend(counts.services.keys().cloned());
        archived.warnings.extend(content_warnings(
            &source.path.display().to_string(),
            &counts,
        ));
    }
    zip.finish().map_err(|err| stopped(&err))?;
    sink.flush_all().map_err(|err| stopped(&err))?;
    archived.size = sink.size;
    archived.sha256 = hex::encode(sink.hasher.finalize());
    archived.traces = traces.len() as u64;
    Ok(archived)
}

/// Adds one file while a second thread counts its lines.
fn add_source(
    zip: &mut ZipStream<&mut BlockSink>,
    source: &Source,
    progress: &ProgressBar,
) -> Result<Counts, Error> {
    let unreadable = |err: &io::Error| {
        Error::Input(format!(
            "cannot read {}: {}; fix its permissions or leave it out of PATH",
            source.path.display(),
            err.kind()
        ))
    };
    let mut file = std::fs::File::open(&source.path).map_err(|err| unreadable(&err))?;
    let size = file.metadata().map_err(|err| unreadable(&err))?.len();
    let modified = file
        .metadata()
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| std::time::SystemTime::now());
    std::thread::scope(|scope| {
        let (tx, rx) = std_mpsc::sync_channel::<Bytes>(VALIDATION_QUEUE);
        let validator = scope.spawn(move || validate::count_lines(rx, deflate::default_workers()));
        let mut tee = move |chunk: &Bytes| {
            progress.inc(chunk.len() as u64);
            // A validator that stopped early only loses its counts, never the upload.
            let _ = tx.send(chunk.clone());
        };
        let zipped = zip.add_file(&source.name, modified, size, &mut file, &mut tee);
        drop(tee);
        let counts = validator.join().unwrap_or_default();
        match zipped {
            Ok(()) => Ok(counts),
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Err(stopped(&err)),
            Err(err) => Err(unreadable(&err)),
        }
    })
}

/// Warnings about one file's content.
fn content_warnings(file: &str, counts: &Counts) -> Vec<String> {
    if counts.lines == 0 {
        return vec![format!(
            "{file} is empty: no spans reached the collector — is the node configured to export traces (OTEL_EXPORTER_OTLP_ENDPOINT)?"
        )];
    }
    let mut warnings: Vec<String> = counts
        .invalid
        .iter()
        .map(|(line, err)| {
            format!("{file}:{line}: not a valid OTLP/JSON line ({err}); uploaded as is")
        })
        .collect();
    let unlisted = counts
        .invalid_lines
        .saturating_sub(counts.invalid.len() as u64);
    if unlisted > 0 {
        warnings.push(format!("{file}: {unlisted} more invalid lines"));
    }
    warnings
}

fn stopped(err: &io::Error) -> Error {
    Error::Blob(format!("writing the archive stopped: {err}"))
}

/// Hashes the zip and cuts it into blocks for the uploader.
struct BlockSink {
    pending: BytesMut,
    hasher: Sha256,
    size: u64,
    blocks: mpsc::Sender<Bytes>,
}

impl BlockSink {
    fn send(&mut self, block: Bytes) -> io::Result<()> {
        self.blocks
            .blocking_send(block)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the upload stopped"))
    }

    fn flush_all(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let block = self.pending.split().freeze();
            self.send(block)?;
        }
        Ok(())
    }
}

impl Write for BlockSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(BLOCK_SIZE - self.pending.len());
        self.pending.extend_from_slice(&buf[..n]);
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        if self.pending.len() == BLOCK_SIZE {
            let block = self.pending.split().freeze();
            self.pending.reserve(BLOCK_SIZE);
            self.send(block)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
