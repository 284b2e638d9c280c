//! The process exit statuses, as a leaf every module may import.
//!
//! `0` success (including a gated no-op), `1` the work failed (network, server, nothing
//! to download, spans rejected), `2` the invocation is wrong (bad flag, missing token or
//! repository, unreadable input), `130`/`143` interrupted by SIGINT/SIGTERM (128 + the
//! signal's number, as shells report it). Each module's error type says which of these it is;
//! this file imports nothing, so no module depends on `error.rs` for a number.

/// Exit status for failed work.
pub(crate) const FAILED: u8 = 1;
/// Exit status for a wrong invocation.
pub(crate) const USAGE: u8 = 2;
/// Exit status after SIGINT (128 + 2), as shells report it.
pub(crate) const INTERRUPTED: u8 = 130;
/// Exit status after SIGTERM (128 + 15).
pub(crate) const TERMINATED: u8 = 143;
