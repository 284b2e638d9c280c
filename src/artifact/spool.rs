//! A copy of the blob `upload` sends, in an anonymous temporary file, so that what is
//! built after the upload (the chart of the job summary, the HTML report) reads the copy
//! instead of the user's files: each input is read once, and a FIFO works.
//!
//! A zip is copied as zipped (a fraction of the input) and read back entry by entry,
//! inflating on the fly; a file sent as is is copied as is. The file is deleted by the
//! system when the spool is dropped, whatever happens.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, Write};

/// Writes the copy while the blob is sent.
#[derive(Debug)]
pub(crate) struct SpoolWriter {
    out: BufWriter<File>,
}

impl SpoolWriter {
    /// A new copy in the system's temporary directory.
    pub(crate) fn new() -> io::Result<Self> {
        Ok(Self {
            out: BufWriter::with_capacity(1 << 20, tempfile::tempfile()?),
        })
    }

    /// The copy, ready to read; `zipped` says whether it is a zip of the inputs.
    pub(crate) fn finish(self, zipped: bool) -> io::Result<Spool> {
        let file = self
            .out
            .into_inner()
            .map_err(io::IntoInnerError::into_error)?;
        Ok(Spool { file, zipped })
    }
}

impl Write for SpoolWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The copy of a finished upload.
#[derive(Debug)]
pub(crate) struct Spool {
    file: File,
    zipped: bool,
}

impl Spool {
    /// Reads input `index` (in upload order) with `read`.
    pub(crate) fn read<T>(
        &self,
        index: usize,
        read: impl FnOnce(&mut dyn BufRead) -> T,
    ) -> io::Result<T> {
        let mut file = self.file.try_clone()?;
        file.rewind()?;
        if !self.zipped {
            return Ok(read(&mut BufReader::with_capacity(1 << 20, file)));
        }
        let mut archive = zip::ZipArchive::new(file).map_err(io::Error::other)?;
        let entry = archive.by_index(index).map_err(io::Error::other)?;
        Ok(read(&mut BufReader::with_capacity(1 << 20, entry)))
    }
}
