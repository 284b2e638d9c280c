//! Zip archives: writing artifacts as `actions/upload-artifact` does, and extracting
//! downloaded ones without trusting their entry names or sizes.

pub(crate) mod extract;

/// Errors of zip writing and extraction.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The archive is damaged or unsafe.
    #[error("{0}")]
    Invalid(String),
    /// The zip cannot be read.
    #[error(
        "the artifact is not a readable zip archive ({0}): try again, or download it from the run's page"
    )]
    Damaged(String),
    /// An entry name or type that no honest upload makes.
    #[error("refusing the artifact: its entry `{name}` {reason}")]
    UnsafeEntry {
        /// The raw entry name.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Two entries share a name: one would hide the other.
    #[error(
        "refusing the artifact: two of its entries have the same name, so one would silently hide the other"
    )]
    DuplicateNames,
    /// An entry inflates past its declared size (a zip bomb).
    #[error(
        "refusing the artifact: its entry `{name}` inflates past its declared {declared} bytes"
    )]
    Inflates {
        /// The entry name.
        name: String,
        /// The declared size.
        declared: u64,
    },
    /// The archive unzips to more than the limit (a zip bomb).
    #[error("refusing the artifact: it unzips to more than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// No entry holds spans.
    #[error(
        "the artifact holds no JSON trace file (found: {found}): was it made by `ci-tracing upload`?"
    )]
    NoTraceFile {
        /// The entries found.
        found: String,
    },
    /// A local file operation failed.
    #[error("cannot write {0}")]
    Io(crate::path_error::IoOnPath),
}

impl Error {
    /// Exit status (see `error.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Invalid(_)
            | Error::Damaged(_)
            | Error::UnsafeEntry { .. }
            | Error::DuplicateNames
            | Error::Inflates { .. }
            | Error::TooLarge { .. }
            | Error::NoTraceFile { .. }
            | Error::Io(_) => crate::exit::FAILED,
        }
    }

    /// An I/O failure on `path`.
    pub fn io(path: &std::path::Path, err: &std::io::Error) -> Self {
        Error::Io(crate::path_error::IoOnPath::new(path, err))
    }
}

pub(crate) mod deflate;
pub(crate) mod write;
