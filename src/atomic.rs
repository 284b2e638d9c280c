//! Putting a file in place whole or not at all, and never over a user's file unasked.
//!
//! `fetch-traces`, `report` and `replay`'s `.failed` file all write to a temporary file
//! in the target's own directory (a rename across file systems would be a copy), sync
//! it, and rename it to the target: a crash leaves the old file or the new one, never
//! half of one. An existing target is replaced only when the caller says so (`--force`,
//! or a file that is the tool's own).
//!
//! Temporary files are made by [`temp_file`], which remembers their paths: on SIGINT or
//! SIGTERM the process exits without running destructors, and [`remove_temps`] deletes
//! what would otherwise be left behind.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tempfile::NamedTempFile;

/// Paths of the temporary files made by [`temp_file`] and not yet installed.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A temporary file in `dir`, named as `builder` says, removed by [`remove_temps`]
/// unless [`install`]ed first.
pub fn temp_file(builder: &tempfile::Builder, dir: &Path) -> io::Result<NamedTempFile> {
    let temp = builder.tempfile_in(dir)?;
    if let Ok(mut temps) = TEMPS.lock() {
        temps.push(temp.path().to_path_buf());
    }
    Ok(temp)
}

/// Deletes every temporary file [`temp_file`] made that is still there (for an exit
/// that skips destructors).
pub fn remove_temps() {
    let temps = TEMPS.lock().map(|mut t| std::mem::take(&mut *t));
    for path in temps.unwrap_or_default() {
        let _ = std::fs::remove_file(path);
    }
}

/// The directory that holds `target` (`.` for a bare file name): where its temporary
/// file goes.
pub fn dir_of(target: &Path) -> &Path {
    match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Syncs `temp` to disk and renames it to `target`, replacing an existing file only with
/// `replace` (otherwise an [`io::ErrorKind::AlreadyExists`] error).
pub fn install(temp: NamedTempFile, target: &Path, replace: bool) -> io::Result<()> {
    if let Ok(mut temps) = TEMPS.lock() {
        temps.retain(|path| path != temp.path());
    }
    // On disk before the rename, so that a crash cannot leave a renamed but empty file.
    temp.as_file().sync_all()?;
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
    fn a_bare_name_lives_in_the_current_directory() {
        assert_eq!(dir_of(Path::new("traces.html")), Path::new("."));
        assert_eq!(dir_of(Path::new("a/b.html")), Path::new("a"));
    }
}
