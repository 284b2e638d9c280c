//! Flags and environment resolved into one plan per command, failing early with clear
//! messages.
//!
//! Every default and fallback chain lives here (token, host and API URL in `github`,
//! repository in `repo`, what `fetch-traces` fetches in `target`, the OTLP endpoint and
//! headers in `otlp`, the plans in `plans`, those of `gate` and `upload` in `job`, and
//! `upload --compare-with` in `baseline`), so commands receive values, not options.
//! Besides the Actions runtime adapter (the `actions` folder), this is the only place that
//! reads the environment, the `CI_TRACING_*` test knobs included ([`tuning`]). A failure
//! here is always the caller's to fix, so it exits with status 2. Nothing here may print
//! or embed a token in an error.

pub(crate) mod baseline;
pub(crate) mod compare;
pub(crate) mod github;
pub(crate) mod job;
pub mod otlp;
pub(crate) mod plans;
pub(crate) mod repo;
pub(crate) mod target;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use reqwest::Url;

pub(crate) use baseline::{BaselinePlan, CompareWith};
pub(crate) use compare::ComparePlan;
pub use github::GithubAccess;
pub(crate) use job::{GatePlan, ReportUpload, UploadPlan, WhenNoFiles};
pub(crate) use plans::{
    CollectPlan, FetchPlan, Plan, ReplayPlan, ReportPlan, StackInitPlan, SummaryPlan,
};
pub use repo::Repo;

/// Output forms of `summary` and `compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SummaryFormat {
    /// For a terminal.
    Text,
    /// For a job summary.
    Markdown,
    /// For scripts.
    Json,
}

/// Invocation problems: exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No token anywhere in the chain.
    #[error(
        "no GitHub token: pass --token, set GH_TOKEN or GITHUB_TOKEN, or log in with `gh auth login`"
    )]
    NoToken,
    /// No token for a GitHub Enterprise Server host.
    #[error(
        "no token for {host}: pass --token, set GH_ENTERPRISE_TOKEN or GITHUB_ENTERPRISE_TOKEN, or log in with `gh auth login --hostname {host}`"
    )]
    NoEnterpriseToken {
        /// The host.
        host: String,
    },
    /// A host that cannot be part of a URL.
    #[error("`{0}` is not a host name: expected HOST[:PORT], for example ghe.example.com")]
    BadHost(String),
    /// The argument of `fetch-traces` is neither a number nor a pull-request or run URL.
    #[error(
        "`{0}` is not a pull request or workflow run: expected a number, https://HOST/OWNER/REPO/pull/N or https://HOST/OWNER/REPO/actions/runs/ID"
    )]
    BadTarget(String),
    /// `fetch-traces` without a pull request or run.
    #[error(
        "which pull request? pass its number or URL (`fetch-traces 1234`), a run URL, or --run-id ID"
    )]
    NoTarget,
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
    #[error("cannot read {failure}{hint}")]
    Unreadable {
        /// The path as given and the operating system's reason.
        failure: crate::path_error::IoOnPath,
        /// What to do about it.
        hint: &'static str,
    },
    /// Anything else the user must change.
    #[error("{0}")]
    Invalid(String),
}

pub(crate) use crate::env::env_var;

/// A URL as a message may show it: without user, password, query or fragment, which can
/// hold secrets (`https://user:token@host`, a signed URL's `sig`). A value that does not
/// parse as a URL is shown whole only when it has no `@`, `?` or `#`; otherwise only up
/// to its first `:` or `/` (where userinfo could begin).
pub(crate) fn shown_url(value: &str) -> String {
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

/// Runs git in the current directory and returns its trimmed output on success.
pub(crate) fn git(args: &[&str]) -> Option<String> {
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
pub(crate) fn repo_root() -> PathBuf {
    git(&["rev-parse", "--show-toplevel"]).map_or_else(PathBuf::new, PathBuf::from)
}

/// `<repository root>/.github/tracing`, where `fetch-traces` writes.
pub(crate) fn tracing_dir() -> PathBuf {
    repo_root().join(".github").join("tracing")
}

/// The trace file a command reads when none is named: `.github/tracing/trace-data`.
pub(crate) fn default_trace_file() -> PathBuf {
    tracing_dir().join("trace-data")
}

/// Where a command's input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Input {
    /// `-`
    Stdin,
    /// A file.
    Path(PathBuf),
}

impl Input {
    /// `FILE` as given, `-` for standard input, or the default trace file.
    pub(crate) fn resolve(file: Option<&Path>) -> Self {
        match file {
            Some(path) if path == Path::new("-") => Input::Stdin,
            Some(path) => Input::Path(path.to_owned()),
            None => Input::Path(default_trace_file()),
        }
    }

    /// How to name this input in messages.
    pub(crate) fn display(&self) -> String {
        match self {
            Input::Stdin => "standard input".to_owned(),
            Input::Path(path) => path.display().to_string(),
        }
    }
}

/// The test knobs from the environment (see [`crate::tuning`]); unset or unreadable
/// values keep their defaults.
pub(crate) fn tuning(global: &crate::cli::GlobalArgs) -> crate::tuning::Tuning {
    let defaults = crate::tuning::Tuning::default();
    crate::tuning::Tuning {
        retry_scale: env_var("CI_TRACING_RETRY_SCALE")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .unwrap_or(defaults.retry_scale),
        max_unzipped: env_var("CI_TRACING_MAX_UNZIPPED_BYTES")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(defaults.max_unzipped),
        github_http: env_var("CI_TRACING_GITHUB_HTTP").is_some_and(|v| v.trim() == "1"),
        baseline_deadline: env_seconds("CI_TRACING_BASELINE_SECONDS")
            .unwrap_or(defaults.baseline_deadline),
        collect_read_timeout: env_seconds("CI_TRACING_COLLECT_READ_SECONDS")
            .unwrap_or(defaults.collect_read_timeout),
        max_line_bytes: global
            .max_line_bytes
            .map_or(defaults.max_line_bytes, |bytes| {
                usize::try_from(bytes).unwrap_or(usize::MAX)
            }),
    }
}

/// `GITHUB_SERVER_URL` without a trailing slash (`https://github.com` when unset): the
/// base of the links to runs and artifacts.
fn server_url() -> String {
    let server = env_var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".to_owned());
    server.trim_end_matches('/').to_owned()
}

/// A duration in seconds from the environment variable `name`, when it holds one.
fn env_seconds(name: &str) -> Option<std::time::Duration> {
    env_var(name)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .and_then(|v| std::time::Duration::try_from_secs_f64(v).ok())
}

/// Whether this runs in a GitHub Actions job (`GITHUB_ACTIONS=true`).
pub(crate) fn in_actions() -> bool {
    env_var("GITHUB_ACTIONS").as_deref() == Some("true")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_trailing_slash() {
        let url = parse_http_url("--api-url", "https://ghe.example.com/api/v3/").unwrap();
        assert_eq!(url.as_str(), "https://ghe.example.com/api/v3");
        assert!(parse_http_url("--api-url", "ftp://x").is_err());
        assert!(parse_http_url("--api-url", "not a url").is_err());
    }
}
