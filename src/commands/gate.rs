//! `ci-tracing gate`: decide from the pull request's labels whether this job traces.
//!
//! Pull request events trace when any of the PR's labels equals the label name (see
//! [`crate::actions::gate`]). A push to a branch named with `--branch` traces too, so
//! that `upload --compare-with branch:NAME` finds a baseline there. Other events do not
//! trace unless `--force`. The answer is
//! the output `enabled=true|false` plus one line saying why, and the exit status is 0
//! either way: a gate that is off is not a failure. `upload` runs the same decision
//! first.

use crate::actions::event::{Event, PullRequest};
use crate::actions::gate::{Decision, decide_from_labels, payload_labels};
use crate::actions::outputs;
use crate::config::{GatePlan, GithubAccess, Repo};
use crate::log;

/// Runs `gate`.
pub(crate) async fn run(plan: &GatePlan) -> crate::Result<()> {
    let decision = decide(plan).await?;
    println!("{}", decision.reason);
    outputs::set_outputs(&[("enabled", decision.enabled.to_string())])?;
    Ok(())
}

/// Decides from the event (and, with `--live`, the REST API) whether to trace.
pub(crate) async fn decide(plan: &GatePlan) -> crate::Result<Decision> {
    if plan.force {
        // The PR number is still useful for the job summary; a broken payload is not.
        let pull_request = Event::from_env()
            .ok()
            .and_then(|event| event.pull_request.map(|pr| pr.number));
        return Ok(Decision {
            enabled: true,
            reason: "tracing enabled: --force".to_owned(),
            pull_request,
        });
    }
    let event = Event::from_env()?;
    let Some(pull_request) = event.pull_request else {
        return Ok(decide_other_event(&event, &plan.branches));
    };
    let labels = match &plan.live {
        Some(live) => current_labels(live, &pull_request).await,
        None => payload_labels(&pull_request),
    };
    Ok(decide_from_labels(
        pull_request.number,
        &labels,
        &plan.label,
    ))
}

/// The decision for an event that is not a pull request: on for a push to one of
/// `branches`, else off.
fn decide_other_event(event: &Event, branches: &[String]) -> Decision {
    let pushed = event.pushed_branch.as_deref();
    if let Some(branch) = pushed.filter(|pushed| branches.iter().any(|b| b == pushed)) {
        return Decision {
            enabled: true,
            reason: format!(
                "tracing enabled: a push to the branch \"{}\" (--branch)",
                branch.escape_debug()
            ),
            pull_request: None,
        };
    }
    let reason = match (pushed, branches.is_empty()) {
        (Some(branch), false) => format!(
            "tracing disabled: a push to the branch \"{}\", not to {} (pass --force to trace anyway)",
            branch.escape_debug(),
            branches
                .iter()
                .map(|b| format!("\"{}\"", b.escape_debug()))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
        _ => format!(
            "tracing disabled: the event is `{}`, not a pull request{} (pass --force to trace anyway)",
            event.name.escape_debug(),
            if branches.is_empty() {
                ""
            } else {
                " nor a push to a --branch"
            }
        ),
    };
    Decision {
        enabled: false,
        reason,
        pull_request: None,
    }
}

/// The PR's labels from the REST API, else (with a warning) those of the payload.
async fn current_labels(
    live: &Result<(GithubAccess, Repo), String>,
    pull_request: &PullRequest,
) -> Vec<String> {
    let result = match live {
        Ok((access, repo)) => crate::github::live_labels(access, repo, pull_request.number)
            .await
            .map_err(|err| err.to_string()),
        Err(reason) => Err(reason.clone()),
    };
    match result {
        Ok(labels) => labels,
        Err(reason) => {
            log::warn(&format!(
                "cannot read the current labels of pull request #{}: {}; using the labels of the event payload, which may be stale on a re-run",
                pull_request.number,
                log::one_line(&reason)
            ));
            payload_labels(pull_request)
        }
    }
}
