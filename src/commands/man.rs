//! `ci-tracing man` (hidden): print the man page that `docs/man/ci-tracing.1` keeps.
//!
//! The page is generated from the same clap definition as `--help`, so it cannot drift;
//! a test regenerates it and compares it with the checked-in file.

use std::io::Write;

/// Runs `man`.
pub fn run() -> crate::Result<()> {
    let page = crate::cli::man_page().map_err(|err| write_error(&err))?;
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
