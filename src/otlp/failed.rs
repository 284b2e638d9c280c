//! `<FILE>.failed`: every line `replay` could not deliver in full, in the trace file's
//! own format, so that it can be looked at, fixed and replayed again.
//!
//! Lines are written to a temporary file next to the target as they fail (memory stays
//! bounded however many fail) and renamed into place at the end, so a crash never
//! leaves half a file under the final name. An existing `.failed` file is replaced only
//! at the end of a run that has failed lines, and the caller says so; a run without
//! failures leaves it alone.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::atomic;
use crate::config::Input;

/// The file name used for failed lines read from standard input (in the current
/// directory).
pub(crate) const STDIN_FAILED: &str = "replay.failed";

/// Where the failed lines of `input` go: `<FILE>.failed`, or `./replay.failed` for
/// standard input.
pub(crate) fn path_for(input: &Input) -> PathBuf {
    match input {
        Input::Stdin => PathBuf::from(STDIN_FAILED),
        Input::Path(path) => {
            let mut name = path.file_name().unwrap_or_default().to_os_string();
            name.push(".failed");
            path.with_file_name(name)
        }
    }
}

/// A `.failed` file being written.
#[derive(Debug)]
pub(crate) struct FailedLines {
    target: PathBuf,
    temp: Option<BufWriter<NamedTempFile>>,
    lines: u64,
    error: Option<io::Error>,
}

/// What [`FailedLines::finish`] did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Written {
    /// The file written.
    pub path: PathBuf,
    /// Lines in it.
    pub lines: u64,
    /// An earlier file of that name was replaced.
    pub replaced: bool,
}

impl FailedLines {
    /// Nothing is created until the first line fails.
    pub(crate) fn new(target: PathBuf) -> Self {
        Self {
            target,
            temp: None,
            lines: 0,
            error: None,
        }
    }

    /// The final path.
    pub(crate) fn target(&self) -> &Path {
        &self.target
    }

    /// Appends one line (a newline is added). The first error is kept for
    /// [`finish`](Self::finish); later lines are then only counted.
    pub(crate) fn push(&mut self, line: &[u8]) {
        self.lines += 1;
        if self.error.is_some() {
            return;
        }
        if let Err(err) = self.write(line) {
            self.error = Some(err);
        }
    }

    fn write(&mut self, line: &[u8]) -> io::Result<()> {
        if self.temp.is_none() {
            let temp = atomic::temp_in(atomic::dir_of(&self.target), ".replay-failed-", "")?;
            self.temp = Some(BufWriter::with_capacity(1 << 16, temp));
        }
        let writer = self.temp.as_mut().expect("created above");
        writer.write_all(line)?;
        writer.write_all(b"\n")
    }

    /// Renames the temporary file into place; `None` when no line failed.
    pub(crate) fn finish(self) -> io::Result<Option<Written>> {
        if let Some(err) = self.error {
            return Err(err);
        }
        let Some(writer) = self.temp else {
            return Ok(None);
        };
        let temp = writer
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        let replaced = self.target.exists();
        atomic::install(temp, &self.target, true)?;
        Ok(Some(Written {
            path: self.target,
            lines: self.lines,
            replaced,
        }))
    }
}

/// Reads a file back, for tests.
#[cfg(test)]
fn read(path: &Path) -> String {
    let mut text = String::new();
    io::Read::read_to_string(&mut std::fs::File::open(path).unwrap(), &mut text).unwrap();
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_files_sit_next_to_the_input() {
        let input = Input::Path(PathBuf::from("dir/trace-data"));
        assert_eq!(path_for(&input), PathBuf::from("dir/trace-data.failed"));
        assert_eq!(path_for(&Input::Stdin), PathBuf::from("replay.failed"));
    }

    #[test]
    fn nothing_is_written_without_failures_and_old_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t.failed");
        assert_eq!(FailedLines::new(target.clone()).finish().unwrap(), None);
        assert!(!target.exists());
        std::fs::write(&target, "old\n").unwrap();
        let mut failed = FailedLines::new(target.clone());
        failed.push(b"{\"a\":1}");
        failed.push(b"{\"b\":2}");
        let written = failed.finish().unwrap().unwrap();
        assert!(written.replaced);
        assert_eq!(written.lines, 2);
        assert_eq!(read(&target), "{\"a\":1}\n{\"b\":2}\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
