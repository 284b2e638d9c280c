//! The artifact protocol against the official client: the fake results service is
//! trusted only because `@actions/artifact` uploads to it and downloads from it intact,
//! and an artifact `ci-tracing upload` makes must come back byte-identical through the
//! official client, with the digest that `artifact-digest` announced.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::job::Job;
use support::results::{FakeResults, sha256};
use support::text;

const LABEL: &str = "enable tracing";

/// Runs tests/interop/artifact.mjs (the official client) and returns its result.
fn official(job: &Job, fake: &FakeResults, args: &[&str]) -> Value {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("node_modules/@actions/artifact").is_dir(),
        "@actions/artifact is not installed: run scripts/setup-test.sh"
    );
    let mut cmd = Command::new("node");
    cmd.arg(root.join("tests/interop/artifact.mjs")).args(args);
    for (key, _) in std::env::vars() {
        if ["GITHUB_", "ACTIONS_", "RUNNER_"]
            .iter()
            .any(|p| key.starts_with(p))
        {
            cmd.env_remove(key);
        }
    }
    let out = cmd
        .env("ACTIONS_RUNTIME_TOKEN", &job.token)
        .env("ACTIONS_RESULTS_URL", fake.results_url())
        .env("GITHUB_WORKSPACE", job.path())
        .output()
        .expect("node runs (install Node.js 20+ and run scripts/setup-test.sh)");
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "official client failed: {}\n{stdout}",
        text(&out.stderr)
    );
    let line = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("RESULT "))
        .expect("a RESULT line");
    serde_json::from_str(line).unwrap()
}

/// Downloads artifact `id` with the official client, checking `digest`, into a new dir.
fn download(job: &Job, fake: &FakeResults, id: &str, digest: &str) -> PathBuf {
    let dir = job.path().join(format!("download-{id}"));
    let result = official(
        job,
        fake,
        &[
            "download",
            id,
            dir.to_str().unwrap(),
            &format!("sha256:{digest}"),
        ],
    );
    assert_eq!(result["digestMismatch"], Value::Bool(false), "{result}");
    dir
}

fn assert_same_file(got: &Path, want: &Path) {
    let (got_bytes, want_bytes) = (std::fs::read(got).unwrap(), std::fs::read(want).unwrap());
    assert!(
        got_bytes == want_bytes,
        "{} differs from {} ({} vs {} bytes)",
        got.display(),
        want.display(),
        got_bytes.len(),
        want_bytes.len()
    );
}

#[test]
fn the_official_client_uploads_to_and_downloads_from_the_fake() {
    let job = Job::pull_request(&[LABEL]);
    let fake = FakeResults::start(&job.token);
    let a = job.write(
        "traces/a.json",
        include_bytes!("fixtures/collector-pdata-sample.jsonl"),
    );
    let noise: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0])
        .collect();
    let b = job.write("traces/sub/b.bin", &noise);
    let root = job.path().join("traces");
    let up = official(
        &job,
        &fake,
        &[
            "upload",
            "official",
            root.to_str().unwrap(),
            "6",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
    );
    let id = up["id"].as_u64().unwrap();
    let digest = up["digest"].as_str().unwrap();
    assert_eq!(sha256(&fake.content(id).unwrap()), digest);
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.query().ends_with("comp=blocklist"))
    );
    let dir = download(&job, &fake, &id.to_string(), digest);
    assert_same_file(&dir.join("a.json"), &a);
    assert_same_file(&dir.join("sub/b.bin"), &b);
}

/// Uploads with ci-tracing, downloads with the official client, compares each file.
fn round_trip(
    job: &Job,
    fake: &FakeResults,
    args: &[&str],
    expected: &[(&str, PathBuf)],
) -> std::process::Output {
    let out = job.upload(fake).args(args).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let outputs = job.outputs();
    let id = &outputs["artifact-id"];
    let digest = &outputs["artifact-digest"];
    assert_eq!(digest.len(), 64);
    assert_eq!(&sha256(&fake.content(id.parse().unwrap()).unwrap()), digest);
    assert_eq!(
        outputs["artifact-url"],
        format!("https://github.com/octo-org/node/actions/runs/1658821493/artifacts/{id}")
    );
    let dir = download(job, fake, id, digest);
    for (name, source) in expected {
        assert_same_file(&dir.join(name), source);
    }
    let extracted = walk(&dir);
    assert_eq!(extracted.len(), expected.len(), "{extracted:?}");
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn one_byte_comes_back_as_found_with_a_warning_about_the_line() {
    let job = Job::pull_request(&[LABEL]);
    let fake = FakeResults::start(&job.token);
    let file = job.write("trace-data.json", b"x");
    let out = round_trip(
        &job,
        &fake,
        &["trace-data.json"],
        &[("trace-data.json", file)],
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("trace-data.json:1: not a valid OTLP/JSON line"),
        "{stderr}"
    );
}

#[test]
fn an_empty_file_is_uploaded_with_a_warning_that_no_spans_arrived() {
    let job = Job::pull_request(&[LABEL]);
    let fake = FakeResults::start(&job.token);
    let file = job.write("integration-tests/smoke/traces/trace-data.json", b"");
    let out = round_trip(&job, &fake, &[], &[("trace-data.json", file)]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("::warning::"), "{stderr}");
    assert!(
        stderr.contains("no spans reached the collector"),
        "{stderr}"
    );
    assert_eq!(job.outputs()["spans"], "0");
}

#[test]
fn forty_mebibytes_travel_in_several_blocks() {
    let job = Job::pull_request(&[LABEL]);
    let fake = FakeResults::start(&job.token);
    let path = job.path().join("trace-data.json");
    let generated = support::generate::write(
        &support::generate::Options {
            bytes: Some(40 << 20),
            seed: 11,
            ..support::generate::Options::default()
        },
        std::io::BufWriter::new(std::fs::File::create(&path).unwrap()),
    )
    .unwrap();
    round_trip(
        &job,
        &fake,
        &["trace-data.json", "--compression-level", "0"],
        &[("trace-data.json", path)],
    );
    let blocks = fake
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.query().contains("comp=block&"))
        .count();
    assert!(blocks >= 5, "{blocks} blocks");
    let outputs = job.outputs();
    assert_eq!(outputs["spans"], generated.spans.to_string());
    assert_eq!(outputs["traces"], generated.traces.to_string());
    let summary = job.summary();
    assert!(
        summary.contains(&format!("| spans | {} |", generated.spans)),
        "{summary}"
    );
    assert!(
        summary.contains("ci-tracing fetch-traces --pr 42"),
        "{summary}"
    );
    // The trace summary of `report` follows, with a gantt chart of the slowest trace.
    assert!(summary.contains("#### Slowest trace: "), "{summary}");
    assert!(summary.contains("```mermaid\ngantt\n"), "{summary}");
}

#[test]
fn a_directory_keeps_its_layout_relative_to_its_root() {
    let job = Job::pull_request(&[LABEL]);
    let fake = FakeResults::start(&job.token);
    let sample = include_bytes!("fixtures/collector-pdata-sample.jsonl");
    let expected = [
        ("a.json", job.write("traces/a.json", sample)),
        (
            "b.json",
            job.write("traces/b.json", b"{\"resourceSpans\":[]}\n"),
        ),
        ("nested/c.json", job.write("traces/nested/c.json", sample)),
    ];
    round_trip(
        &job,
        &fake,
        &["traces", "--compression-level", "9"],
        &expected,
    );
}

/// The sample uploaded as is (`skipArchive`) by the official client: the job, the
/// fake, the file, the artifact id and its digest.
fn official_upload_as_is() -> (Job, FakeResults, PathBuf, u64, String) {
    let job = Job::pull_request(&[LABEL]);
    let fake = FakeResults::start(&job.token);
    let file = job.write(
        "traces/trace-data.json",
        include_bytes!("fixtures/collector-pdata-sample.jsonl"),
    );
    let up = official(&job, &fake, &["upload-raw", file.to_str().unwrap()]);
    let id = up["id"].as_u64().unwrap();
    let digest = up["digest"].as_str().unwrap().to_owned();
    (job, fake, file, id, digest)
}

/// The fake as the official client's `skipArchive` sees it: one file, named after it,
/// with its type, served back unzipped and byte-identical.
#[test]
fn the_official_client_uploads_a_file_unzipped_and_gets_it_back() {
    let (job, fake, file, id, digest) = official_upload_as_is();
    let digest = digest.as_str();
    let artifact = fake.artifacts().into_iter().find(|a| a.id == id).unwrap();
    assert_eq!(artifact.name, "trace-data.json");
    assert_eq!(artifact.created, (7, Some("application/json".to_owned())));
    assert_eq!(fake.content_type(id).unwrap(), "application/json");
    assert_eq!(fake.content(id).unwrap(), std::fs::read(&file).unwrap());
    assert_eq!(sha256(&fake.content(id).unwrap()), digest);
    let dir = download(&job, &fake, &id.to_string(), digest);
    assert_same_file(&dir.join("trace-data.json"), &file);
    assert_eq!(walk(&dir).len(), 1);
}

/// `upload --no-archive` makes what the official client makes with `skipArchive`.
#[test]
fn upload_no_archive_comes_back_through_the_official_client_as_is() {
    let job = Job::pull_request(&[LABEL]);
    let fake = FakeResults::start(&job.token);
    let file = job.write(
        "out/trace-data.json",
        include_bytes!("fixtures/collector-pdata-sample.jsonl"),
    );
    let out = round_trip(
        &job,
        &fake,
        &["out/trace-data.json", "--no-archive", "--no-report"],
        &[("trace-data.json", file.clone())],
    );
    assert!(text(&out.stdout).contains("\"trace-data.json\""));
    let artifact = &fake.artifacts()[0];
    assert_eq!(artifact.name, "trace-data.json");
    assert_eq!(artifact.created, (7, Some("application/json".to_owned())));
    let id = artifact.id;
    assert_eq!(fake.content_type(id).unwrap(), "application/json");
    assert_eq!(fake.content(id).unwrap(), std::fs::read(&file).unwrap());
    let outputs = job.outputs();
    assert_eq!(
        outputs["artifact-digest"],
        sha256(&std::fs::read(&file).unwrap())
    );
    assert!(outputs["spans"].parse::<u64>().unwrap() > 0);
}

#[test]
fn no_archive_takes_exactly_one_file() {
    let job = Job::pull_request(&[LABEL]);
    let fake = FakeResults::start(&job.token);
    job.write("traces/a.json", b"{}\n");
    job.write("traces/b.json", b"{}\n");
    let out = job
        .upload(&fake)
        .args(["traces", "--no-archive"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--no-archive uploads exactly one file, but 2 matched (a.json, b.json)"),
        "{stderr}"
    );
    assert!(fake.requests().is_empty());
}

/// What the official client uploads unzipped, `fetch-traces` writes byte for byte: the
/// blob, its type and its digest as the fake results service stored them, served by the
/// fake GitHub as a download.
#[test]
fn an_artifact_the_official_client_uploaded_unzipped_fetches_as_is() {
    use support::github::{FakeGithub, Scenario, sha};
    let (_job, fake, file, id, _) = official_upload_as_is();
    let stored = fake.artifacts().into_iter().find(|a| a.id == id).unwrap();
    let github = FakeGithub::start(
        Scenario::new()
            .run(500, &sha(2))
            .artifact(id, &stored.name, 500, &fake.content(id).unwrap())
            .last_artifact(|a| {
                a.served_as = fake.content_type(id);
                a.digest = stored.finalized.clone().map(|(_, hash)| hash);
            }),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = support::fetch::fetch(dir.path(), &github, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_same_file(
        &support::fetch::tracing_dir(dir.path()).join("trace-data"),
        &file,
    );
}

/// The HTML report `upload` adds: uploaded as is as `text/html`, linked from the first
/// line of the job summary, downloaded by the official client and opened in Chromium
/// (tests/browser/report.mjs: the list, filters and waterfall, no console error). Gives
/// the page's data (every element) and the job summary.
fn report_in_chromium(args: &[&str], left_out: Option<&str>) -> (Vec<Value>, String) {
    let job = Job::pull_request(&[LABEL]);
    let fake = FakeResults::start(&job.token);
    let path = job.path().join("trace-data.json");
    support::generate::write(
        &support::generate::Options {
            lines: Some(300),
            ..support::generate::Options::default()
        },
        std::io::BufWriter::new(std::fs::File::create(&path).unwrap()),
    )
    .unwrap();
    let out = job
        .upload(&fake)
        .arg("trace-data.json")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report = fake
        .artifacts()
        .into_iter()
        .find(|a| a.name == "traces.html")
        .expect("the report artifact");
    assert_eq!(report.created, (7, Some("text/html".to_owned())));
    assert_eq!(fake.content_type(report.id).unwrap(), "text/html");
    let outputs = job.outputs();
    assert_eq!(outputs["report-artifact-id"], report.id.to_string());
    let url = format!(
        "https://github.com/octo-org/node/actions/runs/1658821493/artifacts/{}",
        report.id
    );
    assert_eq!(outputs["report-artifact-url"], url);
    let summary = job.summary();
    let first = summary.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("**[Open the trace waterfall]({url})**")),
        "{summary}"
    );
    let (_, digest) = report.finalized.clone().unwrap();
    let digest = digest.strip_prefix("sha256:").unwrap();
    let dir = download(&job, &fake, &report.id.to_string(), digest);
    let html = dir.join("traces.html");
    let page = std::fs::read_to_string(&html).unwrap();
    let data = page
        .split_once(r#"id="trace-data">"#)
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .unwrap()
        .0;
    let rows: Vec<Value> = serde_json::from_str(data).unwrap();
    let spans: Vec<&Value> = rows.iter().filter(|row| row.is_array()).collect();
    let traces: std::collections::HashSet<&str> =
        spans.iter().filter_map(|span| span[0].as_str()).collect();
    let mut expect = serde_json::json!({
        "traces": traces.len(),
        "spans": spans.len(),
        "xss": false,
    });
    if let Some(text) = left_out {
        expect["leftOut"] = Value::from(text);
        expect["factsOnly"] = Value::Bool(true);
    }
    let expect_file = dir.join("expect.json");
    std::fs::write(&expect_file, expect.to_string()).unwrap();
    support::browser::run_browser_script(
        "report.mjs",
        &[html.as_os_str(), expect_file.as_os_str()],
    );
    (rows, summary)
}

#[test]
fn the_report_artifact_opens_in_chromium_as_downloaded() {
    let (rows, summary) = report_in_chromium(&[], None);
    let spans = rows.iter().filter(|row| row.is_array()).count();
    assert!(
        summary.contains(&format!("| spans | {spans} |")),
        "{summary}"
    );
}

#[test]
fn a_report_over_its_span_budget_says_what_it_left_out() {
    let (all, _) = report_in_chromium(&[], None);
    let total = all.iter().filter(|row| row.is_array()).count();
    let budget = (total / 2).to_string();
    let (kept, summary) = report_in_chromium(
        &["--report-max-spans", &budget],
        Some(&format!("within a budget of {budget} spans")),
    );
    let spans = kept.iter().filter(|row| row.is_array()).count();
    assert!(spans <= total / 2 && spans > 0, "{spans} of {total}");
    let first = summary.lines().next().unwrap();
    assert!(
        first.ends_with(&format!("{spans} spans, {} left out)", total - spans)),
        "{first}"
    );
}
