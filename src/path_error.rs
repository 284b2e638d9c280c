//! One error for an I/O failure on a path, shared by every module that touches files,
//! and one way to show a path (relative to the current directory when inside it).
//!
//! Each module used to format the operating system's reason its own way; this leaf holds
//! the one wording ("no such file", "File exists", never "(os error 17)") so that every
//! message about a file reads the same. It imports nothing from the crate.

use std::fmt;
use std::path::Path;

/// An I/O failure on a file or directory: which one, and the operating system's reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoOnPath {
    /// The path as the user should see it.
    pub path: String,
    /// The operating system's reason in words.
    pub reason: String,
}

impl IoOnPath {
    /// The failure `err` on `path`.
    pub fn new(path: impl AsRef<Path>, err: &std::io::Error) -> Self {
        Self {
            path: path.as_ref().display().to_string(),
            reason: io_reason(err),
        }
    }
}

/// `PATH: REASON`; the error types that wrap it say what was being done.
impl fmt::Display for IoOnPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.reason)
    }
}

impl std::error::Error for IoOnPath {}

/// The operating system's reason in words, without the `(os error N)` suffix.
pub(crate) fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => {
            let text = err.to_string();
            text.split(" (os error").next().unwrap_or(&text).to_owned()
        }
    }
}

/// A path as messages show it: relative to the current directory when it is inside it,
/// without a leading `./`.
pub(crate) fn shown_path(path: &Path) -> std::path::PathBuf {
    let relative = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf));
    let path = relative.unwrap_or_else(|| path.to_path_buf());
    path.strip_prefix(".")
        .map_or(path.clone(), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::IoOnPath;

    #[test]
    fn the_reason_has_no_os_error_number() {
        let err = std::io::Error::from_raw_os_error(17);
        let failure = IoOnPath::new("a/b", &err);
        assert_eq!(failure.to_string(), "a/b: File exists");
        let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert_eq!(IoOnPath::new("x", &missing).reason, "no such file");
    }
}
