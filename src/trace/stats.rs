//! What `summary` knows about a trace file beyond plain counts: per trace (start, end,
//! span count, errors, root span) and per span name (count, total, percentiles).
//!
//! A [`Collector`] is filled from some lines, possibly on several threads, and merged
//! into one; [`Collector::finish`] turns it into the [`Summary`] that the text,
//! markdown and JSON forms print. Memory is bounded whatever the file: at most
//! [`MAX_TRACES`] traces and [`MAX_SPAN_NAMES`] span names are tracked one by one (what
//! lies beyond is counted, and the summary says it was cut), durations go into
//! bounded sketches, and nothing is kept per span beyond the durations of one block
//! waiting to be sketched (at most `PENDING`).

use rustc_hash::FxHashMap as HashMap;

use super::sketch::{Halves, Quantiles, half_of};
use crate::trace::counts::Counts;
use crate::trace::fast;
use crate::trace::model::{self, LineError, Span, TracesData};

/// Traces tracked one by one: 64 bytes each in a table of 2^18 slots, about 17 MiB
/// (25 MiB while it grows into that).
pub(crate) const MAX_TRACES: usize = 200_000;
/// Distinct (service, span name) pairs tracked one by one; the rest are lumped together.
pub(crate) const MAX_SPAN_NAMES: usize = 2_000;
/// How many of the slowest traces a summary lists.
pub(crate) const SLOWEST: usize = 10;
/// The name shown for span names past [`MAX_SPAN_NAMES`].
pub(crate) const OTHER_NAMES: &str = "(other span names)";
const OTHER: u32 = u32::MAX;

/// Strings seen, numbered in order.
#[derive(Debug, Clone, Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    /// The id of `name`; [`OTHER`] once `limit` names are known.
    fn intern(&mut self, name: &str, limit: usize) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        if self.names.len() >= limit {
            return OTHER;
        }
        let id = u32::try_from(self.names.len()).expect("limited");
        self.ids.insert(name.to_owned(), id);
        self.names.push(name.to_owned());
        id
    }

    fn name(&self, id: u32) -> &str {
        self.names
            .get(id as usize)
            .map_or(OTHER_NAMES, String::as_str)
    }
}

/// A span's name and service, as ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Label {
    service: u32,
    name: u32,
}

/// One trace, as far as the summary needs it.
#[derive(Debug, Clone, Copy)]
struct TraceState {
    start: u64,
    end: u64,
    spans: u64,
    error: bool,
    /// The span without a parent, if it arrived.
    root: Option<Label>,
    /// The span that starts first, named when there is no root.
    earliest: Label,
}

impl TraceState {
    fn merge(&mut self, other: &TraceState) {
        if other.start < self.start {
            self.start = other.start;
            self.earliest = other.earliest;
        }
        self.end = self.end.max(other.end);
        self.spans += other.spans;
        self.error |= other.error;
        self.root = self.root.or(other.root);
    }

    fn duration(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
}

/// Durations of one (service, span name).
#[derive(Debug, Clone, Default)]
struct NameState {
    errors: u64,
    total: u128,
    sketch: Halves,
}

impl NameState {
    fn merge(&mut self, other: &NameState) {
        self.errors += other.errors;
        self.total += other.total;
        self.sketch.merge(&other.sketch);
    }
}

/// Durations waiting in [`Detail::pending`] before they go into their sketches.
const PENDING: usize = 1 << 16;

/// Everything gathered beyond [`Counts`].
#[derive(Debug, Clone, Default)]
struct Detail {
    services: Interner,
    names: Interner,
    traces: HashMap<u128, TraceState>,
    traces_capped: bool,
    /// Where each (service, span name) is in `name_states`.
    labels: HashMap<Label, u32>,
    name_states: Vec<(Label, NameState)>,
    /// Durations not yet in their sketch, by index in `name_states` (shifted left, the
    /// low bit the trace's half). A collector of one block keeps its durations here and
    /// the one it is merged into sketches them: the sketches of thousands of span names
    /// whose durations each spread over decades would otherwise take megabytes in every
    /// block's collector.
    pending: Vec<(u32, u64)>,
    last_service: Option<u32>,
}

impl Detail {
    fn add_span(&mut self, service: &str, span: &Span<'_>) {
        // Spans come in runs of one service: skip hashing its name again.
        let service = match self.last_service {
            Some(id) if self.services.name(id) == service => id,
            _ => {
                let id = self.services.intern(service, usize::MAX);
                self.last_service = Some(id);
                id
            }
        };
        let label = Label {
            service,
            name: self.names.intern(&span.name, MAX_SPAN_NAMES),
        };
        let duration = span.duration_nanos();
        let error = span.is_error();
        let key = model::trace_key(&span.trace_id);
        let index = self.name_index(label);
        let (label, state) = &mut self.name_states[index as usize];
        let label = *label;
        state.errors += u64::from(error);
        state.total += u128::from(duration);
        // A span without a trace id stands for itself: its half by its duration's last bit.
        let half = key.map_or(u32::from(duration & 1 == 1), half_of);
        self.pending.push((index << 1 | half, duration));
        if self.pending.len() >= PENDING {
            self.sketch_pending();
        }
        let Some(key) = key else {
            return;
        };
        let state = TraceState {
            start: span.start_time_unix_nano,
            end: span.end_time_unix_nano,
            spans: 1,
            error,
            root: span.parent_span_id.is_empty().then_some(label),
            earliest: label,
        };
        self.add_trace(key, &state);
    }

    /// Where the durations of `label` go: its own entry, or its service's other names
    /// once [`MAX_SPAN_NAMES`] are known.
    fn name_index(&mut self, label: Label) -> u32 {
        if let Some(&index) = self.labels.get(&label) {
            return index;
        }
        let label = if self.labels.len() >= MAX_SPAN_NAMES {
            Label {
                service: label.service,
                name: OTHER,
            }
        } else {
            label
        };
        if let Some(&index) = self.labels.get(&label) {
            return index;
        }
        let index = u32::try_from(self.name_states.len()).expect("limited");
        self.labels.insert(label, index);
        self.name_states.push((label, NameState::default()));
        index
    }

    /// Puts the pending durations into their sketches.
    fn sketch_pending(&mut self) {
        for (slot, duration) in self.pending.drain(..) {
            let (index, half) = (slot >> 1, slot & 1);
            self.name_states[index as usize]
                .1
                .sketch
                .add(half, duration);
        }
    }

    fn add_trace(&mut self, key: u128, state: &TraceState) {
        if let Some(known) = self.traces.get_mut(&key) {
            known.merge(state);
        } else if self.traces.len() < MAX_TRACES {
            self.traces.insert(key, *state);
        } else {
            self.traces_capped = true;
        }
    }

    fn merge(&mut self, other: &Detail) {
        // Each of `other`'s strings and names is looked up once; its labels are then
        // renumbered by index, however many traces and durations carry them.
        let services: Vec<u32> = (other.services.names.iter())
            .map(|service| self.services.intern(service, usize::MAX))
            .collect();
        let names: Vec<u32> = (other.names.names.iter())
            .map(|name| self.names.intern(name, MAX_SPAN_NAMES))
            .collect();
        let relabel = |label: Label| Label {
            service: services[label.service as usize],
            name: if label.name == OTHER {
                OTHER
            } else {
                names[label.name as usize]
            },
        };
        let indexes: Vec<u32> = (other.name_states.iter())
            .map(|(label, state)| {
                let index = self.name_index(relabel(*label));
                self.name_states[index as usize].1.merge(state);
                index
            })
            .collect();
        for &(slot, duration) in &other.pending {
            let index = indexes[(slot >> 1) as usize];
            self.name_states[index as usize]
                .1
                .sketch
                .add(slot & 1, duration);
        }
        for (key, state) in &other.traces {
            let mut state = *state;
            state.earliest = relabel(state.earliest);
            state.root = state.root.map(relabel);
            self.add_trace(*key, &state);
        }
        self.traces_capped |= other.traces_capped;
    }
}

/// What some lines of a trace file hold; merge several into one.
#[derive(Debug, Clone, Default)]
pub(crate) struct Collector {
    /// Plain counts (their `traces` set stays empty: traces are tracked here).
    pub counts: Counts,
    detail: Detail,
}

impl Collector {
    /// Counts one line (valid or not).
    pub(crate) fn add_line(&mut self, line_no: u64, line: &[u8]) {
        self.add_parsed(line_no, line, fast::parse_line(line));
    }

    /// Counts one line that the caller parsed with [`fast`] (or `model::parse_line`).
    pub(crate) fn add_parsed(
        &mut self,
        line_no: u64,
        line: &[u8],
        parsed: Result<TracesData<'_>, LineError>,
    ) {
        let detail = &mut self.detail;
        self.counts
            .add_parsed_each(line_no, line, parsed, |service, span| {
                detail.add_span(service, span);
            });
    }

    /// Adds what another collector saw (other lines of the same file).
    pub(crate) fn merge(&mut self, other: Collector) {
        self.counts.merge(other.counts);
        self.detail.merge(&other.detail);
    }

    /// The traces tracked (id, spans, duration in ns, whether a span failed), at most
    /// [`MAX_TRACES`], for choosing what a report keeps.
    pub(crate) fn trace_facts(&self) -> impl Iterator<Item = (u128, u64, u64, bool)> + '_ {
        (self.detail.traces.iter()).map(|(key, t)| (*key, t.spans, t.duration(), t.error))
    }

    /// The summary of everything collected.
    pub(crate) fn finish(mut self, input: String) -> Summary {
        self.detail.sketch_pending();
        let detail = &self.detail;
        let mut slowest: Vec<(&u128, &TraceState)> = detail.traces.iter().collect();
        slowest.sort_unstable_by(|a, b| b.1.duration().cmp(&a.1.duration()).then(a.0.cmp(b.0)));
        slowest.truncate(SLOWEST);
        let slowest = slowest
            .into_iter()
            .map(|(key, trace)| {
                let label = trace.root.unwrap_or(trace.earliest);
                TraceSummary {
                    trace_id: format!("{key:032x}"),
                    name: detail.names.name(label.name).to_owned(),
                    service: detail.services.name(label.service).to_owned(),
                    has_root: trace.root.is_some(),
                    start: trace.start,
                    duration: trace.duration(),
                    spans: trace.spans,
                    error: trace.error,
                }
            })
            .collect();
        let mut span_names: Vec<NameSummary> = detail
            .name_states
            .iter()
            .map(|(label, state)| {
                let whole = state.sketch.whole();
                NameSummary {
                    service: detail.services.name(label.service).to_owned(),
                    name: detail.names.name(label.name).to_owned(),
                    count: whole.count(),
                    errors: state.errors,
                    total: u64::try_from(state.total).unwrap_or(u64::MAX),
                    p50: whole.quantile(0.5),
                    p95: whole.quantile(0.95),
                    max: whole.max(),
                    halves: state.sketch.0.each_ref().map(Quantiles::from),
                }
            })
            .collect();
        span_names
            .sort_by(|a, b| (b.total, &a.service, &a.name).cmp(&(a.total, &b.service, &b.name)));
        Summary {
            input,
            traces: detail.traces.len() as u64,
            traces_capped: detail.traces_capped,
            span_names_capped: span_names.iter().any(|n| n.name == OTHER_NAMES),
            counts: self.counts,
            slowest,
            span_names,
            slowest_trace_spans: None,
        }
    }
}

/// One of the slowest traces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceSummary {
    /// 32 hex digits.
    pub trace_id: String,
    /// The root span's name, or the earliest span's when the root is missing.
    pub name: String,
    /// The service of that span.
    pub service: String,
    /// Whether the root span (no parent) is in the file.
    pub has_root: bool,
    /// Earliest start, ns since the epoch.
    pub start: u64,
    /// From the earliest start to the latest end, ns.
    pub duration: u64,
    /// Spans of the trace.
    pub spans: u64,
    /// Whether any span has status ERROR.
    pub error: bool,
}

/// Durations of one span name of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameSummary {
    /// `service.name`.
    pub service: String,
    /// The span name ([`OTHER_NAMES`] for names past the limit).
    pub name: String,
    /// Spans.
    pub count: u64,
    /// Spans with status ERROR.
    pub errors: u64,
    /// Sum of durations, ns.
    pub total: u64,
    /// Median duration, ns (within 1.6 %).
    pub p50: u64,
    /// 95th percentile, ns (within 1.6 %).
    pub p95: u64,
    /// Longest, ns.
    pub max: u64,
    /// The same in each half of the traces (see [`Halves`]).
    pub halves: [Quantiles; 2],
}

/// One span of the slowest trace, for the Mermaid chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanTiming {
    /// Span name.
    pub name: String,
    /// `service.name`.
    pub service: String,
    /// Start, ns since the epoch.
    pub start: u64,
    /// End, ns since the epoch.
    pub end: u64,
    /// Status ERROR.
    pub error: bool,
}

/// Everything `summary` prints.
#[derive(Debug)]
pub struct Summary {
    /// The input, as shown to the user.
    pub input: String,
    /// Plain counts; `counts.traces` is empty, see [`Summary::traces`].
    pub counts: Counts,
    /// Distinct trace ids.
    pub traces: u64,
    /// More than [`MAX_TRACES`] traces: `traces` is a lower bound.
    pub traces_capped: bool,
    /// The slowest traces, slowest first.
    pub slowest: Vec<TraceSummary>,
    /// Per (service, span name), by total duration, largest first.
    pub(crate) span_names: Vec<NameSummary>,
    /// Some names were lumped into [`OTHER_NAMES`].
    pub span_names_capped: bool,
    /// Spans of the slowest trace, when a second pass over the file read them.
    pub slowest_trace_spans: Option<Vec<SpanTiming>>,
}

#[cfg(test)]
mod tests;
