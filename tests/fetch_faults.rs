//! `fetch-traces` when GitHub or the network misbehaves: bad tokens, rate limits,
//! server errors, dropped connections, downloads cut short, digests that do not match.
//! Each fault ends in one clear line, or in success after a bounded retry; the sentinel
//! token never shows (`support::fetch::run` checks every output).

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::fetch::{
    assert_fetched, fetch, files_in, one_artifact as scenario, spans_zip, tracing_dir,
};
use support::github::{FakeGithub, Fault, error, sha256};
use support::http::{Reply, Request};

fn no_fault() -> Fault {
    Box::new(|_| None)
}

/// A fault that answers the first `replies.len()` requests whose path contains `part`,
/// in order, then lets the normal routes answer.
fn first_requests(part: &'static str, replies: Vec<fn() -> Reply>) -> Fault {
    let seen = Arc::new(AtomicUsize::new(0));
    Box::new(move |request: &Request| {
        if !request.path().contains(part) {
            return None;
        }
        let n = seen.fetch_add(1, Ordering::SeqCst);
        replies.get(n).map(|reply| reply())
    })
}

#[test]
fn a_401_says_the_token_was_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let fault: Fault = Box::new(|_| Some(error(401, "Bad credentials")));
    let fake = FakeGithub::with_faults(scenario(), fault, no_fault());
    fetch(dir.path(), &fake, &[]).fails(
        2,
        "error: GitHub rejected the token (401 Bad credentials): pass a valid one with --token, GITHUB_TOKEN or GH_TOKEN, or run `gh auth login`",
    );
    assert_eq!(fake.api.requests().len(), 1, "a 401 is not retried");
}

#[test]
fn a_403_refusal_says_which_access_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let fault: Fault = Box::new(|_| {
        Some(error(
            403,
            "Resource not accessible by personal access token",
        ))
    });
    let fake = FakeGithub::with_faults(scenario(), fault, no_fault());
    fetch(dir.path(), &fake, &[]).fails(
        2,
        "error: GitHub refused access to pull request #1347 of octo-org/octo-repo (403 Resource not accessible by personal access token): use a token that can read the repository and its Actions artifacts",
    );
    assert_eq!(fake.api.requests().len(), 1);
}

#[test]
fn a_403_rate_limit_with_retry_after_is_waited_out() {
    let dir = tempfile::tempdir().unwrap();
    let fault = first_requests(
        "/pulls/1347",
        vec![|| error(403, "You have exceeded a secondary rate limit").header("retry-after", "1")],
    );
    let fake = FakeGithub::with_faults(scenario(), fault, no_fault());
    assert_fetched(dir.path(), &fetch(dir.path(), &fake, &[]));
    assert_eq!(fake.api_hits("/pulls/1347"), 2);
}

#[test]
fn a_429_with_an_imminent_reset_is_waited_out() {
    let dir = tempfile::tempdir().unwrap();
    let fault = first_requests(
        "/actions/runs",
        vec![|| {
            let reset = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs()
                + 2;
            error(429, "API rate limit exceeded")
                .header("x-ratelimit-remaining", "0")
                .header("x-ratelimit-reset", &reset.to_string())
        }],
    );
    let fake = FakeGithub::with_faults(scenario(), fault, no_fault());
    assert_fetched(dir.path(), &fetch(dir.path(), &fake, &[]));
}

#[test]
fn a_rate_limit_that_resets_far_ahead_says_when_to_try_again() {
    let dir = tempfile::tempdir().unwrap();
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let fault: Fault = Box::new(move |_| {
        Some(
            error(403, "API rate limit exceeded for user ID 1.")
                .header("x-ratelimit-remaining", "0")
                .header("x-ratelimit-reset", &reset.to_string()),
        )
    });
    let fake = FakeGithub::with_faults(scenario(), fault, no_fault());
    let until = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(reset + 1));
    fetch(dir.path(), &fake, &[]).fails(
        1,
        &format!(
            "error: GitHub's API rate limit is used up until {until}: try again after that, or use a token with a higher limit"
        ),
    );
    assert_eq!(fake.api.requests().len(), 1, "no waiting for an hour");
}

#[test]
fn bad_gateways_and_unavailable_servers_are_retried_until_success() {
    let dir = tempfile::tempdir().unwrap();
    let fault = first_requests(
        "/pulls/1347",
        vec![
            || error(502, "Server Error"),
            || Reply::new(503, "<html>Unicorn!</html>"),
            || error(504, "We couldn't respond to your request in time"),
        ],
    );
    let fake = FakeGithub::with_faults(scenario(), fault, no_fault());
    assert_fetched(dir.path(), &fetch(dir.path(), &fake, &[]));
    assert_eq!(fake.api_hits("/pulls/1347"), 4);
}

#[test]
fn a_server_that_stays_down_ends_in_one_line_after_bounded_retries() {
    let dir = tempfile::tempdir().unwrap();
    let fault: Fault = Box::new(|_| Some(Reply::new(503, "down")));
    let fake = FakeGithub::with_faults(scenario(), fault, no_fault());
    fetch(dir.path(), &fake, &[]).fails(
        1,
        "error: GitHub answered 503 to the request for pull request #1347 of octo-org/octo-repo, also after retrying: try again later",
    );
    assert_eq!(fake.api.requests().len(), 5);
}

#[test]
fn a_dropped_connection_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let fault = first_requests("/artifacts", vec![|| Reply::Close]);
    let fake = FakeGithub::with_faults(scenario(), fault, no_fault());
    assert_fetched(dir.path(), &fetch(dir.path(), &fake, &[]));
    assert_eq!(fake.api_hits("/actions/runs/500/artifacts"), 2);
}

fn cut_download() -> Reply {
    let zip = spans_zip();
    Reply::Truncated {
        status: 200,
        headers: vec![("content-type".to_owned(), "application/zip".to_owned())],
        announced: zip.len() as u64,
        body: zip[..zip.len() / 2].to_vec(),
    }
}

#[test]
fn a_download_cut_in_the_middle_starts_again_from_a_fresh_url() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::with_faults(
        scenario(),
        no_fault(),
        first_requests("/blobs/", vec![cut_download]),
    );
    assert_fetched(dir.path(), &fetch(dir.path(), &fake, &[]));
    assert_eq!(fake.blobs.requests().len(), 2);
    assert_eq!(fake.api_hits("/actions/artifacts/71/zip"), 2);
    assert_eq!(files_in(&tracing_dir(dir.path())), ["trace-data"]);
}

#[test]
fn a_download_cut_every_time_fails_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeGithub::with_faults(scenario(), no_fault(), Box::new(|_| Some(cut_download())));
    let out = fetch(dir.path(), &fake, &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let line = out.last_error();
    assert!(
        line.starts_with("error: the download of artifact 71 kept failing (")
            && line.ends_with("): try again later"),
        "{line}"
    );
    assert_eq!(fake.blobs.requests().len(), 4, "bounded retries");
    assert_eq!(files_in(&tracing_dir(dir.path())), Vec::<String>::new());
}

#[test]
fn a_digest_mismatch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let zip = spans_zip();
    let scenario = scenario().last_artifact(|a| a.digest = Some(sha256(b"something else")));
    let fake = FakeGithub::start(scenario);
    fetch(dir.path(), &fake, &[]).fails(
        1,
        &format!(
            "error: the downloaded artifact 71 does not match its digest (expected {}, got {}): nothing was written; try again",
            sha256(b"something else"),
            sha256(&zip)
        ),
    );
    assert_eq!(files_in(&tracing_dir(dir.path())), Vec::<String>::new());
}

/// Regression: `SHA256:` in capitals was not recognised, and an algorithm that cannot be
/// checked (`md5:`) was accepted unchecked.
#[test]
fn the_digest_algorithm_is_read_ignoring_case_and_an_unknown_one_is_refused() {
    let zip = spans_zip();
    let dir = tempfile::tempdir().unwrap();
    let upper = sha256(&zip).replacen("sha256", "SHA256", 1).to_uppercase();
    let fake = FakeGithub::start(scenario().last_artifact(|a| a.digest = Some(upper.clone())));
    assert_eq!(fetch(dir.path(), &fake, &[]).code, 0);

    let dir = tempfile::tempdir().unwrap();
    let wrong = sha256(b"other").replacen("sha256", "Sha256", 1);
    let fake = FakeGithub::start(scenario().last_artifact(|a| a.digest = Some(wrong.clone())));
    assert_eq!(
        fetch(dir.path(), &fake, &[]).code,
        1,
        "a mismatch is caught in capitals too"
    );

    let dir = tempfile::tempdir().unwrap();
    let md5 = "md5:0123456789abcdef0123456789abcdef".to_owned();
    let fake = FakeGithub::start(scenario().last_artifact(|a| a.digest = Some(md5.clone())));
    fetch(dir.path(), &fake, &[]).fails(
        1,
        "error: artifact 71 has the digest `md5:0123456789abcdef0123456789abcdef`, which cannot be checked (only sha256:<64 hex digits> can): refusing to use it unverified",
    );
    assert!(
        fake.blobs.requests().is_empty(),
        "refused before downloading"
    );
    assert_eq!(files_in(&tracing_dir(dir.path())), Vec::<String>::new());
}

#[test]
fn an_artifact_that_expires_before_its_download_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let fault: Fault = Box::new(|request| {
        request
            .path()
            .ends_with("/artifacts/71/zip")
            .then(|| error(410, "Artifact has expired"))
    });
    let fake = FakeGithub::with_faults(scenario(), fault, no_fault());
    fetch(dir.path(), &fake, &[]).fails(
        1,
        "error: artifact 71 is gone (410): GitHub has deleted it; re-run the workflow to make a new one",
    );
    assert_eq!(files_in(&tracing_dir(dir.path())), Vec::<String>::new());
}

#[test]
fn a_next_page_link_to_another_host_is_not_followed_with_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let fault: Fault = Box::new(|request| {
        (request.path().ends_with("/actions/runs")).then(|| {
            Reply::json(
                200,
                &serde_json::json!({"total_count": 200, "workflow_runs": []}),
            )
            .header(
                "link",
                "<http://127.0.0.1:9/repositories/1/actions/runs?page=2>; rel=\"next\"",
            )
        })
    });
    let fake = FakeGithub::with_faults(scenario(), fault, no_fault());
    fetch(dir.path(), &fake, &[]).fails(
        1,
        "error: unexpected answer from GitHub for the workflow runs of commit 0202020: a next-page link outside the API's host",
    );
}

#[test]
fn sigint_and_sigterm_during_the_download_leave_no_partial_files() {
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        interrupt_the_download(signal, code);
    }
}

/// Sends SIG`signal` to `fetch-traces` while the blob host stalls mid-download.
fn interrupt_the_download(signal: &str, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let (stalled, stalled_rx) = std::sync::mpsc::channel::<()>();
    let stalled = std::sync::Mutex::new(stalled);
    // The blob host announces the zip, then hangs until the test is over.
    let blob_fault: Fault = Box::new(move |_| {
        let _ = stalled.lock().unwrap().send(());
        std::thread::sleep(Duration::from_secs(30));
        Some(cut_download())
    });
    let fake = FakeGithub::with_faults(scenario(), no_fault(), blob_fault);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ci-tracing"));
    cmd.args([
        "--no-progress",
        "--api-url",
        &fake.api.url(),
        "fetch-traces",
    ])
    .args(["--repo", "octo-org/octo-repo", "--pr", "1347"])
    .current_dir(dir.path())
    .env_clear()
    .env("PATH", std::env::var_os("PATH").unwrap_or_default())
    .env("HOME", dir.path())
    .env("GITHUB_TOKEN", support::github::TOKEN)
    .env("GIT_CEILING_DIRECTORIES", dir.path().parent().unwrap())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    stalled_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the download started");
    assert!(
        files_in(&tracing_dir(dir.path()))
            .iter()
            .any(|name| name.ends_with(".zip.part")),
        "a temporary file exists meanwhile"
    );
    let kill = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(code), "SIG{signal}");
    let stderr = support::text(&out.stderr);
    assert_eq!(
        stderr.lines().last().unwrap_or_default(),
        format!(
            "error: interrupted by SIG{signal}: nothing was left half-written; run the command again to finish"
        )
    );
    assert_eq!(files_in(&tracing_dir(dir.path())), Vec::<String>::new());
}

/// A repository that was renamed or transferred answers 301 (or 307) with its new API
/// path: followed on the API's host, with the token.
#[test]
fn a_moved_pull_request_is_followed_on_the_api_host() {
    for status in [301, 307] {
        let dir = tempfile::tempdir().unwrap();
        let fault: Fault = Box::new(move |request: &Request| {
            (request.path().ends_with("/pulls/1347") && request.query().is_empty())
                .then(|| Reply::redirect(status, &format!("{}?moved=1", request.path())))
        });
        let fake = FakeGithub::with_faults(scenario(), fault, no_fault());
        assert_fetched(dir.path(), &fetch(dir.path(), &fake, &[]));
        let moved: Vec<_> = fake
            .api
            .requests()
            .into_iter()
            .filter(|r| r.query() == "moved=1")
            .collect();
        assert_eq!(moved.len(), 1, "the new location was asked once ({status})");
        assert!(moved[0].header("authorization").is_some());
    }
}

/// A redirect to another host is not followed: the token would go along.
#[test]
fn a_redirect_to_another_host_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = support::http::Server::start(|_| Reply::new(200, "{}"));
    let target = format!("{}/repos/octo-org/octo-repo/pulls/1347", elsewhere.url());
    let fault: Fault = Box::new(move |request: &Request| {
        request
            .path()
            .ends_with("/pulls/1347")
            .then(|| Reply::redirect(301, &target))
    });
    let fake = FakeGithub::with_faults(scenario(), fault, no_fault());
    let out = fetch(dir.path(), &fake, &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.last_error()
            .contains("a redirect to another host, which is not followed with the token"),
        "{}",
        out.stderr
    );
    assert!(elsewhere.requests().is_empty(), "nothing was sent there");
}

/// Regression: an answer without `head` made the search list runs with `head_sha=`,
/// which GitHub answers with the repository's runs of any commit.
#[test]
fn a_pull_request_without_a_head_commit_is_one_error_and_no_run_search() {
    let dir = tempfile::tempdir().unwrap();
    let fault: Fault = Box::new(|request: &Request| {
        request
            .path()
            .ends_with("/pulls/1347")
            .then(|| Reply::json(200, &serde_json::json!({"number": 1347, "labels": []})))
    });
    let fake = FakeGithub::with_faults(scenario(), fault, no_fault());
    fetch(dir.path(), &fake, &[]).fails(
        1,
        "error: unexpected answer from GitHub for pull request #1347: an answer without the head commit",
    );
    assert!(
        fake.api
            .requests()
            .iter()
            .all(|r| !r.path().ends_with("/actions/runs")),
        "no run was searched"
    );
}
