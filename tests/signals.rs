//! SIGINT and SIGTERM sent for real to the running binary, mid-work: every command
//! exits 130 or 143 and leaves no temporary file; `replay` prints its tally first and
//! keeps every line not accepted in `.failed`. (`fetch-traces` mid-download is in
//! `fetch_faults.rs`.)

mod replay_support;
mod support;

use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use replay_support::{SAMPLE, endpoint, lines, ok, write};
use support::fetch::files_in;
use support::http::Server;

/// The signals and the exit status each must give.
const SIGNALS: [(&str, i32); 2] = [("INT", 130), ("TERM", 143)];

/// Sends SIG`name` to `child` with `kill`.
fn kill(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits (up to a minute) until a file whose name starts with `prefix` is in `dir`.
fn wait_for_file(dir: &Path, prefix: &str) {
    for _ in 0..3000 {
        if files_in(dir).iter().any(|name| name.starts_with(prefix)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("no {prefix}* appeared in {}", dir.display());
}

/// Runs `ci-tracing ARGS` in `dir` on the FIFO `trace.fifo` there, and returns it with
/// the FIFO's writing end, open once the command has opened the reading end.
fn on_a_fifo(dir: &Path, args: &[&str]) -> (Child, std::fs::File) {
    let fifo = dir.join("trace.fifo");
    support::mkfifo(&fifo);
    let child = support::ci_tracing_std(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Opening blocks until the command opens the other end; it stays open.
    let writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    (child, writer)
}

/// The exit status, standard output and the last line of standard error.
fn finish(child: Child) -> (i32, String, String) {
    let out = child.wait_with_output().unwrap();
    let stderr = support::text(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default().to_owned();
    (
        out.status.code().unwrap_or(-1),
        support::text(&out.stdout),
        last,
    )
}

#[test]
fn replay_prints_its_tally_and_keeps_every_line_not_accepted() {
    for (signal, code) in SIGNALS {
        let dir = tempfile::tempdir().unwrap();
        let content = SAMPLE.repeat(3);
        let file = write(dir.path(), "trace-data", &content);
        let (hanging, hung) = mpsc::channel();
        let hanging = Mutex::new(hanging);
        let answered = AtomicUsize::new(0);
        // Accepts two lines, then hangs on the third until the test is over.
        let server = Server::start(move |_| {
            if answered.fetch_add(1, Ordering::SeqCst) < 2 {
                return ok();
            }
            let _ = hanging.lock().unwrap().send(());
            std::thread::sleep(Duration::from_secs(60));
            ok()
        });
        let child = support::ci_tracing_std(dir.path())
            .args(["replay", file.to_str().unwrap(), "--concurrency", "1"])
            .args(["--endpoint", &endpoint(&server)])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        hung.recv_timeout(Duration::from_secs(60))
            .expect("the third line is on its way");
        kill(&child, signal);
        let (status, stdout, last) = finish(child);
        assert_eq!(status, code, "SIG{signal}: {last}");
        assert!(stdout.contains("lines sent:     2\n"), "{stdout}");
        assert!(stdout.contains("lines failed:   4"), "{stdout}");
        assert!(
            last.starts_with(&format!(
                "error: interrupted by SIG{signal}: 4 lines not accepted (those not sent included) are in"
            )),
            "{last}"
        );
        let failed = std::fs::read_to_string(dir.path().join("trace-data.failed")).unwrap();
        assert!(
            lines(&failed) == lines(&content)[2..],
            "lines 3 to 6, in order"
        );
        assert_eq!(files_in(dir.path()), ["trace-data", "trace-data.failed"]);
    }
}

#[test]
fn report_reading_a_fifo_that_never_ends_leaves_no_temporary_file() {
    for (signal, code) in SIGNALS {
        let dir = tempfile::tempdir().unwrap();
        let (child, mut writer) =
            on_a_fifo(dir.path(), &["report", "trace.fifo", "-o", "traces.html"]);
        writer.write_all(lines(SAMPLE)[0].as_bytes()).unwrap();
        writer.write_all(b"\n").unwrap();
        wait_for_file(dir.path(), ".ci-tracing-report-");
        kill(&child, signal);
        let (status, _, last) = finish(child);
        assert_eq!(status, code, "SIG{signal}: {last}");
        assert_eq!(
            last,
            format!(
                "error: interrupted by SIG{signal}: nothing was left half-written; run the command again to finish"
            )
        );
        assert_eq!(files_in(dir.path()), ["trace.fifo"]);
    }
}

#[test]
fn summary_reading_a_fifo_that_never_ends_exits_at_once() {
    for (signal, code) in SIGNALS {
        let dir = tempfile::tempdir().unwrap();
        let (child, mut writer) = on_a_fifo(dir.path(), &["summary", "trace.fifo"]);
        writer.write_all(SAMPLE.as_bytes()).unwrap();
        kill(&child, signal);
        let (status, stdout, last) = finish(child);
        assert_eq!(status, code, "SIG{signal}: {last}");
        assert!(stdout.is_empty(), "no summary of half the input: {stdout}");
        assert!(
            last.starts_with(&format!("error: interrupted by SIG{signal}")),
            "{last}"
        );
        assert_eq!(files_in(dir.path()), ["trace.fifo"]);
    }
}

#[test]
fn a_second_signal_ends_a_replay_stuck_on_its_input_and_removes_its_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(|_| ok());
    let url = endpoint(&server);
    let (child, mut writer) = on_a_fifo(dir.path(), &["replay", "trace.fifo", "--endpoint", &url]);
    // An invalid line starts the temporary `.failed`; the input then never ends.
    writer.write_all(b"not a trace\n").unwrap();
    wait_for_file(dir.path(), ".replay-failed-");
    kill(&child, "INT");
    // Again until it ends: two signals sent at once may arrive as one.
    let mut child = child;
    for _ in 0..600 {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
    }
    let (status, _, last) = finish(child);
    assert_eq!(status, 130, "{last}");
    assert_eq!(
        last,
        "error: interrupted by SIGINT: nothing was left half-written; run the command again to finish"
    );
    assert_eq!(files_in(dir.path()), ["trace.fifo"]);
}
