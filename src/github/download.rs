//! Streams an artifact's blob (a zip, or a file uploaded as is) to a file: ask the API
//! for the short-lived blob URL (a 302), fetch it WITHOUT the token (another host), hash
//! while writing, verify the artifact's `digest`, note whether the answer calls it a
//! zip, and start over when the transfer breaks off (bounded).
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
use crate::http::{Failed, Policy, Retry};
use crate::log;

/// Attempts at the whole transfer (each one asks for a fresh blob URL); none starts
/// later than an hour after the first.
const DOWNLOAD_RETRIES: Policy = Policy {
    attempts: 4,
    base: Duration::from_secs(2),
    factor: 2.0,
    max: Duration::from_secs(16),
    deadline: Duration::from_secs(3600),
    log: log::info,
};

/// The slowest average transfer rate accepted, in bytes per second: one attempt at an
/// artifact of `size` bytes is cut off after [`TRANSFER_SLACK`] + `size / MIN_RATE` s.
const MIN_RATE: u64 = 100 << 10;
/// The time every transfer may take on top of what its size needs.
const TRANSFER_SLACK: Duration = Duration::from_secs(120);

/// A finished download.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Downloaded {
    /// Whether the download host said it is a zip, as `@actions/artifact` tells: a zip
    /// `Content-Type`, a URL path ending in `.zip`, or a `.zip` name in
    /// `Content-Disposition`. (An artifact uploaded as is has none of these.)
    pub says_zip: bool,
}

/// Downloads `artifact` into `file` (truncated first), verified against its digest.
pub(crate) async fn download(
    client: &Client,
    repo: &Repo,
    artifact: &Artifact,
    file: &mut File,
) -> Result<Downloaded, Error> {
    // Known before a byte is fetched: a digest that cannot be checked is refused first.
    let expected = expected_digest(artifact)?;
    let bar = log::bars().add(ProgressBar::new(artifact.size_in_bytes));
    bar.set_style(
        ProgressStyle::with_template("{bytes}/{total_bytes} {wide_bar} {bytes_per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let what = format!("downloading artifact {}", artifact.id);
    let file = &*file;
    let result = DOWNLOAD_RETRIES
        .run(&what, || {
            attempt_download(client, repo, artifact, file, &bar)
        })
        .await
        .map_err(|gave_up| gave_up.error);
    bar.finish_and_clear();
    let (downloaded, actual) = result?;
    verify_digest(artifact.id, expected.as_deref(), &actual)?;
    Ok(downloaded)
}

/// A failed transfer that a fresh attempt may get through.
fn transient(artifact: &Artifact, reason: String) -> Failed<Error> {
    Failed {
        error: Error::Download {
            id: artifact.id,
            reason: reason.clone(),
        },
        reason,
        retry: Retry::Backoff,
    }
}

/// A failure no further attempt can mend.
fn final_error(error: Error) -> Failed<Error> {
    Failed {
        error,
        reason: String::new(),
        retry: Retry::Never,
    }
}

/// One transfer from a fresh blob URL; what was written and its `sha256:<hex>`.
async fn attempt_download(
    client: &Client,
    repo: &Repo,
    artifact: &Artifact,
    mut file: &File,
    bar: &ProgressBar,
) -> Result<(Downloaded, String), Failed<Error>> {
    let location = client
        .artifact_zip_location(repo, artifact.id)
        .await
        .map_err(final_error)?;
    let io = |err: std::io::Error| {
        final_error(Error::io(
            std::path::Path::new("the temporary download file"),
            &err,
        ))
    };
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    bar.set_position(0);
    // No Authorization here: the blob lives on another host and is signed.
    let broke =
        |err: reqwest::Error| transient(artifact, crate::http::describe_transport_error(&err));
    let mut response = client
        .http()
        .get(location.expose())
        .timeout(TRANSFER_SLACK + Duration::from_secs(artifact.size_in_bytes / MIN_RATE))
        .send()
        .await
        .map_err(broke)?;
    let status = response.status();
    if !status.is_success() {
        let reason = format!("the download host answered {}", status.as_u16());
        // 403 from the blob host: the signed URL went stale; a fresh one may work.
        return Err(if status.is_server_error() || status.as_u16() == 403 {
            transient(artifact, reason)
        } else {
            final_error(Error::Download {
                id: artifact.id,
                reason,
            })
        });
    }
    if let Some(length) = response.content_length() {
        bar.set_length(length);
    }
    let says_zip = says_zip(response.url().path(), response.headers());
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    while let Some(chunk) = response.chunk().await.map_err(broke)? {
        hasher.update(&chunk);
        out.write_all(&chunk).map_err(io)?;
        size += chunk.len() as u64;
        bar.set_position(size);
    }
    out.flush().map_err(io)?;
    let digest = format!("sha256:{}", hex::encode(hasher.finalize()));
    Ok((Downloaded { says_zip }, digest))
}

/// Whether the answer calls its body a zip (see [`Downloaded::says_zip`]).
fn says_zip(path: &str, headers: &reqwest::header::HeaderMap) -> bool {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    let disposition = header(reqwest::header::CONTENT_DISPOSITION);
    let named_zip = disposition.split(';').any(|part| {
        let part = part.trim();
        part.strip_prefix("filename")
            .and_then(|rest| rest.split_once('='))
            .is_some_and(|(_, name)| {
                std::path::Path::new(name.trim().trim_matches('"'))
                    .extension()
                    .is_some_and(|extension| extension.eq_ignore_ascii_case("zip"))
            })
    });
    matches!(
        mime,
        "application/zip" | "application/x-zip-compressed" | "application/zip-compressed"
    ) || path.to_ascii_lowercase().ends_with(".zip")
        || named_zip
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

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn a_zip_is_told_by_its_type_its_path_or_its_name() {
        let with = |name: &'static str, value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(name, HeaderValue::from_static(value));
            headers
        };
        let none = HeaderMap::new();
        assert!(super::says_zip("/c/b.ZIP", &none));
        assert!(!super::says_zip("/c/trace-data.json", &none));
        assert!(super::says_zip(
            "/c/b",
            &with("content-type", "application/zip; x=1")
        ));
        assert!(super::says_zip(
            "/c/b",
            &with("content-type", "application/x-zip-compressed")
        ));
        assert!(!super::says_zip(
            "/c/b",
            &with("content-type", "application/json")
        ));
        let named = with("content-disposition", "attachment; filename=\"a.zip\"");
        assert!(super::says_zip("/c/b", &named));
        let raw = with(
            "content-disposition",
            "attachment; filename*=UTF-8''trace-data.json",
        );
        assert!(!super::says_zip("/c/b", &raw));
    }
}
