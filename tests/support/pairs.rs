//! Small trace files with known differences, for `compare`: each trace is one root span
//! and one span of each [`Op`], every duration the op's own times an independent factor
//! in 0.6..1.4 (the mean of three uniform draws), so that two seeds give the same
//! distribution and only what an op is told to change changes.

use std::fmt::Write as _;
use std::path::Path;

use super::generate::{DEFAULT_START_UNIX_NANO, Rng};

/// One (service, span name) and how it behaves.
#[derive(Debug, Clone, Copy)]
pub struct Op {
    /// `service.name`.
    pub service: &'static str,
    /// Span name.
    pub name: &'static str,
    /// Typical duration, ms.
    pub millis: u64,
    /// Every this many spans has status ERROR (0: never).
    pub error_every: u64,
}

/// `op(service, name, millis)` without errors.
pub const fn op(service: &'static str, name: &'static str, millis: u64) -> Op {
    Op {
        service,
        name,
        millis,
        error_every: 0,
    }
}

/// The ops of a base run: six names over four services.
pub const BASE: &[Op] = &[
    op("api", "get_block", 20),
    op("api", "send_tx", 50),
    op("db", "read", 5),
    op("db", "write", 8),
    op("consensus", "round", 200),
    op("p2p", "gossip", 3),
];

/// `ops` with the op named `name` changed by `change`.
pub fn with(ops: &[Op], name: &str, change: impl Fn(&mut Op)) -> Vec<Op> {
    let mut ops = ops.to_vec();
    for op in ops.iter_mut().filter(|op| op.name == name) {
        change(op);
    }
    ops
}

/// Writes `traces` traces of `ops` to `path`, one trace a line.
pub fn write(path: &Path, ops: &[Op], traces: u64, seed: u64) {
    let mut rng = Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x00C0_FFEE);
    let factor = |rng: &mut Rng| {
        (rng.range(0, 1000) + rng.range(0, 1000) + rng.range(0, 1000)) * 8 / 30 + 600
    };
    let mut out = String::new();
    for t in 0..traces {
        let trace_id = format!("{:032x}", u128::from(t + 1) << 64 | u128::from(seed));
        let start = DEFAULT_START_UNIX_NANO + t * 10_000_000_000;
        let root_nanos = 1_000_000 * factor(&mut rng);
        let mut by_service: Vec<(&str, Vec<String>)> = vec![(
            "smoke-tests",
            vec![span(&trace_id, 1, 0, "smoke", start, root_nanos, false)],
        )];
        for (i, op) in ops.iter().enumerate() {
            let nanos = op.millis * 1_000 * factor(&mut rng);
            let error = op.error_every > 0 && (t + 1) % op.error_every == 0;
            let json = span(
                &trace_id,
                i as u64 + 2,
                1,
                op.name,
                start + 1000,
                nanos,
                error,
            );
            match by_service.iter_mut().find(|(s, _)| *s == op.service) {
                Some((_, spans)) => spans.push(json),
                None => by_service.push((op.service, vec![json])),
            }
        }
        let resources: Vec<String> = by_service
            .iter()
            .map(|(service, spans)| {
                format!(
                    r#"{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}"#,
                    spans.join(",")
                )
            })
            .collect();
        let _ = writeln!(out, r#"{{"resourceSpans":[{}]}}"#, resources.join(","));
    }
    std::fs::write(path, out).unwrap();
}

fn span(
    trace: &str,
    id: u64,
    parent: u64,
    name: &str,
    start: u64,
    nanos: u64,
    error: bool,
) -> String {
    let parent = if parent == 0 {
        String::new()
    } else {
        format!("{parent:016x}")
    };
    let status = if error { r#"{"code":2}"# } else { "{}" };
    format!(
        r#"{{"traceId":"{trace}","spanId":"{id:016x}","parentSpanId":"{parent}","name":"{name}","startTimeUnixNano":"{start}","endTimeUnixNano":"{}","status":{status}}}"#,
        start + nanos
    )
}
