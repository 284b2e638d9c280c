//! `fetch-traces` as `gh run download` users expect it: pull-request and run URLs,
//! `--run-id` alone, `-R [HOST/]OWNER/REPO`, GitHub Enterprise Server hosts (the fake
//! serves its API under `/api/v3` then), `GH_HOST`, the token order of `gh`, `--list`
//! and `--json`. Every run checks that no sentinel token shows in any output, and the
//! GitHub Enterprise tests that a github.com token never reaches another host.

mod support;

use std::path::Path;

use serde_json::Value;
use support::fetch::{
    Outcome, assert_fetched, fetch_cmd, files_in, one_artifact, run, spans_zip, tracing_dir,
};
use support::github::{FakeGithub, Scenario, TOKEN, sha};

/// A token for github.com only: the fake rejects it, and GHES requests must never carry it.
const GITHUB_COM_TOKEN: &str = "ghp_SENTINEL0github0com0only";

/// `ci-tracing -v fetch-traces ARGS` against nothing but what ARGS and `env` name.
fn fetch_plain(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut cmd = support::ci_tracing(dir);
    cmd.args(["-v", "--no-progress", "fetch-traces"])
        .args(args)
        .env("CI_TRACING_RETRY_SCALE", "0.01")
        .env("PATH", dir)
        .envs(env.iter().copied());
    run(cmd)
}

/// `ci-tracing -v fetch-traces --api-url FAKE ARGS` with the sentinel token in `GH_TOKEN`.
fn fetch_with_gh_token(dir: &Path, fake: &FakeGithub, args: &[&str]) -> Outcome {
    let mut cmd = fetch_cmd(dir, fake, args);
    cmd.env("GH_TOKEN", TOKEN);
    run(cmd)
}

/// The fake as a GitHub Enterprise Server: the API under `/api/v3`.
fn ghes() -> FakeGithub {
    let mut scenario = one_artifact();
    scenario.api_prefix = "/api/v3";
    FakeGithub::start(scenario)
}

/// `127.0.0.1:PORT` of the fake's API.
fn host_of(fake: &FakeGithub) -> String {
    fake.api
        .url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

#[test]
fn run_id_alone_needs_no_pull_request() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(one_artifact());
    let mut cmd = fetch_cmd(
        dir.path(),
        &fake,
        &["-R", "octo-org/octo-repo", "--run-id", "500"],
    );
    cmd.env("GITHUB_TOKEN", TOKEN);
    let out = run(cmd);
    assert_fetched(dir.path(), &out);
    assert!(
        out.stdout
            .starts_with("wrote .github/tracing/trace-data (2 lines, ")
            && out
                .stdout
                .contains(" bytes) from commit 0202020, workflow run 500\n"),
        "{}",
        out.stdout
    );
    assert_eq!(fake.api_hits("/pulls"), 0);
}

#[test]
fn pull_request_and_run_urls_name_the_repository_and_what_to_fetch() {
    for (url, says, pulls) in [
        (
            "https://github.com/octo-org/octo-repo/pull/1347/files",
            "from pull request #1347, commit 0202020",
            1,
        ),
        (
            "https://github.com/octo-org/octo-repo/actions/runs/500/job/7",
            "from commit 0202020, workflow run 500",
            0,
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let fake = FakeGithub::start(one_artifact());
        let out = fetch_with_gh_token(dir.path(), &fake, &[url]);
        assert_fetched(dir.path(), &out);
        assert!(out.stdout.contains(says), "{}", out.stdout);
        assert_eq!(fake.api_hits("/repos/octo-org/octo-repo/pulls/1347"), pulls);
    }
}

#[test]
fn a_ghes_pull_request_url_uses_the_api_under_api_v3_and_the_enterprise_token() {
    let dir = tempfile::tempdir().unwrap();
    let fake = ghes();
    let url = format!("{}/octo-org/octo-repo/pull/1347", fake.api.url());
    let out = fetch_plain(
        dir.path(),
        &[&url],
        &[
            ("CI_TRACING_GITHUB_HTTP", "1"),
            ("GH_TOKEN", GITHUB_COM_TOKEN),
            ("GITHUB_TOKEN", GITHUB_COM_TOKEN),
            ("GH_ENTERPRISE_TOKEN", TOKEN),
        ],
    );
    assert_fetched(dir.path(), &out);
    assert_eq!(
        fake.api_hits("/api/v3/repos/octo-org/octo-repo/pulls/1347"),
        1
    );
    assert!(
        fake.api
            .requests()
            .iter()
            .all(|r| r.path().starts_with("/api/v3/"))
    );
    assert!(
        fake.api
            .requests()
            .iter()
            .all(|r| r.header("authorization") == Some(&format!("Bearer {TOKEN}"))),
        "every request carried the enterprise token"
    );
}

#[test]
fn a_github_com_token_never_goes_to_a_ghes_host() {
    let dir = tempfile::tempdir().unwrap();
    let fake = ghes();
    let host = host_of(&fake);
    let repo = format!("{host}/octo-org/octo-repo");
    let out = fetch_plain(
        dir.path(),
        &["-R", &repo, "--pr", "1347"],
        &[
            ("CI_TRACING_GITHUB_HTTP", "1"),
            ("GH_TOKEN", GITHUB_COM_TOKEN),
            ("GITHUB_TOKEN", GITHUB_COM_TOKEN),
        ],
    );
    out.fails(
        2,
        &format!(
            "error: no token for {host}: pass --token, set GH_ENTERPRISE_TOKEN or GITHUB_ENTERPRISE_TOKEN, or log in with `gh auth login --hostname {host}`"
        ),
    );
    assert!(fake.api.requests().is_empty());
    assert!(!out.stderr.contains(GITHUB_COM_TOKEN));
}

#[test]
fn host_slash_owner_slash_repo_and_the_second_enterprise_variable_work() {
    let dir = tempfile::tempdir().unwrap();
    let fake = ghes();
    let repo = format!("{}/octo-org/octo-repo", host_of(&fake));
    let out = fetch_plain(
        dir.path(),
        &["--repo", &repo, "--run-id", "500"],
        &[
            ("CI_TRACING_GITHUB_HTTP", "1"),
            ("GITHUB_ENTERPRISE_TOKEN", TOKEN),
        ],
    );
    assert_fetched(dir.path(), &out);
    assert_eq!(
        fake.api_hits("/api/v3/repos/octo-org/octo-repo/actions/runs/500/artifacts"),
        1
    );
}

#[test]
fn gh_host_names_the_host_of_a_plain_owner_slash_repo() {
    let dir = tempfile::tempdir().unwrap();
    let fake = ghes();
    let host = host_of(&fake);
    let out = fetch_plain(
        dir.path(),
        &["-R", "octo-org/octo-repo", "1347"],
        &[
            ("CI_TRACING_GITHUB_HTTP", "1"),
            ("GH_HOST", &host),
            ("GH_ENTERPRISE_TOKEN", TOKEN),
        ],
    );
    assert_fetched(dir.path(), &out);
    assert_eq!(
        fake.api_hits("/api/v3/repos/octo-org/octo-repo/pulls/1347"),
        1
    );
}

#[test]
fn gh_token_wins_over_github_token_and_a_trailing_newline_is_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(one_artifact());
    let mut cmd = fetch_cmd(dir.path(), &fake, &["-R", "octo-org/octo-repo", "1347"]);
    cmd.env("GH_TOKEN", format!("{TOKEN}\n"))
        .env("GITHUB_TOKEN", GITHUB_COM_TOKEN);
    assert_fetched(dir.path(), &run(cmd));
}

#[cfg(unix)]
#[test]
fn the_token_of_gh_auth_token_for_the_host_is_used_last() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(one_artifact());
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let asked = dir.path().join("asked");
    let script = format!(
        "#!/bin/sh\necho \"$@\" > '{}'\nprintf '%s\\n' '{TOKEN}'\n",
        asked.display()
    );
    let gh = bin.join("gh");
    std::fs::write(&gh, script).unwrap();
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = fetch_cmd(dir.path(), &fake, &["-R", "octo-org/octo-repo", "1347"]);
    cmd.env("PATH", &bin);
    assert_fetched(dir.path(), &run(cmd));
    let asked = std::fs::read_to_string(asked).unwrap();
    assert_eq!(
        asked.trim(),
        format!("auth token --hostname {}", host_of(&fake))
    );
}

#[test]
fn short_flags_name_the_artifact_and_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(Scenario::new().run(500, &sha(2)).artifact(
        71,
        "smoke",
        500,
        &spans_zip(),
    ));
    let dest = dir.path().join("here");
    let out = fetch_with_gh_token(
        dir.path(),
        &fake,
        &[
            "-R",
            "octo-org/octo-repo",
            "-n",
            "smoke",
            "-D",
            dest.to_str().unwrap(),
            "1347",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(files_in(&dest), ["trace-data"]);
}

#[test]
fn list_shows_the_runs_that_have_the_artifact_and_downloads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(
        Scenario::new()
            .run(400, &sha(1))
            .artifact(61, "trace-data", 400, &spans_zip())
            .last_artifact(|a| a.expired = true)
            .run(500, &sha(2))
            .artifact(71, "trace-data", 500, &spans_zip())
            .artifact(72, "other", 500, b"x"),
    );
    let out = fetch_with_gh_token(
        dir.path(),
        &fake,
        &["-R", "octo-org/octo-repo", "1347", "--list"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(rows.len(), 3, "{}", out.stdout);
    assert!(rows[0].starts_with("RUN "), "{}", rows[0]);
    assert!(
        rows[1].starts_with("500 ") && rows[1].contains(" 0202020 "),
        "{}",
        rows[1]
    );
    assert!(
        rows[2].starts_with("400 ") && rows[2].ends_with("(expired)"),
        "{}",
        rows[2]
    );
    assert!(fake.blobs.requests().is_empty());
    assert!(!tracing_dir(dir.path()).exists());

    let out = fetch_with_gh_token(
        dir.path(),
        &fake,
        &["-R", "octo-org/octo-repo", "1347", "--list", "--json"],
    );
    let json: Value = serde_json::from_str(&out.stdout).expect("one JSON object");
    assert_eq!(json["repository"], "octo-org/octo-repo");
    assert_eq!(json["pull_request"], 1347);
    let artifacts = json["artifacts"].as_array().unwrap();
    let ids: Vec<u64> = artifacts
        .iter()
        .map(|a| a["artifact_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [71, 61]);
    assert_eq!(artifacts[0]["run_id"], 500);
    assert_eq!(artifacts[0]["run_attempt"], 1);
    assert_eq!(artifacts[0]["commit"], sha(2));
    assert_eq!(artifacts[0]["expired"], false);
    assert_eq!(artifacts[1]["expired"], true);
    assert!(artifacts[0]["size_in_bytes"].as_u64().unwrap() > 0);
    assert!(artifacts[0]["expires_at"].is_string());
}

#[test]
fn json_prints_the_result_as_one_object() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(one_artifact());
    let out = fetch_with_gh_token(
        dir.path(),
        &fake,
        &["-R", "octo-org/octo-repo", "1347", "--json"],
    );
    assert_fetched(dir.path(), &out);
    assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
    let json: Value = serde_json::from_str(&out.stdout).expect("one JSON object");
    assert_eq!(json["path"], ".github/tracing/trace-data");
    assert_eq!(json["lines"], 2);
    assert_eq!(json["pull_request"], 1347);
    assert_eq!(json["run_id"], 500);
    assert_eq!(json["commit"], sha(2));
    assert_eq!(json["artifact"]["id"], 71);
    assert_eq!(json["repository"], "octo-org/octo-repo");
}

#[test]
fn wrong_targets_are_one_line_and_exit_2_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::start(one_artifact());
    for (args, line) in [
        (
            &["-R", "octo-org/octo-repo"][..],
            "error: which pull request? pass its number or URL (`fetch-traces 1234`), a run URL, or --run-id ID",
        ),
        (
            &["https://github.com/octo-org/octo-repo/issues/3"],
            "error: `https://github.com/octo-org/octo-repo/issues/3` is not a pull request or workflow run: expected a number, https://HOST/OWNER/REPO/pull/N or https://HOST/OWNER/REPO/actions/runs/ID",
        ),
        (
            &[
                "-R",
                "other/repo",
                "https://github.com/octo-org/octo-repo/pull/1",
            ],
            "error: --repo other/repo and the URL's repository octo-org/octo-repo differ: give one of them",
        ),
        (
            &["https://github.com/o/r/actions/runs/5", "--run-id", "6"],
            "error: --run-id 6 and the run URL (5) name different runs: give one of them",
        ),
    ] {
        let mut cmd = fetch_cmd(dir.path(), &fake, args);
        cmd.env("GH_TOKEN", TOKEN);
        run(cmd).fails(2, line);
    }
    assert!(fake.api.requests().is_empty());
}

#[test]
fn the_origin_remote_of_a_ghes_checkout_names_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let fake = ghes();
    let remote = format!("{}/octo-org/octo-repo.git", fake.api.url());
    for args in [&["init", "-q"][..], &["remote", "add", "origin", &remote]] {
        let status = std::process::Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir.path())
            .status()
            .expect("git is installed");
        assert!(status.success(), "git {args:?}");
    }
    let mut cmd = support::ci_tracing(dir.path());
    cmd.args(["-v", "--no-progress", "fetch-traces", "1347"])
        .env("CI_TRACING_GITHUB_HTTP", "1")
        .env("GH_TOKEN", GITHUB_COM_TOKEN)
        .env("GH_ENTERPRISE_TOKEN", TOKEN);
    let out = run(cmd);
    assert_fetched(dir.path(), &out);
    assert_eq!(
        fake.api_hits("/api/v3/repos/octo-org/octo-repo/pulls/1347"),
        1
    );
}

#[test]
fn gh_repo_names_the_repository_and_its_host() {
    let dir = tempfile::tempdir().unwrap();
    let fake = ghes();
    let repo = format!("{}/octo-org/octo-repo", host_of(&fake));
    let out = fetch_plain(
        dir.path(),
        &["1347"],
        &[
            ("CI_TRACING_GITHUB_HTTP", "1"),
            ("GH_REPO", &repo),
            ("GITHUB_REPOSITORY", "other/repo"),
            ("GH_ENTERPRISE_TOKEN", TOKEN),
        ],
    );
    assert_fetched(dir.path(), &out);
    assert_eq!(
        fake.api_hits("/api/v3/repos/octo-org/octo-repo/pulls/1347"),
        1
    );
}
