//! What `fetch-traces` downloads from, as `gh run download` names it: a pull request
//! (a number or its URL), a workflow run (`--run-id` or its URL), and the repository and
//! host a URL carries along.

use reqwest::Url;

use super::Error;
use super::repo::{Located, Repo};

/// The positional argument of `fetch-traces`, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The pull request it names.
    pub pr: Option<u64>,
    /// The workflow run it names.
    pub run_id: Option<u64>,
    /// The repository (and host) of a URL.
    pub located: Option<Located>,
}

/// Parses `1234`, `#1234`, `https://HOST/OWNER/REPO/pull/1234[/…]` or
/// `https://HOST/OWNER/REPO/actions/runs/ID[/…]`.
pub(crate) fn parse_target(value: &str) -> Result<Target, Error> {
    let bad = || Error::BadTarget(value.to_owned());
    let trimmed = value.trim();
    let number = trimmed.strip_prefix('#').unwrap_or(trimmed);
    if let Ok(pr) = number.parse::<u64>() {
        return Ok(Target {
            pr: Some(pr),
            run_id: None,
            located: None,
        });
    }
    let url = Url::parse(trimmed).map_err(|_| bad())?;
    let located = Repo::from_url("the URL", &url).map_err(|_| bad())?;
    let segments: Vec<&str> = url
        .path_segments()
        .map(Iterator::collect)
        .unwrap_or_default();
    let id = |text: &str| text.parse::<u64>().map_err(|_| bad());
    let (pr, run_id) = match segments.get(2..) {
        Some(["pull", n, ..]) => (Some(id(n)?), None),
        Some(["actions", "runs", n, ..]) => (None, Some(id(n)?)),
        _ => return Err(bad()),
    };
    Ok(Target {
        pr,
        run_id,
        located: Some(located),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_urls_name_pull_requests_and_runs() {
        let target = parse_target("1234").unwrap();
        assert_eq!(
            (target.pr, target.run_id, target.located),
            (Some(1234), None, None)
        );
        assert_eq!(parse_target("#7").unwrap().pr, Some(7));
        let pull = parse_target("https://github.com/o/r/pull/1234/files").unwrap();
        assert_eq!(pull.pr, Some(1234));
        let located = pull.located.unwrap();
        assert_eq!(
            (located.host.as_deref(), located.repo.to_string()),
            (Some("github.com"), "o/r".to_owned())
        );
        let run = parse_target("https://ghe.example.com/o/r/actions/runs/42/job/9").unwrap();
        assert_eq!((run.pr, run.run_id), (None, Some(42)));
        assert_eq!(
            run.located.unwrap().host.as_deref(),
            Some("ghe.example.com")
        );
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "abc",
            "-1",
            "https://github.com/o/r",
            "https://github.com/o/r/issues/3",
            "https://github.com/o/r/pull/x",
            "https://github.com/o/r/actions/runs/",
        ] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }
}
