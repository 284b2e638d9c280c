//! The action end to end: `action/main.js` run by Node with the inputs the runner would
//! set (`INPUT_*`), using the binary under test (`CI_TRACING_BIN`), so that every input
//! maps to a flag the binary really accepts and the step ends with its status.

mod support;

use std::path::Path;
use std::process::Command;

use support::job::Job;
use support::results::FakeResults;
use support::text;

/// `node action/main.js` in the job's environment with `inputs`.
fn action(job: &Job, fake: Option<&FakeResults>, inputs: &[(&str, &str)]) -> std::process::Output {
    let main = Path::new(env!("CARGO_MANIFEST_DIR")).join("action/main.js");
    let probe = job.command();
    let mut cmd = Command::new("node");
    cmd.arg(main).current_dir(job.path()).env_clear();
    for (key, value) in probe.get_envs() {
        if let Some(value) = value {
            cmd.env(key, value);
        }
    }
    cmd.env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CI_TRACING_BIN", env!("CARGO_BIN_EXE_ci-tracing"));
    if let Some(fake) = fake {
        cmd.env("ACTIONS_RUNTIME_TOKEN", &job.token)
            .env("ACTIONS_RESULTS_URL", fake.results_url());
    }
    for (name, value) in inputs {
        cmd.env(format!("INPUT_{}", name.to_uppercase()), value);
    }
    cmd.output().expect("node runs (install Node.js 20+)")
}

#[test]
fn the_gate_input_runs_the_gate() {
    let job = Job::pull_request(&["Enable Tracing"]);
    let out = action(
        &job,
        None,
        &[
            ("command", "gate"),
            ("label", "enable tracing"),
            ("live", "false"),
        ],
    );
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert_eq!(job.outputs()["enabled"], "true");
}

#[test]
fn every_upload_input_maps_to_a_flag_the_binary_accepts() {
    let job = Job::pull_request(&["enable tracing"]);
    let fake = FakeResults::start(&job.token);
    job.write(
        "traces/a.json",
        include_bytes!("fixtures/collector-pdata-sample.jsonl"),
    );
    job.write("traces/b.json", b"");
    fake.add_artifact("traces", b"an earlier attempt");
    let out = action(
        &job,
        Some(&fake),
        &[
            ("command", "upload"),
            ("path", "traces/a.json\ntraces/b.json\n"),
            ("name", "traces"),
            ("label", "enable tracing"),
            ("live", "false"),
            ("retention-days", "3"),
            ("compression-level", "9"),
            ("overwrite", "true"),
            ("if-no-files-found", "error"),
            ("include-hidden-files", "false"),
            ("archive", "true"),
            ("report", "true"),
            ("report-name", "smoke.html"),
            ("report-max-spans", "1000"),
            ("token", "ghs_action_input_token"),
        ],
    );
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{all}");
    let artifacts = fake.artifacts();
    let names: Vec<&str> = artifacts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["traces", "smoke.html"], "the old one was replaced");
    assert!(artifacts[0].expires_at.is_some());
    let outputs = job.outputs();
    assert_eq!(outputs["artifact-id"], artifacts[0].id.to_string());
    assert_eq!(outputs["report-artifact-id"], artifacts[1].id.to_string());
    assert!(!all.contains("ghs_action_input_token"));
}

#[test]
fn the_step_fails_with_the_binary_status_and_message() {
    let job = Job::pull_request(&["enable tracing"]);
    job.write("trace-data.json", b"{}");
    // No runtime variables: the binary explains and exits 2; so does the step.
    let out = action(&job, None, &[("path", "trace-data.json")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("::error::ACTIONS_RUNTIME_TOKEN is not set"));
}
