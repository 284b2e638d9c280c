//! The `compare` command's raw flags: two trace files, the output form and the noise rule.

use std::path::PathBuf;

use clap::Args;

use super::SummaryFormat;

/// Options of `compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline trace file (the run compared with), `-` for standard input.
    #[arg(value_name = "BASE")]
    pub base: PathBuf,
    /// The trace file of the run under review, `-` for standard input (not both).
    #[arg(value_name = "HEAD")]
    pub head: PathBuf,
    /// Output format.
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = SummaryFormat::Text)]
    pub format: SummaryFormat,
    /// Exit 1 when a span name is flagged slower or with new errors.
    #[arg(long)]
    pub fail_on_regression: bool,
    /// Percent by which p50 and p95 must both change for a span name to be flagged.
    #[arg(long, value_name = "PCT", default_value_t = 20.0, value_parser = percent)]
    pub threshold: f64,
    /// Spans each side needs before a span name's timing is compared.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    pub min_samples: u64,
}

/// A positive, finite percentage.
fn percent(value: &str) -> Result<f64, String> {
    let pct: f64 = value
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("`{value}` is not a number of percent, such as 20"))?;
    if pct.is_finite() && pct > 0.0 && pct <= 10_000.0 {
        Ok(pct)
    } else {
        Err(format!(
            "`{value}` is out of range: expected more than 0 and at most 10000"
        ))
    }
}
