//! The upload's data path: files → zip (deflate on every core), or one file as is →
//! SHA-256 + 8 MiB blocks → the blob upload, with each file's bytes also parsed line by
//! line on other threads to count and check its spans and gather the statistics of the
//! job summary and the report (`validate`), and, when those are wanted, copied into a
//! [`Spool`] that they are built from afterwards.
//!
//! Runs on a blocking thread and hands finished blocks to the async uploader through a
//! bounded channel, so memory stays at a few blocks whatever the file size, and
//! compression, validation and network transfer overlap. Each input is read once (a
//! FIFO works). The bytes sent are the bytes found: validation only reads, it never
//! drops or rewrites a line.

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
use super::spool::{Spool, SpoolWriter};
use crate::archive::deflate;
use crate::archive::write::ZipStream;
use crate::trace::stats::Collector;
use crate::trace::validate;

/// Chunks queued between the reader and a validator thread (1 MiB each).
const VALIDATION_QUEUE: usize = 8;

/// One file to upload.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// Where it is.
    pub path: PathBuf,
    /// Its name in the archive.
    pub name: String,
}

/// What was uploaded.
#[derive(Debug, Default)]
pub(crate) struct Archived {
    /// Blob length in bytes (the zip's, or the file's when sent as is).
    pub size: u64,
    /// SHA-256 of the blob, lowercase hex.
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
    /// What each file holds, in file order.
    pub collected: Vec<Collector>,
}

/// How the files become the blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// A zip at this compression level.
    Zip(u8),
    /// One file as is.
    Raw,
}

/// What the pass over the files does besides sending them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pass {
    /// Parse the lines as trace data (count, check, collect statistics).
    pub validate: bool,
    /// Keep a copy of the blob to read the files again from.
    pub spool: bool,
}

/// Sends `sources` as blocks to `blocks` in `form`, collecting what they hold and
/// keeping a copy as `pass` says.
pub(crate) fn archive(
    sources: &[Source],
    form: Form,
    blocks: mpsc::Sender<Bytes>,
    progress: &ProgressBar,
    pass: Pass,
) -> Result<(Archived, Option<Spool>), Error> {
    let spool = if pass.spool {
        Some(SpoolWriter::new().map_err(|err| stopped(&err))?)
    } else {
        None
    };
    let mut sink = BlockSink {
        pending: BytesMut::with_capacity(BLOCK_SIZE),
        hasher: Sha256::new(),
        size: 0,
        blocks,
        spool,
    };
    let mut archived = Archived::default();
    match form {
        Form::Zip(level) => {
            let mut zip = ZipStream::new(&mut sink, level);
            for source in sources {
                let collector = add_source(
                    source,
                    progress,
                    pass.validate,
                    |size, modified, file, mut tee| {
                        zip.add_file(&source.name, modified, size, file, &mut tee)
                    },
                )?;
                archived.collected.push(collector);
            }
            zip.finish().map_err(|err| stopped(&err))?;
        }
        Form::Raw => {
            for source in sources {
                let collector = add_source(source, progress, pass.validate, |_, _, file, tee| {
                    while let Some(chunk) = deflate::read_chunk(file)? {
                        tee(&chunk);
                        sink.write_all(&chunk)?;
                    }
                    Ok(())
                })?;
                archived.collected.push(collector);
            }
        }
    }
    sink.flush_all().map_err(|err| stopped(&err))?;
    let mut traces = HashSet::new();
    for (source, collector) in sources.iter().zip(&archived.collected) {
        let counts = &collector.counts;
        archived.input_bytes += counts.bytes;
        archived.spans += counts.spans;
        traces.extend(collector.trace_facts().map(|trace| trace.0));
        archived.services.extend(counts.services.keys().cloned());
        let file = source.path.display().to_string();
        archived.warnings.extend(content_warnings(&file, counts));
    }
    archived.size = sink.size;
    archived.sha256 = hex::encode(sink.hasher.finalize());
    archived.traces = traces.len() as u64;
    let spool = match sink.spool {
        Some(writer) => Some(
            writer
                .finish(matches!(form, Form::Zip(_)))
                .map_err(|err| stopped(&err))?,
        ),
        None => None,
    };
    Ok((archived, spool))
}

/// Opens one file and hands it to `send` while a second thread collects its lines.
fn add_source(
    source: &Source,
    progress: &ProgressBar,
    validate: bool,
    send: impl FnOnce(
        u64,
        std::time::SystemTime,
        &mut std::fs::File,
        &mut dyn FnMut(&Bytes),
    ) -> io::Result<()>,
) -> Result<Collector, Error> {
    let unreadable =
        |err: &io::Error| Error::Unreadable(crate::path_error::IoOnPath::new(&source.path, err));
    let mut file = std::fs::File::open(&source.path).map_err(|err| unreadable(&err))?;
    let size = file.metadata().map_err(|err| unreadable(&err))?.len();
    let modified = file
        .metadata()
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| std::time::SystemTime::now());
    std::thread::scope(|scope| {
        let (tx, rx) = std_mpsc::sync_channel::<Bytes>(VALIDATION_QUEUE);
        let validator = validate
            .then(|| scope.spawn(move || validate::collect_lines(rx, deflate::default_workers())));
        let tx = validate.then_some(tx);
        let mut tee = move |chunk: &Bytes| {
            progress.inc(chunk.len() as u64);
            // A validator that stopped early only loses its counts, never the upload.
            if let Some(tx) = &tx {
                let _ = tx.send(chunk.clone());
            }
        };
        let outcome = send(size, modified, &mut file, &mut tee);
        drop(tee);
        let collector = validator
            .map(|validator| validator.join().unwrap_or_default())
            .unwrap_or_default();
        match outcome {
            Ok(()) => Ok(collector),
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Err(stopped(&err)),
            Err(err) => Err(unreadable(&err)),
        }
    })
}

/// Warnings about one file's content.
fn content_warnings(file: &str, counts: &crate::trace::counts::Counts) -> Vec<String> {
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

/// Hashes the blob, cuts it into blocks for the uploader and copies it to the spool.
struct BlockSink {
    pending: BytesMut,
    hasher: Sha256,
    size: u64,
    blocks: mpsc::Sender<Bytes>,
    spool: Option<SpoolWriter>,
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
        if let Some(spool) = &mut self.spool {
            spool.write_all(&buf[..n])?;
        }
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
