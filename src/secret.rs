//! A string that must never be shown: GitHub tokens, runtime tokens, signed URLs.
//!
//! `Debug` and `Display` print `(redacted)`; the only way to the value is
//! [`Secret::expose`], which makes every use easy to find in review.

use std::fmt;

/// A secret value. Cloning is cheap enough for tokens and URLs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(s))
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_and_display_hide_the_value() {
        let secret = Secret::new("ghp_sentinel");
        assert_eq!(format!("{secret:?} {secret}"), "(redacted) (redacted)");
        assert_eq!(secret.expose(), "ghp_sentinel");
    }
}
