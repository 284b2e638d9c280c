//! Putting a file in place whole or not at all, and never over a user's file unasked.
//!
//! `fetch-traces`, `report` and `replay`'s `.failed` file all write to a temporary file
//! in the target's own directory (a rename across file systems would be a copy), sync
//! it, and rename it to the target: a crash leaves the old file or the new one, never
//! half of one. An existing target is replaced only when the caller says so (`--force`,
//! or a file that is the tool's own), and only if it is a regular file or a symlink (the
//! link itself is replaced, never the file it points to). A device, a FIFO, a socket or a
//! directory at the target is refused with or without `--force`: renaming over
//! `/dev/null` as root would replace the device node with a regular file.
//!
//! Temporary files are made by [`temp_in`] (and directories by [`temp_dir`]), which
//! remember their paths: on SIGINT or SIGTERM the process exits without running
//! destructors, and [`remove_temps`] deletes what would otherwise be left behind.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tempfile::NamedTempFile;

/// Paths of the temporary files made by [`temp_in`] and not yet installed.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// Paths of the temporary directories made by [`temp_dir`].
static TEMP_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Deletes every temporary file [`temp_in`] made and every directory [`temp_dir`]
/// made that is still there (for an exit that skips destructors).
pub(crate) fn remove_temps() {
    let temps = TEMPS.lock().map(|mut t| std::mem::take(&mut *t));
    for path in temps.unwrap_or_default() {
        let _ = std::fs::remove_file(path);
    }
    let dirs = TEMP_DIRS.lock().map(|mut d| std::mem::take(&mut *d));
    for path in dirs.unwrap_or_default() {
        let _ = std::fs::remove_dir_all(path);
    }
}

/// A temporary directory named `PREFIX…` in the system's temporary directory, removed
/// with what it holds when dropped, or by [`remove_temps`] on SIGINT or SIGTERM.
pub(crate) fn temp_dir(prefix: &str) -> io::Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new().prefix(prefix).tempdir()?;
    if let Ok(mut dirs) = TEMP_DIRS.lock() {
        dirs.push(dir.path().to_path_buf());
    }
    Ok(dir)
}

/// The directory that holds `target` (`.` for a bare file name): where its temporary
/// file goes.
pub(crate) fn dir_of(target: &Path) -> &Path {
    match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A temporary file named `PREFIX…SUFFIX` in `dir`, created with the permissions any
/// new file of the user gets (0666 less the umask, which the kernel applies), not the
/// 0600 of `tempfile`'s default: the files it becomes are the user's to share.
pub(crate) fn temp_in(dir: &Path, prefix: &str, suffix: &str) -> io::Result<NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(suffix);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let temp = builder.tempfile_in(dir)?;
    if let Ok(mut temps) = TEMPS.lock() {
        temps.push(temp.path().to_path_buf());
    }
    Ok(temp)
}

/// Whether something stands at `target` that [`install`] could replace (a regular file
/// or a symlink): `Ok(false)` when nothing does, or when the path cannot be looked at
/// (the write that follows then fails with the real reason). Anything else there is an
/// [`io::ErrorKind::InvalidInput`] error that names what it is. Commands call this
/// before they start writing, so that a refused target costs no work.
pub(crate) fn check_target(target: &Path) -> io::Result<bool> {
    let Ok(meta) = std::fs::symlink_metadata(target) else {
        return Ok(false);
    };
    let kind = meta.file_type();
    if kind.is_file() || kind.is_symlink() {
        return Ok(true);
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is {}, not a regular file: name a file to write instead",
            target.display(),
            describe(kind)
        ),
    ))
}

/// What a file that is not regular is, in words.
fn describe(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_fifo() {
            return "a FIFO";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Syncs `temp` to disk and renames it to `target`, replacing an existing file only with
/// `replace` (otherwise an [`io::ErrorKind::AlreadyExists`] error), and never replacing
/// what is not a regular file or a symlink (see [`check_target`]).
pub(crate) fn install(temp: NamedTempFile, target: &Path, replace: bool) -> io::Result<()> {
    check_target(target)?;
    // On disk before the rename, so that a crash cannot leave a renamed but empty file.
    temp.as_file().sync_all()?;
    if let Ok(mut temps) = TEMPS.lock() {
        temps.retain(|path| path != temp.path());
    }
    let persisted = if replace {
        temp.persist(target)
    } else {
        temp.persist_noclobber(target)
    };
    persisted.map(drop).map_err(|err| err.error)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn a_file_is_replaced_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        std::fs::write(&target, "old").unwrap();
        let write = |text: &str| {
            let mut temp = tempfile::Builder::new()
                .tempfile_in(dir_of(&target))
                .unwrap();
            temp.write_all(text.as_bytes()).unwrap();
            temp
        };
        let err = install(write("new"), &target, false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        install(write("new"), &target, true).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file is left"
        );
    }

    #[test]
    fn only_regular_files_and_symlinks_may_be_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "old").unwrap();
        assert!(!check_target(&dir.path().join("absent")).unwrap());
        assert!(check_target(&file).unwrap());
        let err = check_target(dir.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("is a directory"), "{err}");
        let temp = tempfile::Builder::new().tempfile_in(dir.path()).unwrap();
        let err = install(temp, dir.path(), true).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn a_bare_name_lives_in_the_current_directory() {
        assert_eq!(dir_of(Path::new("traces.html")), Path::new("."));
        assert_eq!(dir_of(Path::new("a/b.html")), Path::new("a"));
    }
}
