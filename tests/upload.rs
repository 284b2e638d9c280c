//! `ci-tracing upload` when things go wrong: each bad input or service fault ends in one
//! clear line and the documented exit status, retries recover from passing faults, and
//! no output ever shows the runtime token or a signed URL's `sig`.

mod support;

use serde_json::json;
use support::job::{Job, TOKEN_MARKER};
use support::results::{FakeResults, UPLOAD_SIG, job_scopes, runtime_token};
use support::text;

const LABEL: &str = "enable tracing";
const SAMPLE: &[u8] = include_bytes!("fixtures/collector-pdata-sample.jsonl");
/// [`UPLOAD_SIG`] percent-decoded.
const DECODED_SIG: &str = "c2VudGluZWwtdXBsb2Fk+c2ln/=";

fn traced_job() -> (Job, FakeResults) {
    let job = Job::pull_request(&["bug", LABEL]);
    let fake = FakeResults::start(&job.token);
    job.write("trace-data.json", SAMPLE);
    (job, fake)
}

/// Asserts exit `code` and one `::error::` line containing `expected`; returns all output.
fn assert_error(out: &std::process::Output, code: i32, expected: &str) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("::error::"))
        .collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains(expected), "{stderr}");
    format!("{stderr}{}", text(&out.stdout))
}

fn assert_no_secrets(all: &str, token: &str) {
    assert!(!all.contains(TOKEN_MARKER) && !all.contains(token), "{all}");
    let escaped = UPLOAD_SIG.replace('%', "%25");
    for line in all
        .lines()
        .filter(|l| l.contains(UPLOAD_SIG) || l.contains(DECODED_SIG) || l.contains(&escaped))
    {
        assert!(
            line.starts_with("::add-mask::"),
            "sig outside a mask: {line}"
        );
    }
}

fn count(fake: &FakeResults, needle: &str) -> usize {
    fake.requests()
        .iter()
        .filter(|r| format!("{} {}?{}", r.method, r.path(), r.query()).contains(needle))
        .count()
}

#[test]
fn without_the_label_nothing_is_uploaded() {
    let job = Job::pull_request(&["bug"]);
    let fake = FakeResults::start(&job.token);
    job.write("trace-data.json", SAMPLE);
    let out = job.upload(&fake).arg("trace-data.json").output().unwrap();
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("nothing uploaded"));
    assert!(fake.requests().is_empty());
    assert!(job.outputs().is_empty());
}

#[test]
fn a_run_step_without_runtime_variables_is_told_to_use_the_action() {
    let (job, _fake) = traced_job();
    let out = job
        .command()
        .args(["upload", "trace-data.json"])
        .output()
        .unwrap();
    let all = assert_error(&out, 2, "ACTIONS_RUNTIME_TOKEN is not set");
    assert!(all.contains("not to `run:` steps"), "{all}");
    assert!(all.contains("uses: OWNER/ci-tracing@v1"), "{all}");
    let out = job
        .command()
        .env("ACTIONS_RUNTIME_TOKEN", &job.token)
        .args(["upload", "trace-data.json"])
        .output()
        .unwrap();
    let all = assert_error(&out, 2, "ACTIONS_RESULTS_URL is not set");
    assert!(!all.contains(TOKEN_MARKER), "{all}");
}

#[test]
fn a_runtime_token_without_the_results_scope_is_refused() {
    let (job, fake) = traced_job();
    let token = runtime_token(
        "Actions.GenericRead:abc Actions.UploadArtifacts:x",
        TOKEN_MARKER,
    );
    let out = job
        .upload(&fake)
        .env("ACTIONS_RUNTIME_TOKEN", &token)
        .args(["-v", "trace-data.json"])
        .output()
        .unwrap();
    let all = assert_error(&out, 2, "has no Actions.Results scope");
    assert_no_secrets(&all, &token);
    assert!(fake.requests().is_empty());
}

#[test]
fn invalid_artifact_names_are_refused_before_any_request() {
    let (job, fake) = traced_job();
    for name in ["traces/today", "a:b", "what?"] {
        let out = job
            .upload(&fake)
            .args(["trace-data.json", "--name", name])
            .output()
            .unwrap();
        assert_error(&out, 2, "invalid artifact name");
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn out_of_range_flags_are_usage_errors() {
    let (job, fake) = traced_job();
    for (args, flag) in [
        (&["--retention-days", "91"][..], "--retention-days"),
        (&["--report-max-spans", "0"], "--report-max-spans"),
        (&["--compression-level", "12"], "--compression-level"),
    ] {
        let out = job.upload(&fake).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains(flag) && stderr.contains("not in"),
            "{stderr}"
        );
    }
}

#[test]
fn a_glob_matching_nothing_follows_if_no_files_found() {
    let (job, fake) = traced_job();
    let out = job.upload(&fake).arg("traces/*.json").output().unwrap();
    assert!(out.status.success());
    assert!(text(&out.stderr).contains("::warning::no files found at `traces/*.json`"));
    let out = job
        .upload(&fake)
        .args(["traces/*.json", "--if-no-files-found", "ignore"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!text(&out.stderr).contains("::warning::"));
    let out = job
        .upload(&fake)
        .args(["traces/*.json", "--if-no-files-found", "error"])
        .output()
        .unwrap();
    assert_error(&out, 1, "no files found at `traces/*.json`");
    assert!(fake.requests().is_empty());
}

#[test]
fn an_unreadable_file_is_a_usage_error_before_any_request() {
    let (job, fake) = traced_job();
    // A socket cannot be opened for reading, whoever runs the test (root included).
    let _socket = std::os::unix::net::UnixListener::bind(job.path().join("traces.sock")).unwrap();
    let out = job
        .upload(&fake)
        .args(["trace-data.json", "traces.sock"])
        .output()
        .unwrap();
    assert_error(&out, 2, "cannot read");
    assert!(fake.requests().is_empty());
}

#[test]
/// (These count the requests of the trace artifact: without the report's.)
fn a_name_taken_in_the_run_needs_overwrite() {
    let (job, fake) = traced_job();
    let old = fake.add_artifact("trace-data", b"old zip");
    let out = job.upload(&fake).arg("trace-data.json").output().unwrap();
    assert_error(
        &out,
        1,
        "an artifact named \"trace-data\" already exists in this workflow run: pass --overwrite",
    );
    let out = job
        .upload(&fake)
        .args(["trace-data.json", "--overwrite", "--no-report"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(count(&fake, "/ListArtifacts"), 1);
    assert_eq!(count(&fake, "/DeleteArtifact"), 1);
    let artifacts = fake.artifacts();
    assert_eq!(artifacts.len(), 1);
    assert_ne!(artifacts[0].id, old);
    assert_eq!(job.outputs()["artifact-id"], artifacts[0].id.to_string());
}

#[test]
fn a_503_is_retried() {
    let (job, fake) = traced_job();
    fake.fail_once(
        "/CreateArtifact",
        503,
        json!({"code": "unavailable", "msg": "busy"}),
    );
    fake.fail_once("/FinalizeArtifact", 0, json!(null));
    let out = (job
        .upload(&fake)
        .args(["trace-data.json", "--no-report"])
        .output())
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(count(&fake, "/CreateArtifact"), 2);
    assert_eq!(count(&fake, "/FinalizeArtifact"), 2);
    assert_eq!(
        fake.artifacts()[0].finalized.as_ref().map(|f| f.0 > 0),
        Some(true)
    );
}

#[test]
fn a_service_that_stays_down_is_one_error() {
    let (job, fake) = traced_job();
    for _ in 0..5 {
        fake.fail_once("/CreateArtifact", 502, json!({"code": "unavailable"}));
    }
    let out = job.upload(&fake).arg("trace-data.json").output().unwrap();
    assert_error(&out, 1, "CreateArtifact failed after 5 attempts: HTTP 502");
}

#[test]
fn a_blob_put_failing_once_is_sent_again() {
    let (job, fake) = traced_job();
    fake.fail_once("PUT /blob/", 500, json!(null));
    let out = (job
        .upload(&fake)
        .args(["trace-data.json", "--no-report"])
        .output())
    .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(count(&fake, "comp=block&"), 2);
    assert_eq!(count(&fake, "comp=blocklist"), 1);
}

#[test]
fn a_refused_blob_upload_does_not_show_the_signed_url() {
    let (job, fake) = traced_job();
    fake.fail_once("PUT /blob/", 403, json!(null));
    let out = job
        .upload(&fake)
        .args(["-v", "trace-data.json"])
        .output()
        .unwrap();
    let all = assert_error(&out, 1, "blob storage refused a block: HTTP 403");
    assert_no_secrets(&all, &job.token);
    assert!(fake.artifacts()[0].finalized.is_none());
}

#[test]
fn ok_false_from_the_service_is_an_error() {
    let (job, fake) = traced_job();
    fake.fail_once("/FinalizeArtifact", 200, json!({"ok": false}));
    let out = job.upload(&fake).arg("trace-data.json").output().unwrap();
    assert_error(
        &out,
        1,
        "FinalizeArtifact: the results service answered but did not accept the request (ok: false)",
    );
    assert!(job.outputs().is_empty());
}

#[test]
fn secrets_stay_out_of_every_output_even_verbose() {
    let (job, fake) = traced_job();
    let out = job
        .upload(&fake)
        .args(["-vv", "trace-data.json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let all = format!("{}{}", text(&out.stderr), text(&out.stdout));
    // Workflow commands escape `%`; the runner unescapes it and masks the sig as sent.
    let escaped = UPLOAD_SIG.replace('%', "%25");
    assert!(all.contains(&format!("::add-mask::{escaped}\n")), "{all}");
    assert!(
        all.contains(&format!("::add-mask::{DECODED_SIG}\n")),
        "{all}"
    );
    assert_no_secrets(&all, &job.token);
    let files = format!("{:?}{}", job.outputs(), job.summary());
    assert!(
        !files.contains(UPLOAD_SIG) && !files.contains(DECODED_SIG),
        "{files}"
    );
    assert!(!files.contains(TOKEN_MARKER), "{files}");
    // Outside Actions there is no mask line, so the sig appears nowhere.
    let out = job
        .upload(&fake)
        .env_remove("GITHUB_ACTIONS")
        .args(["-vv", "trace-data.json", "--name", "again"])
        .output()
        .unwrap();
    let all = format!("{}{}", text(&out.stderr), text(&out.stdout));
    assert!(out.status.success(), "{all}");
    assert!(
        !all.contains(UPLOAD_SIG) && !all.contains(DECODED_SIG),
        "{all}"
    );
    assert!(!all.contains(TOKEN_MARKER), "{all}");
}

#[test]
fn outputs_summary_and_retention_capped_by_the_repository() {
    let (job, fake) = traced_job();
    let out = job
        .upload(&fake)
        .env("GITHUB_RETENTION_DAYS", "10")
        .args(["trace-data.json", "--retention-days", "30"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("keeping the artifact 10 days"));
    let ten_days = std::time::SystemTime::now() + std::time::Duration::from_secs(10 * 86_400);
    let expected = ci_tracing::time::rfc3339(ten_days);
    let expires = fake.artifacts()[0].expires_at.clone().unwrap();
    assert_eq!(expires[..10], expected[..10]);
    let counts = ci_tracing::trace::counts::Counts::scan(SAMPLE).unwrap();
    let outputs = job.outputs();
    assert_eq!(outputs["spans"], counts.spans.to_string());
    assert_eq!(outputs["traces"], counts.traces.len().to_string());
    let summary = job.summary();
    let spans_row = format!("| spans | {} |", counts.spans);
    for part in [
        &spans_row,
        "ci-tracing fetch-traces --pr 42",
        "/actions/runs/1658821493/artifacts/",
    ] {
        assert!(summary.contains(part), "{part}: {summary}");
    }
}

#[test]
fn a_forced_upload_outside_a_pull_request_works() {
    let job = Job::event("push");
    let fake = FakeResults::start(&runtime_token(&job_scopes(), TOKEN_MARKER));
    job.write("trace-data.json", SAMPLE);
    let out = job
        .upload(&fake)
        .args(["trace-data.json", "--force"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(job.summary().contains("--pr <PR number>"));
}

#[test]
fn a_file_name_the_service_refuses_is_an_error_before_any_request() {
    let (job, fake) = traced_job();
    job.write("traces/ok.json", SAMPLE);
    job.write("traces/run:1.json", SAMPLE);
    let out = job.upload(&fake).arg("traces").output().unwrap();
    assert_error(&out, 2, "cannot upload \"run:1.json\"");
    assert!(fake.requests().is_empty());
}

/// The file is read once: a FIFO gives its bytes to one reader only, and a second open
/// would wait forever for a writer (the test gives up after two minutes rather than
/// hang). The job summary's chart of the slowest trace, which needs a second look at
/// the spans, still appears, and the artifact holds every byte.
#[test]
fn a_fifo_is_read_once_and_still_gets_its_chart() {
    use std::io::{Read, Write};

    let (job, fake) = traced_job();
    let mut content = Vec::new();
    let generated = support::generate::write(
        &support::generate::Options {
            bytes: Some(3 << 20),
            seed: 5,
            ..support::generate::Options::default()
        },
        &mut content,
    )
    .unwrap();
    let fifo = job.path().join("fifo.json");
    support::mkfifo(&fifo);
    let writer = {
        let (fifo, content) = (fifo.clone(), content.clone());
        std::thread::spawn(move || {
            std::fs::File::create(&fifo).and_then(|mut f| f.write_all(&content))
        })
    };
    let mut child = job
        .std_upload(&fake)
        .arg("fifo.json")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("upload is still running: it waits to read the FIFO a second time");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let written = writer.join().unwrap();
    assert!(written.is_ok(), "{written:?}: {}", text(&out.stderr));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(job.outputs()["spans"], generated.spans.to_string());
    let summary = job.summary();
    assert!(summary.contains("#### Slowest trace: "), "{summary}");
    assert!(summary.contains("```mermaid\ngantt\n"), "{summary}");
    let id: u64 = job.outputs()["artifact-id"].parse().unwrap();
    let zip = fake.content(id).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut uploaded = Vec::new();
    archive
        .by_name("fifo.json")
        .unwrap()
        .read_to_end(&mut uploaded)
        .unwrap();
    assert!(
        uploaded == content,
        "the artifact differs from what was written"
    );
}

/// `retention-days: 0` is the repository's default, as in upload-artifact: no
/// `expires_at` is sent.
#[test]
fn retention_days_zero_leaves_the_expiry_to_the_repository() {
    let (job, fake) = traced_job();
    let out = job
        .upload(&fake)
        .args(["trace-data.json", "--retention-days", "0", "--no-report"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fake.artifacts()[0].expires_at, None);
}

/// Hidden files stay out of a directory's artifact unless asked for.
#[test]
fn hidden_files_are_left_out_unless_included() {
    let (job, fake) = traced_job();
    job.write("traces/a.json", SAMPLE);
    job.write("traces/.hidden.json", SAMPLE);
    let names = |fake: &FakeResults| {
        let id = fake.artifacts().last().unwrap().id;
        let zip = fake.content(id).unwrap();
        let archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
        (archive.file_names().map(|name| name.unwrap().into_owned())).collect::<Vec<_>>()
    };
    let upload = |extra: &[&str]| {
        let out = job
            .upload(&fake)
            .args(["traces", "--no-report", "--overwrite"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    upload(&[]);
    assert_eq!(names(&fake), ["a.json"]);
    upload(&["--include-hidden-files"]);
    let mut included = names(&fake);
    included.sort();
    assert_eq!(included, [".hidden.json", "a.json"]);
}

/// GitHub Enterprise Server has no artifact service for this protocol: one line says
/// so before anything is sent; *.ghe.com is GitHub's cloud and works.
#[test]
fn enterprise_server_is_told_the_artifact_service_is_missing() {
    let (job, fake) = traced_job();
    let out = job
        .upload(&fake)
        .env("GITHUB_SERVER_URL", "https://ghe.example.com")
        .arg("trace-data.json")
        .output()
        .unwrap();
    assert_error(
        &out,
        2,
        "not available on GitHub Enterprise Server (https://ghe.example.com)",
    );
    assert!(fake.requests().is_empty());
    let out = job
        .upload(&fake)
        .env("GITHUB_SERVER_URL", "https://octo.ghe.com")
        .args(["trace-data.json", "--no-report"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// The report goes after the traces: when it cannot be uploaded (here its name is
/// taken in the run), the step warns and succeeds, and the traces are uploaded.
#[test]
fn a_report_that_cannot_be_uploaded_is_a_warning_not_a_lost_trace_artifact() {
    let (job, fake) = traced_job();
    fake.add_artifact("traces.html", b"a report of another job");
    let out = job.upload(&fake).arg("trace-data.json").output().unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let warning = stderr
        .lines()
        .find(|l| l.starts_with("::warning::the HTML report was not uploaded (the traces were)"));
    assert!(
        warning.is_some_and(|l| l.contains("already exists")),
        "{stderr}"
    );
    let traces = fake
        .artifacts()
        .into_iter()
        .find(|a| a.name == "trace-data");
    assert!(traces.is_some_and(|a| a.finalized.is_some()));
    assert!(!job.outputs().contains_key("report-artifact-id"));
    assert!(!job.summary().contains("Open the trace waterfall"));
}

#[test]
fn no_report_uploads_only_the_traces_and_report_name_renames_it() {
    let (job, fake) = traced_job();
    let out = job
        .upload(&fake)
        .args(["trace-data.json", "--no-report"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let names: Vec<String> = fake.artifacts().into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["trace-data"]);
    assert!(job.summary().starts_with("### Traces uploaded"));
    let out = job
        .upload(&fake)
        .args([
            "trace-data.json",
            "--overwrite",
            "--report-name",
            "smoke.html",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let names: Vec<String> = fake.artifacts().into_iter().map(|a| a.name).collect();
    assert_eq!(names, ["trace-data", "smoke.html"]);
    assert!(text(&out.stdout).contains("uploaded the HTML report \"smoke.html\""));
}

/// A file uploaded as is gets its report too, read from the copy of the file sent.
#[test]
fn no_archive_uploads_the_file_as_is_and_its_report() {
    let (job, fake) = traced_job();
    let out = job
        .upload(&fake)
        .args(["trace-data.json", "--no-archive"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let artifacts = fake.artifacts();
    let names: Vec<&str> = artifacts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["trace-data.json", "traces.html"]);
    assert_eq!(fake.content(artifacts[0].id).unwrap(), SAMPLE);
    let page = String::from_utf8(fake.content(artifacts[1].id).unwrap()).unwrap();
    let counts = ci_tracing::trace::counts::Counts::scan(SAMPLE).unwrap();
    let spans = format!("(`traces.html`, {} spans)", counts.spans);
    assert!(job.summary().lines().next().unwrap().ends_with(&spans));
    assert!(page.starts_with("<!DOCTYPE html>"));
}
