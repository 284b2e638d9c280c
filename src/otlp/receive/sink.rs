//! The one writer of an output file: lines arrive through a bounded queue and are
//! appended whole or not at all.
//!
//! Many requests are decoded at once, but a file has one writer, on a thread of its own
//! (a write may block on a slow disk; the async workers must not). The queue is bounded,
//! so a disk slower than the clients holds the clients back (their requests wait for a
//! place) instead of growing memory. A request is answered only after its line is in
//! the file: a write that fails part-way (a full disk) is cut back to the file's
//! previous length, so the file holds only whole lines, and the client is told to retry.
//! On [`Sink::close`] (or when every sender is gone) the thread syncs the file to disk
//! and ends.

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

use tokio::sync::{mpsc, oneshot};

/// Lines waiting for the writer; each may be large, so few.
const QUEUE: usize = 32;

/// One line to append (ending with `\n`) and whom to tell how it went, or the end.
enum Job {
    Line {
        line: Vec<u8>,
        done: oneshot::Sender<Result<(), String>>,
    },
    /// Sync and stop: lines queued before it are written, lines after it refused.
    Close,
}

/// The sending side: clone it into every request handler.
#[derive(Clone)]
pub(crate) struct Sink {
    jobs: mpsc::Sender<Job>,
}

/// What the writer thread reports when it ends.
#[derive(Debug)]
pub(crate) struct Closed {
    /// The file.
    pub path: PathBuf,
    /// Lines appended.
    pub lines: u64,
    /// The final sync's failure, if it failed.
    pub sync_error: Option<String>,
}

impl Sink {
    /// Opens `path` for appending (creating it and its directory) and starts its writer.
    pub(crate) fn open(path: &Path) -> io::Result<(Self, std::thread::JoinHandle<Closed>)> {
        crate::atomic::check_target(path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        let length = file.metadata()?.len();
        let mut needs_newline = false;
        if length > 0 {
            let mut last = [0u8];
            file.seek(SeekFrom::Start(length - 1))?;
            file.read_exact(&mut last)?;
            needs_newline = last[0] != b'\n';
        }
        let (jobs, queue) = mpsc::channel(QUEUE);
        let writer = Writer {
            file,
            path: path.to_owned(),
            length,
            needs_newline,
            lines: 0,
        };
        let handle = std::thread::Builder::new()
            .name("collect-writer".to_owned())
            .spawn(move || writer.run(queue))?;
        Ok((Sink { jobs }, handle))
    }

    /// Writes what is queued, syncs the file and ends the writer (connections that
    /// outlive a stop may still hold senders, so the end cannot wait for them all).
    pub(crate) async fn close(&self) {
        let _ = self.jobs.send(Job::Close).await;
    }

    /// Appends one line (which must end with `\n`); returns once it is in the file, or
    /// why it is not.
    pub(crate) async fn append(&self, line: Vec<u8>) -> Result<(), String> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job::Line { line, done })
            .await
            .map_err(|_| "the writer has stopped".to_owned())?;
        answer
            .await
            .unwrap_or_else(|_| Err("the writer has stopped".to_owned()))
    }
}

struct Writer {
    file: File,
    path: PathBuf,
    /// The file's length after the last whole line.
    length: u64,
    /// The file did not end with a line end when opened.
    needs_newline: bool,
    lines: u64,
}

impl Writer {
    fn run(mut self, mut queue: mpsc::Receiver<Job>) -> Closed {
        while let Some(Job::Line { line, done }) = queue.blocking_recv() {
            let result = self.append(&line);
            let _ = done.send(result);
        }
        queue.close();
        let sync_error = self.file.sync_all().err().map(|err| err.to_string());
        Closed {
            path: self.path,
            lines: self.lines,
            sync_error,
        }
    }

    fn append(&mut self, line: &[u8]) -> Result<(), String> {
        let mut written = self.write(b"\n", self.needs_newline);
        if written.is_ok() {
            self.needs_newline = false;
            written = self.write(line, true);
        }
        written.map_err(|err| {
            format!(
                "cannot write to {}: {}",
                self.path.display(),
                crate::path_error::io_reason(&err)
            )
        })?;
        self.lines += 1;
        Ok(())
    }

    /// Writes `bytes` whole, or cuts the file back to where it was.
    fn write(&mut self, bytes: &[u8], wanted: bool) -> io::Result<()> {
        if !wanted {
            return Ok(());
        }
        match self.file.write_all(bytes) {
            Ok(()) => {
                self.length += bytes.len() as u64;
                Ok(())
            }
            Err(err) => {
                let _ = self.file.set_len(self.length);
                Err(err)
            }
        }
    }
}
