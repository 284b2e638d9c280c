//! `ci-tracing man [COMMAND]` (hidden): print a man page that `docs/man/` keeps.
//!
//! The pages are generated from the same clap definition as `--help`, so they cannot
//! drift: a test regenerates each one and compares it with the checked-in file, and
//! `scripts/man.sh` rewrites them all.

use std::io::Write;

/// Runs `man`.
pub(crate) fn run(command: &str) -> crate::Result<()> {
    let page = crate::cli::man_page(command).map_err(|err| write_error(&err))?;
    let Some((_, page)) = page else {
        return Err(crate::config::Error::Invalid(format!(
            "no man page for `{command}`: name a command of `ci-tracing --help`"
        ))
        .into());
    };
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&page)
        .and_then(|()| stdout.flush())
        .map_err(|err| write_error(&err))?;
    Ok(())
}

fn write_error(err: &std::io::Error) -> crate::Error {
    crate::report::Error::Write(format!(
        "cannot write the man page: {}",
        crate::path_error::io_reason(err)
    ))
    .into()
}
