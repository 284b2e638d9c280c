//! What `upload` sends: PATH arguments (files, directories, glob patterns) resolved into
//! a sorted list of readable files and the directories they were searched in.
//!
//! The search roots decide the entry names (see `archive::write::entry_names`), as in
//! `actions/upload-artifact`: a file's root is its directory, a directory's root is
//! itself, a glob's root is the directory before its first wildcard. Files are checked
//! for readability here, before anything is created on the service. Nothing is read.
//! Hidden files (`.name`) inside directories and behind wildcards are left out, as
//! `actions/upload-artifact` leaves them out by default (`include-hidden-files` brings
//! them in); naming one explicitly works.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::Error;

/// Files found for the PATH arguments.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// Absolute paths, sorted, without duplicates.
    pub files: Vec<PathBuf>,
    /// Where they were searched for.
    pub roots: Vec<PathBuf>,
    /// Arguments that matched nothing.
    pub unmatched: Vec<String>,
}

/// Resolves `patterns` relative to the current directory; `hidden` includes hidden
/// files found in directories and by wildcards.
pub(crate) fn find(patterns: &[String], hidden: bool) -> Result<Found, Error> {
    let cwd = std::env::current_dir()
        .map_err(|err| Error::Input(format!("cannot read the current directory: {err}")))?;
    let mut files = BTreeSet::new();
    let mut found = Found::default();
    for pattern in patterns {
        let before = files.len();
        if pattern.contains(['*', '?', '[']) {
            found.roots.push(cwd.join(glob_root(pattern)));
            let options = glob::MatchOptions {
                require_literal_leading_dot: !hidden,
                ..glob::MatchOptions::new()
            };
            let matches =
                glob::glob_with(&cwd.join(pattern).to_string_lossy(), options).map_err(|err| {
                    Error::BadPattern {
                        pattern: pattern.clone(),
                        reason: err.msg.to_owned(),
                    }
                })?;
            for path in matches.flatten() {
                add_path(&path, &mut files, hidden)?;
            }
        } else {
            let path = cwd.join(pattern);
            if path.is_dir() {
                found.roots.push(path.clone());
            } else {
                found.roots.push(path.parent().unwrap_or(&cwd).to_owned());
            }
            if path.exists() {
                add_path(&path, &mut files, hidden)?;
            }
        }
        if files.len() == before {
            found.unmatched.push(pattern.clone());
        }
    }
    found.files = files.into_iter().collect();
    for file in &found.files {
        check_readable(file)?;
    }
    Ok(found)
}

/// The directory part of a glob pattern before its first wildcard.
fn glob_root(pattern: &str) -> PathBuf {
    let mut root = PathBuf::new();
    for part in Path::new(pattern).components() {
        if part.as_os_str().to_string_lossy().contains(['*', '?', '[']) {
            break;
        }
        root.push(part);
    }
    root
}

/// Adds a file, or every file under a directory.
fn add_path(path: &Path, files: &mut BTreeSet<PathBuf>, hidden: bool) -> Result<(), Error> {
    if !path.is_dir() {
        files.insert(path.to_owned());
        return Ok(());
    }
    let entries = std::fs::read_dir(path).map_err(|err| unreadable(path, &err))?;
    for entry in entries {
        let entry = entry.map_err(|err| unreadable(path, &err))?;
        // Hidden files stay out unless asked for, as in actions/upload-artifact since v4.4.
        if hidden || !entry.file_name().to_string_lossy().starts_with('.') {
            add_path(&entry.path(), files, hidden)?;
        }
    }
    Ok(())
}

/// Opens each regular file once to see that it can be read. A FIFO is not opened here:
/// that would take its writer's data (or wait for one); its one read is the upload's.
fn check_readable(file: &Path) -> Result<(), Error> {
    let meta = std::fs::metadata(file).map_err(|err| unreadable(file, &err))?;
    if is_fifo(&meta) {
        return Ok(());
    }
    std::fs::File::open(file)
        .map(drop)
        .map_err(|err| unreadable(file, &err))
}

#[cfg(unix)]
fn is_fifo(meta: &std::fs::Metadata) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type())
}

#[cfg(not(unix))]
fn is_fifo(_: &std::fs::Metadata) -> bool {
    false
}

fn unreadable(path: &Path, err: &std::io::Error) -> Error {
    Error::Unreadable(crate::path_error::IoOnPath::new(path, err))
}

#[cfg(test)]
mod tests {
    use super::{add_path, glob_root};
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    #[test]
    fn directories_are_walked_without_hidden_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.json", "sub/b.json", ".hidden", ".git/config"] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "{}").unwrap();
        }
        let found = |hidden| {
            let mut files = BTreeSet::new();
            add_path(dir.path(), &mut files, hidden).unwrap();
            let names: Vec<_> = files
                .iter()
                .map(|f| f.strip_prefix(dir.path()).unwrap().to_owned())
                .collect();
            names
        };
        assert_eq!(
            found(false),
            [PathBuf::from("a.json"), PathBuf::from("sub/b.json")]
        );
        assert_eq!(found(true).len(), 4, "with hidden files");
    }

    #[test]
    fn glob_roots_stop_at_the_first_wildcard() {
        assert_eq!(glob_root("a/b/*.json"), PathBuf::from("a/b"));
        assert_eq!(glob_root("a/**/x"), PathBuf::from("a"));
        assert_eq!(glob_root("*.json"), PathBuf::new());
    }
}
