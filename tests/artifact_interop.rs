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
