//! A fake GitHub Actions results service and Azure blob store, on [`Server`].
//!
//! Speaks what `@actions/artifact` and `ci-tracing upload` speak: Twirp JSON
//! (`CreateArtifact`, `FinalizeArtifact`, `ListArtifacts`, `DeleteArtifact`,
//! `GetSignedArtifactURL`) checked against the runtime token, and a blob store that
//! accepts staged blocks plus a block list, or one `x-ms-blob-type: BlockBlob` PUT, and
//! serves the committed blob back. Signed URLs carry a `sig` that the store checks byte
//! for byte, so a client that re-encodes the query is refused (403), as Azure would.
//! `FinalizeArtifact` checks the size and SHA-256 against the committed blob. The fake is
//! trusted only because the official client's own upload and download pass on it
//! (tests/artifact_interop.rs).

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::http::{Reply, Request, Server};

/// The workflow run backend id inside the fake runtime token.
pub const RUN_ID: &str = "c8a5b3e2-run-backend";
/// The job run backend id inside the fake runtime token.
pub const JOB_ID: &str = "0d1f9a7b-job-backend";
/// The `sig` of upload URLs, percent-encoded as Azure sends it (`+`, `/`, `=` inside).
pub const UPLOAD_SIG: &str = "c2VudGluZWwtdXBsb2Fk%2Bc2ln%2F%3D";
/// The `sig` of download URLs.
pub const DOWNLOAD_SIG: &str = "c2VudGluZWwtZG93bmxvYWQ%2Bc2ln%2F%3D";
const SIGNED_QUERY: &str = "sv=2024-08-04&se=2099-01-01T00%3A00%3A00Z&sr=b&sp=rcw";

/// A runtime token (JWT) whose `scp` claim is `scopes`; its signature part is `marker`,
/// so tests can look for the token in output.
pub fn runtime_token(scopes: &str, marker: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"typ":"JWT","alg":"RS256"}"#);
    let claims =
        URL_SAFE_NO_PAD.encode(json!({ "scp": scopes, "exp": 4_102_444_800u64 }).to_string());
    format!("{header}.{claims}.{marker}")
}

/// The scopes a real job token carries.
pub fn job_scopes() -> String {
    format!("Actions.ExampleScope Actions.Results:{RUN_ID}:{JOB_ID}")
}

/// An artifact the service knows.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// `database_id`.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Blob path of its content.
    pub blob: String,
    /// Size and hash from `FinalizeArtifact`, once finalized.
    pub finalized: Option<(u64, String)>,
    /// `expires_at` from `CreateArtifact`.
    pub expires_at: Option<String>,
    /// `version` and `mime_type` from `CreateArtifact` (the official client sends 7 and
    /// the type; upload-artifact@v4 sent 4 and none).
    pub created: (i64, Option<String>),
}

#[derive(Default)]
struct Blob {
    blocks: HashMap<String, Vec<u8>>,
    data: Option<Vec<u8>>,
    content_type: String,
}

/// A fault to answer once with, instead of the normal reply.
pub struct Fault {
    /// Matches when `"{METHOD} {path}"` contains this.
    pub matches: String,
    /// Status to answer with (0 = drop the connection).
    pub status: u16,
    /// JSON body.
    pub body: Value,
    /// A `Retry-After` header to send along.
    pub retry_after: Option<String>,
}

#[derive(Default)]
struct State {
    token: String,
    artifacts: Vec<Artifact>,
    blobs: HashMap<String, Blob>,
    faults: VecDeque<Fault>,
    next_id: u64,
}

/// The fake service; stops when dropped.
pub struct FakeResults {
    /// The HTTP server (results service and blob store share it).
    pub server: Server,
    state: Arc<Mutex<State>>,
}

impl FakeResults {
    /// Starts a service that accepts `token` as the runtime token.
    pub fn start(token: &str) -> Self {
        let state = Arc::new(Mutex::new(State {
            token: token.to_owned(),
            next_id: 1000,
            ..State::default()
        }));
        let shared = state.clone();
        let base = Arc::new(Mutex::new(String::new()));
        let base_in = base.clone();
        let server = Server::start(move |request| {
            let base = base_in.lock().unwrap().clone();
            handle(&mut shared.lock().unwrap(), &base, request)
        });
        *base.lock().unwrap() = server.url();
        Self { server, state }
    }

    /// `ACTIONS_RESULTS_URL` (with a path, which clients must drop).
    pub fn results_url(&self) -> String {
        format!("{}/results/", self.server.url())
    }

    /// Answers the next request matching `matches` with `status` and `body`.
    pub fn fail_once(&self, matches: &str, status: u16, body: Value) {
        self.state.lock().unwrap().faults.push_back(Fault {
            matches: matches.to_owned(),
            status,
            body,
            retry_after: None,
        });
    }

    /// Answers the next request matching `matches` with 503 and `Retry-After: seconds`.
    pub fn busy_once(&self, matches: &str, seconds: &str) {
        self.state.lock().unwrap().faults.push_back(Fault {
            matches: matches.to_owned(),
            status: 503,
            body: json!({"code": "unavailable", "msg": "busy"}),
            retry_after: Some(seconds.to_owned()),
        });
    }

    /// Adds a finalized artifact, as if uploaded earlier in the run.
    pub fn add_artifact(&self, name: &str, content: &[u8]) -> u64 {
        let mut state = self.state.lock().unwrap();
        let id = state.next_id;
        state.next_id += 1;
        let blob = format!("/blob/{RUN_ID}/{id}/{name}.zip");
        state.blobs.insert(
            blob.clone(),
            Blob {
                data: Some(content.to_vec()),
                content_type: "application/zip".into(),
                ..Blob::default()
            },
        );
        state.artifacts.push(Artifact {
            id,
            name: name.to_owned(),
            blob,
            finalized: Some((content.len() as u64, sha256(content))),
            expires_at: None,
            created: (4, None),
        });
        id
    }

    /// The `Content-Type` its blob is served with.
    pub fn content_type(&self, id: u64) -> Option<String> {
        let state = self.state.lock().unwrap();
        let artifact = state.artifacts.iter().find(|a| a.id == id)?;
        Some(state.blobs.get(&artifact.blob)?.content_type.clone())
    }

    /// The artifacts, finalized or not.
    pub fn artifacts(&self) -> Vec<Artifact> {
        self.state.lock().unwrap().artifacts.clone()
    }

    /// The committed content of an artifact.
    pub fn content(&self, id: u64) -> Option<Vec<u8>> {
        let state = self.state.lock().unwrap();
        let artifact = state.artifacts.iter().find(|a| a.id == id)?;
        state.blobs.get(&artifact.blob)?.data.clone()
    }

    /// Every request received.
    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }
}

/// Lowercase hex SHA-256.
pub fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn handle(state: &mut State, base: &str, request: &Request) -> Reply {
    let key = format!("{} {}", request.method, request.path());
    if let Some(at) = state.faults.iter().position(|f| key.contains(&f.matches)) {
        let fault = state.faults.remove(at).unwrap();
        return match (fault.status, fault.retry_after) {
            (0, _) => Reply::Close,
            (status, Some(after)) => Reply::json(status, &fault.body).header("retry-after", &after),
            (status, None) => Reply::json(status, &fault.body),
        };
    }
    let path = request.path().to_owned();
    if let Some(method) = path.strip_prefix("/twirp/github.actions.results.api.v1.ArtifactService/")
    {
        if request.method != "POST" {
            return Reply::Unexpected;
        }
        return twirp(state, base, method, request);
    }
    if path.starts_with("/blob/") {
        return match request.method.as_str() {
            "PUT" => put_blob(state, &path, request),
            "GET" => get_blob(state, &path, request),
            _ => Reply::Unexpected,
        };
    }
    Reply::Unexpected
}

fn twirp_error(status: u16, code: &str, msg: &str) -> Reply {
    Reply::json(status, &json!({ "code": code, "msg": msg }))
}

fn twirp(state: &mut State, base: &str, method: &str, request: &Request) -> Reply {
    if request.header("authorization") != Some(&format!("Bearer {}", state.token)) {
        return twirp_error(401, "unauthenticated", "invalid runtime token");
    }
    if !request
        .header("content-type")
        .is_some_and(|v| v.starts_with("application/json"))
    {
        return twirp_error(415, "bad_route", "content type must be application/json");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return twirp_error(400, "malformed", "body is not JSON");
    };
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    if text("workflow_run_backend_id") != RUN_ID || text("workflow_job_run_backend_id") != JOB_ID {
        return twirp_error(
            403,
            "permission_denied",
            "backend ids do not match the token",
        );
    }
    let name = text("name");
    match method {
        "CreateArtifact" => create(state, base, &name, &body),
        "FinalizeArtifact" => finalize(state, &name, &body),
        "ListArtifacts" => list(state, &body),
        "DeleteArtifact" => {
            let Some(at) = state.artifacts.iter().position(|a| a.name == name) else {
                return twirp_error(404, "not_found", "artifact not found");
            };
            let artifact = state.artifacts.remove(at);
            state.blobs.remove(&artifact.blob);
            Reply::json(
                200,
                &json!({ "ok": true, "artifact_id": artifact.id.to_string() }),
            )
        }
        "GetSignedArtifactURL" => match state.artifacts.iter().find(|a| a.name == name) {
            Some(artifact) => Reply::json(
                200,
                &json!({ "signed_url": format!("{base}{}?{SIGNED_QUERY}&sig={DOWNLOAD_SIG}", artifact.blob) }),
            ),
            None => twirp_error(404, "not_found", "artifact not found"),
        },
        _ => Reply::Unexpected,
    }
}

fn create(state: &mut State, base: &str, name: &str, body: &Value) -> Reply {
    if name.is_empty() || name.contains(['"', ':', '<', '>', '|', '*', '?', '\r', '\n', '\\', '/'])
    {
        return twirp_error(400, "invalid_argument", "invalid artifact name");
    }
    if !matches!(body.get("version").and_then(Value::as_i64), Some(4 | 7)) {
        return twirp_error(400, "invalid_argument", "unsupported artifact version");
    }
    if state.artifacts.iter().any(|a| a.name == name) {
        return twirp_error(
            409,
            "already_exists",
            "an artifact with this name already exists on the workflow run",
        );
    }
    let id = state.next_id;
    state.next_id += 1;
    let mime_type = body.get("mime_type").and_then(Value::as_str);
    // A zip's blob is named NAME.zip; a file uploaded as is keeps its name.
    let blob = match mime_type {
        None | Some("application/zip") => format!("/blob/{RUN_ID}/{id}/{name}.zip"),
        Some(_) => format!("/blob/{RUN_ID}/{id}/{name}"),
    };
    state.blobs.insert(blob.clone(), Blob::default());
    state.artifacts.push(Artifact {
        id,
        name: name.to_owned(),
        blob: blob.clone(),
        finalized: None,
        expires_at: body
            .get("expires_at")
            .and_then(Value::as_str)
            .map(str::to_owned),
        created: (
            body.get("version")
                .and_then(Value::as_i64)
                .unwrap_or_default(),
            mime_type.map(str::to_owned),
        ),
    });
    Reply::json(
        200,
        &json!({ "ok": true, "signed_upload_url": format!("{base}{blob}?{SIGNED_QUERY}&sig={UPLOAD_SIG}") }),
    )
}

fn finalize(state: &mut State, name: &str, body: &Value) -> Reply {
    let Some(artifact) = state.artifacts.iter_mut().find(|a| a.name == name) else {
        return twirp_error(404, "not_found", "artifact not found");
    };
    let Some(data) = state
        .blobs
        .get(&artifact.blob)
        .and_then(|b| b.data.as_ref())
    else {
        return twirp_error(400, "failed_precondition", "no blob was uploaded");
    };
    let size = body
        .get("size")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<u64>().ok());
    let hash = body.get("hash").and_then(Value::as_str).unwrap_or_default();
    if size != Some(data.len() as u64) {
        return twirp_error(
            400,
            "invalid_argument",
            "size does not match the uploaded blob",
        );
    }
    if hash != format!("sha256:{}", sha256(data)) {
        return twirp_error(
            400,
            "invalid_argument",
            "hash does not match the uploaded blob",
        );
    }
    artifact.finalized = Some((data.len() as u64, hash.to_owned()));
    Reply::json(
        200,
        &json!({ "ok": true, "artifact_id": artifact.id.to_string() }),
    )
}

fn list(state: &State, body: &Value) -> Reply {
    let name_filter = body.get("name_filter").and_then(Value::as_str);
    let id_filter = body
        .get("id_filter")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<u64>().ok());
    let artifacts: Vec<Value> = state
        .artifacts
        .iter()
        .filter(|a| a.finalized.is_some())
        .filter(|a| name_filter.is_none_or(|n| n == a.name))
        .filter(|a| id_filter.is_none_or(|id| id == a.id))
        .map(|a| {
            let (size, hash) = a.finalized.clone().unwrap();
            json!({
                "workflow_run_backend_id": RUN_ID,
                "workflow_job_run_backend_id": JOB_ID,
                "database_id": a.id.to_string(),
                "name": a.name,
                "size": size.to_string(),
                "created_at": "2026-01-01T00:00:00Z",
                "digest": hash,
            })
        })
        .collect();
    Reply::json(200, &json!({ "artifacts": artifacts }))
}

/// The query after the signed part, or `None` when the signature is not intact.
fn after_signature<'a>(request: &'a Request, sig: &str) -> Option<&'a str> {
    let rest = request
        .query()
        .strip_prefix(&format!("{SIGNED_QUERY}&sig={sig}"))?;
    if rest.is_empty() || rest.starts_with('&') {
        Some(rest.trim_start_matches('&'))
    } else {
        None
    }
}

fn storage_error(status: u16, code: &str) -> Reply {
    Reply::new(
        status,
        format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code></Error>"),
    )
    .header("x-ms-error-code", code)
    .header("content-type", "application/xml")
}

fn created() -> Reply {
    Reply::new(201, Vec::new())
        .header("etag", "\"0x8DC0000000000\"")
        .header("last-modified", "Thu, 01 Jan 2026 00:00:00 GMT")
        .header("x-ms-request-id", "00000000-0000-0000-0000-000000000000")
        .header("x-ms-version", "2024-08-04")
        .header("x-ms-request-server-encrypted", "true")
}

fn put_blob(state: &mut State, path: &str, request: &Request) -> Reply {
    let Some(params) = after_signature(request, UPLOAD_SIG) else {
        return storage_error(403, "AuthenticationFailed");
    };
    let Some(blob) = state.blobs.get_mut(path) else {
        return storage_error(404, "ContainerNotFound");
    };
    let param = |name: &str| {
        params
            .split('&')
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_owned))
    };
    match param("comp").as_deref() {
        Some("block") => {
            let id = param("blockid")
                .unwrap_or_default()
                .replace("%2B", "+")
                .replace("%2F", "/")
                .replace("%3D", "=");
            if STANDARD.decode(&id).is_err() || blob.blocks.keys().any(|k| k.len() != id.len()) {
                return storage_error(400, "InvalidBlockId");
            }
            blob.blocks.insert(id, request.body.clone());
            created()
        }
        Some("blocklist") => {
            let xml = String::from_utf8_lossy(&request.body).into_owned();
            let mut data = Vec::new();
            for id in block_list_ids(&xml) {
                let Some(block) = blob.blocks.get(&id) else {
                    return storage_error(400, "InvalidBlockList");
                };
                data.extend_from_slice(block);
            }
            blob.blocks.clear();
            blob.data = Some(data);
            request
                .header("x-ms-blob-content-type")
                .unwrap_or("application/octet-stream")
                .clone_into(&mut blob.content_type);
            created()
        }
        None if request.header("x-ms-blob-type") == Some("BlockBlob") => {
            blob.data = Some(request.body.clone());
            request
                .header("x-ms-blob-content-type")
                .unwrap_or("application/octet-stream")
                .clone_into(&mut blob.content_type);
            created()
        }
        _ => storage_error(400, "InvalidQueryParameterValue"),
    }
}

/// The block ids of a `<BlockList>`, in order, whatever the tag (`Latest`, `Uncommitted`, `Committed`).
fn block_list_ids(xml: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let Some(end) = rest.find('>') else { break };
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if matches!(tag, "Latest" | "Uncommitted" | "Committed") {
            let close = format!("</{tag}>");
            let Some(stop) = rest.find(&close) else { break };
            ids.push(rest[..stop].trim().to_owned());
            rest = &rest[stop + close.len()..];
        }
    }
    ids
}

fn get_blob(state: &State, path: &str, request: &Request) -> Reply {
    if after_signature(request, DOWNLOAD_SIG).is_none() {
        return storage_error(403, "AuthenticationFailed");
    }
    match state
        .blobs
        .get(path)
        .and_then(|b| b.data.as_ref().map(|d| (d, &b.content_type)))
    {
        Some((data, content_type)) if content_type != "application/zip" => {
            // A file uploaded as is comes with its name, as the official client expects.
            let name = path.rsplit('/').next().unwrap_or_default();
            let disposition = format!("attachment; filename=\"{name}\"; filename*=UTF-8''{name}");
            Reply::new(200, data.clone())
                .header("content-type", content_type)
                .header("content-disposition", &disposition)
                .header("x-ms-blob-type", "BlockBlob")
        }
        Some((data, content_type)) => Reply::new(200, data.clone())
            .header("content-type", content_type)
            .header("x-ms-blob-type", "BlockBlob")
            .header("accept-ranges", "bytes")
            .header("etag", "\"0x8DC0000000000\"")
            .header("last-modified", "Thu, 01 Jan 2026 00:00:00 GMT"),
        None => storage_error(404, "BlobNotFound"),
    }
}
