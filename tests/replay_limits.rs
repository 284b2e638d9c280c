//! `replay`'s bounds: a per-request timeout (`--timeout`, or the OTLP variables in
//! milliseconds), and a stop once the receiver has failed `--max-consecutive-failures`
//! lines in a row, with every line not accepted in `.failed` so that a rerun on it
//! resumes.

mod replay_support;
mod support;

use replay_support::{Case, SAMPLE, lines, ok, replay};
use support::http::Reply;

/// Flags and environment variables of one run.
type Setting = (
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
);

/// A receiver that never answers in time.
fn hanging() -> Case {
    Case::new(&SAMPLE.repeat(2), |_| {
        std::thread::sleep(std::time::Duration::from_secs(30));
        ok()
    })
}

#[test]
fn a_receiver_that_never_answers_times_out_per_request() {
    let settings: [Setting; 3] = [
        (&["--timeout", "300ms"], &[]),
        (&[], &[("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "300")]),
        (&[], &[("OTEL_EXPORTER_OTLP_TIMEOUT", "300")]),
    ];
    for (flags, envs) in settings {
        let case = hanging();
        let endpoint = replay_support::endpoint(&case.server);
        let mut args = vec![case.file.to_str().unwrap(), "--endpoint", &endpoint];
        args.extend_from_slice(&["--concurrency", "1", "--max-consecutive-failures", "1"]);
        args.extend_from_slice(flags);
        let run = replay(case.dir.path(), &args, envs);
        assert_eq!(run.code, 1, "{flags:?} {envs:?}: {}", run.stderr);
        run.says("failed 1 line(s) in a row (the last: timed out: operation timed out (gave up after 6 attempts");
        run.prints("lines sent:     0");
        run.prints("lines failed:   4");
        assert_eq!(case.server.requests().len(), 6, "one line, six attempts");
        assert_eq!(lines(&case.failed()).len(), 4, "the lines never tried too");
    }
}

#[test]
fn a_bad_timeout_is_a_usage_error() {
    let case = hanging();
    for (flags, envs) in [
        (&["--timeout", "0"][..], &[][..]),
        (&[], &[("OTEL_EXPORTER_OTLP_TIMEOUT", "soon")][..]),
    ] {
        let mut args = vec![case.file.to_str().unwrap()];
        args.extend_from_slice(flags);
        let run = replay(case.dir.path(), &args, envs);
        assert_eq!(run.code, 2, "{}", run.stderr);
        run.says("is not a timeout");
    }
    assert!(case.server.requests().is_empty());
}

#[test]
fn failures_in_a_row_stop_the_replay_and_a_rerun_on_dot_failed_resumes() {
    let case = Case::new(&SAMPLE.repeat(10), |_| Reply::new(503, "down"));
    let run = case.replay(&["--concurrency", "1", "--max-consecutive-failures", "3"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.says("stopped: the OTLP receiver at");
    run.says("failed 3 line(s) in a row (the last: HTTP 503 Service Unavailable: down (gave up after 6 attempts");
    run.says("the 20 lines not accepted (those not sent included) are in");
    run.prints("lines failed:   20");
    assert_eq!(case.server.requests().len(), 3 * 6, "three lines tried");
    let failed = case.dir.path().join("trace-data.failed");
    assert_eq!(lines(&case.failed()).len(), 20);

    let receiver = Case::new("", |_| ok());
    let endpoint = replay_support::endpoint(&receiver.server);
    let run = replay(
        case.dir.path(),
        &[failed.to_str().unwrap(), "--endpoint", &endpoint],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.prints("lines sent:     20");
}

#[test]
fn an_accepted_line_between_failures_lets_the_replay_go_on() {
    let sample = lines(SAMPLE);
    let refused = sample[0].to_owned();
    let case = Case::new(&SAMPLE.repeat(5), move |request| {
        if request.body == refused.as_bytes() {
            Reply::new(503, "this one never")
        } else {
            ok()
        }
    });
    let run = case.replay(&["--concurrency", "1", "--max-consecutive-failures", "2"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.prints("lines sent:     5");
    run.prints("lines failed:   5");
    run.says("error: 5 of 10 lines were not accepted in full");
    assert_eq!(case.failed(), format!("{}\n", sample[0]).repeat(5));
}
