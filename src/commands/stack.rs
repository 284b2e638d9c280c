//! `ci-tracing stack init`: write the local Grafana stack's files and say how to start it.
//!
//! The files and the rules for writing them live in `crate::stack`; this only names the
//! directory in messages and prints what was written and the commands that come next.

use crate::config::{StackInitPlan, otlp::DEFAULT_ENDPOINT};
use crate::path_error::shown_path;
use crate::stack::{self, EXPLORE_URL};

/// Runs `stack init`.
pub(crate) fn run(plan: &StackInitPlan) -> crate::Result<()> {
    let shown_dir = shown_path(&plan.dir);
    let dir_text = if shown_dir.as_os_str().is_empty() {
        ".".to_owned()
    } else {
        shown_dir.display().to_string()
    };
    let written = stack::write(&plan.dir, &dir_text, plan.force)?;
    for path in &written {
        println!("wrote {}", shown_path(path).display());
    }
    let compose = shown_path(&plan.dir.join("docker-compose.yaml"));
    let compose = compose.display();
    println!(
        "next:\n  docker compose -f {compose} up -d\n  ci-tracing replay --shift-to-now    # to {DEFAULT_ENDPOINT}\n  open {EXPLORE_URL}\n  docker compose -f {compose} down -v    # stop it and delete the traces"
    );
    Ok(())
}
