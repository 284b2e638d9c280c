//! Which GitHub to talk to and with which token, resolved the way `gh` resolves them.
//!
//! The host comes from what the user named (a pull-request or run URL, `-R HOST/OWNER/REPO`,
//! a repository URL), else `GITHUB_API_URL` (set in every Actions job), else `GH_HOST`,
//! else the host of the checkout's `origin` remote, else github.com. The API URL is
//! derived from the host as `gh` derives it: `https://api.github.com` for github.com,
//! `https://api.HOST` for a GHE.com tenant, `https://HOST/api/v3` for GitHub Enterprise
//! Server; `--api-url` overrides all of this.
//!
//! Tokens follow `gh` too, so that a token never goes to a host it was not meant for:
//! `--token`; for a GitHub Enterprise Server host named by the user, `GH_ENTERPRISE_TOKEN`
//! then `GITHUB_ENTERPRISE_TOKEN` (never `GH_TOKEN`, which is for github.com); otherwise
//! `GH_TOKEN` then `GITHUB_TOKEN`; last, `gh auth token --hostname HOST`. Every token
//! loses surrounding whitespace (a file or `gh` ends it with a newline).

use std::process::{Command, Stdio};

use reqwest::Url;

use super::{Error, env_var, parse_http_url};
use crate::secret::Secret;

/// The REST API to call, the host it belongs to, and the token for it.
#[derive(Debug, Clone)]
pub struct GithubAccess {
    /// REST API base, without a trailing slash.
    pub api_url: Url,
    /// The host as `gh` names it (`github.com`, `ghe.example.com`).
    pub host: String,
    /// The token for that host.
    pub token: Secret,
}

/// Where the API URL came from: the user named it, or it was derived from a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Api {
    url: Url,
    host: String,
    /// `--api-url` or `GITHUB_API_URL`: the token chain is the general one.
    direct: bool,
}

/// The API for `flag` (`--api-url`), a host the user named, and the origin remote's host.
pub(crate) fn resolve_api(
    flag: Option<&str>,
    named_host: Option<&str>,
    remote_host: Option<&str>,
) -> Result<Api, Error> {
    if let Some(value) = flag {
        return direct("--api-url", value);
    }
    if let Some(host) = named_host {
        return derived(host);
    }
    if let Some(value) = env_var("GITHUB_API_URL") {
        return direct("GITHUB_API_URL", &value);
    }
    if let Some(host) = env_var("GH_HOST") {
        return derived(host.trim());
    }
    derived(remote_host.unwrap_or("github.com"))
}

/// An API URL given as such; its host is the one `gh auth token` is asked about.
fn direct(origin: &'static str, value: &str) -> Result<Api, Error> {
    let url = parse_http_url(origin, value)?;
    let authority = authority(&url);
    let host = if authority == "api.github.com" {
        "github.com".to_owned()
    } else {
        authority
            .strip_prefix("api.")
            .filter(|rest| rest.ends_with(".ghe.com"))
            .map_or(authority.clone(), str::to_owned)
    };
    Ok(Api {
        url,
        host,
        direct: true,
    })
}

/// The API of `host` as `gh` derives it.
fn derived(host: &str) -> Result<Api, Error> {
    let host = normalize_host(host);
    let scheme = if crate::tuning::get().github_http {
        "http"
    } else {
        "https"
    };
    let url = if host == "github.com" {
        format!("{scheme}://api.github.com")
    } else if host.ends_with(".ghe.com") {
        format!("{scheme}://api.{host}")
    } else {
        format!("{scheme}://{host}/api/v3")
    };
    let url = parse_http_url("the host", &url).map_err(|_| Error::BadHost(host.clone()))?;
    Ok(Api {
        url,
        host,
        direct: false,
    })
}

/// Lower case, and `www.github.com` and the like are github.com (as `gh` has it).
pub(crate) fn normalize_host(host: &str) -> String {
    let host = host.trim().trim_end_matches('/').to_ascii_lowercase();
    if host.ends_with(".github.com") {
        "github.com".to_owned()
    } else {
        host
    }
}

/// `host[:port]` of a URL.
pub(crate) fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

/// A GitHub Enterprise Server host: its own tokens, never github.com's.
fn is_enterprise(host: &str) -> bool {
    host != "github.com" && host != "github.localhost" && !host.ends_with(".ghe.com")
}

impl Api {
    /// Resolves the token for this API: `--token`, then the environment, then `gh`.
    pub(crate) fn with_token(self, flag: Option<&Secret>) -> Result<GithubAccess, Error> {
        let token = flag
            .and_then(|token| trimmed(token.expose()))
            .or_else(|| self.variables().into_iter().find_map(env_token))
            .or_else(|| gh_auth_token(&self.host));
        let token = token.ok_or_else(|| self.no_token())?;
        Ok(GithubAccess {
            api_url: self.url,
            host: self.host,
            token,
        })
    }

    /// The variables asked, in order.
    fn variables(&self) -> Vec<&'static str> {
        let enterprise = ["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"];
        let general = ["GH_TOKEN", "GITHUB_TOKEN"];
        match (self.direct, is_enterprise(&self.host)) {
            (false, true) => enterprise.to_vec(),
            (true, true) => general.into_iter().chain(enterprise).collect(),
            (_, false) => general.to_vec(),
        }
    }

    fn no_token(&self) -> Error {
        if !self.direct && is_enterprise(&self.host) {
            Error::NoEnterpriseToken {
                host: self.host.clone(),
            }
        } else {
            Error::NoToken
        }
    }
}

/// A variable's value without surrounding whitespace, unless that leaves nothing.
fn env_token(name: &str) -> Option<Secret> {
    env_var(name).and_then(|value| trimmed(&value))
}

fn trimmed(value: &str) -> Option<Secret> {
    let value = value.trim();
    (!value.is_empty()).then(|| Secret::new(value))
}

/// The token `gh` is logged in with for `host`, when `gh` is installed.
fn gh_auth_token(host: &str) -> Option<Secret> {
    let output = Command::new("gh")
        .args(["auth", "token", "--hostname", host])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    trimmed(std::str::from_utf8(&output.stdout).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_urls_are_derived_from_hosts_as_gh_derives_them() {
        let url = |host: &str| derived(host).unwrap().url.to_string();
        assert_eq!(url("github.com"), "https://api.github.com/");
        assert_eq!(url("WWW.GitHub.com"), "https://api.github.com/");
        assert_eq!(url("ghe.example.com"), "https://ghe.example.com/api/v3");
        assert_eq!(url("octo.ghe.com"), "https://api.octo.ghe.com/");
        assert!(derived("bad host").is_err());
    }

    #[test]
    fn a_direct_api_url_names_its_host() {
        assert_eq!(
            direct("x", "https://api.github.com").unwrap().host,
            "github.com"
        );
        assert_eq!(
            direct("x", "https://ghe.example.com:8443/api/v3/")
                .unwrap()
                .host,
            "ghe.example.com:8443"
        );
        assert_eq!(
            direct("x", "https://api.octo.ghe.com").unwrap().host,
            "octo.ghe.com"
        );
    }

    #[test]
    fn enterprise_hosts_named_by_the_user_ask_only_enterprise_variables() {
        let named = derived("ghe.example.com").unwrap();
        assert_eq!(
            named.variables(),
            ["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"]
        );
        assert_eq!(
            derived("github.com").unwrap().variables(),
            ["GH_TOKEN", "GITHUB_TOKEN"]
        );
        let given = direct("x", "https://ghe.example.com/api/v3").unwrap();
        assert_eq!(given.variables()[..2], ["GH_TOKEN", "GITHUB_TOKEN"]);
    }
}
