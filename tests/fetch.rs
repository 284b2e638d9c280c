//! `ci-tracing fetch-traces`: which artifact it picks, what it writes and says, and the
//! one-line errors of bad input. Faults of the network live in `fetch_faults.rs`,
//! unsafe archives and existing files in `fetch_archive.rs`.

mod support;

use std::process::Command;

use support::fetch::{
    Outcome, SPANS, assert_fetched, fetch, fetch_cmd, files_in, one_artifact, run, spans_zip,
    tracing_dir, zip_of,
};
use support::github::{FakeGithub, Scenario, TOKEN, sha};

#[test]
fn the_newest_artifact_of_the_head_commit_lands_byte_identical_in_trace_data() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(one_artifact());
    let out = fetch(dir.path(), &fake, &[]);
    assert_fetched(dir.path(), &out);
    assert_eq!(
        out.stdout,
        format!(
            "wrote .github/tracing/trace-data (2 lines, {} bytes) from pull request #1347, commit 0202020, workflow run 500\nnext: ci-tracing replay\n",
            SPANS.len()
        )
    );
    assert_eq!(files_in(&tracing_dir(dir.path())), ["trace-data"]);
    let requests = fake.api.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.path() == "/repos/octo-org/octo-repo/pulls/1347")
    );
    let runs = requests
        .iter()
        .find(|r| r.path().ends_with("/actions/runs"));
    let runs = runs.expect("runs listed");
    assert_eq!(runs.query_param("head_sha"), Some(sha(2).as_str()));
    assert_eq!(runs.query_param("per_page"), Some("100"));
    let blobs = fake.blobs.requests();
    assert_eq!(blobs.len(), 1);
    assert_eq!(
        blobs[0].header("authorization"),
        None,
        "the token went to the blob host"
    );
}

#[test]
fn of_several_re_run_attempts_the_highest_artifact_id_wins() {
    let dir = tempfile::tempdir().unwrap();
    let old = zip_of(&[("trace-data.json", b"{\"resourceSpans\":[]}\n")]);
    let fake = FakeGithub::start(
        Scenario::new()
            .run(500, &sha(2))
            .artifact(90, "trace-data", 500, &spans_zip())
            .artifact(80, "trace-data", 500, &old)
            .artifact(95, "logs", 500, &old),
    );
    assert_fetched(dir.path(), &fetch(dir.path(), &fake, &[]));
    assert_eq!(fake.api_hits("/actions/artifacts/90/zip"), 1);
    assert_eq!(fake.api_hits("/actions/artifacts/80/zip"), 0);
}

#[test]
fn only_expired_artifacts_say_when_they_expired() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(one_artifact().last_artifact(|a| a.expired = true));
    fetch(dir.path(), &fake, &[]).fails(
        1,
        "error: every `trace-data` artifact of pull request #1347 has expired (the newest on 2020-03-21T14:59:22Z): re-run the workflow to make a new one",
    );
    assert_eq!(fake.blobs.requests().len(), 0);
}

#[test]
fn runs_without_the_artifact_list_the_names_found_and_mention_the_label() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(
        Scenario::new()
            .run(400, &sha(1))
            .run(500, &sha(2))
            .artifact(71, "logs", 500, b"x")
            .artifact(72, "coverage", 400, b"x"),
    );
    fetch(dir.path(), &fake, &[]).fails(
        1,
        "error: no `trace-data` artifact in the 2 workflow run(s) of pull request #1347 (artifacts found: coverage, logs): add the `enable tracing` label to the pull request and re-run its workflow",
    );
    assert!(!tracing_dir(dir.path()).exists());
}

#[test]
fn an_unknown_pull_request_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(Scenario::new());
    let mut cmd = fetch_cmd(
        dir.path(),
        &fake,
        &["--pr", "9", "--repo", "octo-org/octo-repo"],
    );
    cmd.env("GITHUB_TOKEN", TOKEN);
    run(cmd).fails(
        1,
        "error: pull request #9 of octo-org/octo-repo was not found on GitHub (or the token cannot see it): check --pr and --repo",
    );
}

#[test]
fn a_pull_request_without_workflow_runs_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(Scenario::new());
    fetch(dir.path(), &fake, &[]).fails(
        1,
        "error: pull request #1347 has no workflow runs (head commit 0202020): wait for its checks to start, or push a commit",
    );
}

#[test]
fn without_a_token_nothing_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(Scenario::new());
    let mut cmd = fetch_cmd(dir.path(), &fake, &["--pr", "1347", "--repo", "o/r"]);
    // No `gh` on PATH either: the chain ends empty.
    cmd.env("PATH", dir.path());
    run(cmd).fails(
        2,
        "error: no GitHub token: pass --token, set GH_TOKEN or GITHUB_TOKEN, or log in with `gh auth login`",
    );
    assert!(fake.api.requests().is_empty());
}

#[test]
fn a_bad_repo_is_refused_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(Scenario::new());
    let mut cmd = fetch_cmd(dir.path(), &fake, &["--pr", "1347", "--repo", "octo-org"]);
    cmd.env("GITHUB_TOKEN", TOKEN);
    run(cmd).fails(
        2,
        "error: --repo `octo-org` is not a repository: expected OWNER/NAME, for example octo-org/node",
    );
    assert!(fake.api.requests().is_empty());
}

/// Runs `fetch-traces --pr 1347` (no `--repo`) in a subdirectory of a fresh git
/// checkout whose `origin` is `remote`.
fn fetch_in_checkout_with_origin(remote: &str) -> (tempfile::TempDir, Outcome, FakeGithub) {
    let dir = tempfile::tempdir().unwrap();
    let checkout = dir.path();
    for args in [&["init", "-q"][..], &["remote", "add", "origin", remote]] {
        let status = Command::new("git")
            .args(args)
            .current_dir(checkout)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", checkout)
            .status()
            .expect("git is installed");
        assert!(status.success(), "git {args:?}");
    }
    std::fs::create_dir(checkout.join("sub")).unwrap();
    let fake = FakeGithub::start(one_artifact());
    let mut cmd = fetch_cmd(&checkout.join("sub"), &fake, &["--pr", "1347"]);
    cmd.env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
        .env("GITHUB_TOKEN", TOKEN);
    let out = run(cmd);
    (dir, out, fake)
}

#[test]
fn the_repo_comes_from_an_https_origin_and_files_land_at_the_checkout_root() {
    let (dir, out, fake) =
        fetch_in_checkout_with_origin("https://github.com/octo-org/octo-repo.git");
    assert_fetched(dir.path(), &out);
    assert!(fake.api_hits("/repos/octo-org/octo-repo/pulls/1347") > 0);
}

#[test]
fn the_repo_comes_from_an_ssh_origin() {
    let (dir, out, _fake) = fetch_in_checkout_with_origin("git@github.com:octo-org/octo-repo.git");
    assert_fetched(dir.path(), &out);
}

#[test]
fn listings_are_followed_across_pages_in_the_repositories_id_form() {
    let dir = tempfile::tempdir().unwrap();
    let mut scenario = Scenario::new();
    for run in 0..5 {
        scenario = scenario.run(600 + run, &sha(2));
    }
    // The oldest run has the artifact: on page 3 of runs, page 2 of its artifacts.
    let scenario = Scenario {
        page_size: 2,
        ..scenario
            .artifact(81, "trace-data", 600, &spans_zip())
            .artifact(82, "logs", 600, b"x")
            .artifact(83, "coverage", 600, b"x")
    };
    let fake = FakeGithub::start(scenario);
    let out = fetch(dir.path(), &fake, &[]);
    assert_fetched(dir.path(), &out);
    assert!(out.stdout.contains("workflow run 600"), "{}", out.stdout);
    let paths: Vec<String> = fake
        .api
        .requests()
        .iter()
        .map(|r| r.target.clone())
        .collect();
    let followed = |prefix: &str, page: &str| {
        paths
            .iter()
            .any(|p| p.starts_with(prefix) && p.contains(page))
    };
    assert!(
        followed("/repositories/1296269/actions/runs?", "page=3"),
        "{paths:#?}"
    );
    assert!(
        followed(
            "/repositories/1296269/actions/runs/600/artifacts?",
            "page=2"
        ),
        "{paths:#?}"
    );
}

#[test]
fn when_the_head_commit_has_no_artifact_earlier_commits_are_searched_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let older = zip_of(&[("trace-data.json", b"{\"old\":1}\n")]);
    let mut scenario = Scenario::new()
        .run(300, &sha(1))
        .artifact(61, "trace-data", 300, &older)
        .run(400, &sha(3))
        .artifact(71, "trace-data", 400, &spans_zip())
        .run(500, &sha(2))
        .artifact(72, "logs", 500, b"x");
    scenario.commits = vec![sha(1), sha(3), sha(2)];
    let fake = FakeGithub::start(scenario);
    let out = fetch(dir.path(), &fake, &[]);
    assert_fetched(dir.path(), &out);
    assert!(
        out.stderr.contains("the head commit 0202020 of pull request #1347 has no `trace-data` artifact; using the one from the earlier commit 0303030"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("commit 0303030, workflow run 400"),
        "{}",
        out.stdout
    );
}

#[test]
fn run_id_pins_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let newer = zip_of(&[("trace-data.json", b"{\"new\":1}\n")]);
    let fake = FakeGithub::start(
        Scenario::new()
            .run(400, &sha(1))
            .artifact(61, "trace-data", 400, &spans_zip())
            .run(500, &sha(2))
            .artifact(71, "trace-data", 500, &newer),
    );
    let out = fetch(dir.path(), &fake, &["--run-id", "400"]);
    assert_fetched(dir.path(), &out);
    assert!(
        out.stdout.contains("commit 0101010, workflow run 400"),
        "{}",
        out.stdout
    );
    assert_eq!(fake.api_hits("/actions/runs/500"), 0);
}

#[test]
fn several_json_entries_are_concatenated_in_name_order_each_ending_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let zip = zip_of(&[
        ("b/spans.json", b"{\"b\":1}"),
        ("a.jsonl", b"{\"a\":1}\n{\"a\":2}\n"),
        ("README.txt", b"not spans"),
        ("c.json", b"{\"c\":1}\r\n"),
    ]);
    let fake = FakeGithub::start(Scenario::new().run(500, &sha(2)).artifact(
        71,
        "trace-data",
        500,
        &zip,
    ));
    let dest = dir.path().join("elsewhere");
    let out = fetch(dir.path(), &fake, &["--dir", dest.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let content = std::fs::read_to_string(dest.join("trace-data")).unwrap();
    assert_eq!(content, "{\"a\":1}\n{\"a\":2}\n{\"b\":1}\n{\"c\":1}\r\n");
    assert!(out.stdout.contains("(4 lines, 33 bytes)"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("next: ci-tracing replay elsewhere/trace-data"),
        "{}",
        out.stdout
    );
}

#[test]
fn live_labels_reads_the_current_labels_of_the_pull_request() {
    let mut scenario = Scenario::new();
    scenario.labels = vec!["bug".to_owned(), "Enable Tracing".to_owned()];
    let fake = FakeGithub::start(scenario);
    let settings = ci_tracing::config::GithubAccess {
        api_url: ci_tracing::config::parse_http_url("--api-url", &fake.api.url()).unwrap(),
        host: "127.0.0.1".to_owned(),
        token: ci_tracing::secret::Secret::new(TOKEN),
    };
    let repo = ci_tracing::config::Repo::parse("--repo", "octo-org/octo-repo").unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let labels = runtime
        .block_on(ci_tracing::github::live_labels(&settings, &repo, 1347))
        .unwrap();
    assert_eq!(labels, ["bug", "Enable Tracing"]);
    let missing = runtime.block_on(ci_tracing::github::live_labels(&settings, &repo, 1));
    assert_eq!(
        missing.unwrap_err().to_string(),
        "pull request #1 of octo-org/octo-repo was not found on GitHub (or the token cannot see it): check --pr and --repo"
    );
}
