//! The names the results service accepts, for artifacts and for files in a zip (the
//! toolkit's list of reserved characters), checked before anything is created.

use super::Error;

/// Characters an artifact name cannot hold (toolkit's list).
const INVALID_NAME_CHARACTERS: &[(char, &str)] = &[
    ('"', "\""),
    (':', ":"),
    ('<', "<"),
    ('>', ">"),
    ('|', "|"),
    ('*', "*"),
    ('?', "?"),
    ('\r', "a carriage return"),
    ('\n', "a line feed"),
    ('\\', "\\"),
    ('/', "/"),
];

/// Refuses names the service refuses, before anything is created.
pub(crate) fn validate_name(name: &str) -> Result<(), Error> {
    let invalid = |why: String| {
        Error::InvalidName(format!(
            "invalid artifact name \"{}\": {why}; names cannot contain \" : < > | * ? \\ / or line breaks",
            name.escape_debug()
        ))
    };
    if name.trim().is_empty() {
        return Err(invalid("it is empty".to_owned()));
    }
    for (character, shown) in INVALID_NAME_CHARACTERS {
        if name.contains(*character) {
            return Err(invalid(format!("it contains {shown}")));
        }
    }
    Ok(())
}

/// Refuses file names the service refuses (the name rules less `\` and `/`).
pub(crate) fn validate_entry_name(name: &str) -> Result<(), Error> {
    let found = INVALID_NAME_CHARACTERS
        .iter()
        .filter(|(character, _)| !matches!(character, '\\' | '/'))
        .find(|(character, _)| name.contains(*character));
    match found {
        Some((_, shown)) => Err(Error::Input(format!(
            "cannot upload \"{}\": file names in an artifact cannot contain {shown} (nor \" : < > | * ? or line breaks); rename the file",
            name.escape_debug()
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::{validate_entry_name, validate_name};

    #[test]
    fn names_with_reserved_characters_are_refused() {
        assert!(validate_name("trace-data").is_ok());
        assert!(validate_name("traces 2024.06").is_ok());
        for bad in [
            "", " ", "a/b", "a\\b", "a:b", "a\nb", "a*", "a?", "\"a\"", "<a>", "a|b",
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn file_names_may_hold_slashes_but_not_reserved_characters() {
        assert!(validate_entry_name("dir/sub/trace-data.json").is_ok());
        for bad in ["a:b.json", "dir/what?.json", "x|y"] {
            assert!(validate_entry_name(bad).is_err(), "{bad:?}");
        }
    }
}
