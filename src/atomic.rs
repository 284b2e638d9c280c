//! Putting a file in place whole or not at all, and never over a user's file unasked.
//!
//! `fetch-traces`, `report` and `replay`'s `.failed` file all write to a temporary file
//! in the target's own directory (a rename across file systems would be a copy), sync
//! it, and rename it to the target: a crash leaves the old file or the new one, never
//! half of one. An existing target is replaced only when the caller says so (`--force`,
//! or a file that is the tool's own).

use std::io;
use std::path::Path;

use tempfile::NamedTempFile;

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
