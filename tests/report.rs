//! `ci-tracing report`: the file it writes (self-contained, escaped, never over an
//! existing file without `--force`), the page in real headless Chromium, driven by
//! `tests/browser/report.mjs` through playwright-core, `--open`, and the job summary's
//! Mermaid chart. Pages of odd shapes: `tests/report_shapes.rs`.

mod support;

use std::path::{Path, PathBuf};

use ci_tracing::trace::counts::Counts;
use support::browser::{run_browser_script, write_report};
use support::generate::{self, Options};
use support::{ci_tracing, text};

const XSS_TRACE: &str = "0badc0de0badc0de0badc0de0badc0de";

/// A trace whose names and attributes try to break out of the page, with an orphan.
fn xss_line() -> String {
    let span = |id: &str, parent: &str, name: &str, attrs: &str| {
        format!(
            r#"{{"traceId":"{XSS_TRACE}","spanId":"{id}","parentSpanId":"{parent}","name":{name},"startTimeUnixNano":"1795000000000000000","endTimeUnixNano":"1795000000500000000","attributes":[{attrs}],"status":{{"code":2,"message":"<script>alert(3)</script>"}}}}"#,
            name = serde_json::to_string(name).unwrap()
        )
    };
    let spans = [
        span(
            "00000000000000a1",
            "",
            "<img src=x onerror=alert(1)>",
            r#"{"key":"note","value":{"stringValue":"<b>not bold</b>"}}"#,
        ),
        span(
            "00000000000000a2",
            "00000000000000a1",
            "</script><script>alert(2)</script>",
            r#"{"key":"sep","value":{"stringValue":"a\u2028b"}}"#,
        ),
        span("00000000000000a3", "ffffffffffffffff", "orphan child", ""),
    ];
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"xss</script>"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    )
}

/// A generated trace file (plus extra lines) and what is in it.
fn trace_file(dir: &Path, lines: u64, extra: &str) -> (PathBuf, Counts) {
    let mut bytes = Vec::new();
    generate::write(
        &Options {
            lines: Some(lines),
            ..Options::default()
        },
        &mut bytes,
    )
    .unwrap();
    bytes.extend_from_slice(extra.as_bytes());
    let path = dir.join("trace-data");
    std::fs::write(&path, &bytes).unwrap();
    (path, Counts::scan(bytes.as_slice()).unwrap())
}

/// Checks a report page in Chromium against what the file holds.
fn check_in_chromium(html: &Path, expect: &serde_json::Value, screenshot: Option<&Path>) {
    let expect_file = html.with_extension("expect.json");
    std::fs::write(&expect_file, expect.to_string()).unwrap();
    let mut args = vec![html.as_os_str(), expect_file.as_os_str()];
    args.extend(screenshot.map(Path::as_os_str));
    run_browser_script("report.mjs", &args);
}

#[test]
fn the_page_lists_sorts_filters_draws_and_shows_untrusted_names_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let (input, counts) = trace_file(dir.path(), 300, &format!("{}\nnot json\n", xss_line()));
    let html = write_report(dir.path(), &input);
    let page = std::fs::read_to_string(&html).unwrap();
    assert_eq!(
        page.matches("</script>").count(),
        3,
        "only the page's own script ends"
    );
    assert!(!page.contains("alert(1)>"), "names are escaped in the data");
    for external in ["http://", "https://", "src=\"", "href=\""] {
        assert!(!page.contains(external), "no external resource: {external}");
    }
    let screenshot = std::env::var_os("REPORT_SCREENSHOT").map(PathBuf::from);
    let expect = serde_json::json!({
        "traces": counts.traces.len() + usize::from(counts.spans_without_ids > 0),
        "spans": counts.spans,
        "xss": true,
    });
    check_in_chromium(&html, &expect, screenshot.as_deref());
}

#[test]
fn two_hundred_thousand_spans_load_and_the_list_responds() {
    let dir = tempfile::tempdir().unwrap();
    let (input, counts) = trace_file(dir.path(), 24_500, "");
    assert!(counts.spans >= 200_000, "{} spans", counts.spans);
    let html = write_report(dir.path(), &input);
    let expect = serde_json::json!({
        "traces": counts.traces.len(),
        "spans": counts.spans,
        "xss": false,
    });
    check_in_chromium(&html, &expect, None);
}

#[test]
fn an_existing_report_is_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = trace_file(dir.path(), 5, "");
    let out = dir.path().join("mine.html");
    std::fs::write(&out, "my own file").unwrap();
    let refused = ci_tracing(dir.path())
        .args(["report", "trace-data", "-o", "mine.html"])
        .assert()
        .code(2);
    let stderr = text(&refused.get_output().stderr);
    assert!(
        stderr.contains("mine.html already exists") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "my own file");
    ci_tracing(dir.path())
        .args([
            "report",
            input.to_str().unwrap(),
            "-o",
            "mine.html",
            "--force",
        ])
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("<!DOCTYPE html>")
    );
    ci_tracing(dir.path())
        .args(["report", "-", "-o", "stdin.html"])
        .pipe_stdin(&input)
        .unwrap()
        .assert()
        .success();
    let page = std::fs::read_to_string(dir.path().join("stdin.html")).unwrap();
    assert!(page.contains(r#""input":"standard input""#));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(".ci-tracing-report-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A `BROWSER` script that writes its arguments to `opened.txt` next to it.
fn recording_browser(dir: &Path) -> (PathBuf, PathBuf) {
    let script = dir.join("browser.sh");
    let record = dir.join("opened.txt");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n",
            record.display()
        ),
    )
    .unwrap();
    let mut permissions = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&script, permissions).unwrap();
    (script, record)
}

/// What the recording browser was given, once it has written it (a bounded wait: the
/// binary leaves a browser that is slow to start running).
fn recorded(record: &Path) -> String {
    for _ in 0..600 {
        if let Ok(text) = std::fs::read_to_string(record)
            && text.ends_with('\n')
        {
            return text;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the browser never wrote {}", record.display());
}

#[test]
fn open_hands_the_page_to_the_browser_and_failing_to_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = trace_file(dir.path(), 5, "");
    let (script, record) = recording_browser(dir.path());
    // Without --open nothing is opened.
    let quiet = ci_tracing(dir.path())
        .args(["report", input.to_str().unwrap(), "-o", "a.html"])
        .env("BROWSER", &script)
        .assert()
        .success();
    assert!(!text(&quiet.get_output().stderr).contains("warning"));
    assert!(!record.exists(), "a browser was started without --open");
    // The first entry of the list cannot start: the next one gets the file for its %s.
    let browser = format!(
        "{}/missing-browser:{} --new-tab %s",
        dir.path().display(),
        script.display()
    );
    let opened = ci_tracing(dir.path())
        .args([
            "report",
            input.to_str().unwrap(),
            "-o",
            "a b.html",
            "--open",
        ])
        .env("BROWSER", &browser)
        .assert()
        .success();
    let stderr = text(&opened.get_output().stderr);
    assert!(!stderr.contains("warning"), "{stderr}");
    let page = std::fs::canonicalize(dir.path().join("a b.html")).unwrap();
    assert_eq!(
        recorded(&record),
        format!("--new-tab\n{}\n", page.display())
    );
    // No browser can start: the report is still written, with one warning and exit 0.
    let failed = ci_tracing(dir.path())
        .args(["report", input.to_str().unwrap(), "-o", "c.html", "--open"])
        .env(
            "BROWSER",
            format!("{}/missing-browser:false", dir.path().display()),
        )
        .assert()
        .success();
    let stderr = text(&failed.get_output().stderr);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning:"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("could not open c.html") && warnings[0].contains("`false` failed"),
        "{stderr}"
    );
    assert!(dir.path().join("c.html").exists());
}

#[test]
fn the_job_summary_chart_renders_in_mermaid_whatever_the_names_one_section_per_service() {
    let dir = tempfile::tempdir().unwrap();
    let trace = "5107e570000000000000000000000001";
    let evil = [
        "GET /a: b; c #1",
        "%% not a comment",
        "section evil",
        "click me",
        "```",
        "<img src=x onerror=alert(1)>",
        "title: x",
    ];
    let base = 1_795_000_000_000_000_000_u64;
    let span = |id: String, parent: &str, name: &str, start: u64, end: u64, error: u8| {
        format!(
            r#"{{"traceId":"{trace}","spanId":"{id}","parentSpanId":"{parent}","name":{},"startTimeUnixNano":"{start}","endTimeUnixNano":"{end}","status":{{"code":{error}}}}}"#,
            serde_json::to_string(name).unwrap()
        )
    };
    let spans: Vec<String> = evil
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (parent, error) = if i == 0 {
                ("", 2)
            } else {
                ("00000000000000e0", 0)
            };
            let start = base + i as u64 * 1_000_000_000;
            let end = start + 900_000_000_000 / (i as u64 + 1);
            span(
                format!("00000000000000e{i}"),
                parent,
                name,
                start,
                end,
                error,
            )
        })
        .collect();
    // A second service whose spans start between the first one's, one of no length.
    let others: Vec<String> = (0..3_u64)
        .map(|i| {
            let start = base + i * 2_000_000_000 + 500_000_000;
            let end = if i == 1 {
                start
            } else {
                start + 60_000_000_000
            };
            span(
                format!("00000000000000f{i}"),
                "00000000000000e0",
                &format!("other {i}"),
                start,
                end,
                0,
            )
        })
        .collect();
    let batch = |service: &str, spans: &[String]| {
        format!(
            r#"{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}"#,
            spans.join(",")
        )
    };
    let line = format!(
        r#"{{"resourceSpans":[{},{}]}}"#,
        batch("svc: x; #y", &spans),
        batch("other", &others)
    );
    let (input, _) = trace_file(dir.path(), 100, &format!("{line}\n"));
    let out = ci_tracing(dir.path())
        .args(["summary", input.to_str().unwrap(), "--format", "markdown"])
        .assert()
        .success();
    let markdown = text(&out.get_output().stdout);
    assert!(
        markdown.contains("#### Slowest trace: GET /a: b; c \\#1"),
        "{markdown}"
    );
    let file = dir.path().join("summary.md");
    std::fs::write(&file, markdown).unwrap();
    run_browser_script("mermaid.mjs", &[file.as_os_str()]);
}
