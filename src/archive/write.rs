//! Writing a zip archive as `actions/upload-artifact` makes it, as a stream.
//!
//! The archive goes into any `io::Write` that cannot seek (the blob upload): every entry
//! has a local header without sizes, its data, then a data descriptor with the CRC-32 and
//! sizes, and the central directory comes last. Entries over 4 GiB use zip64 fields,
//! decided from the file size known beforehand. Memory is the compressor's window, never
//! the file. Entry names are relative to the common root of what was asked for, with `/`
//! separators; a single file becomes its bare name.

use std::io::{self, Read, Write};
use std::path::{Component, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;

use super::deflate;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
const ZIP64_END_OF_CENTRAL: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
/// Sizes from here on need zip64 fields (with room for deflate's worst-case growth).
const ZIP64_THRESHOLD: u64 = 0xFFFF_0000;
/// General purpose flags: sizes in a data descriptor (bit 3), UTF-8 names (bit 11).
const FLAGS: u16 = 0x0808;
/// Made by Unix (3), spec version 4.5.
const MADE_BY: u16 = 0x032D;
/// `-rw-r--r--` regular file, in the high half of the external attributes.
const FILE_ATTRIBUTES: u32 = 0o100_644 << 16;

/// One finished entry, for the central directory.
struct Entry {
    name: String,
    zip64: bool,
    method: u16,
    dos_time: u16,
    dos_date: u16,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    offset: u64,
}

/// A zip archive being written to a non-seekable stream.
pub(crate) struct ZipStream<W: Write> {
    out: Counting<W>,
    entries: Vec<Entry>,
    level: u32,
    workers: usize,
}

impl<W: Write> ZipStream<W> {
    /// Starts an archive; `level` 0 stores, 1-9 deflate.
    pub(crate) fn new(out: W, level: u8) -> Self {
        Self {
            out: Counting {
                inner: out,
                count: 0,
            },
            entries: Vec::new(),
            level: u32::from(level.min(9)),
            workers: deflate::default_workers(),
        }
    }

    /// Deflates on `workers` threads (default: one per core, at most 4).
    #[cfg(test)]
    #[must_use]
    pub(crate) fn with_workers(mut self, workers: usize) -> Self {
        self.workers = workers.max(1);
        self
    }

    /// Adds one file read from `reader`; every chunk read is also given to `tee`.
    pub(crate) fn add_file(
        &mut self,
        name: &str,
        modified: SystemTime,
        size_hint: u64,
        reader: &mut impl Read,
        tee: &mut impl FnMut(&Bytes),
    ) -> io::Result<()> {
        let zip64 = size_hint >= ZIP64_THRESHOLD;
        let method = if self.level == 0 { 0 } else { 8 };
        let (dos_time, dos_date) = dos_date_time(modified);
        let offset = self.out.count;
        self.write_local_header(name, zip64, method, dos_time, dos_date)?;
        let start = self.out.count;
        let mut hasher = crc32fast::Hasher::new();
        let mut checked = |chunk: &Bytes| {
            hasher.update(chunk);
            tee(chunk);
        };
        let uncompressed = if method == 0 {
            copy_data(reader, &mut self.out, &mut checked)?
        } else {
            deflate::deflate(
                reader,
                &mut self.out,
                self.level,
                self.workers,
                &mut checked,
            )?
        };
        let crc = hasher.finalize();
        let compressed = self.out.count - start;
        if !zip64 && compressed.max(uncompressed) > u64::from(u32::MAX) {
            return Err(io::Error::other(format!(
                "{name} grew past 4 GiB while it was being zipped"
            )));
        }
        let mut descriptor = Vec::with_capacity(24);
        put32(&mut descriptor, DATA_DESCRIPTOR);
        put32(&mut descriptor, crc);
        put_size(&mut descriptor, compressed, zip64);
        put_size(&mut descriptor, uncompressed, zip64);
        self.out.write_all(&descriptor)?;
        self.entries.push(Entry {
            name: name.to_owned(),
            zip64,
            method,
            dos_time,
            dos_date,
            crc,
            compressed,
            uncompressed,
            offset,
        });
        Ok(())
    }

    fn write_local_header(
        &mut self,
        name: &str,
        zip64: bool,
        method: u16,
        dos_time: u16,
        dos_date: u16,
    ) -> io::Result<()> {
        let mut header = Vec::with_capacity(64 + name.len());
        put32(&mut header, LOCAL_HEADER);
        put16(&mut header, if zip64 { 45 } else { 20 });
        put16(&mut header, FLAGS);
        put16(&mut header, method);
        put16(&mut header, dos_time);
        put16(&mut header, dos_date);
        put32(&mut header, 0); // CRC-32: in the data descriptor
        let unknown = if zip64 { u32::MAX } else { 0 };
        put32(&mut header, unknown);
        put32(&mut header, unknown);
        put16(&mut header, name_len(name)?);
        put16(&mut header, if zip64 { 20 } else { 0 });
        header.extend_from_slice(name.as_bytes());
        if zip64 {
            put16(&mut header, 0x0001);
            put16(&mut header, 16);
            header.extend_from_slice(&[0; 16]);
        }
        self.out.write_all(&header)
    }

    /// Writes the central directory and returns the stream.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        let start = self.out.count;
        let mut directory = Vec::new();
        for entry in &self.entries {
            central_header(&mut directory, entry)?;
        }
        self.out.write_all(&directory)?;
        let size = self.out.count - start;
        let end = end_records(self.entries.len() as u64, size, start, self.out.count);
        self.out.write_all(&end)?;
        self.out.inner.flush()?;
        Ok(self.out.inner)
    }
}

fn central_header(out: &mut Vec<u8>, entry: &Entry) -> io::Result<()> {
    let big = |n: u64| entry.zip64 || n >= u64::from(u32::MAX);
    let mut extra = Vec::new();
    let mut zip64_fields = 0;
    for value in [entry.uncompressed, entry.compressed, entry.offset] {
        if big(value) {
            extra.extend_from_slice(&value.to_le_bytes());
            zip64_fields += 1;
        }
    }
    put32(out, CENTRAL_HEADER);
    put16(out, MADE_BY);
    put16(out, if extra.is_empty() { 20 } else { 45 });
    put16(out, FLAGS);
    put16(out, entry.method);
    put16(out, entry.dos_time);
    put16(out, entry.dos_date);
    put32(out, entry.crc);
    for value in [entry.compressed, entry.uncompressed] {
        put32(out, if big(value) { u32::MAX } else { low32(value) });
    }
    put16(out, name_len(&entry.name)?);
    put16(
        out,
        if extra.is_empty() {
            0
        } else {
            4 + 8 * zip64_fields
        },
    );
    put16(out, 0); // comment
    put16(out, 0); // disk
    put16(out, 0); // internal attributes
    put32(out, FILE_ATTRIBUTES);
    put32(
        out,
        if big(entry.offset) {
            u32::MAX
        } else {
            low32(entry.offset)
        },
    );
    out.extend_from_slice(entry.name.as_bytes());
    if !extra.is_empty() {
        put16(out, 0x0001);
        put16(out, u16::try_from(extra.len()).unwrap_or(24));
        out.extend_from_slice(&extra);
    }
    Ok(())
}

/// The end of central directory record, preceded by the zip64 ones when needed.
fn end_records(count: u64, size: u64, offset: u64, zip64_offset: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let zip64 = count >= 0xFFFF || size >= u64::from(u32::MAX) || offset >= u64::from(u32::MAX);
    if zip64 {
        put32(&mut out, ZIP64_END_OF_CENTRAL);
        out.extend_from_slice(&44u64.to_le_bytes());
        put16(&mut out, MADE_BY);
        put16(&mut out, 45);
        put32(&mut out, 0);
        put32(&mut out, 0);
        for value in [count, count, size, offset] {
            out.extend_from_slice(&value.to_le_bytes());
        }
        put32(&mut out, ZIP64_LOCATOR);
        put32(&mut out, 0);
        out.extend_from_slice(&zip64_offset.to_le_bytes());
        put32(&mut out, 1);
    }
    let count16 = u16::try_from(count).unwrap_or(u16::MAX);
    put32(&mut out, END_OF_CENTRAL);
    put16(&mut out, 0);
    put16(&mut out, 0);
    put16(&mut out, count16);
    put16(&mut out, count16);
    put32(&mut out, u32::try_from(size).unwrap_or(u32::MAX));
    put32(&mut out, u32::try_from(offset).unwrap_or(u32::MAX));
    put16(&mut out, 0);
    out
}

/// Copies `reader` to `out` unchanged (stored entries), chunk by chunk through `tee`.
fn copy_data(
    reader: &mut impl Read,
    out: &mut impl Write,
    tee: &mut impl FnMut(&Bytes),
) -> io::Result<u64> {
    let mut total = 0u64;
    while let Some(chunk) = deflate::read_chunk(reader)? {
        tee(&chunk);
        out.write_all(&chunk)?;
        total += chunk.len() as u64;
    }
    Ok(total)
}

/// Entry names for `files`, relative to the common ancestor of `search_roots` (the
/// directories the inputs were looked for in), as `actions/upload-artifact` names them.
pub(crate) fn entry_names(search_roots: &[PathBuf], files: &[PathBuf]) -> Vec<String> {
    if let [file] = files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        return vec![name.unwrap_or_default()];
    }
    let root = common_ancestor(search_roots);
    files
        .iter()
        .map(|file| {
            let relative = file.strip_prefix(&root).unwrap_or(file);
            relative
                .components()
                .filter_map(|c| match c {
                    Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

fn common_ancestor(paths: &[PathBuf]) -> PathBuf {
    let mut iter = paths.iter();
    let Some(first) = iter.next() else {
        return PathBuf::new();
    };
    let mut common: PathBuf = first.clone();
    for path in iter {
        while !path.starts_with(&common) {
            if !common.pop() {
                return PathBuf::new();
            }
        }
    }
    common
}

struct Counting<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn name_len(name: &str) -> io::Result<u16> {
    u16::try_from(name.len()).map_err(|_| io::Error::other(format!("entry name too long: {name}")))
}

fn low32(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_size(out: &mut Vec<u8>, value: u64, zip64: bool) {
    if zip64 {
        out.extend_from_slice(&value.to_le_bytes());
    } else {
        put32(out, low32(value));
    }
}

/// MS-DOS time and date of `when` (UTC; 1980 at the earliest, as the format demands).
fn dos_date_time(when: SystemTime) -> (u16, u16) {
    let secs = when
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        .max(315_532_800); // 1980-01-01
    let (year, month, day) = crate::time::civil_from_days(secs / 86_400);
    let rem = secs % 86_400;
    let time = ((rem / 3600) << 11) | ((rem % 3600 / 60) << 5) | ((rem % 60) / 2);
    let date = ((year - 1980) << 9) | (month << 5) | day;
    (
        u16::try_from(time).unwrap_or(0),
        u16::try_from(date).unwrap_or(u16::MAX),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(level: u8, files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = ZipStream::new(Vec::new(), level);
        for (name, data) in files {
            let mut seen = Vec::new();
            zip.add_file(
                name,
                SystemTime::now(),
                data.len() as u64,
                &mut &data[..],
                &mut |b| {
                    seen.extend_from_slice(b);
                },
            )
            .unwrap();
            assert_eq!(&seen, data);
        }
        zip.finish().unwrap()
    }

    #[test]
    fn archives_read_back_with_the_zip_crate_at_every_level() {
        let big: Vec<u8> = (0..300_000u32).flat_map(u32::to_le_bytes).collect();
        for level in [0, 1, 6, 9] {
            let bytes = archive(
                level,
                &[("a.json", b"{}\n"), ("empty", b""), ("dir/big", &big)],
            );
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
            assert_eq!(zip.len(), 3);
            for (name, data) in [("a.json", &b"{}\n"[..]), ("empty", b""), ("dir/big", &big)] {
                let mut entry = zip.by_name(name).unwrap();
                let mut out = Vec::new();
                entry.read_to_end(&mut out).unwrap();
                assert_eq!(out, data, "{name} at level {level}");
            }
        }
    }

    #[test]
    fn zip64_entries_read_back() {
        let mut zip = ZipStream::new(Vec::new(), 6).with_workers(2);
        // A size hint past 4 GiB makes the entry zip64, whatever its real size.
        zip.add_file(
            "big.json",
            SystemTime::now(),
            ZIP64_THRESHOLD,
            &mut &b"{}\n"[..],
            &mut |_: &Bytes| {},
        )
        .unwrap();
        zip.add_file(
            "small.json",
            SystemTime::now(),
            3,
            &mut &b"[]\n"[..],
            &mut |_: &Bytes| {},
        )
        .unwrap();
        let bytes = zip.finish().unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        for (name, data) in [("big.json", b"{}\n"), ("small.json", b"[]\n")] {
            let mut out = Vec::new();
            archive
                .by_name(name)
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, data);
        }
    }

    #[test]
    fn names_are_relative_to_the_common_root_and_a_single_file_is_bare() {
        let root = PathBuf::from("/w/traces");
        let files = [root.join("a.json"), root.join("sub/b.json")];
        assert_eq!(
            entry_names(std::slice::from_ref(&root), &files),
            ["a.json", "sub/b.json"]
        );
        assert_eq!(
            entry_names(std::slice::from_ref(&root), &files[1..]),
            ["b.json"]
        );
        let roots = [PathBuf::from("/w/traces/x"), PathBuf::from("/w/traces/sub")];
        assert_eq!(entry_names(&roots, &files), ["a.json", "sub/b.json"]);
    }

    #[test]
    fn dos_dates_count_from_1980() {
        let when = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        // 2023-11-14 22:13:20 UTC
        assert_eq!(
            dos_date_time(when),
            (22 * 2048 + 13 * 32 + 10, 43 * 512 + 11 * 32 + 14)
        );
    }
}
