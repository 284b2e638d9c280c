//! `upload --compare-with`: which earlier `trace-data` the job summary compares with,
//! and what finding and linking it takes (the API, the token, this run's id, the
//! server's address). Read here, once, so that `upload` never reads the environment.
//!
//! A bad value is a usage error (exit 2); a missing token or repository is not: the
//! comparison is an extra of the job summary, so `upload` only notes why it was skipped.

use super::{Error, env_var, server_url};
use crate::config::{GithubAccess, Repo};

/// The baseline to compare with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CompareWith {
    /// This pull request's last earlier run that has the artifact.
    Previous,
    /// The newest artifact on a branch.
    Branch(String),
    /// The artifact of one workflow run.
    Run(u64),
}

impl std::fmt::Display for CompareWith {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompareWith::Previous => f.write_str("previous"),
            CompareWith::Branch(name) => write!(f, "branch:{name}"),
            CompareWith::Run(id) => write!(f, "run:{id}"),
        }
    }
}

/// `--compare-with`, resolved.
#[derive(Debug)]
pub(crate) struct BaselinePlan {
    /// Which baseline.
    pub with: CompareWith,
    /// The API, token and repository to fetch it with, or why there are none.
    pub github: Result<(GithubAccess, Repo), String>,
    /// This run (`GITHUB_RUN_ID`), never its own baseline.
    pub current_run: Option<u64>,
    /// `GITHUB_SERVER_URL` (default `https://github.com`), for the link to the baseline run.
    pub server: String,
    /// Limit of the baseline's unzipped size.
    pub max_unzipped: u64,
}

/// Parses `previous`, `branch:NAME` or `run:ID`.
pub(crate) fn parse_compare_with(value: &str) -> Result<CompareWith, Error> {
    let value = value.trim();
    let bad = |why: &str| {
        Error::Invalid(format!(
            "--compare-with `{}` {why}: expected previous, branch:NAME or run:ID",
            value.escape_debug()
        ))
    };
    if value == "previous" {
        return Ok(CompareWith::Previous);
    }
    if let Some(name) = value.strip_prefix("branch:") {
        let name = name.trim();
        let valid = !name.is_empty()
            && !name.starts_with('-')
            && name
                .chars()
                .all(|c| !c.is_control() && !c.is_whitespace() && !"~^:?*[\\".contains(c));
        return if valid {
            Ok(CompareWith::Branch(name.to_owned()))
        } else {
            Err(bad("does not name a branch"))
        };
    }
    if let Some(id) = value.strip_prefix("run:") {
        return match id.trim().parse::<u64>() {
            Ok(id) if id > 0 => Ok(CompareWith::Run(id)),
            _ => Err(bad("does not name a workflow run by its number")),
        };
    }
    Err(bad("is not a baseline"))
}

/// The plan of `--compare-with VALUE`; `github` is how the gate resolves the REST API.
pub(crate) fn baseline_plan(
    value: &str,
    github: impl FnOnce() -> Result<(GithubAccess, Repo), String>,
) -> Result<BaselinePlan, Error> {
    let with = parse_compare_with(value)?;
    Ok(BaselinePlan {
        with,
        github: github(),
        current_run: env_var("GITHUB_RUN_ID").and_then(|id| id.trim().parse().ok()),
        server: server_url(),
        max_unzipped: crate::tuning::get().max_unzipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_parse_and_others_are_refused() {
        assert_eq!(
            parse_compare_with("previous").unwrap(),
            CompareWith::Previous
        );
        assert_eq!(
            parse_compare_with(" branch:release/1.x ").unwrap(),
            CompareWith::Branch("release/1.x".to_owned())
        );
        assert_eq!(parse_compare_with("run:42").unwrap(), CompareWith::Run(42));
        for bad in [
            "",
            "prev",
            "branch:",
            "branch:a b",
            "run:x",
            "run:0",
            "run:-1",
        ] {
            let err = parse_compare_with(bad).unwrap_err().to_string();
            assert!(
                err.contains("expected previous, branch:NAME or run:ID"),
                "{err}"
            );
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }
}
