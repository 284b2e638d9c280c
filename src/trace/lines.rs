//! Streaming JSON Lines: one line at a time in a reused buffer, whatever its length.
//!
//! Blank lines are skipped, CRLF is accepted, and a last line without a newline counts.
//! Line numbers are those a text editor shows (1-based, blank lines included), so that
//! warnings point at the right place. Memory is bounded by the longest line.

use std::fs::File;
use std::io::{self, BufRead, BufReader};

use crate::config::{self, Input};
use crate::path_error::IoOnPath;

/// Read buffer size; large enough that multi-megabyte lines need few reads.
const BUFFER: usize = 1 << 20;
/// A line buffer that grew past this is given back after use.
const KEEP_CAPACITY: usize = 16 << 20;

/// Opens an input for reading, with the error a user can act on. A UTF-8 byte order
/// mark at the start (some editors and tools on Windows write one) is skipped, so that
/// line 1 reads like every other line.
pub(crate) fn open(input: &Input) -> Result<Box<dyn BufRead + Send>, config::Error> {
    let mut reader = open_raw(input)?;
    skip_bom(&mut reader).map_err(|err| config::Error::Unreadable {
        failure: IoOnPath::new(input.display(), &err),
        hint: "",
    })?;
    Ok(reader)
}

/// The UTF-8 encoding of U+FEFF, the byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Consumes a byte order mark at the start of `reader`, if there is one.
fn skip_bom(reader: &mut impl BufRead) -> io::Result<()> {
    if reader.fill_buf()?.starts_with(BOM) {
        reader.consume(BOM.len());
    }
    Ok(())
}

fn open_raw(input: &Input) -> Result<Box<dyn BufRead + Send>, config::Error> {
    match input {
        Input::Stdin => Ok(Box::new(BufReader::with_capacity(BUFFER, io::stdin()))),
        Input::Path(path) => {
            let file = File::open(path).map_err(|err| config::Error::Unreadable {
                failure: IoOnPath::new(path, &err),
                hint: if err.kind() == io::ErrorKind::NotFound {
                    " (download one with `ci-tracing fetch-traces --pr N`, or name a file)"
                } else {
                    ""
                },
            })?;
            if file.metadata().is_ok_and(|m| m.is_dir()) {
                return Err(config::Error::Unreadable {
                    failure: IoOnPath {
                        path: path.display().to_string(),
                        reason: "is a directory".to_owned(),
                    },
                    hint: " (name the trace-data file inside it)",
                });
            }
            Ok(Box::new(BufReader::with_capacity(BUFFER, file)))
        }
    }
}

/// An input opened to be read from the start twice (a first pass that finds something
/// out, then the real one). A regular file is simply opened again. Anything else,
/// standard input, a FIFO, a process substitution (`<(…)`) or a device, can be read only
/// once: it is copied, in one pass, into an anonymous temporary file that the operating
/// system removes when it is closed, whatever ends the process. Opening such a path a
/// second time would read nothing (or wait forever for a writer).
pub(crate) enum Twice {
    /// A regular file, opened again for each pass.
    File(Input),
    /// A copy of a one-pass input.
    Spool(File),
}

impl Twice {
    /// Opens `input`, copying it first when it cannot be read twice.
    pub(crate) fn open(input: &Input) -> Result<Self, super::Error> {
        if let Input::Path(path) = input
            && std::fs::metadata(path).is_ok_and(|meta| meta.is_file())
        {
            return Ok(Twice::File(input.clone()));
        }
        let mut source = open(input)?;
        let read_error = |source| super::Error::Read {
            input: input.display(),
            line: 0,
            source,
        };
        let mut spool = tempfile::tempfile().map_err(read_error)?;
        io::copy(&mut source, &mut spool).map_err(read_error)?;
        Ok(Twice::Spool(spool))
    }

    /// A reader from the start.
    pub(crate) fn reader(&self) -> Result<Box<dyn BufRead + Send>, super::Error> {
        match self {
            Twice::File(input) => Ok(open(input)?),
            Twice::Spool(spool) => {
                let mut spool = spool.try_clone().map_err(|source| super::Error::Read {
                    input: "a temporary copy of the input".to_owned(),
                    line: 0,
                    source,
                })?;
                io::Seek::rewind(&mut spool).map_err(|source| super::Error::Read {
                    input: "a temporary copy of the input".to_owned(),
                    line: 0,
                    source,
                })?;
                Ok(Box::new(BufReader::with_capacity(BUFFER, spool)))
            }
        }
    }
}

/// What a line longer than the cap reads as: this marker and its length in decimal. A
/// NUL byte never starts a JSON text, so no valid line can be taken for one; every
/// parser reports it as [`crate::trace::model::LineError::TooLong`] via [`overlong`].
const OVERLONG: &[u8] = b"\0ci-tracing: line too long: ";

/// The length of the line that `line` stands for, when it is the marker of a line
/// longer than the cap.
pub(crate) fn overlong(line: &[u8]) -> Option<u64> {
    let digits = line.strip_prefix(OVERLONG)?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The marker standing for a line of `bytes` bytes that was longer than the cap.
pub(crate) fn overlong_marker(bytes: u64) -> Vec<u8> {
    [OVERLONG, bytes.to_string().as_bytes()].concat()
}

/// What [`Lines::read_line`] found.
#[derive(Debug, PartialEq, Eq)]
enum Read {
    /// The end of the input.
    End,
    /// A line, in the buffer.
    Line,
    /// A line of this many bytes, over the cap, read past.
    Overlong(u64),
}

/// An iterator-like reader of non-blank lines. A line longer than the cap
/// (`--max-line-bytes`) is read past in bounded memory and given as its
/// [`overlong`] marker, with its number, so that it is reported, never held.
pub(crate) struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
    line_no: u64,
    cap: usize,
}

impl<R: BufRead> Lines<R> {
    /// Wraps a reader, with the cap in force.
    pub(crate) fn new(reader: R) -> Self {
        Self {
            reader,
            buf: Vec::new(),
            line_no: 0,
            cap: crate::tuning::get().max_line_bytes,
        }
    }

    /// The next non-blank line without its line ending, with its 1-based number.
    pub(crate) fn next_line(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        loop {
            if self.buf.capacity() > KEEP_CAPACITY {
                self.buf = Vec::new();
            }
            self.buf.clear();
            let read = self.read_line()?;
            if read == Read::End {
                return Ok(None);
            }
            self.line_no += 1;
            if let Read::Overlong(bytes) = read {
                self.buf = overlong_marker(bytes);
                return Ok(Some((self.line_no, &self.buf)));
            }
            if let Some(line) = content(&self.buf) {
                let len = line.len();
                return Ok(Some((self.line_no, &self.buf[..len])));
            }
        }
    }

    /// Reads one line (with its `\n`) into `buf`, linearly and holding at most the cap
    /// (a line over it is read past, `buf` left holding part of it).
    fn read_line(&mut self) -> io::Result<Read> {
        let mut total = 0u64;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            if available.is_empty() {
                return Ok(if total == 0 {
                    Read::End
                } else {
                    self.overflowed(total, false)
                });
            }
            let (take, done) = match memchr::memchr(b'\n', available) {
                Some(at) => (at + 1, true),
                None => (available.len(), false),
            };
            if self.buf.len() < self.cap.saturating_add(2) {
                let room = self.cap.saturating_add(2) - self.buf.len();
                self.buf.extend_from_slice(&available[..take.min(room)]);
            }
            total += take as u64;
            self.reader.consume(take);
            if done {
                return Ok(self.overflowed(total, true));
            }
        }
    }

    /// The length of the line just read (`total` bytes, the `\n` included when
    /// `newline`) when it is over the cap.
    fn overflowed(&self, total: u64, newline: bool) -> Read {
        let length = total - u64::from(newline);
        if length > self.cap as u64 {
            Read::Overlong(length)
        } else {
            Read::Line
        }
    }

    /// The number of the last line read (0 before the first).
    pub(crate) fn line_no(&self) -> u64 {
        self.line_no
    }
}

/// A raw line (with or without its `\n`) without its line ending, or `None` when blank.
/// For readers that split blocks of lines themselves, so that they agree with [`Lines`].
pub(crate) fn content(line: &[u8]) -> Option<&[u8]> {
    let line = trim_line_end(line);
    (!line.iter().all(u8::is_ascii_whitespace)).then_some(line)
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::Lines;

    fn collect(text: &[u8]) -> Vec<(u64, String)> {
        let mut lines = Lines::new(text);
        let mut out = Vec::new();
        while let Some((no, line)) = lines.next_line().unwrap() {
            out.push((no, String::from_utf8(line.to_vec()).unwrap()));
        }
        out
    }

    #[test]
    fn blank_lines_crlf_and_a_missing_final_newline() {
        let got = collect(b"{\"a\":1}\r\n\n  \r\n{\"b\":2}\n{\"c\":3}");
        assert_eq!(
            got,
            vec![
                (1, "{\"a\":1}".into()),
                (4, "{\"b\":2}".into()),
                (5, "{\"c\":3}".into())
            ]
        );
        assert!(collect(b"").is_empty());
    }

    /// A line over the cap is read past whole and stands as its marker; the lines
    /// around it are read as usual.
    #[test]
    fn a_line_over_the_cap_is_its_marker_and_the_next_line_is_intact() {
        let long = "x".repeat(5000);
        let text = format!("{{\"a\":1}}\n{long}\n{{\"b\":2}}\n{long}");
        let mut lines = Lines::new(std::io::BufReader::with_capacity(64, text.as_bytes()));
        lines.cap = 1000;
        let mut got = Vec::new();
        while let Some((no, line)) = lines.next_line().unwrap() {
            got.push((no, super::overlong(line), line.len() < 100));
        }
        assert_eq!(
            got,
            vec![
                (1, None, true),
                (2, Some(5000), true),
                (3, None, true),
                (4, Some(5000), true)
            ]
        );
    }
}
