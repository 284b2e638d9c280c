//! What `upload` reports: step outputs and the job summary in markdown.
//!
//! The job summary is built by one function that also takes a markdown section from
//! elsewhere (the trace summary of `report::summary`), so the page has one shape. Only
//! counts, names and the artifact's public link go here; never a signed URL or token.

use std::fmt::Write as _;

use super::markdown;
use crate::artifact::pipeline::Archived;

/// A finished upload.
#[derive(Debug)]
pub(crate) struct Uploaded {
    /// Artifact name.
    pub name: String,
    /// Artifact id from `FinalizeArtifact`.
    pub id: u64,
    /// `$GITHUB_SERVER_URL/OWNER/REPO/actions/runs/RUN/artifacts/ID`, when known.
    pub url: Option<String>,
    /// The pull request, when the event has one.
    pub pull_request: Option<u64>,
    /// The files uploaded (for a trace summary of their content).
    pub files: Vec<std::path::PathBuf>,
    /// What was archived.
    pub archived: Archived,
    /// The HTML report uploaded next to it, when it was.
    pub report: Option<ReportArtifact>,
}

/// The HTML report artifact of an upload.
#[derive(Debug, Clone)]
pub(crate) struct ReportArtifact {
    /// Artifact (and file) name.
    pub name: String,
    /// Artifact id from `FinalizeArtifact`.
    pub id: u64,
    /// Its page in the run (GitHub opens an HTML artifact in the browser from there).
    pub url: Option<String>,
    /// Spans on the page.
    pub spans: u64,
    /// Spans of the file not on the page (budget and size limit).
    pub left_out: u64,
}

/// The step outputs (`GITHUB_OUTPUT`) of an upload.
pub(crate) fn outputs(uploaded: &Uploaded) -> Vec<(&'static str, String)> {
    let mut outputs = vec![("artifact-id", uploaded.id.to_string())];
    if let Some(url) = &uploaded.url {
        outputs.push(("artifact-url", url.clone()));
    }
    outputs.extend([
        ("artifact-digest", uploaded.archived.sha256.clone()),
        ("spans", uploaded.archived.spans.to_string()),
        ("traces", uploaded.archived.traces.to_string()),
    ]);
    if let Some(report) = &uploaded.report {
        outputs.push(("report-artifact-id", report.id.to_string()));
        if let Some(url) = &report.url {
            outputs.push(("report-artifact-url", url.clone()));
        }
    }
    outputs
}

/// The job summary; `extra` (markdown, may be empty) is appended as its own section.
pub(crate) fn job_summary(uploaded: &Uploaded, extra: &str) -> String {
    let archived = &uploaded.archived;
    let mut md = String::new();
    // First, one click to the waterfall: GitHub opens the HTML artifact in the browser.
    if let Some(report) = &uploaded.report {
        let shown = match &report.url {
            Some(url) => format!("**[Open the trace waterfall]({url})**"),
            None => "**Open the trace waterfall**".to_owned(),
        };
        let left_out = if report.left_out > 0 {
            format!(", {} left out", report.left_out)
        } else {
            String::new()
        };
        let _ = writeln!(
            md,
            "{shown} (`{}`, {} spans{left_out})\n",
            markdown::escape(&report.name),
            report.spans
        );
    }
    md.push_str("### Traces uploaded\n\n| | |\n|---|---|\n");
    // Service names come from the trace file: untrusted, escaped like every name there.
    let services: Vec<String> = archived
        .services
        .iter()
        .map(|s| markdown::escape(s))
        .collect();
    let _ = writeln!(md, "| spans | {} |", archived.spans);
    let _ = writeln!(md, "| traces | {} |", archived.traces);
    let _ = writeln!(
        md,
        "| services | {} |",
        if services.is_empty() {
            "none".to_owned()
        } else {
            format!("{} ({})", services.len(), services.join(", "))
        }
    );
    let link = uploaded.url.as_ref().map_or_else(
        || format!("`{}`", uploaded.name),
        |url| format!("[{}]({url})", uploaded.name),
    );
    let _ = writeln!(
        md,
        "| artifact | {link} ({}, id {}) |",
        human_size(archived.size),
        uploaded.id
    );
    let _ = writeln!(md, "| digest | `sha256:{}` |", archived.sha256);
    md.push_str("\nFetch the traces to your machine:\n\n```sh\n");
    match uploaded.pull_request {
        Some(pr) => {
            let _ = writeln!(md, "ci-tracing fetch-traces --pr {pr}");
        }
        None => md.push_str("ci-tracing fetch-traces --pr <PR number>\n"),
    }
    md.push_str("```\n");
    if !extra.trim().is_empty() {
        md.push('\n');
        md.push_str(extra.trim_end());
        md.push('\n');
    }
    md.push('\n');
    md
}

/// `1.5 MiB`-style sizes.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    #[allow(clippy::cast_precision_loss)]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_counts_link_and_the_fetch_command() {
        let uploaded = Uploaded {
            name: "trace-data".into(),
            id: 42,
            url: Some("https://github.com/o/r/actions/runs/1/artifacts/42".into()),
            pull_request: Some(7),
            files: Vec::new(),
            report: Some(ReportArtifact {
                name: "traces.html".into(),
                id: 43,
                url: Some("https://github.com/o/r/actions/runs/1/artifacts/43".into()),
                spans: 5,
                left_out: 0,
            }),
            archived: Archived {
                size: 2048,
                sha256: "ab".repeat(32),
                spans: 5,
                traces: 2,
                services: ["node".to_owned(), "db".to_owned(), "a|<b>".to_owned()].into(),
                ..Archived::default()
            },
        };
        let md = job_summary(&uploaded, "#### Slowest traces\n");
        assert!(
            md.starts_with(
                "**[Open the trace waterfall](https://github.com/o/r/actions/runs/1/artifacts/43)** (`traces.html`, 5 spans)\n"
            ),
            "{md}"
        );
        for part in [
            "| spans | 5 |",
            "| traces | 2 |",
            "| services | 3 (a\\|&lt;b&gt;, db, node) |",
            "[trace-data](https://github.com/o/r/actions/runs/1/artifacts/42) (2.0 KiB, id 42)",
            "ci-tracing fetch-traces --pr 7\n",
            "#### Slowest traces",
        ] {
            assert!(md.contains(part), "{part} missing from:\n{md}");
        }
        assert_eq!(human_size(5 << 20), "5.0 MiB");
    }
}
