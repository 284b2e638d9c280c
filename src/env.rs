//! Reading one environment variable, the way the Actions runner sets them.
//!
//! A leaf so that both readers of the environment can use it without importing each
//! other: `config/`, which builds every command's plan, and the Actions runtime adapter
//! (`actions/`). No other module reads the environment.

/// A non-empty environment variable (an empty one counts as unset, as in Actions).
pub(crate) fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}
