//! Flags and environment resolved into settings, failing early with clear messages.
//!
//! Every default and fallback chain of SPEC.md lives here (token, repository, API URL,
//! repository root, default trace file), so commands receive values, not options. A
//! failure here is always the caller's to fix, so it exits with status 2. Nothing here
//! may print or embed a token in an error.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use reqwest::Url;

use crate::cli::GlobalArgs;
use crate::secret::Secret;

/// Invocation problems: exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No token anywhere in the chain.
    #[error(
        "no GitHub token: pass --token, set GITHUB_TOKEN or GH_TOKEN, or log in with `gh auth login`"
    )]
    NoToken,
    /// No repository anywhere in the chain.
    #[error(
        "cannot tell which repository to use: pass --repo OWNER/NAME, set GITHUB_REPOSITORY, or run inside a git checkout with an `origin` remote on GitHub"
    )]
    NoRepository,
    /// `--repo` (or its fallbacks) is not `OWNER/NAME`.
    #[error(
        "{origin} `{value}` is not a repository: expected OWNER/NAME, for example octo-org/node"
    )]
    BadRepository {
        /// Where the value came from (`--repo`, `GITHUB_REPOSITORY`, …).
        origin: &'static str,
        /// The value given.
        value: String,
    },
    /// A URL flag or variable does not parse.
    #[error("{origin} `{value}` is not a valid http(s) URL")]
    BadUrl {
        /// Where the value came from.
        origin: &'static str,
        /// The value given, as [`shown_url`] shows it.
        value: String,
    },
    /// An input file cannot be read.
    #[error("cannot read {path}: {reason}{hint}")]
    Unreadable {
        /// The path as given.
        path: String,
        /// The operating system's reason.
        reason: String,
        /// What to do about it.
        hint: &'static str,
    },
    /// Anything else the user must change.
    #[error("{0}")]
    Invalid(String),
}

/// The operating system's reason in words, without the `(os error N)` suffix.
pub fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => {
            let text = err.to_string();
            text.split(" (os error").next().unwrap_or(&text).to_owned()
        }
    }
}

/// Settings every command may need, resolved from the global flags.
#[derive(Debug)]
pub struct Settings {
    /// GitHub REST API base, without a trailing slash.
    pub api_url: Url,
    token_flag: Option<Secret>,
}

impl Settings {
    /// Resolves the global flags.
    pub fn new(global: &GlobalArgs) -> Result<Self, Error> {
        Ok(Self {
            api_url: parse_http_url("--api-url/GITHUB_API_URL", &global.api_url)?,
            token_flag: global.token.clone(),
        })
    }

    /// The GitHub token: `--token`, `GITHUB_TOKEN`, `GH_TOKEN`, then `gh auth token`.
    pub fn token(&self) -> Result<Secret, Error> {
        if let Some(token) = self
            .token_flag
            .as_ref()
            .filter(|t| !t.expose().trim().is_empty())
        {
            return Ok(token.clone());
        }
        ["GITHUB_TOKEN", "GH_TOKEN"]
            .into_iter()
            .find_map(env_var)
            .map(Secret::new)
            .or_else(gh_auth_token)
            .ok_or(Error::NoToken)
    }
}

/// A non-empty environment variable (an empty one counts as unset, as in Actions).
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// The token `gh` is logged in with, when `gh` is installed.
fn gh_auth_token() -> Option<Secret> {
    let output = Command::new("gh")
        .args(["auth", "token"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let token = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !token.is_empty()).then(|| Secret::new(token))
}

/// A URL as a message may show it: without user, password, query or fragment, which can
/// hold secrets (`https://user:token@host`, a signed URL's `sig`). A value that does not
/// parse as a URL is shown whole only when it has no `@`, `?` or `#`; otherwise only up
/// to its first `:` or `/` (where userinfo could begin).
pub fn shown_url(value: &str) -> String {
    let value = value.trim();
    if let Ok(mut url) = Url::parse(value) {
        if url.has_host() {
            let _ = url.set_username("");
            let _ = url.set_password(None);
        }
        url.set_query(None);
        url.set_fragment(None);
        return url.to_string();
    }
    let end = if value.contains(['@', '?', '#']) {
        value.find([':', '/', '@', '?', '#']).unwrap_or(0)
    } else {
        value.len()
    };
    let kept: String = value[..end].chars().take(100).collect();
    if kept.len() < value.len() {
        format!("{kept}…")
    } else {
        kept
    }
}

/// Parses an http(s) URL and drops a trailing slash from its path.
pub fn parse_http_url(origin: &'static str, value: &str) -> Result<Url, Error> {
    let bad = || Error::BadUrl {
        origin,
        value: shown_url(value),
    };
    let mut url = Url::parse(value.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad());
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

/// A GitHub repository, `OWNER/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// The user or organisation.
    pub owner: String,
    /// The repository name.
    pub name: String,
}

impl std::fmt::Display for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl Repo {
    /// Parses `OWNER/NAME`, saying where a bad value came from.
    pub fn parse(origin: &'static str, value: &str) -> Result<Self, Error> {
        let bad = || Error::BadRepository {
            origin,
            value: value.to_owned(),
        };
        let (owner, name) = value.trim().split_once('/').ok_or_else(bad)?;
        let valid = |part: &str| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        if !valid(owner) || !valid(name) {
            return Err(bad());
        }
        Ok(Self {
            owner: owner.to_owned(),
            name: name.to_owned(),
        })
    }

    /// `--repo`, then `GITHUB_REPOSITORY`, then the `origin` remote of the checkout.
    pub fn resolve(flag: Option<&str>) -> Result<Self, Error> {
        if let Some(value) = flag {
            return Self::parse("--repo", value);
        }
        if let Some(value) = env_var("GITHUB_REPOSITORY") {
            return Self::parse("GITHUB_REPOSITORY", &value);
        }
        let remote = git(&["remote", "get-url", "origin"]).ok_or(Error::NoRepository)?;
        let slug = repo_from_remote(&remote).ok_or(Error::NoRepository)?;
        Self::parse("the `origin` remote", &slug)
    }
}

/// `OWNER/NAME` from a remote URL in https, ssh or scp-like form.
pub fn repo_from_remote(remote: &str) -> Option<String> {
    let remote = remote.trim();
    let path = if let Some((_, rest)) = remote.split_once("://") {
        // https://host/owner/name(.git), ssh://git@host[:port]/owner/name(.git)
        rest.split_once('/')?.1
    } else {
        // git@host:owner/name(.git)
        remote.split_once(':')?.1
    };
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let mut parts = path.rsplitn(3, '/');
    let name = parts.next()?;
    let owner = parts.next()?;
    Some(format!("{owner}/{name}"))
}

/// Runs git in the current directory and returns its trimmed output on success.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !text.is_empty()).then_some(text)
}

/// The root of the git checkout around the current directory, else the current directory
/// (as an empty relative path, so that messages read `.github/tracing/…`).
pub fn repo_root() -> PathBuf {
    git(&["rev-parse", "--show-toplevel"]).map_or_else(PathBuf::new, PathBuf::from)
}

/// `<repository root>/.github/tracing`, where `fetch-traces` writes.
pub fn tracing_dir() -> PathBuf {
    repo_root().join(".github").join("tracing")
}

/// The trace file a command reads when none is named: `.github/tracing/trace-data`.
pub fn default_trace_file() -> PathBuf {
    tracing_dir().join("trace-data")
}

/// Where a command's input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// `-`
    Stdin,
    /// A file.
    Path(PathBuf),
}

impl Input {
    /// `FILE` as given, `-` for standard input, or the default trace file.
    pub fn resolve(file: Option<&Path>) -> Self {
        match file {
            Some(path) if path == Path::new("-") => Input::Stdin,
            Some(path) => Input::Path(path.to_owned()),
            None => Input::Path(default_trace_file()),
        }
    }

    /// How to name this input in messages.
    pub fn display(&self) -> String {
        match self {
            Input::Stdin => "standard input".to_owned(),
            Input::Path(path) => path.display().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_in_every_form_name_the_repository() {
        for remote in [
            "https://github.com/octo-org/node.git",
            "https://github.com/octo-org/node",
            "https://user@github.com/octo-org/node/",
            "git@github.com:octo-org/node.git",
            "ssh://git@github.com:22/octo-org/node.git",
            "https://ghe.example.com/octo-org/node.git",
        ] {
            assert_eq!(
                repo_from_remote(remote).as_deref(),
                Some("octo-org/node"),
                "{remote}"
            );
        }
        assert_eq!(repo_from_remote("/local/path"), None);
    }

    #[test]
    fn repository_names_are_checked() {
        assert_eq!(
            Repo::parse("--repo", "a/b.c-d_e").unwrap().to_string(),
            "a/b.c-d_e"
        );
        for bad in ["a", "a/", "/b", "a/b/c", "a/..", "a b/c"] {
            assert!(Repo::parse("--repo", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_lose_their_trailing_slash() {
        let url = parse_http_url("--api-url", "https://ghe.example.com/api/v3/").unwrap();
        assert_eq!(url.as_str(), "https://ghe.example.com/api/v3");
        assert!(parse_http_url("--api-url", "ftp://x").is_err());
        assert!(parse_http_url("--api-url", "not a url").is_err());
    }
}
