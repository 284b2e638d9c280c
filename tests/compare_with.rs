//! `upload --compare-with`: which baseline it picks against the fake GitHub (`previous`
//! skips this run, `branch:NAME` takes the newest push there, `run:ID` that run), the
//! "Compared with run N" section of the job summary, and every way there is no baseline
//! (none, expired, 403 without `actions: read`): a notice, never a failure. No output
//! ever shows the GitHub token.

mod support;

use std::fmt::Write as _;

use support::fetch::zip_of;
use support::github::{FakeGithub, Scenario, TOKEN, error, sha};
use support::http::Reply;
use support::job::{Job, PR, TOKEN_MARKER};
use support::results::FakeResults;
use support::text;

/// `GITHUB_RUN_ID` of [`Job`]: the run being uploaded from.
const THIS_RUN: u64 = 1_658_821_493;

/// One line of OTLP/JSON with `count` spans of `name` (service `svc`), each `ms` long,
/// in traces numbered from `first_trace`.
fn spans(name: &str, count: u64, ms: u64, first_trace: u64) -> String {
    let mut spans = Vec::new();
    for i in 0..count {
        let start = 1_795_000_000_000_000_000 + i * 1_000_000_000;
        spans.push(format!(
            r#"{{"traceId":"{:032x}","spanId":"{:016x}","name":"{name}","kind":1,"startTimeUnixNano":"{start}","endTimeUnixNano":"{}","status":{{}}}}"#,
            first_trace + i,
            first_trace * 1000 + i + 1,
            start + ms * 1_000_000
        ));
    }
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"svc"}}}}]}},"scopeSpans":[{{"scope":{{}},"spans":[{}]}}]}}]}}"#,
        spans.join(",")
    ) + "\n"
}

/// This run's traces: `ocr2` 200 ms (twice the baseline's), `steady` unchanged.
fn head_traces() -> String {
    let mut file = spans("ocr2", 10, 200, 1);
    let _ = write!(file, "{}", spans("steady", 10, 50, 100));
    file
}

/// The baseline's traces: `ocr2` 100 ms, `steady` 50 ms.
fn base_zip() -> Vec<u8> {
    let mut file = spans("ocr2", 10, 100, 1);
    file.push_str(&spans("steady", 10, 50, 100));
    zip_of(&[("trace-data.json", file.as_bytes())])
}

/// The fake's repository and pull request are the job's.
fn scenario() -> Scenario {
    let mut scenario = Scenario::new();
    "octo-org/node".clone_into(&mut scenario.repo);
    scenario.pr = PR;
    scenario
}

/// [`scenario`] with a push to main (run 800) that made artifact 80 of [`base_zip`].
fn main_pushed() -> Scenario {
    scenario()
        .push_run(800, &sha(8), "main")
        .artifact(80, "trace-data", 800, &base_zip())
}

struct Uploaded {
    stdout: String,
    code: i32,
    stderr: String,
    summary: String,
}

/// `upload trace-data.json ARGS` in a labelled pull request job, against `github`.
fn upload(job: &Job, github: &FakeGithub, args: &[&str]) -> Uploaded {
    job.write("trace-data.json", head_traces().as_bytes());
    upload_files(job, github, &["trace-data.json"], args)
}

/// `upload FILES --no-report ARGS` in `job`, against `github`.
fn upload_files(job: &Job, github: &FakeGithub, files: &[&str], args: &[&str]) -> Uploaded {
    upload_with_env(job, github, files, args, &[])
}

/// `upload` in `job` against `github` and `results`, with its own temporary directory
/// (returned, to be seen empty afterwards).
fn upload_command(
    job: &Job,
    github: &FakeGithub,
    results: &FakeResults,
) -> (std::process::Command, std::path::PathBuf) {
    let tmp = job.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut command = job.std_upload(results);
    command
        .env("GITHUB_API_URL", github.api.url())
        .env("GITHUB_TOKEN", TOKEN)
        .env("TMPDIR", &tmp);
    (command, tmp)
}

/// [`upload_files`] with more environment variables.
fn upload_with_env(
    job: &Job,
    github: &FakeGithub,
    files: &[&str],
    args: &[&str],
    env: &[(&str, &str)],
) -> Uploaded {
    let results = FakeResults::start(&job.token);
    let (command, tmp) = upload_command(job, github, &results);
    let out = assert_cmd::Command::from_std(command)
        .envs(env.iter().copied())
        .args(files)
        .arg("--no-report")
        .args(args)
        .output()
        .unwrap();
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
    let uploaded = Uploaded {
        stdout: text(&out.stdout),
        code: out.status.code().unwrap_or(-1),
        stderr: text(&out.stderr),
        summary: job.summary(),
    };
    let all = format!(
        "{}{}{}",
        text(&out.stdout),
        uploaded.stderr,
        uploaded.summary
    );
    for secret in [TOKEN, TOKEN_MARKER, "SENTINEL"] {
        assert!(!all.contains(secret), "a secret leaked:\n{all}");
    }
    assert!(!all.contains("panicked"), "{all}");
    assert_eq!(results.artifacts().len(), 1, "the traces were not uploaded");
    uploaded
}

fn traced() -> Job {
    Job::pull_request(&["enable tracing"])
}

/// Asserts a successful upload whose summary compares with `run`.
fn assert_compared_with(out: &Uploaded, run: u64) {
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.summary.contains(&format!("Compared with run {run}")),
        "{}",
        out.summary
    );
    assert!(
        out.summary.contains(&format!(
            "https://github.com/octo-org/node/actions/runs/{run})"
        )),
        "{}",
        out.summary
    );
    assert!(!out.stderr.contains("::notice::"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "compared with workflow run {run}: 1 span name(s) flagged, regressed"
        )),
        "{}",
        out.stderr
    );
    // The span name that became twice as slow is flagged, first; the steady one is not.
    let section = &out.summary[out.summary.find("Compared with run").unwrap_or(0)..];
    let rows: Vec<&str> = section.lines().filter(|l| l.contains("| svc |")).collect();
    assert_eq!(rows.len(), 2, "{}", out.summary);
    assert!(
        rows[0].starts_with("| ❌ slower | svc | ocr2 |") && rows[0].contains("100 ms → 200 ms"),
        "{}",
        out.summary
    );
    assert!(
        rows[1].starts_with("|  | svc | steady |"),
        "{}",
        out.summary
    );
}

/// Asserts a successful upload with a notice and a summary line containing `why`.
fn assert_no_baseline(out: &Uploaded, why: &str) {
    assert_eq!(out.code, 0, "{}", out.stderr);
    let notices: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("::notice::"))
        .collect();
    assert_eq!(notices.len(), 1, "{}", out.stderr);
    assert!(notices[0].contains(why), "{}", out.stderr);
    assert!(!out.stderr.contains("::error::"), "{}", out.stderr);
    assert!(
        !out.summary.contains("Compared with run"),
        "{}",
        out.summary
    );
    let line: Vec<&str> = out
        .summary
        .lines()
        .filter(|l| l.starts_with("> No comparison with a baseline"))
        .collect();
    assert_eq!(line.len(), 1, "{}", out.summary);
    assert!(line[0].contains(why), "{}", out.summary);
}

#[test]
fn previous_takes_the_pull_requests_last_earlier_run_not_this_one() {
    let job = traced();
    // This run (newest) already has an artifact of its own from an earlier attempt.
    let github = FakeGithub::start(
        scenario()
            .run(700, &sha(1))
            .artifact(70, "trace-data", 700, &base_zip())
            .run(THIS_RUN, &sha(2))
            .artifact(90, "trace-data", THIS_RUN, &base_zip()),
    );
    let out = upload(&job, &github, &["--compare-with", "previous"]);
    assert_compared_with(&out, 700);
    assert!(out.summary.contains("commit `0101010`"), "{}", out.summary);
    assert!(
        out.summary.contains(&format!(
            "ci-tracing fetch-traces -R octo-org/node --run-id 700 -D .github/tracing/base && ci-tracing fetch-traces -R octo-org/node --run-id {THIS_RUN} && ci-tracing compare .github/tracing/base/trace-data .github/tracing/trace-data"
        )),
        "{}",
        out.summary
    );
    // The artifact of this run was never downloaded.
    assert_eq!(github.api_hits("/actions/artifacts/90/zip"), 0);
    assert_eq!(github.api_hits("/actions/artifacts/70/zip"), 1);
}

#[test]
fn branch_takes_the_newest_push_to_that_branch() {
    let job = traced();
    let github = FakeGithub::start(
        main_pushed()
            .push_run(810, &sha(9), "main")
            .artifact(81, "trace-data", 810, &base_zip())
            .push_run(820, &sha(10), "release")
            .artifact(82, "trace-data", 820, &base_zip())
            // A pull request's run newer than every push.
            .run(830, &sha(2))
            .artifact(83, "trace-data", 830, &base_zip()),
    );
    let out = upload(&job, &github, &["--compare-with", "branch:main"]);
    assert_compared_with(&out, 810);
    assert_eq!(github.runs_listed_by("branch").as_deref(), Some("main"));
    assert_eq!(github.api_hits("/actions/artifacts/81/zip"), 1);
    assert_eq!(github.blobs.requests().len(), 1);
}

#[test]
fn run_takes_that_run() {
    let job = traced();
    let github = FakeGithub::start(
        scenario()
            .run(900, &sha(1))
            .artifact(91, "trace-data", 900, &base_zip())
            .run(901, &sha(2))
            .artifact(92, "trace-data", 901, &base_zip()),
    );
    let out = upload(&job, &github, &["--compare-with", "run:900"]);
    assert_compared_with(&out, 900);
    assert_eq!(github.api_hits("/actions/artifacts/91/zip"), 1);
}

#[test]
fn a_baseline_uploaded_unzipped_is_read_as_is() {
    let job = traced();
    let mut file = spans("ocr2", 10, 100, 1);
    file.push_str(&spans("steady", 10, 50, 100));
    let github = FakeGithub::start(
        scenario()
            .run(900, &sha(1))
            .artifact(91, "trace-data.json", 900, file.as_bytes())
            .last_artifact(|a| a.served_as = Some("application/json".to_owned())),
    );
    let out = upload(&job, &github, &["--compare-with", "run:900"]);
    assert_compared_with(&out, 900);
}

#[test]
fn several_files_are_compared_together() {
    let job = traced();
    job.write("traces/a.json", spans("ocr2", 10, 200, 1).as_bytes());
    job.write("traces/b.json", spans("steady", 10, 50, 100).as_bytes());
    let github = FakeGithub::start(scenario().run(900, &sha(1)).artifact(
        91,
        "trace-data",
        900,
        &base_zip(),
    ));
    let out = upload_files(&job, &github, &["traces/"], &["--compare-with", "run:900"]);
    assert_compared_with(&out, 900);
    assert!(
        out.stdout.contains("20 spans in 20 traces"),
        "{}",
        out.stdout
    );
}

#[test]
fn without_a_baseline_it_is_a_notice_and_the_upload_succeeds() {
    let github = FakeGithub::start(scenario().run(THIS_RUN, &sha(2)));
    let out = upload(&traced(), &github, &["--compare-with", "previous"]);
    assert_no_baseline(
        &out,
        "no `trace-data` artifact in the earlier workflow runs of pull request #42",
    );
    let out = upload(&traced(), &github, &["--compare-with", "branch:main"]);
    assert_no_baseline(&out, "no `trace-data` artifact in branch main");
}

#[test]
fn an_expired_baseline_is_a_notice_and_the_upload_succeeds() {
    let job = traced();
    let github = FakeGithub::start(main_pushed().last_artifact(|a| a.expired = true));
    let out = upload(&job, &github, &["--compare-with", "branch:main"]);
    assert_no_baseline(
        &out,
        "every `trace-data` artifact of branch main has expired",
    );
    assert_eq!(github.api_hits("/zip"), 0);
}

#[test]
fn a_token_without_actions_read_is_a_notice() {
    let job = traced();
    let github = FakeGithub::with_faults(
        main_pushed(),
        Box::new(|request| {
            request
                .path()
                .contains("/actions/")
                .then(|| error(403, "Resource not accessible by integration"))
        }),
        Box::new(|_| None),
    );
    let out = upload(&job, &github, &["--compare-with", "branch:main"]);
    assert_no_baseline(&out, "403 Resource not accessible by integration");
    assert!(
        out.summary.contains("needs `permissions: actions: read`"),
        "{}",
        out.summary
    );
}

#[test]
fn an_unreadable_baseline_is_a_notice() {
    let job = traced();
    let github = FakeGithub::with_faults(
        main_pushed(),
        Box::new(|_| None),
        Box::new(|_| Some(Reply::new(404, "<Error><Code>BlobNotFound</Code></Error>"))),
    );
    let out = upload(&job, &github, &["--compare-with", "branch:main"]);
    assert_no_baseline(&out, "the download of artifact 80");
}

#[test]
fn a_baseline_that_takes_too_long_is_a_notice_and_the_upload_succeeds() {
    let job = traced();
    // The blob host stalls far longer than the baseline may take.
    let github = FakeGithub::with_faults(
        main_pushed(),
        Box::new(|_| None),
        Box::new(|_| {
            std::thread::sleep(std::time::Duration::from_secs(20));
            None
        }),
    );
    job.write("trace-data.json", head_traces().as_bytes());
    let out = upload_with_env(
        &job,
        &github,
        &["trace-data.json"],
        &["--compare-with", "branch:main"],
        &[("CI_TRACING_BASELINE_SECONDS", "1")],
    );
    assert_no_baseline(&out, "not found, fetched and read within 1 s");
}

#[test]
fn an_interrupted_comparison_leaves_no_temporary_directory() {
    let job = traced();
    let (stalled, stalled_rx) = std::sync::mpsc::channel::<()>();
    let stalled = std::sync::Mutex::new(stalled);
    // The blob host stalls: the baseline's download is under way when SIGINT comes.
    let github = FakeGithub::with_faults(
        main_pushed(),
        Box::new(|_| None),
        Box::new(move |_| {
            let _ = stalled.lock().unwrap().send(());
            std::thread::sleep(std::time::Duration::from_secs(20));
            None
        }),
    );
    job.write("trace-data.json", head_traces().as_bytes());
    let results = FakeResults::start(&job.token);
    let (mut command, tmp) = upload_command(&job, &github, &results);
    let child = command
        .args([
            "trace-data.json",
            "--no-report",
            "--compare-with",
            "branch:main",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    stalled_rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the baseline's download started");
    let baseline_dirs = std::fs::read_dir(&tmp).unwrap().count();
    assert_eq!(
        baseline_dirs, 1,
        "the baseline's directory exists meanwhile"
    );
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
    assert!(!text(&out.stderr).contains(TOKEN));
}

#[test]
fn a_push_to_a_traced_branch_compares_with_the_branchs_previous_push() {
    let job = Job::event("push");
    let github = FakeGithub::start(main_pushed().push_run(THIS_RUN, &sha(9), "main"));
    let results = FakeResults::start(&job.token);
    job.write("trace-data.json", head_traces().as_bytes());
    let out = job
        .upload(&results)
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_API_URL", github.api.url())
        .env("GITHUB_TOKEN", TOKEN)
        .args([
            "trace-data.json",
            "--branch",
            "main",
            "--compare-with",
            "branch:main",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(results.artifacts().len(), 2, "traces and report");
    assert!(
        job.summary().contains("Compared with run 800"),
        "{}",
        job.summary()
    );
}

#[test]
fn bad_values_are_one_usage_error_before_any_request() {
    let job = traced();
    let results = FakeResults::start(&job.token);
    job.write("trace-data.json", head_traces().as_bytes());
    for bad in ["latest", "branch:", "run:abc"] {
        let out = job
            .upload(&results)
            .args(["trace-data.json", "--compare-with", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("expected previous, branch:NAME or run:ID"),
            "{stderr}"
        );
    }
    assert!(results.requests().is_empty());
}
