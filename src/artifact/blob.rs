//! Uploading the zip to the signed URL the results service hands out, as an Azure block
//! blob: one `PUT …&comp=block&blockid=ID` per block, several in flight, then one
//! `PUT …&comp=blocklist` naming the blocks in order — only once the zip is complete,
//! so a failed read never leaves a truncated blob behind.
//!
//! The signed URL's query is kept byte for byte (its `sig` is percent-encoded and may
//! hold `+`, `/`, `=`) and our parameters are appended. Block ids are base64 of a
//! fixed-length string, so all have the same length as Azure demands. A block that fails
//! with 429/5xx or a broken connection is sent again. No URL ever reaches a message.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::{Error, REQUEST_TIMEOUT, RETRIES, classify};
use crate::http::{Failed, Retry, client_builder};
use crate::secret::Secret;

/// Bytes per block (the toolkit's chunk size).
pub(crate) const BLOCK_SIZE: usize = 8 << 20;
/// Blocks in flight at once.
pub(crate) const CONCURRENCY: usize = 4;
/// The storage API version sent with every request.
const API_VERSION: &str = "2023-11-03";

/// An upload of one block blob.
#[derive(Debug, Clone)]
pub(crate) struct BlobUpload {
    http: reqwest::Client,
    url: Secret,
}

impl BlobUpload {
    /// An upload to `signed_url`.
    pub(crate) fn new(signed_url: Secret) -> Result<Self, Error> {
        let http = client_builder()
            .build()
            .map_err(|err| Error::Network(format!("cannot start the HTTP client: {err}")))?;
        Ok(Self {
            http,
            url: signed_url,
        })
    }

    /// Stages every block received, [`CONCURRENCY`] at a time; returns their ids in
    /// order, for [`BlobUpload::commit`] once the sender says the data is complete.
    pub(crate) async fn stage(
        &self,
        mut blocks: mpsc::Receiver<Bytes>,
    ) -> Result<Vec<String>, Error> {
        let mut ids = Vec::new();
        let mut in_flight = JoinSet::new();
        while let Some(block) = blocks.recv().await {
            while in_flight.len() >= CONCURRENCY {
                joined(in_flight.join_next().await)?;
            }
            let id = block_id(ids.len());
            ids.push(id.clone());
            let this = self.clone();
            in_flight.spawn(async move { this.put_block(&id, block).await });
        }
        while let Some(result) = in_flight.join_next().await {
            joined(Some(result))?;
        }
        Ok(ids)
    }

    async fn put_block(&self, id: &str, block: Bytes) -> Result<(), Error> {
        let url = self.with_params(&format!("comp=block&blockid={}", encode_query(id)));
        self.put("a block", &url, block, &[]).await
    }

    /// Commits the staged blocks, in order, as the blob's content of `content_type`.
    pub(crate) async fn commit(&self, ids: &[String], content_type: &str) -> Result<(), Error> {
        let mut xml =
            String::from(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><BlockList>"#);
        for id in ids {
            xml.push_str("<Latest>");
            xml.push_str(id);
            xml.push_str("</Latest>");
        }
        xml.push_str("</BlockList>");
        let url = self.with_params("comp=blocklist");
        let headers = [
            ("content-type", "application/xml"),
            ("x-ms-blob-content-type", content_type),
        ];
        self.put("the block list", &url, Bytes::from(xml), &headers)
            .await
    }

    /// The signed URL, untouched, with `params` appended.
    fn with_params(&self, params: &str) -> String {
        let url = self.url.expose();
        let separator = if url.contains('?') { '&' } else { '?' };
        format!("{url}{separator}{params}")
    }

    async fn put(
        &self,
        what: &str,
        url: &str,
        body: Bytes,
        headers: &[(&str, &str)],
    ) -> Result<(), Error> {
        let attempt = || async {
            let mut request = self
                .http
                .put(url)
                .timeout(REQUEST_TIMEOUT)
                .header("x-ms-version", API_VERSION)
                .body(body.clone());
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            match request.send().await {
                Ok(response) if response.status().as_u16() == 201 => Ok(()),
                Ok(response) => Err(Failed {
                    error: refused(what, &response),
                    reason: format!("HTTP {}", response.status().as_u16()),
                    retry: classify(response.status(), response.headers()),
                }),
                Err(err) => {
                    let reason = crate::http::describe_transport_error(&err);
                    Err(Failed {
                        error: Error::Blob(reason.clone()),
                        reason,
                        retry: Retry::Backoff,
                    })
                }
            }
        };
        RETRIES
            .run(&format!("uploading {what}"), attempt)
            .await
            .map_err(|gave_up| {
                gave_up.or_exhausted(|attempts, reason| {
                    Error::Blob(format!(
                        "uploading {what} to blob storage failed after {attempts} attempts: {reason}; re-run the job"
                    ))
                })
            })
    }
}

fn refused(what: &str, response: &reqwest::Response) -> Error {
    let code = response
        .headers()
        .get("x-ms-error-code")
        .and_then(|v| v.to_str().ok())
        .map(|code| format!(" ({code})"))
        .unwrap_or_default();
    Error::BlobRefused {
        what: what.to_owned(),
        status: response.status().as_u16(),
        code,
    }
}

fn joined(result: Option<Result<Result<(), Error>, tokio::task::JoinError>>) -> Result<(), Error> {
    match result {
        Some(Ok(outcome)) => outcome,
        Some(Err(err)) => Err(Error::Blob(format!("a block upload stopped: {err}"))),
        None => Ok(()),
    }
}

/// The id of block `index`: base64 of a fixed-length string, so every id has one length.
pub(crate) fn block_id(index: usize) -> String {
    STANDARD.encode(format!("ci-tracing-block-{index:010}"))
}

/// Percent-encodes the base64 characters that mean something in a query.
fn encode_query(text: &str) -> String {
    text.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_ids_have_one_length() {
        assert_eq!(block_id(0).len(), block_id(123_456).len());
        assert_ne!(block_id(1), block_id(2));
    }

    #[test]
    fn the_signed_query_is_kept_verbatim() {
        let upload = BlobUpload::new(Secret::new("http://h/c/b.zip?sv=1&sig=a%2Bb%2F%3D")).unwrap();
        assert_eq!(
            upload.with_params("comp=blocklist"),
            "http://h/c/b.zip?sv=1&sig=a%2Bb%2F%3D&comp=blocklist"
        );
    }
}
