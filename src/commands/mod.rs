//! One thin orchestrator per command: each takes its resolved settings, calls the
//! protocol folders and the trace core in order, and prints what the user sees.
//!
//! A command holds no protocol detail and no parsing: if a behaviour is about GitHub,
//! the artifact service, OTLP or the trace file, it lives in that folder, and the
//! command only decides the order and the messages.

pub mod collect;
pub mod compare;
pub mod fetch_traces;
pub mod gate;
pub mod man;
pub mod replay;
pub mod report;
pub mod stack;
pub mod summary;
pub mod upload;
