//! The plan of `compare`: two inputs, at most one of them standard input, and the
//! noise rule's numbers (kept apart from `plans.rs`, which holds every other command's).

use super::{Error, Input, SummaryFormat};
use crate::cli::CompareArgs;

/// `compare`: two inputs (at most one of them standard input), the form and the rules.
#[derive(Debug)]
pub(crate) struct ComparePlan {
    /// The run compared with.
    pub base: Input,
    /// The run under review.
    pub head: Input,
    /// The form.
    pub format: SummaryFormat,
    /// Spans each side needs before a name's timing is compared.
    pub min_samples: u64,
    /// Relative change p50 and p95 must both exceed (0.2: 20 %).
    pub threshold: f64,
    /// Exit 1 when a regression is flagged.
    pub fail_on_regression: bool,
}

/// Resolves the flags of `compare` (`format` already resolved).
pub(crate) fn plan(args: &CompareArgs, format: SummaryFormat) -> Result<ComparePlan, Error> {
    let (base, head) = (
        Input::resolve(Some(&args.base)),
        Input::resolve(Some(&args.head)),
    );
    if matches!((&base, &head), (Input::Stdin, Input::Stdin)) {
        return Err(Error::Invalid(
            "BASE and HEAD cannot both be `-` (standard input): give at least one as a file"
                .to_owned(),
        ));
    }
    Ok(ComparePlan {
        base,
        head,
        format,
        min_samples: args.min_samples,
        threshold: args.threshold / 100.0,
        fail_on_regression: args.fail_on_regression,
    })
}
