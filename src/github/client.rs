//! The REST client: one `async fn` per endpoint `fetch-traces` and `gate --live` use,
//! every request sent through [`Client::send`], which retries what may be retried.
//!
//! The `Authorization` header is added per request and only to URLs on the API's own
//! origin (a `Link` to elsewhere is refused), so the blob download, which uses the same
//! connection pool, never carries it. Nothing here logs a full URL with a query.

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderValue, LINK, LOCATION};
use reqwest::{Response, Url};

use super::Error;
use super::models::{Artifact, ArtifactPage, Commit, Page, PullRequest, RunPage, WorkflowRun};
use super::status::classify;
use crate::config::{GithubAccess, Repo};
use crate::http::{Failed, Policy, Retry};
use crate::log;
use crate::secret::Secret;

/// Retries of one API request: 5 attempts, 1 s growing to at most 16 s between them,
/// none starting later than 5 minutes after the first.
pub(crate) const API_RETRIES: Policy = Policy {
    attempts: 5,
    base: Duration::from_secs(1),
    factor: 2.0,
    max: Duration::from_secs(16),
    deadline: Duration::from_secs(300),
    log: log::debug,
};

/// The longest one API request may take, answer included (answers are small).
const API_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest page GitHub serves.
const PER_PAGE: (&str, &str) = ("per_page", "100");

/// Pages followed at most per listing (100 items each).
const MAX_PAGES: usize = 30;

/// A GitHub REST client for one API base and token.
#[derive(Debug)]
pub(crate) struct Client {
    http: reqwest::Client,
    api: Url,
    token: Secret,
}

impl Client {
    /// A client for the access's API that authenticates with its token.
    pub(crate) fn new(access: &GithubAccess) -> Result<Self, Error> {
        let http = crate::http::client_builder()
            .build()
            .map_err(|err| Error::Network {
                what: "the HTTP client".to_owned(),
                reason: crate::http::describe_transport_error(&err),
            })?;
        Ok(Self {
            http,
            api: access.api_url.clone(),
            token: access.token.clone(),
        })
    }

    /// The underlying HTTP client, for requests that must go out without the token.
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `GET /repos/{o}/{r}/pulls/{n}`.
    pub(crate) async fn pull_request(
        &self,
        repo: &Repo,
        number: u64,
    ) -> Result<PullRequest, Error> {
        let url = self.repo_url(repo, &format!("pulls/{number}"), &[]);
        self.get_json(url, &format!("pull request #{number} of {repo}"))
            .await
    }

    /// `GET /repos/{o}/{r}/pulls/{n}/commits`, every page (oldest first, as GitHub lists).
    pub(crate) async fn pull_request_commits(
        &self,
        repo: &Repo,
        number: u64,
    ) -> Result<Vec<Commit>, Error> {
        let url = self.repo_url(repo, &format!("pulls/{number}/commits"), &[PER_PAGE]);
        self.get_pages::<Vec<Commit>>(url, &format!("the commits of pull request #{number}"))
            .await
    }

    /// `GET /repos/{o}/{r}/actions/runs?head_sha=…`, every page (newest first).
    pub(crate) async fn runs_for_commit(
        &self,
        repo: &Repo,
        sha: &str,
    ) -> Result<Vec<WorkflowRun>, Error> {
        let url = self.repo_url(repo, "actions/runs", &[("head_sha", sha), PER_PAGE]);
        let what = format!(
            "the workflow runs of commit {}",
            super::models::short_sha(sha)
        );
        self.get_pages::<RunPage>(url, &what).await
    }

    /// `GET /repos/{o}/{r}/actions/runs?branch=…`: the newest `count` runs of a branch
    /// (one page, newest first).
    pub(crate) async fn runs_on_branch(
        &self,
        repo: &Repo,
        branch: &str,
        count: u8,
    ) -> Result<Vec<WorkflowRun>, Error> {
        let count = count.to_string();
        let url = self.repo_url(
            repo,
            "actions/runs",
            &[("branch", branch), ("per_page", &count)],
        );
        let what = format!("the workflow runs of branch {}", branch.escape_debug());
        Ok(self.get_json::<RunPage>(url, &what).await?.items())
    }

    /// `GET /repos/{o}/{r}/actions/runs/{id}/artifacts`, every page, every name.
    pub(crate) async fn run_artifacts(
        &self,
        repo: &Repo,
        run_id: u64,
    ) -> Result<Vec<Artifact>, Error> {
        let url = self.repo_url(
            repo,
            &format!("actions/runs/{run_id}/artifacts"),
            &[PER_PAGE],
        );
        self.get_pages::<ArtifactPage>(url, &format!("workflow run {run_id}"))
            .await
    }

    /// `GET /repos/{o}/{r}/actions/artifacts/{id}/zip`: the short-lived blob URL it
    /// redirects to (a secret: it is signed).
    pub(crate) async fn artifact_zip_location(
        &self,
        repo: &Repo,
        id: u64,
    ) -> Result<Secret, Error> {
        let url = self.repo_url(repo, &format!("actions/artifacts/{id}/zip"), &[]);
        let what = format!("artifact {id}");
        let response = self.send(&url, &what).await?;
        let unexpected = |reason: &str| Error::Unexpected {
            what: what.clone(),
            reason: reason.to_owned(),
        };
        if !response.status().is_redirection() {
            return Err(unexpected(&format!(
                "HTTP {} instead of a redirect to the download",
                response.status().as_u16()
            )));
        }
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| unexpected("a redirect without a Location"))?;
        let target = url
            .join(location)
            .map_err(|_| unexpected("a redirect to an invalid URL"))?;
        Ok(Secret::new(target.as_str()))
    }

    /// `{api}/repos/{owner}/{name}/{tail}?{query}`.
    fn repo_url(&self, repo: &Repo, tail: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.api.clone();
        url.set_path(&format!(
            "{}/repos/{}/{}/{tail}",
            self.api.path().trim_end_matches('/'),
            repo.owner,
            repo.name
        ));
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: Url,
        what: &str,
    ) -> Result<T, Error> {
        let response = self.send_following(url, what).await?;
        decode(response, what).await
    }

    /// [`Self::send`], following a moved resource (301, 302, 307, 308: a renamed or
    /// transferred repository) as long as it stays on the API's origin, where the token
    /// may go; a redirect anywhere else is an error, never a request with the token.
    async fn send_following(&self, url: Url, what: &str) -> Result<Response, Error> {
        let mut url = url;
        for _ in 0..=MAX_REDIRECTS {
            let response = self.send(&url, what).await?;
            if !response.status().is_redirection() {
                return Ok(response);
            }
            url = same_origin_location(&response, &self.api, what)?;
            log::debug(&format!("{what} moved to {}", url.path()));
        }
        Err(Error::Unexpected {
            what: what.to_owned(),
            reason: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }

    /// Every item of a listing, following `Link: rel="next"` verbatim.
    async fn get_pages<P: Page>(&self, url: Url, what: &str) -> Result<Vec<P::Item>, Error> {
        let mut items = Vec::new();
        let mut next = Some(url);
        for _ in 0..MAX_PAGES {
            let Some(url) = next.take() else { break };
            let response = self.send_following(url, what).await?;
            next = next_page(&response, &self.api, what)?;
            items.extend(decode::<P>(response, what).await?.items());
        }
        Ok(items)
    }

    /// Sends an authenticated GET, retrying 5xx, rate limits and connection failures.
    /// Answers 2xx and 3xx; anything else becomes an error.
    async fn send(&self, url: &Url, what: &str) -> Result<Response, Error> {
        let attempt = || async {
            log::debug(&format!("GET {}", url.path()));
            match self.request(url).send().await {
                Ok(response)
                    if response.status().is_success() || response.status().is_redirection() =>
                {
                    Ok(response)
                }
                Ok(response) => {
                    let (status, headers) = (response.status(), response.headers().clone());
                    let body = response.bytes().await.unwrap_or_default();
                    let verdict = classify(status, &headers, &body, what);
                    Err(Failed {
                        error: verdict.error,
                        reason: format!("HTTP {}", status.as_u16()),
                        retry: verdict.retry,
                    })
                }
                Err(err) => {
                    let reason = crate::http::describe_transport_error(&err);
                    Err(Failed {
                        error: Error::Network {
                            what: what.to_owned(),
                            reason: reason.clone(),
                        },
                        reason,
                        retry: Retry::Backoff,
                    })
                }
            }
        };
        API_RETRIES
            .run(what, attempt)
            .await
            .map_err(|gave_up| gave_up.error)
    }

    fn request(&self, url: &Url) -> reqwest::RequestBuilder {
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", self.token.expose()))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid"));
        auth.set_sensitive(true);
        self.http
            .get(url.clone())
            .timeout(API_TIMEOUT)
            .header(ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .header(AUTHORIZATION, auth)
    }
}

/// The body as JSON of type `T`.
async fn decode<T: serde::de::DeserializeOwned>(
    response: Response,
    what: &str,
) -> Result<T, Error> {
    let unexpected = |reason: String| Error::Unexpected {
        what: what.to_owned(),
        reason,
    };
    let body = response
        .bytes()
        .await
        .map_err(|err| unexpected(crate::http::describe_transport_error(&err)))?;
    serde_json::from_slice(&body).map_err(|err| unexpected(format!("not the JSON expected: {err}")))
}

/// Redirects followed for one API request.
const MAX_REDIRECTS: usize = 3;

/// Where a redirect points, refused unless on the API's origin (the token goes along).
fn same_origin_location(response: &Response, api: &Url, what: &str) -> Result<Url, Error> {
    let unexpected = |reason: &str| Error::Unexpected {
        what: what.to_owned(),
        reason: reason.to_owned(),
    };
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| unexpected("a redirect without a Location"))?;
    let url = response
        .url()
        .join(location)
        .map_err(|_| unexpected("a redirect to an invalid URL"))?;
    if url.origin() != api.origin() {
        return Err(unexpected(
            "a redirect to another host, which is not followed with the token",
        ));
    }
    Ok(url)
}

/// The `rel="next"` URL of a `Link` header, refused unless on the API's origin (the
/// token goes along).
fn next_page(response: &Response, api: &Url, what: &str) -> Result<Option<Url>, Error> {
    let Some(link) = response.headers().get(LINK).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(next) = parse_next_link(link) else {
        return Ok(None);
    };
    let url = response
        .url()
        .join(next)
        .ok()
        .filter(|url| url.origin() == api.origin());
    url.map(Some).ok_or_else(|| Error::Unexpected {
        what: what.to_owned(),
        reason: "a next-page link outside the API's host".to_owned(),
    })
}

/// The target of `<…>; rel="next"` in a `Link` header.
pub(crate) fn parse_next_link(link: &str) -> Option<&str> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|param| {
            let param = param.trim().replace(' ', "");
            param == "rel=\"next\"" || param == "rel=next"
        });
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then_some(target)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_the_path_of_a_github_enterprise_api() {
        let access = GithubAccess {
            api_url: crate::config::parse_http_url("--api-url", "https://ghe.example.com/api/v3/")
                .unwrap(),
            host: "ghe.example.com".to_owned(),
            token: Secret::new("t"),
        };
        let client = Client::new(&access).unwrap();
        let repo = Repo::parse("--repo", "o/r").unwrap();
        assert_eq!(
            client.repo_url(&repo, "pulls/7", &[]).as_str(),
            "https://ghe.example.com/api/v3/repos/o/r/pulls/7"
        );
        assert_eq!(
            client
                .repo_url(&repo, "actions/runs", &[("head_sha", "ab"), PER_PAGE])
                .as_str(),
            "https://ghe.example.com/api/v3/repos/o/r/actions/runs?head_sha=ab&per_page=100"
        );
    }

    #[test]
    fn the_next_link_is_found_among_others() {
        let link = r#"<https://api.github.com/repositories/1/actions/runs?page=2>; rel="next", <https://api.github.com/repositories/1/actions/runs?page=5>; rel="last""#;
        assert_eq!(
            parse_next_link(link),
            Some("https://api.github.com/repositories/1/actions/runs?page=2")
        );
        assert_eq!(parse_next_link(r#"<https://x/?page=1>; rel="prev""#), None);
    }
}
