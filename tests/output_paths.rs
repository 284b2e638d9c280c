//! Where commands write: `--force` replaces a regular file or a symlink (the link itself),
//! never a device, a FIFO, a socket or a directory; new files get the umask's default.
//!
//! Regression tests for: `report -o /dev/null --force`, run as root, replaced the device
//! node with a regular file; `trace-data` and `.failed` were created 0600.

mod replay_support;
mod support;

use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use replay_support::{Case, SAMPLE};
use support::ci_tracing;
use support::http::Reply;

/// A device node (a copy of /dev/null's numbers), a FIFO, a socket and a directory in
/// `dir`, by name. Made with the real system calls (`mknod` needs root, as these tests
/// run; without it the device case is left out, and says so).
fn special_files(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let mut made = Vec::new();
    let device = dir.join("device");
    let mknod = std::process::Command::new("mknod")
        .arg(&device)
        .args(["c", "1", "3"])
        .status()
        .unwrap();
    if mknod.success() {
        made.push(("a device", device));
    } else {
        eprintln!("mknod failed (not root?): the device case is not tested here");
    }
    let fifo = dir.join("fifo");
    support::mkfifo(&fifo);
    made.push(("a FIFO", fifo));
    let socket = dir.join("socket");
    std::mem::forget(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    made.push(("a socket", socket));
    let directory = dir.join("directory");
    std::fs::create_dir(&directory).unwrap();
    made.push(("a directory", directory));
    made
}

fn file_type(path: &Path) -> std::fs::FileType {
    std::fs::symlink_metadata(path).unwrap().file_type()
}

#[test]
fn report_never_replaces_what_is_not_a_regular_file_even_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("trace-data");
    std::fs::write(&input, SAMPLE).unwrap();
    for (what, path) in special_files(dir.path()) {
        let before = file_type(&path);
        for force in [false, true] {
            let mut cmd = ci_tracing(dir.path());
            cmd.args([
                "report",
                input.to_str().unwrap(),
                "-o",
                path.to_str().unwrap(),
            ]);
            if force {
                cmd.arg("--force");
            }
            let output = cmd.output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
            assert!(
                stderr.contains(&format!("is {what}, not a regular file")),
                "{stderr}"
            );
            assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
            assert_eq!(file_type(&path), before, "{what} is still there, untouched");
        }
    }
    assert!(
        file_type(&dir.path().join("fifo")).is_fifo(),
        "the FIFO was not replaced"
    );
}

#[test]
fn report_force_replaces_a_symlink_itself_never_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("trace-data");
    std::fs::write(&input, SAMPLE).unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    let link = dir.path().join("traces.html");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let refused = ci_tracing(dir.path())
        .args(["report", "trace-data", "-o", "traces.html"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let output = ci_tracing(dir.path())
        .args(["report", "trace-data", "-o", "traces.html", "--force"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(file_type(&link).is_file(), "the link became the report");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
}

/// Runs `script` under bash with `umask 027`, `ci-tracing` meaning the binary.
fn with_umask(dir: &Path, script: &str) -> std::process::Output {
    let script = format!(
        "umask 027; {}",
        script.replace("ci-tracing", env!("CARGO_BIN_EXE_ci-tracing"))
    );
    support::scrubbed("bash", dir)
        .args(["-c", &script])
        .env("CI_TRACING_RETRY_SCALE", "0.01")
        .output()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn written_files_get_the_umask_default_not_0600() {
    let case = Case::new(SAMPLE, |_| Reply::new(400, "no"));
    let report = with_umask(
        case.dir.path(),
        "ci-tracing report trace-data -o traces.html",
    );
    assert!(report.status.success(), "{report:?}");
    assert_eq!(mode(&case.dir.path().join("traces.html")), 0o640);
    let url = replay_support::endpoint(&case.server);
    let replay = with_umask(
        case.dir.path(),
        &format!("ci-tracing replay trace-data --endpoint {url}"),
    );
    assert_eq!(replay.status.code(), Some(1), "{replay:?}");
    assert_eq!(mode(&case.dir.path().join("trace-data.failed")), 0o640);
}

#[test]
fn replay_refuses_a_failed_path_that_is_a_fifo_before_sending() {
    let case = Case::new(SAMPLE, |_| Reply::new(400, "no"));
    let failed = case.dir.path().join("trace-data.failed");
    support::mkfifo(&failed);
    let run = case.replay(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    run.says("is a FIFO, not a regular file");
    assert!(case.server.requests().is_empty(), "nothing was sent");
    assert!(file_type(&failed).is_fifo());
}

#[test]
fn fetch_traces_refuses_a_device_where_trace_data_goes_before_downloading() {
    let dir = tempfile::tempdir().unwrap();
    let tracing = dir.path().join("out");
    std::fs::create_dir(&tracing).unwrap();
    let fifo = tracing.join("trace-data");
    support::mkfifo(&fifo);
    let output = ci_tracing(dir.path())
        .args([
            "fetch-traces",
            "--api-url",
            "http://127.0.0.1:9",
            "--token",
            "t0k3n",
        ])
        .args(["--pr", "1", "--repo", "o/r", "--force"])
        .args(["--dir", tracing.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is a FIFO, not a regular file"), "{stderr}");
    assert!(file_type(&fifo).is_fifo());
}
