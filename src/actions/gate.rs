//! The label decision: does this pull request carry the label that turns tracing on?
//!
//! Any of the PR's labels equal to the wanted name, ignoring ASCII case, turns it on;
//! every label is looked at, however many there are. The reason is one line for the
//! log. Where the labels come from (payload or REST API) is the `gate` command's job.

use super::event::PullRequest;

/// Whether to trace, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decision {
    /// Trace this job.
    pub enabled: bool,
    /// One line for the log.
    pub reason: String,
    /// The pull request, when the event has one.
    pub pull_request: Option<u64>,
}

/// The label decision for pull request `number` with `labels`.
pub(crate) fn decide_from_labels(number: u64, labels: &[String], wanted: &str) -> Decision {
    let enabled = labels
        .iter()
        .any(|label| label.eq_ignore_ascii_case(wanted));
    // Label names are anyone's text: a line break in one must not start a line of its
    // own in the log, where `::error::…` would be read as a workflow command.
    let wanted = wanted.escape_debug();
    let reason = if enabled {
        format!("tracing enabled: pull request #{number} has the label \"{wanted}\"")
    } else if labels.is_empty() {
        format!(
            "tracing disabled: pull request #{number} has no labels (add \"{wanted}\" to trace)"
        )
    } else {
        let names: Vec<String> = labels
            .iter()
            .map(|l| format!("\"{}\"", l.escape_debug()))
            .collect();
        format!(
            "tracing disabled: pull request #{number} does not have the label \"{wanted}\" (its labels: {})",
            names.join(", ")
        )
    };
    Decision {
        enabled,
        reason,
        pull_request: Some(number),
    }
}

/// The labels of the pull request in the event payload.
pub(crate) fn payload_labels(pull_request: &PullRequest) -> Vec<String> {
    pull_request.labels.iter().map(|l| l.name.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::decide_from_labels;

    fn labels(names: &[&str]) -> Vec<String> {
        names.iter().map(|&n| n.to_owned()).collect()
    }

    #[test]
    fn any_label_matches_exactly_ignoring_ascii_case() {
        let many = labels(&["bug", "ci", "Enable Tracing", "docs"]);
        assert!(decide_from_labels(3, &many, "enable tracing").enabled);
        assert!(!decide_from_labels(3, &labels(&["enable tracing!"]), "enable tracing").enabled);
        assert!(!decide_from_labels(3, &labels(&["enable"]), "enable tracing").enabled);
        let none = decide_from_labels(3, &[], "enable tracing");
        assert!(!none.enabled);
        assert!(none.reason.contains("no labels"), "{}", none.reason);
    }

    /// Regression: a label holding a line break and `::error::` was written raw, and the
    /// runner took the second line for a workflow command.
    #[test]
    fn label_names_never_break_the_line() {
        let hostile = labels(&["bug\n::error::owned", "x\r\n::add-mask::y"]);
        let decision = decide_from_labels(3, &hostile, "enable\ntracing");
        assert_eq!(decision.reason.lines().count(), 1, "{}", decision.reason);
        assert!(
            decision.reason.contains(r#""bug\n::error::owned""#),
            "{}",
            decision.reason
        );
    }
}
