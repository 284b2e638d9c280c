//! Streams an artifact's zip to a file: ask the API for the short-lived blob URL (a
//! 302), fetch it WITHOUT the token (another host), hash while writing, verify the
//! artifact's `digest`, and start over when the transfer breaks off (bounded).
//!
//! Never holds the zip in memory (one network chunk at a time) and never logs the blob
//! URL: its query is a signature.

use std::fs::File;
use std::io::{Seek, Write};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use sha2::{Digest, Sha256};

use super::Error;
use super::client::Client;
use super::models::Artifact;
use crate::config::Repo;
use crate::http::Backoff;
use crate::log;

/// Attempts at the whole transfer (each one asks for a fresh blob URL).
const DOWNLOAD_BACKOFF: Backoff = Backoff {
    attempts: 4,
    base: Duration::from_secs(2),
    factor: 2.0,
    max: Duration::from_secs(16),
};

/// Downloads `artifact` into `file` (truncated first), verified against its digest.
/// Returns the zip's size.
pub async fn download(
    client: &Client,
    repo: &Repo,
    artifact: &Artifact,
    file: &mut File,
) -> Result<u64, Error> {
    // Known before a byte is fetched: a digest that cannot be checked is refused first.
    let expected = expected_digest(artifact)?;
    let bar = log::bars().add(ProgressBar::new(artifact.size_in_bytes));
    bar.set_style(
        ProgressStyle::with_template("{bytes}/{total_bytes} {wide_bar} {bytes_per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut attempt = 1;
    let result = loop {
        let failure = match attempt_download(client, repo, artifact, file, &bar).await {
            Ok(done) => break Ok(done),
            Err(Failure::Final(error)) => break Err(error),
            Err(Failure::Transient(reason)) => reason,
        };
        if !DOWNLOAD_BACKOFF.allows_retry_after(attempt) {
            break Err(Error::Download {
                id: artifact.id,
                reason: failure,
            });
        }
        let wait = DOWNLOAD_BACKOFF.delay(attempt);
        log::info(&format!(
            "the download broke off ({failure}); starting again"
        ));
        tokio::time::sleep(wait).await;
        attempt += 1;
    };
    bar.finish_and_clear();
    let (size, actual) = result?;
    verify_digest(artifact.id, expected.as_deref(), &actual)?;
    Ok(size)
}

/// Why one attempt failed.
enum Failure {
    /// Worth another attempt.
    Transient(String),
    /// Not worth one.
    Final(Error),
}

/// One transfer from a fresh blob URL; the size and `sha256:<hex>` of what was written.
async fn attempt_download(
    client: &Client,
    repo: &Repo,
    artifact: &Artifact,
    file: &mut File,
    bar: &ProgressBar,
) -> Result<(u64, String), Failure> {
    let location = client
        .artifact_zip_location(repo, artifact.id)
        .await
        .map_err(Failure::Final)?;
    let io = |err: std::io::Error| {
        Failure::Final(Error::Io {
            path: "the temporary download file".to_owned(),
            reason: err.to_string(),
        })
    };
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    bar.set_position(0);
    // No Authorization here: the blob lives on another host and is signed.
    let mut response = client
        .http()
        .get(location.expose())
        .send()
        .await
        .map_err(|err| Failure::Transient(crate::http::describe_transport_error(&err)))?;
    let status = response.status();
    if !status.is_success() {
        let reason = format!("the download host answered {}", status.as_u16());
        // 403 from the blob host: the signed URL went stale; a fresh one may work.
        return Err(if status.is_server_error() || status.as_u16() == 403 {
            Failure::Transient(reason)
        } else {
            Failure::Final(Error::Download {
                id: artifact.id,
                reason,
            })
        });
    }
    if let Some(length) = response.content_length() {
        bar.set_length(length);
    }
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, &*file);
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|err| Failure::Transient(crate::http::describe_transport_error(&err)))?
    {
        hasher.update(&chunk);
        out.write_all(&chunk).map_err(io)?;
        size += chunk.len() as u64;
        bar.set_position(size);
    }
    out.flush().map_err(io)?;
    Ok((size, format!("sha256:{}", hex::encode(hasher.finalize()))))
}

/// The artifact's `digest` as `sha256:<lowercase hex>`, `None` when GitHub gave none
/// (artifacts older than v4). The algorithm name is read ignoring case; one this tool
/// cannot check, or a malformed value, refuses the artifact rather than pass unchecked.
fn expected_digest(artifact: &Artifact) -> Result<Option<String>, Error> {
    let Some(digest) = artifact.digest.as_deref().map(str::trim) else {
        log::debug("the artifact has no digest to verify");
        return Ok(None);
    };
    let unsupported = || Error::UnsupportedDigest {
        id: artifact.id,
        digest: digest.chars().take(80).collect(),
    };
    let (algorithm, hex) = digest.split_once(':').ok_or_else(unsupported)?;
    if !algorithm.eq_ignore_ascii_case("sha256")
        || hex.len() != 64
        || !hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(unsupported());
    }
    Ok(Some(format!("sha256:{}", hex.to_ascii_lowercase())))
}

/// Compares the bytes' digest with the expected one, when there is one.
fn verify_digest(id: u64, expected: Option<&str>, actual: &str) -> Result<(), Error> {
    match expected {
        None => Ok(()),
        Some(expected) if expected == actual => {
            log::debug(&format!("digest verified: {actual}"));
            Ok(())
        }
        Some(expected) => Err(Error::DigestMismatch {
            id,
            expected: expected.to_owned(),
            actual: actual.to_owned(),
        }),
    }
}
