//! Which repository a command is about: `-R/--repo` in the forms `gh` takes
//! (`OWNER/REPO`, `HOST/OWNER/REPO`, a repository URL), else `GH_REPO` (the same forms,
//! as `gh` reads it), else `GITHUB_REPOSITORY`, else the checkout's `origin` remote
//! (https, ssh or scp-like), whose host then says which GitHub to ask unless another
//! setting does.

use reqwest::Url;

use super::{Error, env_var, git};

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

/// A repository and the host it was named with, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    /// The repository.
    pub repo: Repo,
    /// `host[:port]` when the value named one.
    pub host: Option<String>,
    /// Whether the host is only the `origin` remote's (weaker than `GITHUB_API_URL` and
    /// `GH_HOST`), not one the user named.
    pub from_remote: bool,
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

    /// `--repo`, then `GH_REPO`, then `GITHUB_REPOSITORY`, then the `origin` remote of
    /// the checkout.
    pub(crate) fn resolve(flag: Option<&str>) -> Result<Located, Error> {
        if let Some(value) = flag {
            return Self::parse_spec("--repo", value);
        }
        if let Some(value) = env_var("GH_REPO") {
            return Self::parse_spec("GH_REPO", &value);
        }
        if let Some(value) = env_var("GITHUB_REPOSITORY") {
            let repo = Self::parse("GITHUB_REPOSITORY", &value)?;
            return Ok(Located {
                repo,
                host: None,
                from_remote: false,
            });
        }
        let remote = git(&["remote", "get-url", "origin"]).ok_or(Error::NoRepository)?;
        let (host, slug) = repo_from_remote(&remote).ok_or(Error::NoRepository)?;
        let repo = Self::parse("the `origin` remote", &slug)?;
        Ok(Located {
            repo,
            host: Some(host),
            from_remote: true,
        })
    }

    /// `-R` as `gh` takes it: `OWNER/REPO`, `HOST/OWNER/REPO` or a repository URL.
    pub(crate) fn parse_spec(origin: &'static str, value: &str) -> Result<Located, Error> {
        let trimmed = value.trim();
        if trimmed.contains("://") {
            let url = Url::parse(trimmed).map_err(|_| Error::BadRepository {
                origin,
                value: super::shown_url(value),
            })?;
            return Self::from_url(origin, &url);
        }
        let parts: Vec<&str> = trimmed.split('/').collect();
        let (host, repo) = match parts.as_slice() {
            [host, owner, name] => (
                Some((*host).to_owned()),
                Self::parse(origin, &format!("{owner}/{name}"))?,
            ),
            _ => (None, Self::parse(origin, trimmed)?),
        };
        Ok(Located {
            repo,
            host,
            from_remote: false,
        })
    }

    /// The repository of a URL on a GitHub host (`https://HOST/OWNER/REPO[.git][/…]`).
    pub(crate) fn from_url(origin: &'static str, url: &Url) -> Result<Located, Error> {
        let bad = || Error::BadRepository {
            origin,
            value: super::shown_url(url.as_str()),
        };
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(bad());
        }
        let mut segments = url.path_segments().ok_or_else(bad)?;
        let owner = segments.next().ok_or_else(bad)?;
        let name = segments.next().ok_or_else(bad)?;
        let name = name.strip_suffix(".git").unwrap_or(name);
        let repo = Self::parse(origin, &format!("{owner}/{name}")).map_err(|_| bad())?;
        Ok(Located {
            repo,
            host: Some(super::github::authority(url)),
            from_remote: false,
        })
    }
}

/// `(host, OWNER/NAME)` from a remote URL in https, ssh or scp-like form.
pub(crate) fn repo_from_remote(remote: &str) -> Option<(String, String)> {
    let remote = remote.trim();
    let (authority, path) = if let Some((_, rest)) = remote.split_once("://") {
        // https://host/owner/name(.git), ssh://git@host[:port]/owner/name(.git)
        rest.split_once('/')?
    } else {
        // git@host:owner/name(.git)
        remote.split_once(':')?
    };
    let host = authority.rsplit('@').next()?;
    // An ssh port is not the web host's.
    let host = if remote.starts_with("ssh://") {
        host.split(':').next()?
    } else {
        host
    };
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    let mut parts = path.rsplitn(3, '/');
    let name = parts.next()?;
    let owner = parts.next()?;
    Some((host.to_owned(), format!("{owner}/{name}")))
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
        ] {
            assert_eq!(
                repo_from_remote(remote),
                Some(("github.com".to_owned(), "octo-org/node".to_owned())),
                "{remote}"
            );
        }
        assert_eq!(
            repo_from_remote("https://ghe.example.com/octo-org/node.git"),
            Some(("ghe.example.com".to_owned(), "octo-org/node".to_owned()))
        );
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
    fn repo_flags_take_every_form_gh_takes() {
        let spec = |value: &str| {
            let located = Repo::parse_spec("--repo", value).unwrap();
            (located.host, located.repo.to_string())
        };
        assert_eq!(spec("o/r"), (None, "o/r".to_owned()));
        assert_eq!(
            spec("ghe.example.com/o/r"),
            (Some("ghe.example.com".to_owned()), "o/r".to_owned())
        );
        assert_eq!(
            spec("https://github.com/o/r.git"),
            (Some("github.com".to_owned()), "o/r".to_owned())
        );
        assert_eq!(
            spec("http://127.0.0.1:8080/o/r/pulls"),
            (Some("127.0.0.1:8080".to_owned()), "o/r".to_owned())
        );
        for bad in ["o", "a/b/c/d", "https://github.com/o", "ftp://x/o/r"] {
            assert!(Repo::parse_spec("--repo", bad).is_err(), "{bad}");
        }
    }
}
