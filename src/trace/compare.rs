//! What changed between two trace files: the [`Summary`] of a base run against the one
//! of a head run, per (service, span name), with the changes worth a reader's attention
//! flagged and the rest kept as context.
//!
//! Each side is summarized by the streaming statistics of `stats` (bounded sketches,
//! never whole files in memory); this file only compares two finished summaries. The
//! rules are in docs/compare.md: a timing change is flagged only when both sides have
//! [`Rules::min_samples`] spans and p50 and p95 both moved past [`Rules::threshold`] in
//! the same direction, so that one slow outlier or a small sample never raises an alarm;
//! errors are flagged when the head has some and the base had none, or a one-sided
//! two-proportion z-test says the error rate rose. Nothing here prints.

use std::collections::BTreeMap;

use super::sketch::Quantiles;
use super::stats::{NameSummary, Summary};

/// When a change is flagged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rules {
    /// Spans each side needs before its timing is compared.
    pub min_samples: u64,
    /// Relative change (0.20: 20 %) that p50 and p95 must both exceed.
    pub threshold: f64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            min_samples: 5,
            threshold: 0.20,
        }
    }
}

/// The z score past which a rise of the error rate counts as real (one-sided p < 0.001).
pub(crate) const ERROR_Z: f64 = 3.09;

/// Why a row is flagged. Several can hold at once (slower and with new errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Flag {
    /// Errors the base did not have, or a significantly higher error rate.
    NewErrors,
    /// p50 and p95 both slower by more than the threshold.
    Slower,
    /// A span name only the head has.
    New,
    /// A span name only the base has.
    Vanished,
    /// p50 and p95 both faster by more than the threshold.
    Faster,
}

impl Flag {
    /// A regression fails `--fail-on-regression`.
    pub(crate) fn is_regression(self) -> bool {
        matches!(self, Flag::NewErrors | Flag::Slower)
    }

    /// The name used in JSON and text (`new_errors`, `slower`, …).
    pub(crate) fn key(self) -> &'static str {
        match self {
            Flag::NewErrors => "new_errors",
            Flag::Slower => "slower",
            Flag::New => "new",
            Flag::Vanished => "vanished",
            Flag::Faster => "faster",
        }
    }
}

/// One side's statistics of one span name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Side {
    /// Spans.
    pub count: u64,
    /// Spans with status ERROR.
    pub errors: u64,
    /// Sum of durations, ns.
    pub total: u64,
    /// Median, ns.
    pub p50: u64,
    /// 95th percentile, ns.
    pub p95: u64,
    /// Count and percentiles in each half of the traces.
    pub halves: [Quantiles; 2],
}

impl From<&NameSummary> for Side {
    fn from(n: &NameSummary) -> Self {
        Self {
            count: n.count,
            errors: n.errors,
            total: n.total,
            p50: n.p50,
            p95: n.p95,
            halves: n.halves,
        }
    }
}

/// One (service, span name) on both sides.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// `service.name`.
    pub service: String,
    /// The span name.
    pub name: String,
    /// The base's statistics; `None` when only the head has the name.
    pub base: Option<Side>,
    /// The head's statistics; `None` when the name vanished.
    pub head: Option<Side>,
    /// Relative change of p50, `(head - base) / base` (1.0: twice as slow); `None`
    /// when a side is missing or the base's p50 is 0.
    pub p50_change: Option<f64>,
    /// Relative change of p95, likewise.
    pub p95_change: Option<f64>,
    /// Why the row is flagged, most serious first; empty when it is not.
    pub flags: Vec<Flag>,
    /// How much running time the change accounts for, ns: the shift of the median
    /// times the spans, or the whole time of a new or vanished name. Rows sort by it.
    pub impact: u64,
}

impl Row {
    /// Whether any flag is set.
    pub(crate) fn is_flagged(&self) -> bool {
        !self.flags.is_empty()
    }
}

/// One side's totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Totals {
    /// The input, as shown to the user.
    pub input: String,
    /// Non-blank lines, and those not valid trace data.
    pub lines: u64,
    /// Lines that are not valid trace data.
    pub invalid_lines: u64,
    /// Spans.
    pub spans: u64,
    /// Spans with status ERROR.
    pub error_spans: u64,
    /// Distinct trace ids (a lower bound when `traces_capped`).
    pub traces: u64,
    /// More traces than were tracked.
    pub traces_capped: bool,
    /// Distinct `service.name`s.
    pub services: u64,
    /// Latest span end minus earliest span start, ns; `None` without timed spans.
    pub wall: Option<u64>,
    /// Some span names were lumped together.
    pub span_names_capped: bool,
}

impl From<&Summary> for Totals {
    fn from(s: &Summary) -> Self {
        let c = &s.counts;
        Self {
            input: s.input.clone(),
            lines: c.lines,
            invalid_lines: c.invalid_lines,
            spans: c.spans,
            error_spans: c.error_spans,
            traces: s.traces,
            traces_capped: s.traces_capped,
            services: c.services.len() as u64,
            wall: c
                .first_start
                .zip(c.last_end)
                .map(|(start, end)| end.saturating_sub(start)),
            span_names_capped: s.span_names_capped,
        }
    }
}

/// Two runs compared.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparison {
    /// The rules the flags follow.
    pub rules: Rules,
    /// The base run's totals.
    pub base: Totals,
    /// The head run's totals.
    pub head: Totals,
    /// Every (service, span name) of either side: flagged rows first (regressions, then
    /// new, vanished, faster), each group by impact, largest first; then the others by
    /// impact.
    pub rows: Vec<Row>,
}

impl Comparison {
    /// A flagged slowdown or new errors: what `--fail-on-regression` fails on.
    pub(crate) fn regressed(&self) -> bool {
        self.rows
            .iter()
            .any(|row| row.flags.iter().any(|f| f.is_regression()))
    }

    /// The rows carrying `flag`.
    pub(crate) fn with_flag(&self, flag: Flag) -> impl Iterator<Item = &Row> {
        self.rows
            .iter()
            .filter(move |row| row.flags.contains(&flag))
    }
}

/// Compares `head` with `base`.
pub(crate) fn compare(base: &Summary, head: &Summary, rules: &Rules) -> Comparison {
    type Sides = (Option<Side>, Option<Side>);
    let mut pairs: BTreeMap<(&str, &str), Sides> = BTreeMap::new();
    for n in &base.span_names {
        pairs.entry((&n.service, &n.name)).or_default().0 = Some(n.into());
    }
    for n in &head.span_names {
        pairs.entry((&n.service, &n.name)).or_default().1 = Some(n.into());
    }
    let mut rows: Vec<Row> = pairs
        .into_iter()
        .map(|((service, name), (b, h))| row(service, name, b, h, rules))
        .collect();
    rows.sort_by(|a, b| {
        // Regressions (slower or new errors) together, then new, vanished, faster.
        let group = |row: &Row| match row.flags.first() {
            Some(Flag::NewErrors | Flag::Slower) => 0,
            Some(Flag::New) => 1,
            Some(Flag::Vanished) => 2,
            Some(Flag::Faster) => 3,
            None => 4,
        };
        (group(a), std::cmp::Reverse(a.impact), &a.service, &a.name).cmp(&(
            group(b),
            std::cmp::Reverse(b.impact),
            &b.service,
            &b.name,
        ))
    });
    Comparison {
        rules: *rules,
        base: base.into(),
        head: head.into(),
        rows,
    }
}

fn row(service: &str, name: &str, base: Option<Side>, head: Option<Side>, rules: &Rules) -> Row {
    let change = |pick: fn(&Side) -> u64| match (base, head) {
        (Some(b), Some(h)) if pick(&b) > 0 => Some(relative(pick(&b), pick(&h))),
        _ => None,
    };
    let p50_change = change(|s| s.p50);
    let p95_change = change(|s| s.p95);
    let mut flags = Vec::new();
    if new_errors(base, head) {
        flags.push(Flag::NewErrors);
    }
    let (impact, timing) = match (base, head) {
        (Some(b), Some(h)) => {
            let spans = b.count.max(h.count);
            let impact = b.p50.abs_diff(h.p50).saturating_mul(spans);
            let enough = b.count >= rules.min_samples && h.count >= rules.min_samples;
            let timing = if enough {
                timing_flag(&b, &h, rules.threshold)
            } else {
                None
            };
            (impact, timing)
        }
        (None, Some(h)) => (h.total, Some(Flag::New)),
        (Some(b), None) => (b.total, Some(Flag::Vanished)),
        (None, None) => (0, None),
    };
    flags.extend(timing);
    Row {
        service: service.to_owned(),
        name: name.to_owned(),
        base,
        head,
        p50_change,
        p95_change,
        flags,
        impact,
    }
}

/// `(head - base) / base`.
#[allow(clippy::cast_precision_loss)]
fn relative(base: u64, head: u64) -> f64 {
    (head as f64 - base as f64) / base as f64
}

/// Slower when p50 and p95 both grew by more than `threshold`; faster when both shrank
/// so that the base is more than `threshold` slower than the head (the same ratio the
/// other way round, so that a 2× change is flagged alike in either direction).
///
/// Each half of the traces must show the same change on its own: spans of one trace
/// are not independent samples, and a change that rests on a few big traces (which
/// fall in one half) is not flagged.
fn timing_flag(base: &Side, head: &Side, threshold: f64) -> Option<Flag> {
    let whole = |side: &Side| Quantiles {
        count: side.count,
        p50: side.p50,
        p95: side.p95,
    };
    let flag = direction(whole(base), whole(head), threshold)?;
    let halves_agree =
        (0..2).all(|half| direction(base.halves[half], head.halves[half], threshold) == Some(flag));
    halves_agree.then_some(flag)
}

/// Slower or faster past `threshold` on both p50 and p95; none when a side is empty.
#[allow(clippy::cast_precision_loss)]
fn direction(base: Quantiles, head: Quantiles, threshold: f64) -> Option<Flag> {
    if base.count == 0 || head.count == 0 {
        return None;
    }
    let factor = 1.0 + threshold;
    let slower = |b: u64, h: u64| h as f64 > b as f64 * factor;
    let faster = |b: u64, h: u64| b as f64 > h as f64 * factor;
    if slower(base.p50, head.p50) && slower(base.p95, head.p95) {
        Some(Flag::Slower)
    } else if faster(base.p50, head.p50) && faster(base.p95, head.p95) {
        Some(Flag::Faster)
    } else {
        None
    }
}

/// The head has errors, and the base had none for this name (or no such name), or the
/// head's error rate is higher by a one-sided two-proportion z-test past [`ERROR_Z`].
#[allow(clippy::cast_precision_loss)]
fn new_errors(base: Option<Side>, head: Option<Side>) -> bool {
    let Some(h) = head.filter(|h| h.errors > 0) else {
        return false;
    };
    let Some(b) = base.filter(|b| b.errors > 0) else {
        return true;
    };
    let (n1, n2) = (b.count as f64, h.count as f64);
    let (p1, p2) = (b.errors as f64 / n1, h.errors as f64 / n2);
    let pooled = (b.errors + h.errors) as f64 / (n1 + n2);
    let spread = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    spread > 0.0 && (p2 - p1) / spread > ERROR_Z
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::unnecessary_wraps)] // rows take an `Option<Side>`
    fn side(count: u64, errors: u64, p50: u64, p95: u64) -> Option<Side> {
        // Both halves of the traces like the whole.
        let half = Quantiles {
            count: count.div_ceil(2),
            p50,
            p95,
        };
        Some(Side {
            count,
            errors,
            total: p50 * count,
            p50,
            p95,
            halves: [half; 2],
        })
    }

    fn flags(base: Option<Side>, head: Option<Side>) -> Vec<Flag> {
        row("s", "n", base, head, &Rules::default()).flags
    }

    #[test]
    fn a_change_that_only_one_half_of_the_traces_shows_is_not_flagged() {
        let base = side(40, 0, 100, 200);
        let mut head = side(40, 0, 200, 400);
        assert_eq!(flags(base, head), [Flag::Slower]);
        // The other half of the traces did not change: a few traces moved the whole.
        head.as_mut().unwrap().halves[1] = base.unwrap().halves[1];
        assert_eq!(flags(base, head), []);
        // A half without spans of the name on one side cannot confirm a change.
        head.as_mut().unwrap().halves[1].count = 0;
        assert_eq!(flags(base, head), []);
    }

    #[test]
    fn timing_is_flagged_only_when_p50_and_p95_agree_with_enough_samples() {
        assert_eq!(
            flags(side(10, 0, 100, 200), side(10, 0, 200, 400)),
            [Flag::Slower]
        );
        assert_eq!(
            flags(side(10, 0, 200, 400), side(10, 0, 100, 200)),
            [Flag::Faster]
        );
        assert!(flags(side(10, 0, 100, 200), side(10, 0, 200, 210)).is_empty());
        assert!(flags(side(10, 0, 100, 200), side(10, 0, 119, 239)).is_empty());
        assert!(flags(side(4, 0, 100, 200), side(10, 0, 200, 400)).is_empty());
    }

    fn summary(names: &[(&str, u64, u64)]) -> Summary {
        let mut collector = crate::trace::stats::Collector::default();
        for (no, (name, count, millis)) in names.iter().enumerate() {
            let spans: Vec<String> = (0..*count)
                .map(|i| {
                    format!(
                        r#"{{"name":"{name}","startTimeUnixNano":"0","endTimeUnixNano":"{}"}}"#,
                        millis * 1_000_000 + i
                    )
                })
                .collect();
            let line = format!(
                r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
                spans.join(",")
            );
            collector.add_line(no as u64 + 1, line.as_bytes());
        }
        collector.finish(String::new())
    }

    #[test]
    fn regressions_come_first_then_new_vanished_faster_then_the_rest_by_impact() {
        let base = summary(&[
            ("slow", 10, 10),
            ("fast", 10, 100),
            ("gone", 10, 1),
            ("big", 100, 50),
            ("small", 10, 50),
        ]);
        let head = summary(&[
            ("slow", 10, 30),
            ("fast", 10, 10),
            ("new", 10, 1),
            ("big", 100, 55),
            ("small", 10, 51),
        ]);
        let c = compare(&base, &head, &Rules::default());
        let order: Vec<&str> = c.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(order, ["slow", "new", "gone", "fast", "big", "small"]);
        assert!(c.regressed());
        assert_eq!(c.head.spans, 140);
    }

    #[test]
    fn errors_are_flagged_when_new_or_significantly_more_frequent() {
        assert_eq!(
            flags(side(10, 0, 1, 1), side(10, 1, 1, 1)),
            [Flag::NewErrors]
        );
        assert!(flags(side(1000, 15, 1, 1), side(1000, 22, 1, 1)).is_empty());
        assert_eq!(
            flags(side(1000, 15, 1, 1), side(1000, 60, 1, 1)),
            [Flag::NewErrors]
        );
        assert_eq!(flags(None, side(3, 1, 1, 1)), [Flag::NewErrors, Flag::New]);
        assert!(flags(side(10, 3, 1, 1), side(10, 0, 1, 1)).is_empty());
    }
}
