//! `fetch-traces` and artifacts uploaded as is (`actions/upload-artifact` with
//! `archive: false`): named `trace-data.json` (`.jsonl`, `.ndjson`), found by
//! `--name trace-data`, written to `trace-data` byte for byte, still digest-checked;
//! zip or not decided from the download's headers as the official client does, and
//! from the bytes when those disagree.

mod support;

use support::fetch::{SPANS, assert_fetched, fetch, files_in, spans_zip, tracing_dir};
use support::github::{FakeGithub, Scenario, sha};

/// PR 1347 with run 500 whose artifact 71 is `bytes`, named `name`, served as `served_as`.
fn serving(name: &str, bytes: &[u8], served_as: &str) -> FakeGithub {
    FakeGithub::start(
        Scenario::new()
            .run(500, &sha(2))
            .artifact(71, name, 500, bytes)
            .last_artifact(|a| a.served_as = Some(served_as.to_owned())),
    )
}

#[test]
fn an_unzipped_trace_data_json_is_found_and_written_as_is() {
    for name in ["trace-data.json", "trace-data.jsonl", "trace-data.NDJSON"] {
        let dir = tempfile::tempdir().unwrap();
        let fake = serving(name, SPANS.as_bytes(), "application/json");
        let out = fetch(dir.path(), &fake, &[]);
        assert_fetched(dir.path(), &out);
        assert!(
            out.stderr.contains("was uploaded as is (not zipped)"),
            "{}",
            out.stderr
        );
        assert_eq!(files_in(&tracing_dir(dir.path())), ["trace-data"]);
    }
}

#[test]
fn the_bytes_of_an_unzipped_artifact_are_kept_exactly() {
    let dir = tempfile::tempdir().unwrap();
    // No final newline, a CRLF and a blank line: nothing is added or changed.
    let bytes = format!("{}\r\n\n{}", SPANS.trim_end(), SPANS.trim_end());
    let fake = serving("trace-data.json", bytes.as_bytes(), "application/json");
    let out = fetch(dir.path(), &fake, &["--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let written = std::fs::read(tracing_dir(dir.path()).join("trace-data")).unwrap();
    assert_eq!(written, bytes.as_bytes());
    let result: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(result["bytes"], bytes.len());
    assert_eq!(result["artifact"]["name"], "trace-data.json");
}

#[test]
fn other_names_are_still_not_the_trace_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let fake = serving("trace-data.txt", SPANS.as_bytes(), "text/plain");
    let out = fetch(dir.path(), &fake, &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.last_error().contains("trace-data.txt"),
        "{}",
        out.stderr
    );
}

#[test]
fn headers_that_call_a_plain_file_a_zip_lose_to_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let fake = serving("trace-data.json", SPANS.as_bytes(), "application/zip");
    let out = fetch(dir.path(), &fake, &[]);
    assert_fetched(dir.path(), &out);
    assert!(
        out.stderr
            .contains("announced as a zip, but its bytes are a file uploaded as is"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_zip_served_as_a_plain_file_is_still_unzipped_safely() {
    let dir = tempfile::tempdir().unwrap();
    let fake = serving("trace-data.json", &spans_zip(), "application/octet-stream");
    let out = fetch(dir.path(), &fake, &[]);
    assert_fetched(dir.path(), &out);
    assert!(
        out.stderr.contains("but its bytes are a zip"),
        "{}",
        out.stderr
    );
    // Every safety rule for zips still holds: an unsafe entry refuses the artifact.
    let evil = support::fetch::zip_of(&[("../evil.json", b"{}\n")]);
    let fake = serving("trace-data.json", &evil, "application/octet-stream");
    let dir = tempfile::tempdir().unwrap();
    fetch(dir.path(), &fake, &[]).fails(
        1,
        "error: refusing the artifact: its entry `../evil.json` climbs out of the directory with `..`",
    );
}

#[test]
fn an_unzipped_artifact_is_digest_checked_and_nothing_is_left_behind() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(
        Scenario::new()
            .run(500, &sha(2))
            .artifact(71, "trace-data.json", 500, SPANS.as_bytes())
            .last_artifact(|a| {
                a.served_as = Some("application/json".to_owned());
                a.digest = Some(format!("sha256:{}", "0".repeat(64)));
            }),
    );
    let out = fetch(dir.path(), &fake, &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.last_error().contains("digest"), "{}", out.stderr);
    assert_eq!(files_in(&tracing_dir(dir.path())), Vec::<String>::new());
}

#[test]
fn list_and_run_id_find_unzipped_artifacts_too() {
    let dir = tempfile::tempdir().unwrap();
    let fake = serving(
        "trace-data.ndjson",
        SPANS.as_bytes(),
        "application/octet-stream",
    );
    let out = fetch(dir.path(), &fake, &["--list", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let listed: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(listed["artifacts"][0]["name"], "trace-data.ndjson");
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = support::fetch::fetch_cmd(
        dir.path(),
        &fake,
        &["-R", "octo-org/octo-repo", "--run-id", "500"],
    );
    cmd.env("GITHUB_TOKEN", support::github::TOKEN);
    let out = support::fetch::run(cmd);
    assert_fetched(dir.path(), &out);
}
