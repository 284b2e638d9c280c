//! `fetch-traces` and the archive it downloads: unsafe entries (zip slip, absolute
//! paths, drive prefixes, symlinks), zip bombs (an entry that lies about its size, an
//! archive past the total limit), an existing `trace-data` (kept without `--force`), and
//! a target directory that cannot be made.

mod support;

use std::io::Write;

use support::fetch::{SPANS, fetch, fetch_with_env, files_in, spans_zip, tracing_dir, zip_of};
use support::github::{FakeGithub, Scenario, sha};

fn serving(zip: &[u8]) -> FakeGithub {
    FakeGithub::start(
        Scenario::new()
            .run(500, &sha(2))
            .artifact(71, "trace-data", 500, zip),
    )
}

/// Fetches `zip` and expects it refused with `line`, and nothing written.
fn refused(zip: &[u8], line: &str) {
    let dir = tempfile::tempdir().unwrap();
    let fake = serving(zip);
    fetch(dir.path(), &fake, &[]).fails(1, line);
    assert_eq!(files_in(&tracing_dir(dir.path())), Vec::<String>::new());
    assert!(!dir.path().join("evil.json").exists());
}

#[test]
fn zip_slip_with_dot_dot_is_refused() {
    refused(
        &zip_of(&[("trace-data.json", b"{}\n"), ("../../evil.json", b"{}\n")]),
        "error: refusing the artifact: its entry `../../evil.json` climbs out of the directory with `..`",
    );
}

#[test]
fn an_absolute_entry_path_is_refused() {
    refused(
        &zip_of(&[("/tmp/evil.json", b"{}\n")]),
        "error: refusing the artifact: its entry `/tmp/evil.json` is an absolute path",
    );
}

#[test]
fn a_drive_prefix_is_refused() {
    refused(
        &zip_of(&[("C:/evil.json", b"{}\n")]),
        "error: refusing the artifact: its entry `C:/evil.json` starts with a drive letter",
    );
}

#[test]
fn a_symlink_entry_is_refused() {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    writer.start_file("trace-data.json", options).unwrap();
    writer.write_all(b"{}\n").unwrap();
    writer
        .add_symlink("link.json", "/etc/passwd", options)
        .unwrap();
    let zip = writer.finish().unwrap().into_inner();
    refused(
        &zip,
        "error: refusing the artifact: its entry `link.json` is a symbolic link",
    );
}

/// Rewrites the uncompressed size of the first entry in its local and central headers.
fn declare_size(zip: &mut [u8], size: u32) {
    let find = |signature: &[u8]| {
        zip.windows(4)
            .position(|w| w == signature)
            .expect("zip header")
    };
    let local = find(b"PK\x03\x04");
    let central = find(b"PK\x01\x02");
    zip[local + 22..local + 26].copy_from_slice(&size.to_le_bytes());
    zip[central + 24..central + 28].copy_from_slice(&size.to_le_bytes());
}

#[test]
fn an_entry_inflating_past_its_declared_size_is_refused() {
    let bomb = "{}\n".repeat(100_000);
    let mut zip = zip_of(&[("trace-data.json", bomb.as_bytes())]);
    declare_size(&mut zip, 30);
    refused(
        &zip,
        "error: refusing the artifact: its entry `trace-data.json` inflates past its declared 30 bytes",
    );
}

#[test]
fn an_archive_past_the_total_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let part = "{}\n".repeat(20_000);
    let fake = serving(&zip_of(&[
        ("a.json", part.as_bytes()),
        ("b.json", part.as_bytes()),
    ]));
    let out = fetch_with_env(
        dir.path(),
        &fake,
        &[],
        &[("CI_TRACING_MAX_UNZIPPED_BYTES", "100000")],
    );
    out.fails(
        1,
        "error: refusing the artifact: it unzips to more than 100000 bytes",
    );
    assert_eq!(files_in(&tracing_dir(dir.path())), Vec::<String>::new());
}

#[test]
fn an_existing_trace_data_is_kept_without_force_and_nothing_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let target = tracing_dir(dir.path()).join("trace-data");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(&target, "mine\n").unwrap();
    let fake = serving(&spans_zip());
    fetch(dir.path(), &fake, &[]).fails(
        2,
        "error: .github/tracing/trace-data already exists: pass --force to replace it",
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"mine\n");
    assert!(fake.api.requests().is_empty(), "refused before any request");
}

#[test]
fn force_replaces_an_existing_trace_data() {
    let dir = tempfile::tempdir().unwrap();
    let target = tracing_dir(dir.path()).join("trace-data");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(&target, "mine\n").unwrap();
    let fake = serving(&spans_zip());
    let out = fetch(dir.path(), &fake, &["--force"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), SPANS);
    assert_eq!(files_in(&tracing_dir(dir.path())), ["trace-data"]);
}

#[test]
fn a_target_directory_that_cannot_be_made_is_one_plain_line() {
    let dir = tempfile::tempdir().unwrap();
    let tracing = tracing_dir(dir.path());
    std::fs::create_dir_all(tracing.parent().unwrap()).unwrap();
    std::fs::write(&tracing, "a file where the directory goes\n").unwrap();
    let fake = serving(&spans_zip());
    fetch(dir.path(), &fake, &[]).fails(1, "error: cannot write .github/tracing: File exists");
    assert_eq!(
        std::fs::read_to_string(&tracing).unwrap(),
        "a file where the directory goes\n"
    );
}

/// Regression: of two entries with the same name, the first was silently dropped.
#[test]
fn duplicate_entry_names_are_refused() {
    let zip = zip_of(&[
        ("trace-data.json", SPANS.as_bytes()),
        ("trace-data.jsoX", b"{\"resourceSpans\":[]}\n"),
    ]);
    // The zip writer refuses duplicates, so the second name is renamed in place (local
    // header and central directory alike), as a hostile archive would have it.
    let mut bytes = zip.clone();
    let (from, to) = (b"trace-data.jsoX", b"trace-data.json");
    let mut renamed = 0;
    for at in 0..bytes.len() - from.len() {
        if &bytes[at..at + from.len()] == from {
            bytes[at..at + from.len()].copy_from_slice(to);
            renamed += 1;
        }
    }
    assert_eq!(renamed, 2);
    refused(
        &bytes,
        "error: refusing the artifact: two of its entries have the same name, so one would silently hide the other",
    );
}
