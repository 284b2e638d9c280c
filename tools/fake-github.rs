//! A fake GitHub serving one trace file as pull request N's newest `trace-data`
//! artifact, for `bench/fetch.sh` and `scripts/demo.sh`:
//!
//! ```text
//! cargo run --release --example fake-github -- --trace-file F [--pr 1234] [--port P] [--repo OWNER/NAME]
//! ```
//!
//! Zips the file once at start (deflate, as `actions/upload-artifact` does) into a
//! temporary directory, streams it from disk on every download, prints `api-url=…`,
//! `token=…`, `repo=…` and `artifact-url=…` lines on stdout, and serves until killed.
//! The REST bodies and the blob host are those of the test fake (`tests/support`); it
//! binds 127.0.0.1 only and must never be mistaken for a real server.

#[path = "../tests/support/github.rs"]
mod github;
#[path = "../tests/support/http.rs"]
mod http;

use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use github::{Artifact, FakeGithub, Scenario, Zip};

struct Options {
    trace_file: PathBuf,
    pr: u64,
    port: u16,
    repo: String,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        trace_file: PathBuf::new(),
        pr: 1234,
        port: 0,
        repo: "octo-org/octo-repo".to_owned(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--trace-file" => options.trace_file = PathBuf::from(value),
            "--pr" => options.pr = value.parse().map_err(|_| "--pr takes a number")?,
            "--port" => options.port = value.parse().map_err(|_| "--port takes a number")?,
            "--repo" => options.repo = value,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if options.trace_file.as_os_str().is_empty() {
        return Err("--trace-file is required".to_owned());
    }
    Ok(options)
}

/// Zips `source` as `trace-data.json` into `zip_path`, streaming, and returns its digest.
fn zip_trace_file(source: &Path, zip_path: &Path) -> std::io::Result<String> {
    let mut writer = zip::ZipWriter::new(std::fs::File::create(zip_path)?);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(std::fs::metadata(source)?.len() >= u64::from(u32::MAX));
    writer.start_file("trace-data.json", options)?;
    std::io::copy(
        &mut BufReader::new(std::fs::File::open(source)?),
        &mut writer,
    )?;
    writer.finish()?.flush()?;
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    let mut file = std::fs::File::open(zip_path)?;
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        sha2::Digest::update(&mut hasher, &buffer[..read]);
    }
    Ok(format!(
        "sha256:{}",
        hex::encode(sha2::Digest::finalize(hasher))
    ))
}

fn main() {
    let options = parse_options().unwrap_or_else(|err| {
        eprintln!("fake-github: {err}");
        std::process::exit(2);
    });
    let workdir = tempfile::tempdir().expect("a temporary directory");
    let zip_path = workdir.path().join("trace-data.zip");
    let digest = zip_trace_file(&options.trace_file, &zip_path).unwrap_or_else(|err| {
        eprintln!(
            "fake-github: cannot zip {}: {err}",
            options.trace_file.display()
        );
        std::process::exit(1);
    });
    // Parse GitHub's OpenAPI description now, not on the first request.
    let _ = github::example("pull-request");
    let head = github::sha(0xab);
    let mut scenario = Scenario::new().run(1, &head);
    scenario.repo.clone_from(&options.repo);
    scenario.pr = options.pr;
    scenario.commits = vec![head];
    scenario.artifacts.push(Artifact {
        id: 1,
        name: "trace-data".to_owned(),
        run: 1,
        expired: false,
        digest: Some(digest),
        zip: Zip::File(zip_path),
        served_as: None,
    });
    let fake = FakeGithub::serve(
        scenario,
        options.port,
        Box::new(|_| None),
        Box::new(|_| None),
    );
    let api = fake.api.url();
    println!("api-url={api}");
    println!("token={}", github::TOKEN);
    println!("repo={}", options.repo);
    println!(
        "artifact-url={api}/repos/{}/actions/artifacts/1/zip",
        options.repo
    );
    std::io::stdout().flush().ok();
    loop {
        std::thread::park();
    }
}
