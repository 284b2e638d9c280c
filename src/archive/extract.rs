//! Extracts a downloaded artifact's spans into one file, without trusting the archive.
//!
//! Entry names are never used as paths: the spans always land in one temporary file in
//! the target directory (JSON entries concatenated in name order, each ending with a
//! newline), which the caller renames to `trace-data`. Still, an archive with an
//! absolute path, `..`, a drive prefix or a symlink is refused as a whole, since no
//! honest upload makes one; so is one whose entries inflate past their declared size or
//! past a total limit (zip bombs). Memory stays bounded: entries are copied in chunks.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use tempfile::NamedTempFile;
use zip::ZipArchive;

use super::Error;

/// The spans of an archive, in a temporary file next to their destination.
#[derive(Debug)]
pub(crate) struct Extracted {
    /// The temporary file (deleted if dropped before it is persisted).
    pub file: NamedTempFile,
    /// Lines written.
    pub lines: u64,
    /// Bytes written.
    pub bytes: u64,
    /// The entries taken, in order.
    pub entries: Vec<String>,
}

/// Whether `file` starts as a zip does (a local file header, or the end record of an
/// empty archive); reads its first bytes and leaves it rewound.
pub(crate) fn has_zip_signature(file: &mut File) -> std::io::Result<bool> {
    use std::io::Seek;
    let mut start = [0u8; 4];
    let mut got = 0;
    while got < start.len() {
        match file.read(&mut start[got..])? {
            0 => break,
            n => got += n,
        }
    }
    file.rewind()?;
    Ok(got == 4 && matches!(&start, b"PK\x03\x04" | b"PK\x05\x06"))
}

/// The spans of an artifact uploaded as is: the downloaded file itself, counted (lines
/// and bytes, read once more in chunks), named `name` in the log.
pub(crate) fn raw_spans(file: NamedTempFile, name: &str) -> Result<Extracted, Error> {
    let mut counter = Counter::new(std::io::sink());
    let mut reader = file.reopen().map_err(|err| Error::io(file.path(), &err))?;
    std::io::copy(&mut reader, &mut counter).map_err(|err| Error::io(file.path(), &err))?;
    let unterminated = u64::from(counter.bytes > 0 && counter.last != b'\n');
    Ok(Extracted {
        lines: counter.lines + unterminated,
        bytes: counter.bytes,
        file,
        entries: vec![name.to_owned()],
    })
}

/// Checks every entry of `zip`, then writes the JSON entries into a temporary file in `dir`.
pub(crate) fn extract_spans(zip: File, dir: &Path, limit: u64) -> Result<Extracted, Error> {
    let mut archive = ZipArchive::new(zip).map_err(|err| Error::Damaged(err.to_string()))?;
    let names = check_entries(&mut archive, limit)?;
    let chosen = choose_trace_entries(&names)?;
    let file =
        crate::atomic::temp_in(dir, ".trace-data.", ".part").map_err(|err| Error::io(dir, &err))?;
    let mut out = Counter::new(BufWriter::with_capacity(1 << 20, file.as_file()));
    let mut total = 0u64;
    for &index in &chosen {
        let mut entry = archive
            .by_index(index)
            .map_err(|err| Error::Damaged(err.to_string()))?;
        let name = names[index].0.clone();
        let declared = entry.size();
        let copied = copy_bounded(&mut entry, &mut out, declared, &name)?;
        total += copied;
        if total > limit {
            return Err(Error::TooLarge { limit });
        }
        if copied > 0 && out.last != b'\n' {
            out.write_all(b"\n")
                .map_err(|err| Error::io(file.path(), &err))?;
        }
    }
    out.inner
        .flush()
        .map_err(|err| Error::io(file.path(), &err))?;
    let (lines, bytes) = (out.lines, out.bytes);
    drop(out);
    Ok(Extracted {
        file,
        lines,
        bytes,
        entries: chosen.iter().map(|&i| names[i].0.clone()).collect(),
    })
}

/// Every entry's name and whether it is a file; refuses unsafe names, symlinks and a
/// declared total past `limit`.
fn check_entries(archive: &mut ZipArchive<File>, limit: u64) -> Result<Vec<(String, bool)>, Error> {
    // The archive keeps one entry per name: a second entry of the same name hides the
    // first, so which bytes are "the" file would be the archive's choice, not ours.
    if archive.has_duplicate_names() {
        return Err(Error::DuplicateNames);
    }
    let mut names = Vec::with_capacity(archive.len());
    let mut declared = 0u64;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|err| Error::Damaged(err.to_string()))?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if let Some(reason) = unsafe_name(&name) {
            return Err(Error::UnsafeEntry { name, reason });
        }
        if entry.is_symlink() {
            return Err(Error::UnsafeEntry {
                name,
                reason: "is a symbolic link",
            });
        }
        declared = declared.saturating_add(entry.size());
        if declared > limit {
            return Err(Error::TooLarge { limit });
        }
        names.push((name, entry.is_file()));
    }
    Ok(names)
}

/// Why a name is unsafe to extract, if it is.
pub(crate) fn unsafe_name(name: &str) -> Option<&'static str> {
    let bytes = name.as_bytes();
    if name.starts_with('/') || name.starts_with('\\') {
        Some("is an absolute path")
    } else if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        Some("starts with a drive letter")
    } else if name.split(['/', '\\']).any(|part| part == "..") {
        Some("climbs out of the directory with `..`")
    } else if name.contains('\0') {
        Some("contains a NUL byte")
    } else {
        None
    }
}

/// The entries that hold spans, sorted by name: the JSON ones, else a lone file.
fn choose_trace_entries(names: &[(String, bool)]) -> Result<Vec<usize>, Error> {
    let is_json = |name: &str| {
        let lower = name.to_ascii_lowercase();
        [".json", ".jsonl", ".ndjson"]
            .iter()
            .any(|ext| lower.ends_with(ext))
            || lower.rsplit('/').next() == Some("trace-data")
    };
    let files: Vec<usize> = (0..names.len()).filter(|&i| names[i].1).collect();
    let mut chosen: Vec<usize> = files
        .iter()
        .copied()
        .filter(|&i| is_json(&names[i].0))
        .collect();
    if chosen.is_empty() && files.len() == 1 {
        chosen.clone_from(&files);
    }
    if chosen.is_empty() {
        let found: Vec<&str> = files.iter().map(|&i| names[i].0.as_str()).collect();
        return Err(Error::NoTraceFile {
            found: if found.is_empty() {
                "no files".to_owned()
            } else {
                found.join(", ")
            },
        });
    }
    chosen.sort_by(|&a, &b| names[a].0.cmp(&names[b].0));
    Ok(chosen)
}

/// Copies one entry, refusing it when it inflates past its declared size.
fn copy_bounded(
    entry: &mut impl Read,
    out: &mut Counter<impl Write>,
    declared: u64,
    name: &str,
) -> Result<u64, Error> {
    let mut buffer = vec![0u8; 256 * 1024];
    let mut copied = 0u64;
    loop {
        // Read up to the declared size, then probe for one byte more: any excess is
        // seen here whether or not the zip reader checks sizes itself.
        let room = usize::try_from(declared - copied)
            .unwrap_or(usize::MAX)
            .max(1);
        let want = room.min(buffer.len());
        let read = match entry.read(&mut buffer[..want]) {
            Ok(0) => return Ok(copied),
            Ok(read) => read,
            Err(err) if copied < declared || err.to_string().contains("checksum") => {
                return Err(Error::Damaged(format!("{name}: {err}")));
            }
            Err(_) => return Err(inflates(name, declared)),
        };
        copied += read as u64;
        if copied > declared {
            return Err(inflates(name, declared));
        }
        out.write_all(&buffer[..read])
            .map_err(|err| Error::io(Path::new("the temporary trace file"), &err))?;
    }
}

fn inflates(name: &str, declared: u64) -> Error {
    Error::Inflates {
        name: name.to_owned(),
        declared,
    }
}

/// A writer that counts bytes and newlines and remembers the last byte.
struct Counter<W: Write> {
    inner: W,
    bytes: u64,
    lines: u64,
    last: u8,
}

impl<W: Write> Counter<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            bytes: 0,
            lines: 0,
            last: b'\n',
        }
    }
}

impl<W: Write> Write for Counter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        let buf = &buf[..written];
        self.bytes += written as u64;
        #[allow(clippy::naive_bytecount)] // the compiler vectorises it; no crate for this
        let newlines = buf.iter().filter(|&&b| b == b'\n').count() as u64;
        self.lines += newlines;
        if let Some(&last) = buf.last() {
            self.last = last;
        }
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::unsafe_name;

    #[test]
    fn unsafe_names_are_recognised() {
        for name in [
            "/etc/passwd",
            "\\x",
            "C:/x",
            "c:x",
            "../x",
            "a/../../x",
            "a\\..\\x",
        ] {
            assert!(unsafe_name(name).is_some(), "{name}");
        }
        for name in ["trace-data.json", "dir/trace-data.json", "a..b", ".hidden"] {
            assert!(unsafe_name(name).is_none(), "{name}");
        }
    }

    /// A zip of `entries` (name, bytes), made with the `zip` crate as an honest or
    /// hostile uploader could.
    fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            if writer.start_file(name.as_str(), options).is_ok() {
                std::io::Write::write_all(&mut writer, bytes).unwrap();
            }
        }
        writer.finish().unwrap().into_inner()
    }

    /// Every path under `dir`, relative to it.
    fn tree(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut found = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(at) = stack.pop() {
            for entry in std::fs::read_dir(&at).unwrap() {
                let path = entry.unwrap().path();
                found.push(path.strip_prefix(dir).unwrap().to_path_buf());
                if path.is_dir() {
                    stack.push(path);
                }
            }
        }
        found.sort();
        found
    }

    fn entry_name() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            Just("trace-data.json".to_owned()),
            Just("../escape.json".to_owned()),
            Just("/abs.json".to_owned()),
            Just("C:/drive.json".to_owned()),
            Just("dir/../../up.json".to_owned()),
            "[a-z./\\\\]{1,12}(\\.json)?",
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 128,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        /// Property: whatever the archive (random names, random bytes, random damage),
        /// extraction never panics and never writes outside its directory; what it
        /// leaves there is only the file it returns.
        #[test]
        fn no_archive_writes_outside_the_target(
            entries in proptest::collection::vec(
                (entry_name(), proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)),
                0..4,
            ),
            damage in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 0..4),
        ) {
            let mut bytes = zip_of(&entries);
            for (place, byte) in damage {
                let at = place % bytes.len().max(1);
                if let Some(b) = bytes.get_mut(at) {
                    *b = byte;
                }
            }
            let outer = tempfile::tempdir().unwrap();
            let target = outer.path().join("target");
            std::fs::create_dir(&target).unwrap();
            let source = tempfile::tempfile().unwrap();
            std::io::Write::write_all(&mut &source, &bytes).unwrap();
            std::io::Seek::rewind(&mut &source).unwrap();
            let result = super::extract_spans(source, &target, 1 << 20);
            let kept = result.as_ref().ok().map(|extracted| extracted.file.path().to_path_buf());
            let mut expected = vec![std::path::PathBuf::from("target")];
            if let Some(kept) = kept {
                expected.push(kept.strip_prefix(outer.path()).unwrap().to_path_buf());
            }
            proptest::prop_assert_eq!(tree(outer.path()), expected);
        }
    }
}
