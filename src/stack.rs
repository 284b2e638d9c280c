//! The local Grafana stack that `replay` sends to by default: its files, embedded, and
//! how they are put on disk.
//!
//! The files are those of `examples/tracing/`, compiled in with `include_str!`, so the
//! repository and the binary cannot disagree. Writing them is all or nothing about
//! overwriting: every target is looked at first, and if one exists (without `--force`)
//! or is not a regular file or a symlink (ever), nothing is written. Each file goes
//! through a temporary file and a rename (`crate::atomic`), so `--force` over a symlink
//! replaces the link, never the file it points to. Nothing here starts Docker.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::atomic;
use crate::exit::{FAILED, USAGE};
use crate::path_error::IoOnPath;

/// One file of the stack: its name in the stack directory and its text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StackFile {
    /// File name.
    pub name: &'static str,
    /// Contents.
    pub text: &'static str,
}

/// `StackFile`s of the named files of `examples/tracing/`, each embedded at build time.
macro_rules! embedded {
    ($($name:literal),+ $(,)?) => {
        &[$(StackFile {
            name: $name,
            text: include_str!(concat!("../examples/tracing/", $name)),
        }),+]
    };
}

/// The stack's files, in the order they are written and listed.
pub(crate) const FILES: &[StackFile] = embedded![
    "docker-compose.yaml",
    "otel-collector.yaml",
    "tempo.yaml",
    "grafana-datasources.yaml",
    "README.md",
];

/// Where Grafana's Explore page is once the stack runs.
pub(crate) const EXPLORE_URL: &str = "http://localhost:3000/explore";

/// Why the stack was not written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Files of the stack exist and `--force` was not given.
    #[error(
        "{} already {} in {dir}; pass --force to replace {} (nothing was written)",
        .names.join(", "),
        if .names.len() == 1 { "exists" } else { "exist" },
        if .names.len() == 1 { "it" } else { "them" }
    )]
    Exists {
        /// The directory, as shown.
        dir: String,
        /// The names of the files that exist.
        names: Vec<String>,
    },
    /// A target is a device, a FIFO, a socket or a directory.
    #[error("{0} (nothing was written)")]
    NotAFile(String),
    /// The directory or a file cannot be written.
    #[error("cannot write {0}")]
    Unwritable(IoOnPath),
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Exists { .. } | Error::NotAFile(_) => USAGE,
            Error::Unwritable(_) => FAILED,
        }
    }
}

/// Writes every file of [`FILES`] into `dir` (made if missing) and returns their paths;
/// `shown` is how to name `dir` in messages. Refuses, before writing anything, when a
/// target exists without `force` or is not a file that may be replaced.
pub(crate) fn write(dir: &Path, shown: &str, force: bool) -> Result<Vec<PathBuf>, Error> {
    let mut existing = Vec::new();
    for file in FILES {
        let target = dir.join(file.name);
        if atomic::check_target(&target).map_err(|err| Error::NotAFile(err.to_string()))? {
            existing.push(file.name.to_owned());
        }
    }
    if !force && !existing.is_empty() {
        return Err(Error::Exists {
            dir: shown.to_owned(),
            names: existing,
        });
    }
    std::fs::create_dir_all(dir).map_err(|err| Error::Unwritable(IoOnPath::new(dir, &err)))?;
    FILES
        .iter()
        .map(|file| {
            let target = dir.join(file.name);
            put(&target, file, shown, force)?;
            Ok(target)
        })
        .collect()
}

/// Writes `file` to `target` through a temporary file and a rename.
fn put(target: &Path, file: &StackFile, shown: &str, force: bool) -> Result<(), Error> {
    let unwritable = |err: std::io::Error| Error::Unwritable(IoOnPath::new(target, &err));
    let mut temp = atomic::temp_in(atomic::dir_of(target), ".ci-tracing-stack-", ".tmp")
        .map_err(unwritable)?;
    temp.write_all(file.text.as_bytes()).map_err(unwritable)?;
    atomic::install(temp, target, force).map_err(|err| match err.kind() {
        std::io::ErrorKind::AlreadyExists => Error::Exists {
            dir: shown.to_owned(),
            names: vec![file.name.to_owned()],
        },
        std::io::ErrorKind::InvalidInput => Error::NotAFile(err.to_string()),
        _ => unwritable(err),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_embedded_once() {
        let mut names: Vec<_> = FILES.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FILES.len());
        assert!(FILES.iter().all(|f| !f.text.trim().is_empty()));
    }

    #[test]
    fn the_refusal_names_every_existing_file() {
        let one = Error::Exists {
            dir: ".github/tracing".to_owned(),
            names: vec!["tempo.yaml".to_owned()],
        };
        assert_eq!(
            one.to_string(),
            "tempo.yaml already exists in .github/tracing; pass --force to replace it (nothing was written)"
        );
        let two = Error::Exists {
            dir: "d".to_owned(),
            names: vec!["a".to_owned(), "b".to_owned()],
        };
        assert!(two.to_string().starts_with("a, b already exist in d;"));
        assert_eq!(two.exit_code(), USAGE);
    }
}
