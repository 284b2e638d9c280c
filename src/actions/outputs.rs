//! Step outputs (`GITHUB_OUTPUT`) and the job summary (`GITHUB_STEP_SUMMARY`).
//!
//! Both are files the runner reads after the step. Outputs are appended as `name=value`,
//! or in the heredoc form `name<<DELIMITER` when the value spans lines, with a delimiter
//! that does not occur in the value. Outside Actions (variable unset) nothing is
//! written. Secrets must never be passed here: the files end up in the run's UI.

use std::io::Write;

use super::Error;
use crate::env::env_var;

/// Formats one output for `GITHUB_OUTPUT`.
pub(crate) fn format_output(name: &str, value: &str) -> String {
    if !value.contains(['\n', '\r']) {
        return format!("{name}={value}\n");
    }
    let mut delimiter = format!("ghadelimiter_{}", unique_suffix());
    while value.contains(&delimiter) {
        delimiter.push('_');
    }
    format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
}

/// Appends outputs to `GITHUB_OUTPUT` (does nothing when it is unset).
pub(crate) fn set_outputs(outputs: &[(&str, String)]) -> Result<(), Error> {
    let text: String = outputs
        .iter()
        .map(|(name, value)| format_output(name, value))
        .collect();
    append("GITHUB_OUTPUT", &text)
}

/// Appends markdown to the job summary (does nothing when `GITHUB_STEP_SUMMARY` is unset).
pub(crate) fn append_summary(markdown: &str) -> Result<(), Error> {
    append("GITHUB_STEP_SUMMARY", markdown)
}

/// Whether the job has a summary file (so building its markdown is worth the work).
pub(crate) fn has_summary() -> bool {
    env_var("GITHUB_STEP_SUMMARY").is_some()
}

fn append(variable: &'static str, text: &str) -> Result<(), Error> {
    let Some(path) = env_var(variable) else {
        return Ok(());
    };
    let failed = |err: std::io::Error| Error::FileCommand {
        variable,
        failure: crate::path_error::IoOnPath::new(&path, &err),
    };
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)
}

/// A suffix that differs between calls and processes.
fn unique_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    format!("{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::format_output;

    #[test]
    fn single_lines_are_plain_and_multiple_lines_use_a_heredoc() {
        assert_eq!(format_output("enabled", "true"), "enabled=true\n");
        let text = format_output("notes", "a\nb");
        let delimiter = text
            .lines()
            .next()
            .unwrap()
            .strip_prefix("notes<<")
            .unwrap();
        assert_eq!(text, format!("notes<<{delimiter}\na\nb\n{delimiter}\n"));
    }
}
