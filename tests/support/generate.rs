//! Deterministic, realistic trace-data files for tests, examples and benchmarks.
//!
//! The same options always give the same bytes (a SplitMix64 generator seeded by the
//! caller, no clock, no `HashMap` order). The shape follows what the Collector's `file`
//! exporter writes for a blockchain node's smoke tests: one JSON line per batch, spans
//! grouped by resource, nested calls across ten services, errors with exception events,
//! orphans whose parent never arrived, and now and then a batch of several megabytes.
//! This is test data only; nothing in the commands depends on it.

use std::fmt::Write as _;
use std::io::{self, Write};

/// 2026-11-18T11:06:40Z: a fixed default start so output does not depend on the clock.
pub const DEFAULT_START_UNIX_NANO: u64 = 1_795_000_000_000_000_000;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Stop after this many lines (default when neither limit is given: 100).
    pub lines: Option<u64>,
    /// Stop once at least this many bytes are written.
    pub bytes: Option<u64>,
    /// Seed; the same seed gives the same file.
    pub seed: u64,
    /// Start of the first trace, ns since the epoch.
    pub start_unix_nano: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            lines: None,
            bytes: None,
            seed: 1,
            start_unix_nano: DEFAULT_START_UNIX_NANO,
        }
    }
}

/// What was generated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Generated {
    /// Lines written.
    pub lines: u64,
    /// Spans written.
    pub spans: u64,
    /// Traces begun (a trace can continue past the last line and be cut there).
    pub traces: u64,
    /// Bytes written, newlines included.
    pub bytes: u64,
}

/// SplitMix64: tiny, fast, and stable across versions of everything.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let len = u64::try_from(items.len()).expect("small slice");
        &items[usize::try_from(self.next() % len).expect("index fits")]
    }
}

struct Service {
    name: &'static str,
    scope: &'static str,
    operations: &'static [&'static str],
    calls: &'static [usize],
    kind: u8,
}

const SMOKE: usize = 0;
const SERVICES: &[Service] = &[
    Service {
        name: "smoke-tests",
        scope: "smoke::harness",
        operations: &[
            "submit_transfer",
            "query_balance",
            "deploy_contract",
            "wait_for_finality",
            "sync_new_node",
        ],
        calls: &[1],
        kind: 3,
    },
    Service {
        name: "rpc-gateway",
        scope: "gateway::http",
        operations: &[
            "POST /rpc eth_sendRawTransaction",
            "POST /rpc eth_getBalance",
            "POST /rpc eth_call",
            "POST /rpc eth_getBlockByNumber",
        ],
        calls: &[2, 3, 4, 5],
        kind: 2,
    },
    Service {
        name: "node-0",
        scope: "node::rpc",
        operations: &["handle_request", "execute_call", "lookup_state"],
        calls: &[6, 7, 9],
        kind: 2,
    },
    Service {
        name: "node-1",
        scope: "node::rpc",
        operations: &["handle_request", "execute_call", "lookup_state"],
        calls: &[6, 7, 9],
        kind: 2,
    },
    Service {
        name: "node-2",
        scope: "node::rpc",
        operations: &["handle_request", "execute_call", "lookup_state"],
        calls: &[6, 7, 9],
        kind: 2,
    },
    Service {
        name: "node-3",
        scope: "node::rpc",
        operations: &["handle_request", "execute_call", "lookup_state"],
        calls: &[6, 7, 9],
        kind: 2,
    },
    Service {
        name: "mempool",
        scope: "mempool",
        operations: &["mempool.insert", "mempool.validate", "mempool.evict"],
        calls: &[9],
        kind: 1,
    },
    Service {
        name: "consensus",
        scope: "consensus::round",
        operations: &[
            "consensus.propose",
            "consensus.prevote",
            "consensus.precommit",
            "consensus.commit",
        ],
        calls: &[8, 9],
        kind: 1,
    },
    Service {
        name: "p2p",
        scope: "p2p::gossip",
        operations: &["p2p.broadcast", "p2p.send_block", "p2p.receive_vote"],
        calls: &[2, 3],
        kind: 4,
    },
    Service {
        name: "storage",
        scope: "storage::rocksdb",
        operations: &[
            "storage.get",
            "storage.put",
            "storage.commit_block",
            "storage.compact",
        ],
        calls: &[],
        kind: 1,
    },
];

const ERRORS: &[(&str, &str)] = &[
    (
        "TimeoutError",
        "deadline exceeded after 5s waiting for block finality",
    ),
    ("RpcError", "nonce too low: next nonce 42, tx nonce 41"),
    ("IoError", "connection reset by peer"),
    ("StorageError", "write stall: too many L0 files"),
];

/// One rendered span and the service it belongs to.
struct PendingSpan {
    service: usize,
    json: String,
}

struct Generator {
    rng: Rng,
    clock: u64,
    pending: std::collections::VecDeque<PendingSpan>,
    traces: u64,
}

impl Generator {
    fn hex_id(&mut self, digits: usize) -> String {
        let mut id = format!("{:016x}{:016x}", self.rng.next(), self.rng.next());
        id.truncate(digits);
        id
    }

    /// Generates one whole trace into `pending`.
    fn trace(&mut self) {
        self.traces += 1;
        let trace_id = self.hex_id(32);
        let start = self.clock + self.rng.range(1_000_000, 400_000_000);
        let duration = self.rng.range(50_000_000, 8_000_000_000);
        let budget = if self.rng.chance(10) {
            2500
        } else {
            self.rng.range(3, 60)
        };
        let orphan_cut = self.rng.chance(15);
        let mut remaining = budget;
        self.span(
            &trace_id,
            "",
            SMOKE,
            0,
            start,
            start + duration,
            &mut remaining,
            orphan_cut,
        );
        self.clock = start + duration / 3;
    }

    #[allow(clippy::too_many_arguments)]
    fn span(
        &mut self,
        trace_id: &str,
        parent: &str,
        service: usize,
        depth: u32,
        start: u64,
        end: u64,
        remaining: &mut u64,
        orphan_cut: bool,
    ) -> bool {
        *remaining = remaining.saturating_sub(1);
        let span_id = self.hex_id(16);
        let svc = &SERVICES[service];
        let mut failed = false;
        let children = if svc.calls.is_empty() || *remaining == 0 || depth > 7 {
            0
        } else {
            self.rng.range(1, 4).min(*remaining)
        };
        if let Some(slot) = (end - start).checked_div(children) {
            for i in 0..children {
                let child_start = start + i * slot + slot / 10;
                let child_end = child_start + slot * self.rng.range(30, 85) / 100;
                let callee = *self.rng.pick(svc.calls);
                failed |= self.span(
                    trace_id,
                    &span_id,
                    callee,
                    depth + 1,
                    child_start,
                    child_end.max(child_start + 1000),
                    remaining,
                    orphan_cut,
                );
            }
        }
        failed = (failed && self.rng.chance(600)) || self.rng.chance(15);
        // Now and then a middle span never reaches the collector: its children are orphans.
        let dropped = orphan_cut && depth == 2 && self.rng.chance(500);
        if !dropped {
            let json = self.render(trace_id, &span_id, parent, service, start, end, failed);
            self.pending.push_back(PendingSpan { service, json });
        }
        failed
    }

    #[allow(clippy::too_many_arguments)]
    fn render(
        &mut self,
        trace_id: &str,
        span_id: &str,
        parent: &str,
        service: usize,
        start: u64,
        end: u64,
        failed: bool,
    ) -> String {
        let svc = &SERVICES[service];
        let name = *self.rng.pick(svc.operations);
        let mut json = String::with_capacity(600);
        let _ = write!(
            json,
            r#"{{"traceId":"{trace_id}","spanId":"{span_id}","parentSpanId":"{parent}","name":"{name}","kind":{kind},"startTimeUnixNano":"{start}","endTimeUnixNano":"{end}","attributes":["#,
            kind = svc.kind
        );
        let height = 1000 + (start / 1_000_000_000) % 100_000;
        let _ = write!(
            json,
            r#"{{"key":"block.height","value":{{"intValue":"{height}"}}}},{{"key":"node.peer_count","value":{{"intValue":"{}"}}}},{{"key":"tx.hash","value":{{"stringValue":"0x{}"}}}},{{"key":"cache.hit","value":{{"boolValue":{}}}}},{{"key":"gas.price_gwei","value":{{"doubleValue":{}.{}}}}}"#,
            self.rng.range(1, 64),
            self.hex_id(32),
            self.rng.chance(700),
            self.rng.range(1, 90),
            self.rng.range(0, 99)
        );
        if svc.kind == 2 {
            let _ = write!(
                json,
                r#",{{"key":"http.request.method","value":{{"stringValue":"POST"}}}},{{"key":"http.response.status_code","value":{{"intValue":"{}"}}}}"#,
                if failed { 500 } else { 200 }
            );
        }
        json.push_str("],");
        if failed {
            let (kind, message) = *self.rng.pick(ERRORS);
            let _ = write!(
                json,
                r#""events":[{{"timeUnixNano":"{end}","name":"exception","attributes":[{{"key":"exception.type","value":{{"stringValue":"{kind}"}}}},{{"key":"exception.message","value":{{"stringValue":"{message}"}}}}]}}],"status":{{"code":2,"message":"{message}"}}}}"#
            );
        } else if self.rng.chance(100) {
            let _ = write!(
                json,
                r#""events":[{{"timeUnixNano":"{start}","name":"retry","attributes":[{{"key":"attempt","value":{{"intValue":"2"}}}}]}}],"status":{{}}}}"#
            );
        } else {
            json.push_str(r#""status":{}}"#);
        }
        json
    }

    /// Takes `count` spans (generating traces as needed) and renders them as one line.
    fn line(&mut self, count: usize) -> String {
        while self.pending.len() < count {
            self.trace();
        }
        let spans: Vec<PendingSpan> = self.pending.drain(..count).collect();
        let mut order: Vec<usize> = Vec::new();
        for span in &spans {
            if !order.contains(&span.service) {
                order.push(span.service);
            }
        }
        let mut line =
            String::with_capacity(spans.iter().map(|s| s.json.len() + 1).sum::<usize>() + 512);
        line.push_str(r#"{"resourceSpans":["#);
        for (i, &service) in order.iter().enumerate() {
            let svc = &SERVICES[service];
            if i > 0 {
                line.push(',');
            }
            let _ = write!(
                line,
                r#"{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{name}"}}}},{{"key":"service.version","value":{{"stringValue":"1.4.2"}}}},{{"key":"host.name","value":{{"stringValue":"ci-runner-{service}"}}}},{{"key":"telemetry.sdk.language","value":{{"stringValue":"rust"}}}},{{"key":"deployment.environment","value":{{"stringValue":"ci"}}}}]}},"scopeSpans":[{{"scope":{{"name":"{scope}","version":"1.4.2"}},"spans":["#,
                name = svc.name,
                scope = svc.scope
            );
            let mut first = true;
            for span in spans.iter().filter(|s| s.service == service) {
                if !first {
                    line.push(',');
                }
                first = false;
                line.push_str(&span.json);
            }
            line.push_str("]}]}");
        }
        line.push_str("]}");
        line
    }
}

/// Writes a generated trace file to `out`.
pub fn write(options: &Options, mut out: impl Write) -> io::Result<Generated> {
    let mut generator = Generator {
        rng: Rng(options.seed ^ 0x5EED_0FC1_7AC1_u64),
        clock: options.start_unix_nano,
        pending: std::collections::VecDeque::new(),
        traces: 0,
    };
    let max_lines = match (options.lines, options.bytes) {
        (None, None) => Some(100),
        (lines, _) => lines,
    };
    let mut done = Generated::default();
    loop {
        if max_lines.is_some_and(|max| done.lines >= max)
            || options.bytes.is_some_and(|max| done.bytes >= max)
        {
            break;
        }
        let count = if generator.rng.chance(1) {
            generator.rng.range(1500, 4500)
        } else {
            generator.rng.range(2, 8)
        };
        let line = generator.line(usize::try_from(count).expect("small count"));
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        done.lines += 1;
        done.spans += count;
        done.bytes += line.len() as u64 + 1;
    }
    done.traces = generator.traces;
    out.flush()?;
    Ok(done)
}
