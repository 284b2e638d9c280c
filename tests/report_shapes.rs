//! The report page on lines `summary` accepts but whose free-form parts (attributes,
//! events, links, kind, scope, status message, resource attribute values) have odd
//! shapes, and on parent loops: every trace and every span is opened in real headless
//! Chromium (`tests/browser/every-span.mjs`) and any page or console error fails.

mod support;

use ci_tracing::trace::counts::Counts;
use serde_json::{Value, json};
use support::browser::{run_browser_script, write_report};
use support::ci_tracing;

/// Lines whose attributes, events, links, kind, scope and resource have odd shapes
/// (strings or numbers for values, `null` entries, objects for lists, keys named
/// `toString`), with parent loops, missing names and two days.
const HOSTILE: &str = include_str!("fixtures/report-hostile.jsonl");

/// Checks that `summary` accepts every line of `lines`, writes its report and opens every
/// span of it; `expect` adds to the counts what else to check (see every-span.mjs).
fn check_every_span(lines: &str, mut expect: Value) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("trace-data");
    std::fs::write(&input, lines).unwrap();
    let out = ci_tracing(dir.path())
        .args(["summary", "trace-data", "--format", "json"])
        .assert()
        .success();
    let summary: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        (&summary["lines"], &summary["invalid_lines"]),
        (&lines.lines().count().into(), &0.into()),
        "summary accepts every line: {}",
        summary["invalid"]
    );
    let counts = Counts::scan(lines.as_bytes()).unwrap();
    expect["traces"] = (counts.traces.len() + usize::from(counts.spans_without_ids > 0)).into();
    expect["spans"] = counts.spans.into();
    let html = write_report(dir.path(), &input);
    let expect_file = html.with_extension("expect.json");
    std::fs::write(&expect_file, expect.to_string()).unwrap();
    run_browser_script(
        "every-span.mjs",
        &[html.as_os_str(), expect_file.as_os_str()],
    );
}

#[test]
fn odd_shapes_summary_accepts_never_break_the_page_and_parent_loops_stay_visible() {
    let id = |tag: &str| format!("{tag:0>16}");
    check_every_span(
        HOSTILE,
        json!({
            "dated": true,
            "layout_cases": true,
            // A→B→A is cut at A, D→F→E→D at D, and 99 is its own parent.
            "marks": {"cycle": [id("a1"), id("d1"), id("99")], "orphan": [id("e"), ""]},
        }),
    );
}

#[test]
fn random_shapes_in_every_free_form_field_never_break_the_page() {
    let mut shapes = Shapes(0x5eed_cafe_f00d_0001);
    let lines: String = (0..40).map(|_| shapes.line() + "\n").collect();
    check_every_span(&lines, json!({"dated": false}));
}

/// Makes one random part of a line.
type Maker = fn(&mut Shapes) -> Value;

/// Random lines from a fixed seed (xorshift), so that a failure replays. Span ids are
/// drawn from a few values, so traces get duplicate ids, loops and orphans.
struct Shapes(u64);

/// Keys that mean something to OTLP/JSON or to JavaScript objects.
const KEYS: [&str; 16] = [
    "stringValue",
    "intValue",
    "boolValue",
    "arrayValue",
    "kvlistValue",
    "values",
    "key",
    "value",
    "name",
    "timeUnixNano",
    "toString",
    "valueOf",
    "toJSON",
    "__proto__",
    "constructor",
    "hasOwnProperty",
];

impl Shapes {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        let n = self.below(items.len() as u64);
        items[usize::try_from(n).unwrap()].clone()
    }

    /// Any JSON value.
    fn value(&mut self, depth: u32) -> Value {
        match if depth > 3 { 0 } else { self.below(3) } {
            0 => self.pick(&[
                json!(null),
                json!(true),
                json!(-1),
                json!(1.5),
                json!(1e308),
                json!(""),
                json!("a.b.c"),
                json!("<b>x</b>"),
                json!(u64::MAX),
            ]),
            1 => (0..self.below(4)).map(|_| self.value(depth + 1)).collect(),
            _ => Value::Object(
                (0..self.below(4))
                    .map(|_| (self.pick(&KEYS).to_owned(), self.value(depth + 1)))
                    .collect(),
            ),
        }
    }

    /// Mostly a list of `item`s, sometimes any value.
    fn list(&mut self, item: Maker) -> Value {
        if self.below(4) == 0 {
            self.value(0)
        } else {
            (0..self.below(4)).map(|_| item(self)).collect()
        }
    }

    fn attribute(&mut self) -> Value {
        if self.below(5) == 0 {
            return self.value(0);
        }
        let key = match self.below(3) {
            0 => self.value(1),
            _ => json!(self.pick(&["telemetry.sdk.language", "a.b"])),
        };
        let value = match self.below(3) {
            0 => self.value(0),
            _ => json!({ self.pick(&KEYS[..5]): self.value(1) }),
        };
        json!({"key": key, "value": value})
    }

    fn event(&mut self) -> Value {
        json!({"name": self.value(1), "timeUnixNano": self.value(1), "attributes": self.list(Self::attribute)})
    }

    fn link(&mut self) -> Value {
        json!({"traceId": self.value(1), "spanId": self.value(1), "attributes": self.list(Self::attribute)})
    }

    fn span(&mut self, trace: u64) -> Value {
        let start = 1_795_000_000_000_000_000 + self.below(3_600_000_000_000);
        let parent = match self.below(4) {
            0 => String::new(),
            _ => format!("{:016x}", 1 + self.below(6)),
        };
        let mut span = json!({
            "traceId": format!("{trace:032x}"),
            "spanId": format!("{:016x}", 1 + self.below(6)),
            "parentSpanId": parent,
            "startTimeUnixNano": start.to_string(),
            "endTimeUnixNano": (start + self.below(2_000_000_000)).to_string(),
            "status": {"code": self.pick(&[0, 1, 2, 7]), "message": self.value(1)},
        });
        let fields: [(&str, Maker); 5] = [
            ("name", |s| {
                json!(s.pick(&["", "a.b", &"long name ".repeat(30)]))
            }),
            ("attributes", |s| s.list(Self::attribute)),
            ("events", |s| s.list(Self::event)),
            ("links", |s| s.list(Self::link)),
            ("kind", |s| s.value(1)),
        ];
        for (field, make) in fields {
            if self.below(5) > 0 {
                span[field] = make(self);
            }
        }
        span
    }

    fn line(&mut self) -> String {
        let trace = 1 + self.below(4);
        let spans: Vec<Value> = (0..=self.below(5)).map(|_| self.span(trace)).collect();
        let odd = json!({ self.pick(&KEYS[1..5]): self.value(1) });
        let resource = json!({"attributes": [
            {"key": "service.name", "value": {"stringValue": self.pick(&["a", "b", ""])}},
            {"key": "odd.value", "value": odd},
        ]});
        json!({"resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": self.value(1), "spans": spans}]}]})
            .to_string()
    }
}
