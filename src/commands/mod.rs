//! One thin orchestrator per command: each takes its resolved settings, calls the
//! protocol folders and the trace core in order, and prints what the user sees.
//!
//! A command holds no protocol detail and no parsing: if a behaviour is about GitHub,
//! the artifact service, OTLP or the trace file, it lives in that folder, and the
//! command only decides the order and the messages.

pub(crate) mod baseline;
pub(crate) mod collect;
pub(crate) mod compare;
pub(crate) mod fetch_traces;
pub(crate) mod gate;
pub(crate) mod man;
pub(crate) mod replay;
pub(crate) mod report;
pub(crate) mod stack;
pub(crate) mod summary;
pub(crate) mod upload;
