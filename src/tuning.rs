//! Test knobs (`CI_TRACING_*`): one value, read once while the command's plan is built.
//!
//! The tests must not sleep for real backoff delays nor write gigabytes to reach a size
//! limit, so a few numbers can be turned down from the environment. They are resolved in
//! `config` with everything else and installed here once per process; protocol code asks
//! [`get`] instead of reading the environment. Unset, every knob has its real value.

use std::sync::OnceLock;

/// The knobs and their values for this process.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Tuning {
    /// Factor on every retry delay (`CI_TRACING_RETRY_SCALE`; 0.01 makes retries quick).
    pub retry_scale: f64,
    /// Limit of an artifact's unzipped size (`CI_TRACING_MAX_UNZIPPED_BYTES`).
    pub max_unzipped: u64,
    /// Derive `http://` instead of `https://` API URLs from a host name
    /// (`CI_TRACING_GITHUB_HTTP=1`), so that a fake GitHub Enterprise on 127.0.0.1 can
    /// be reached by its host alone.
    pub github_http: bool,
    /// The longest line read as a line (`--max-line-bytes`); a longer one is an invalid
    /// line, read past in bounded memory.
    pub max_line_bytes: usize,
    /// The longest `upload --compare-with` spends finding, fetching and reading its
    /// baseline (`CI_TRACING_BASELINE_SECONDS`; default 300) before it gives up with a
    /// notice: the comparison is an extra, and must not hold a job up for long.
    pub baseline_deadline: std::time::Duration,
    /// How long `collect` waits for a connection's first bytes, an HTTP/1 request's
    /// headers, or a body (`CI_TRACING_COLLECT_READ_SECONDS`; default 60, as the
    /// Collector's header read timeout) before it cuts the client off.
    pub collect_read_timeout: std::time::Duration,
}

/// Default line-length cap: larger than any export request a receiver accepts.
pub(crate) const DEFAULT_MAX_LINE_BYTES: usize = 256 << 20;

/// Default limit of the unzipped size: far above any trace file worth replaying.
pub(crate) const DEFAULT_MAX_UNZIPPED: u64 = 32 << 30;

impl Default for Tuning {
    fn default() -> Self {
        Self {
            retry_scale: 1.0,
            max_unzipped: DEFAULT_MAX_UNZIPPED,
            github_http: false,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            baseline_deadline: std::time::Duration::from_secs(300),
            collect_read_timeout: std::time::Duration::from_secs(60),
        }
    }
}

static TUNING: OnceLock<Tuning> = OnceLock::new();

/// Installs the process's knobs; the first call wins.
pub(crate) fn install(tuning: Tuning) {
    let _ = TUNING.set(tuning);
}

/// The knobs in force (the defaults when none were installed, as in unit tests).
pub(crate) fn get() -> Tuning {
    TUNING.get().copied().unwrap_or_default()
}
