//! The process exit statuses, as a leaf every module may import.
//!
//! `0` success (including a gated no-op), `1` the work failed (network, server, nothing
//! to download, spans rejected), `2` the invocation is wrong (bad flag, missing token or
//! repository, unreadable input). Each module's error type says which of these it is;
//! this file imports nothing, so no module depends on `error.rs` for a number.

/// Exit status for failed work.
pub const FAILED: u8 = 1;
/// Exit status for a wrong invocation.
pub const USAGE: u8 = 2;
