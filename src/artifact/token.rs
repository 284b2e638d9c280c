//! The backend ids of this job, read from the claims of the runtime token.
//!
//! `ACTIONS_RUNTIME_TOKEN` is a JWT; its payload's `scp` claim holds space-separated
//! scopes, one of which is `Actions.Results:<workflow run backend id>:<job run backend
//! id>`. The signature is not checked (the results service does that). Errors never
//! include the token or any part of it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::Error;
use crate::secret::Secret;

/// Identifies the workflow run and job to the results service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BackendIds {
    /// `workflow_run_backend_id`
    pub run: String,
    /// `workflow_job_run_backend_id`
    pub job: String,
}

/// The backend ids in the `Actions.Results` scope of `token`.
pub(crate) fn backend_ids(token: &Secret) -> Result<BackendIds, Error> {
    let invalid = |what: &str| Error::RuntimeToken {
        variable: "ACTIONS_RUNTIME_TOKEN",
        problem: what.to_owned(),
    };
    let payload = token
        .expose()
        .split('.')
        .nth(1)
        .ok_or_else(|| invalid("is not a JWT"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| invalid("is not a JWT (its payload is not base64url)"))?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|_| invalid("is not a JWT (its payload is not JSON)"))?;
    let scopes = claims
        .get("scp")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| invalid("has no `scp` claim"))?;
    for scope in scopes.split(' ') {
        let parts: Vec<&str> = scope.split(':').collect();
        if parts.first() != Some(&"Actions.Results") {
            continue;
        }
        return match parts[..] {
            [_, run, job] if !run.is_empty() && !job.is_empty() => Ok(BackendIds {
                run: run.to_owned(),
                job: job.to_owned(),
            }),
            _ => Err(invalid("has a malformed Actions.Results scope")),
        };
    }
    Err(invalid(
        "has no Actions.Results scope, so it cannot upload artifacts",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> Secret {
        Secret::new(format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(claims)))
    }

    #[test]
    fn the_results_scope_names_run_and_job() {
        let token = jwt(r#"{"scp":"Actions.GenericRead:1 Actions.Results:run-1:job-2"}"#);
        assert_eq!(
            backend_ids(&token).unwrap(),
            BackendIds {
                run: "run-1".into(),
                job: "job-2".into()
            }
        );
    }

    #[test]
    fn tokens_without_the_scope_are_refused_without_echoing_them() {
        for token in [
            jwt(r#"{"scp":"Actions.GenericRead:1"}"#),
            jwt(r#"{"scp":"Actions.Results:only-run"}"#),
            jwt(r#"{"sub":"x"}"#),
            Secret::new("not-a-jwt"),
        ] {
            let message = backend_ids(&token).unwrap_err().to_string();
            assert!(!message.contains(token.expose()), "{message}");
            assert!(message.contains("ACTIONS_RUNTIME_TOKEN"), "{message}");
        }
    }
}
