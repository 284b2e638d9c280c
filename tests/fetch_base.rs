//! `fetch-traces --pr N --base`: the baseline the action would compare the pull request
//! with (the newest `trace-data` of a push to its base branch) lands in
//! `.github/tracing/base/trace-data`, with the `compare` command to run next; the same
//! safety as every fetch (digest checked, no overwrite without --force, no secret shown).

mod support;

use support::fetch::{SPANS, fetch, spans_zip, tracing_dir, zip_of};
use support::github::{FakeGithub, Scenario, sha};

/// PR 1347 (base `main`): pushes to main (runs 800, 810), to `release` (820), and a
/// run of the pull request itself (830), each with a `trace-data`.
fn scenario() -> Scenario {
    let other = zip_of(&[("trace-data.json", b"{\"resourceSpans\":[]}\n")]);
    Scenario::new()
        .push_run(800, &sha(8), "main")
        .artifact(80, "trace-data", 800, &other)
        .push_run(810, &sha(9), "main")
        .artifact(81, "trace-data", 810, &spans_zip())
        .push_run(820, &sha(10), "release")
        .artifact(82, "trace-data", 820, &other)
        .run(830, &sha(2))
        .artifact(83, "trace-data", 830, &other)
}

#[test]
fn the_newest_push_to_the_base_branch_lands_in_base() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(scenario());
    let out = fetch(dir.path(), &fake, &["--base"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let written = std::fs::read_to_string(tracing_dir(dir.path()).join("base/trace-data"));
    assert_eq!(written.expect("base/trace-data written"), SPANS);
    assert!(!tracing_dir(dir.path()).join("trace-data").exists());
    assert_eq!(
        out.stdout,
        format!(
            "wrote .github/tracing/base/trace-data (2 lines, {} bytes) from branch main (the base of pull request #1347), commit 0909090, workflow run 810\nnext: ci-tracing fetch-traces 1347 && ci-tracing compare .github/tracing/base/trace-data .github/tracing/trace-data\n",
            SPANS.len()
        )
    );
    assert_eq!(fake.runs_listed_by("branch").as_deref(), Some("main"));
    assert_eq!(fake.api_hits("/actions/artifacts/81/zip"), 1);
    assert_eq!(fake.blobs.requests().len(), 1);
}

#[test]
fn with_the_pull_requests_traces_there_the_next_step_is_only_compare() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tracing_dir(dir.path())).unwrap();
    std::fs::write(tracing_dir(dir.path()).join("trace-data"), SPANS).unwrap();
    let mut scenario = scenario();
    "release".clone_into(&mut scenario.base);
    let fake = FakeGithub::start(scenario);
    let out = fetch(dir.path(), &fake, &["--base", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["base_branch"], "release");
    assert_eq!(json["run_id"], 820);
    let out = fetch(dir.path(), &fake, &["--base", "--force"]);
    assert!(
        out.stdout.ends_with(
            "\nnext: ci-tracing compare .github/tracing/base/trace-data .github/tracing/trace-data\n"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn an_existing_baseline_is_kept_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let base = tracing_dir(dir.path()).join("base");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::write(base.join("trace-data"), "mine\n").unwrap();
    let fake = FakeGithub::start(scenario());
    let out = fetch(dir.path(), &fake, &["--base"]);
    out.fails(
        2,
        "error: .github/tracing/base/trace-data already exists: pass --force to replace it",
    );
    assert_eq!(fake.blobs.requests().len(), 0);
    assert_eq!(
        std::fs::read_to_string(base.join("trace-data")).unwrap(),
        "mine\n"
    );
    let out = fetch(dir.path(), &fake, &["--base", "--force"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(base.join("trace-data")).unwrap(),
        SPANS
    );
}

#[test]
fn a_base_branch_without_traced_pushes_says_how_to_make_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut scenario = scenario();
    "develop".clone_into(&mut scenario.base);
    let fake = FakeGithub::start(scenario);
    let out = fetch(dir.path(), &fake, &["--base"]);
    out.fails(
        1,
        "error: no `trace-data` artifact in branch develop, which has no workflow runs but pull requests': trace pushes to the branch with `gate --branch NAME` (the action's `branch` input)",
    );
}

#[test]
fn a_tampered_baseline_is_refused_by_its_digest() {
    let dir = tempfile::tempdir().unwrap();
    // The newest push's artifact announces a digest its bytes do not have.
    let fake = FakeGithub::start(
        scenario()
            .push_run(840, &sha(11), "main")
            .artifact(84, "trace-data", 840, &spans_zip())
            .last_artifact(|a| a.digest = Some(format!("sha256:{}", "0".repeat(64)))),
    );
    let out = fetch(dir.path(), &fake, &["--base"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.last_error().contains("does not match its digest"),
        "{}",
        out.stderr
    );
    assert!(!tracing_dir(dir.path()).join("base/trace-data").exists());
}

#[test]
fn base_needs_a_pull_request() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(scenario());
    let out = fetch(dir.path(), &fake, &["--base", "--run-id", "810"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let out = fetch(dir.path(), &fake, &["--base", "--list"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(fake.api.requests().is_empty());
}
