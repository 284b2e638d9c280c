//! The results service's `ArtifactService` over Twirp with JSON: one `async fn` per RPC.
//!
//! Requests go to `POST {origin of ACTIONS_RESULTS_URL}/twirp/github.actions.results.api.v1.ArtifactService/{Method}`
//! with the runtime token as a bearer token. Request keys are the snake_case proto
//! names, defaults left out, int64 values as strings. Responses are accepted in
//! snake_case or lowerCamelCase, with int64 as string or number. 429 and 5xx are retried
//! with growing backoff; 409 means the name is taken. Neither the token nor the signed
//! URLs returned appear in any error.

use reqwest::{StatusCode, Url};
use serde_json::{Value, json};

use super::token::BackendIds;
use super::{Error, REQUEST_TIMEOUT, RETRIES, classify};
use crate::http::{Failed, Retry, client_builder};
use crate::secret::Secret;

const SERVICE: &str = "github.actions.results.api.v1.ArtifactService";

/// A client of the results service for one job.
#[derive(Debug)]
pub(crate) struct Twirp {
    http: reqwest::Client,
    origin: Url,
    token: Secret,
    /// The job the artifacts belong to.
    pub ids: BackendIds,
}

/// An artifact as `ListArtifacts` returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Listed {
    /// `database_id`
    pub id: u64,
    /// The artifact's name.
    pub name: String,
}

impl Twirp {
    /// A client for the service at `results_url` (only its origin is used).
    pub(crate) fn new(results_url: &str, token: Secret, ids: BackendIds) -> Result<Self, Error> {
        let bad = || Error::RuntimeToken {
            variable: "ACTIONS_RESULTS_URL",
            problem: format!(
                "`{}` is not an http(s) URL",
                crate::config::shown_url(results_url)
            ),
        };
        let url = Url::parse(results_url.trim()).map_err(|_| bad())?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad());
        }
        let origin = Url::parse(&url.origin().ascii_serialization()).map_err(|_| bad())?;
        let http = client_builder()
            .build()
            .map_err(|err| Error::Network(format!("cannot start the HTTP client: {err}")))?;
        Ok(Self {
            http,
            origin,
            token,
            ids,
        })
    }

    /// `CreateArtifact` → the signed upload URL. A zip goes as `upload-artifact@v4`
    /// sends it (version 4, no MIME type); a file as is (`mime_type`) as the current
    /// official client sends it (version 7 with the file's MIME type).
    pub(crate) async fn create_artifact(
        &self,
        name: &str,
        expires_at: Option<&str>,
        mime_type: Option<&str>,
    ) -> Result<Secret, Error> {
        let mut body = self.request(name);
        body["version"] = json!(4);
        if let Some(mime_type) = mime_type {
            body["version"] = json!(7);
            body["mime_type"] = json!(mime_type);
        }
        if let Some(when) = expires_at {
            body["expires_at"] = json!(when);
        }
        let reply = self
            .call("CreateArtifact", &body)
            .await
            .map_err(|err| match err {
                Error::Conflict(_) => Error::Conflict(name.to_owned()),
                other => other,
            })?;
        require_ok("CreateArtifact", &reply)?;
        let url = field(&reply, "signed_upload_url", "signedUploadUrl")
            .and_then(Value::as_str)
            .filter(|url| !url.is_empty())
            .ok_or_else(|| missing("CreateArtifact", "signed_upload_url"))?;
        Ok(Secret::new(url))
    }

    /// `FinalizeArtifact` with the zip's size and SHA-256 → the artifact id.
    pub(crate) async fn finalize_artifact(
        &self,
        name: &str,
        size: u64,
        sha256_hex: &str,
    ) -> Result<u64, Error> {
        let mut body = self.request(name);
        body["size"] = json!(size.to_string());
        body["hash"] = json!(format!("sha256:{sha256_hex}"));
        let reply = self.call("FinalizeArtifact", &body).await?;
        require_ok("FinalizeArtifact", &reply)?;
        field(&reply, "artifact_id", "artifactId")
            .and_then(int64)
            .ok_or_else(|| missing("FinalizeArtifact", "artifact_id"))
    }

    /// `ListArtifacts` of this run with name `name`.
    pub(crate) async fn list_artifacts(&self, name: &str) -> Result<Vec<Listed>, Error> {
        let body = json!({
            "workflow_run_backend_id": self.ids.run,
            "workflow_job_run_backend_id": self.ids.job,
            "name_filter": name,
        });
        let reply = self.call("ListArtifacts", &body).await?;
        let artifacts = reply
            .get("artifacts")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        Ok(artifacts
            .iter()
            .filter_map(|artifact| {
                Some(Listed {
                    id: field(artifact, "database_id", "databaseId").and_then(int64)?,
                    name: artifact.get("name")?.as_str()?.to_owned(),
                })
            })
            .collect())
    }

    /// `DeleteArtifact` by name.
    pub(crate) async fn delete_artifact(&self, name: &str) -> Result<(), Error> {
        let reply = self.call("DeleteArtifact", &self.request(name)).await?;
        require_ok("DeleteArtifact", &reply)
    }

    fn request(&self, name: &str) -> Value {
        json!({
            "workflow_run_backend_id": self.ids.run,
            "workflow_job_run_backend_id": self.ids.job,
            "name": name,
        })
    }

    /// Posts one RPC, retrying what may pass on a later attempt.
    async fn call(&self, method: &str, body: &Value) -> Result<Value, Error> {
        let url = self
            .origin
            .join(&format!("twirp/{SERVICE}/{method}"))
            .map_err(|err| Error::Service(format!("bad results service URL: {err}")))?;
        RETRIES
            .run(method, || self.post(url.clone(), body))
            .await
            .map_err(|gave_up| {
                gave_up.or_exhausted(|attempts, reason| {
                    Error::Service(format!(
                        "{method} failed after {attempts} attempts: {reason}; the results service may be having trouble, re-run the job later"
                    ))
                })
            })
    }

    async fn post(&self, url: Url, body: &Value) -> Result<Value, Failed<Error>> {
        let method = url.path().rsplit('/').next().unwrap_or_default().to_owned();
        let broke = |err: reqwest::Error| {
            let reason = crate::http::describe_transport_error(&err);
            Failed {
                error: Error::Network(format!("{method}: {reason}")),
                reason,
                retry: Retry::Backoff,
            }
        };
        let response = self
            .http
            .post(url.clone())
            .timeout(REQUEST_TIMEOUT)
            .bearer_auth(self.token.expose())
            .header("content-type", "application/json")
            .json(body)
            .send()
            .await
            .map_err(broke)?;
        let status = response.status();
        let retry = classify(status, response.headers());
        let text = response.text().await.map_err(broke)?;
        crate::log::debug(&format!("{method}: HTTP {}", status.as_u16()));
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|_| Failed {
                error: Error::BadAnswer {
                    method: method.clone(),
                    problem: "the results service answered with something that is not JSON"
                        .to_owned(),
                },
                reason: String::new(),
                retry: Retry::Never,
            });
        }
        Err(Failed {
            error: status_error(&method, status, &text),
            reason: format!("HTTP {}", status.as_u16()),
            retry,
        })
    }
}

/// The error for a final, non-2xx answer.
fn status_error(method: &str, status: StatusCode, body: &str) -> Error {
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("msg").and_then(Value::as_str).map(str::to_owned))
        .map(|msg| format!(": {}", msg.chars().take(200).collect::<String>()))
        .unwrap_or_default();
    match status.as_u16() {
        409 => Error::Conflict(String::new()),
        401 | 403 => Error::Unauthorized {
            method: method.to_owned(),
            status: status.as_u16(),
            message,
        },
        code => Error::Refused {
            method: method.to_owned(),
            status: code,
            message,
        },
    }
}

fn require_ok(method: &str, reply: &Value) -> Result<(), Error> {
    if reply.get("ok").and_then(Value::as_bool) == Some(true) {
        Ok(())
    } else {
        Err(Error::NotAccepted {
            method: method.to_owned(),
        })
    }
}

fn missing(method: &str, key: &str) -> Error {
    Error::BadAnswer {
        method: method.to_owned(),
        problem: format!("the response has no `{key}`"),
    }
}

/// A response field under its proto name or its lowerCamelCase JSON name.
fn field<'a>(value: &'a Value, snake: &str, camel: &str) -> Option<&'a Value> {
    value.get(snake).or_else(|| value.get(camel))
}

/// An int64 sent as a string or a number.
fn int64(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_in_both_spellings_and_int64_in_both_forms() {
        let snake = json!({"artifact_id": "12"});
        let camel = json!({"artifactId": 12});
        for reply in [snake, camel] {
            assert_eq!(
                field(&reply, "artifact_id", "artifactId").and_then(int64),
                Some(12)
            );
        }
    }
}
