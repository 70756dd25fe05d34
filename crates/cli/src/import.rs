//! `canopy discover`: adopting every existing resource of a type.
//!
//! `canopy component import` is a plain engine call in `commands.rs`.

use anyhow::{Context, Result};
use canopy_engine::{DiscoverReport, DiscoverRequest, Engine};
use serde_json::Value;

use crate::args::DiscoverArgs;
use crate::output::Printer;

/// Discovers the resources of a type and prints what was found. Returns exit code 1
/// when some resource could not be read.
pub async fn discover(
    engine: &Engine,
    printer: &Printer,
    workspace: &str,
    args: DiscoverArgs,
) -> Result<u8> {
    let model = match &args.model {
        Some(text) => Some(
            serde_json::from_str::<Value>(text)
                .with_context(|| format!("--model is not valid JSON: {text}; give an object such as '{{\"ClusterName\": \"prod\"}}'"))?,
        ),
        None => None,
    };
    let request = DiscoverRequest {
        type_name: args.type_name,
        model,
        region: args.region,
        credential: args.credential,
    };
    let report = engine
        .discover(workspace, &args.change_set, request)
        .await?;
    printer.message(&report, &describe(&report));
    Ok(if report.failed.is_empty() { 0 } else { 1 })
}

/// Describes a discovery for people: counts first, then one line per resource.
fn describe(report: &DiscoverReport) -> String {
    let mut lines = vec![format!(
        "{} in {}: found {}, imported {}, skipped {}, failed {} (change set {})",
        report.type_name,
        report.region,
        report.found,
        report.imported.len(),
        report.skipped.len(),
        report.failed.len(),
        report.change_set
    )];
    for resource in &report.imported {
        lines.push(format!(
            "  + {} <- {}",
            resource.component, resource.identifier
        ));
    }
    for resource in &report.skipped {
        lines.push(format!("  = {}: {}", resource.identifier, resource.reason));
    }
    for resource in &report.failed {
        lines.push(format!("  ✗ {}: {}", resource.identifier, resource.message));
    }
    if !report.failed.is_empty() {
        lines.push(
            "Run discovery again to retry the failed resources; it skips those already imported."
                .into(),
        );
    }
    lines.join("\n")
}
