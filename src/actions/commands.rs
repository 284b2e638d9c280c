//! GitHub workflow commands (`::notice::`, `::warning::`, `::error::`, `::add-mask::`).
//!
//! The runner treats `%`, CR and LF in the message as syntax, so every message is
//! escaped here; a raw newline would end the command and print the rest as plain text.
//! Builders return strings so that callers decide where they go and tests can compare
//! them.

/// Escapes the message part of a workflow command.
pub(crate) fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// `::warning::message`
pub(crate) fn warning(message: &str) -> String {
    format!("::warning::{}", escape_data(message))
}

/// `::notice::message`
pub(crate) fn notice(message: &str) -> String {
    format!("::notice::{}", escape_data(message))
}

/// `::error::message`
pub(crate) fn error(message: &str) -> String {
    format!("::error::{}", escape_data(message))
}

/// `::add-mask::value`: the runner replaces the value with `***` in the rest of the log.
pub(crate) fn add_mask(value: &str) -> String {
    format!("::add-mask::{}", escape_data(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_and_percent_signs_cannot_end_a_command() {
        assert_eq!(
            warning("50% done\r\nnext"),
            "::warning::50%25 done%0D%0Anext"
        );
    }
}
