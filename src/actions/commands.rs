//! GitHub workflow commands (`::notice::`, `::warning::`, `::error::`, `::group::`, `::add-mask::`).
//!
//! The runner treats `%`, CR and LF in the message (and also `:` and `,` in properties)
//! as syntax, so every message is escaped here; a raw newline would end the command
//! and print the rest as plain text. Builders return strings so that callers decide
//! where they go and tests can compare them.

/// Closes a `::group::`.
pub const END_GROUP: &str = "::endgroup::";

/// Escapes the message part of a workflow command.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=…`, `title=…`) of a workflow command.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// `::warning::message`
pub fn warning(message: &str) -> String {
    format!("::warning::{}", escape_data(message))
}

/// `::notice::message`
pub fn notice(message: &str) -> String {
    format!("::notice::{}", escape_data(message))
}

/// `::error::message`
pub fn error(message: &str) -> String {
    format!("::error::{}", escape_data(message))
}

/// `::group::title`
pub fn group(title: &str) -> String {
    format!("::group::{}", escape_data(title))
}

/// `::add-mask::value`: the runner replaces the value with `***` in the rest of the log.
pub fn add_mask(value: &str) -> String {
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
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
