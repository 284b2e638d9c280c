//! `ci-tracing gate`: the label decision a user sees (output `enabled`, one line why,
//! exit 0) and the clear one-line errors for a missing or broken event payload.

mod support;

use support::github::{FakeGithub, Scenario, TOKEN};
use support::job::Job;
use support::text;

fn gate(job: &Job, args: &[&str]) -> std::process::Output {
    job.command().arg("gate").args(args).output().unwrap()
}

fn assert_decision(job: &Job, args: &[&str], enabled: bool, why: &str) {
    let out = gate(job, args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.contains(why), "{stdout}");
    assert_eq!(job.outputs()["enabled"], enabled.to_string());
}

#[test]
fn the_label_is_found_among_several_ignoring_case() {
    let job = Job::pull_request(&["bug", "area/ci", "Enable Tracing", "size/XL"]);
    assert_decision(
        &job,
        &[],
        true,
        "pull request #42 has the label \"enable tracing\"",
    );
}

#[test]
fn a_pull_request_without_labels_is_not_traced() {
    let job = Job::pull_request(&[]);
    assert_decision(&job, &[], false, "pull request #42 has no labels");
}

#[test]
fn other_labels_do_not_match_and_are_listed() {
    let job = Job::pull_request(&["bug", "enable tracing please", "tracing"]);
    assert_decision(
        &job,
        &[],
        false,
        "does not have the label \"enable tracing\" (its labels: \"bug\", \"enable tracing please\", \"tracing\")",
    );
}

#[test]
fn a_custom_label_is_matched() {
    let job = Job::pull_request(&["bug", "trace-me"]);
    assert_decision(
        &job,
        &["--label", "TRACE-ME"],
        true,
        "has the label \"TRACE-ME\"",
    );
}

#[test]
fn pull_request_target_events_are_pull_requests_too() {
    let job = Job::pull_request(&["enable tracing"]);
    let out = job
        .command()
        .env("GITHUB_EVENT_NAME", "pull_request_target")
        .arg("gate")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(job.outputs()["enabled"], "true");
}

#[test]
fn other_events_are_off_unless_forced() {
    let job = Job::event("push");
    assert_decision(
        &job,
        &[],
        false,
        "the event is `push`, not a pull request (pass --force",
    );
    std::fs::remove_file(job.path().join("output.txt")).unwrap();
    assert_decision(&job, &["--force"], true, "tracing enabled: --force");
}

fn assert_fails(job: &Job, env: &[(&str, &str)], expected: &str) {
    let mut cmd = job.command();
    for (key, value) in env {
        cmd.env(key, value);
    }
    let out = cmd.arg("gate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("::error::"), "{stderr}");
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!job.path().join("output.txt").exists());
}

#[test]
fn a_missing_event_file_is_one_clear_error() {
    let job = Job::pull_request(&["enable tracing"]);
    let missing = job.path().join("nope.json");
    assert_fails(
        &job,
        &[("GITHUB_EVENT_PATH", missing.to_str().unwrap())],
        "cannot read the event payload",
    );
    let mut cmd = job.command();
    let out = cmd
        .env_remove("GITHUB_EVENT_PATH")
        .arg("gate")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("GITHUB_EVENT_PATH is not set"));
}

#[test]
fn a_malformed_event_payload_is_one_clear_error() {
    let job = Job::pull_request(&["enable tracing"]);
    std::fs::write(job.event_path(), "{\"pull_request\": {\"number\": ").unwrap();
    assert_fails(&job, &[], "is not valid");
    std::fs::write(job.event_path(), "{\"ref\": \"x\"}").unwrap();
    assert_fails(&job, &[], "has no `pull_request` object");
}

#[test]
fn live_falls_back_to_the_payload_with_a_warning_when_the_api_is_unreachable() {
    let job = Job::pull_request(&["enable tracing"]);
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = job
        .command()
        .env("GITHUB_API_URL", format!("http://127.0.0.1:{port}"))
        .env("GITHUB_TOKEN", "ghp_GATE_TOKEN_SENTINEL")
        .args(["-v", "gate", "--live"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("::warning::cannot read the current labels of pull request #42"),
        "{stderr}"
    );
    assert!(
        stderr.contains("using the labels of the event payload"),
        "{stderr}"
    );
    assert_eq!(job.outputs()["enabled"], "true");
    let all = format!("{stderr}{}", text(&out.stdout));
    assert!(!all.contains("GATE_TOKEN_SENTINEL"), "{all}");
}

#[test]
fn live_reads_the_labels_the_pull_request_has_now() {
    // A re-run reuses the old payload, which lacks the label added since.
    let job = Job::pull_request(&["bug"]);
    let mut scenario = Scenario::new();
    scenario.repo = "octo-org/node".to_owned();
    scenario.pr = 42;
    scenario.labels = vec!["bug".to_owned(), "Enable Tracing".to_owned()];
    let fake = FakeGithub::start(scenario);
    let run = |args: &[&str]| {
        job.command()
            .env("GITHUB_API_URL", fake.api.url())
            .env("GITHUB_TOKEN", TOKEN)
            .args(["-v", "gate"])
            .args(args)
            .output()
            .unwrap()
    };

    let out = run(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(job.outputs()["enabled"], "false");
    assert_eq!(fake.api_hits("/pulls/42"), 0);

    let out = run(&["--live"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(job.outputs()["enabled"], "true", "{}", text(&out.stdout));
    assert_eq!(fake.api_hits("/repos/octo-org/node/pulls/42"), 1);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(TOKEN), "{all}");
}

#[test]
fn branch_traces_pushes_to_that_branch_only() {
    let job = Job::event("push");
    let gate_on = |git_ref: &str, args: &[&str]| {
        let _ = std::fs::remove_file(job.path().join("output.txt"));
        let out = job
            .command()
            .env("GITHUB_REF", git_ref)
            .arg("gate")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        (job.outputs()["enabled"].clone(), text(&out.stdout))
    };
    let (enabled, why) = gate_on("refs/heads/main", &["--branch", "main"]);
    assert_eq!(enabled, "true", "{why}");
    assert!(
        why.contains("a push to the branch \"main\" (--branch)"),
        "{why}"
    );
    let (enabled, why) = gate_on("refs/heads/main", &["--branch", "dev", "--branch", "main"]);
    assert_eq!(enabled, "true", "{why}");
    let (enabled, why) = gate_on("refs/heads/feature", &["--branch", "main"]);
    assert_eq!(enabled, "false", "{why}");
    assert!(
        why.contains("a push to the branch \"feature\", not to \"main\""),
        "{why}"
    );
    // A tag is not a branch, even one named like it.
    let (enabled, _) = gate_on("refs/tags/main", &["--branch", "main"]);
    assert_eq!(enabled, "false");
    let (enabled, _) = gate_on("refs/heads/main", &[]);
    assert_eq!(enabled, "false");
}

#[test]
fn branch_leaves_pull_requests_to_the_label() {
    let job = Job::pull_request(&["bug"]);
    let out = job
        .command()
        .env("GITHUB_REF", "refs/heads/main")
        .args(["gate", "--branch", "main"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(job.outputs()["enabled"], "false");
    assert!(text(&out.stdout).contains("does not have the label"));
    let other = Job::event("workflow_dispatch");
    let out = other
        .command()
        .env("GITHUB_REF", "refs/heads/main")
        .args(["gate", "--branch", "main"])
        .output()
        .unwrap();
    assert_eq!(other.outputs()["enabled"], "false");
    assert!(
        text(&out.stdout).contains("not a pull request nor a push to a --branch"),
        "{}",
        text(&out.stdout)
    );
}
