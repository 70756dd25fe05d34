//! Printing results as text for people or JSON for programs.

use std::sync::Arc;

use anyhow::Result;
use canopy_core::{ChangeKind, PropertyChange};
use canopy_engine::{ApplyReport, ComponentView, EngineEvent, EventSink, Plan, RefreshReport};
use canopy_schema::Registry;
use canopy_store::{ChangeSet, SecretInfo, Workspace};
use serde::Serialize;
use serde_json::Value;

use crate::args::{Output, SchemaCommand};

/// Writes command results to standard output in the chosen format.
#[derive(Clone, Copy)]
pub struct Printer {
    output: Output,
}

impl Printer {
    pub fn new(output: Output) -> Printer {
        Printer { output }
    }

    fn json(&self, value: &impl Serialize) {
        println!(
            "{}",
            serde_json::to_string_pretty(value).expect("output serializes")
        );
    }

    /// Progress goes to standard error as text, so JSON output stays one document.
    pub fn event_sink(&self) -> EventSink {
        let quiet = self.output == Output::Json;
        // Each poll reports an event; only a change of status is worth a line.
        let last = std::sync::Mutex::new(std::collections::HashMap::<String, String>::new());
        Arc::new(move |event: &EngineEvent| {
            if quiet {
                return;
            }
            match event {
                EngineEvent::ActionProgress {
                    component,
                    kind,
                    status,
                    identifier,
                    ..
                } => {
                    let id = identifier
                        .as_deref()
                        .map(|i| format!(" {i}"))
                        .unwrap_or_default();
                    let line = format!("  … {kind} {component}: {status}{id}");
                    let mut last = last.lock().expect("progress lock");
                    if last.get(component) != Some(&line) {
                        eprintln!("{line}");
                        last.insert(component.clone(), line);
                    }
                }
                EngineEvent::ActionFinished {
                    component,
                    kind,
                    state,
                    message,
                } => {
                    let detail = message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default();
                    eprintln!("  {} {kind} {component}: {state}{detail}", mark(state));
                }
                EngineEvent::Qualified { .. } => {}
            }
        })
    }

    pub fn message(&self, value: &impl Serialize, text: &str) {
        match self.output {
            Output::Json => self.json(value),
            Output::Text => println!("{text}"),
        }
    }

    pub fn token(&self, workspace: &str, token: &str) {
        match self.output {
            Output::Json => self.json(&serde_json::json!({"workspace": workspace, "token": token})),
            Output::Text => println!("{token}"),
        }
    }

    pub fn workspaces(&self, workspaces: &[Workspace], current: Option<&str>) {
        if self.output == Output::Json {
            return self.json(&workspaces);
        }
        for workspace in workspaces {
            let mark = if Some(workspace.name.as_str()) == current {
                "*"
            } else {
                " "
            };
            println!("{mark} {}  {}", workspace.name, workspace.id);
        }
    }

    pub fn secrets(&self, secrets: &[SecretInfo]) {
        if self.output == Output::Json {
            return self.json(&secrets);
        }
        for secret in secrets {
            println!(
                "{}  ({}, created {})",
                secret.name, secret.kind, secret.created_at
            );
        }
    }

    pub fn actions(&self, actions: &[canopy_store::ActionRecord]) {
        if self.output == Output::Json {
            return self.json(&actions);
        }
        for action in actions {
            let token = action.request_token.as_deref().unwrap_or("-");
            let message = action
                .message
                .as_deref()
                .map(|m| format!("  {m}"))
                .unwrap_or_default();
            println!(
                "{}  {} {} {}  request {token}{message}",
                action.id, action.kind, action.component_name, action.state
            );
        }
    }

    pub fn change_sets(&self, change_sets: &[ChangeSet]) {
        if self.output == Output::Json {
            return self.json(&change_sets);
        }
        for change_set in change_sets {
            println!("{:<24} {}", change_set.name, change_set.status.as_str());
        }
    }

    pub fn components(&self, views: &[ComponentView]) {
        if self.output == Output::Json {
            return self.json(&views);
        }
        for view in views {
            let failing = view
                .qualifications
                .iter()
                .filter(|q| q.status == "failure")
                .count();
            let qualification = if failing == 0 {
                "ok".to_string()
            } else {
                format!("{failing} failing")
            };
            let resource = view
                .resource
                .as_ref()
                .map(|r| format!("{} {}", r.status, r.identifier.as_deref().unwrap_or("-")))
                .unwrap_or_else(|| "no resource".into());
            let deleted = if view.deleted { " (deleted)" } else { "" };
            println!(
                "{:<20} {:<32} qualifications {:<10} {}{deleted}",
                view.name, view.schema, qualification, resource
            );
        }
    }

    pub fn component(&self, view: &ComponentView) {
        if self.output == Output::Json {
            return self.json(view);
        }
        println!("{} ({}) in {}", view.name, view.schema, view.change_set);
        if view.deleted {
            println!("  deleted in this change set");
        }
        if let Some(region) = &view.region {
            println!("  region: {region}");
        }
        if let Some(credential) = &view.credential {
            println!("  credential: {credential}");
        }
        let domain = match Registry::bundled().get(&view.schema) {
            Ok(schema) => mask_write_only(&schema, &view.domain, &mut Vec::new()),
            Err(_) => view.domain.clone(),
        };
        println!("  domain: {}", compact(&domain));
        for subscription in &view.subscriptions {
            println!(
                "  {} <- {}{}",
                subscription.path, subscription.source, subscription.source_path
            );
        }
        println!("  qualifications:");
        for q in &view.qualifications {
            println!("    {} {}: {}", mark(&q.status), q.name, q.message);
        }
        match &view.resource {
            Some(resource) => {
                println!(
                    "  resource: {} {} in {}",
                    resource.status,
                    resource.identifier.as_deref().unwrap_or("(no identifier)"),
                    resource.region
                );
                if let Some(properties) = &resource.properties {
                    println!("    properties: {}", compact(properties));
                }
                if let Some(message) = &resource.message {
                    println!("    message: {message}");
                }
            }
            None => println!("  resource: none"),
        }
        if !view.unknown_write_only.is_empty() {
            println!(
                "  unknown write-only properties (AWS never returns them): {}",
                view.unknown_write_only.join(", ")
            );
        }
        if !view.drift.is_empty() {
            println!("  drift (AWS differs from the domain):");
            print_changes(&view.drift, "    ", &view.schema);
        }
    }

    pub fn plan(&self, plan: &Plan) {
        if self.output == Output::Json {
            return self.json(plan);
        }
        for action in &plan.in_flight {
            println!(
                "resume {} {} (request {})",
                action.kind,
                action.component,
                action.request_token.as_deref().unwrap_or("not sent")
            );
        }
        for name in &plan.waiting {
            println!("wait {name}: a component it depends on has a request in flight");
        }
        if plan.is_empty() {
            println!("No changes. AWS matches change set {}.", plan.change_set);
            return;
        }
        for action in &plan.actions {
            let id = action
                .identifier
                .as_deref()
                .map(|i| format!(" {i}"))
                .unwrap_or_default();
            println!(
                "{} {} {} ({}{id})",
                symbol(action.kind.as_str()),
                action.kind.as_str(),
                action.component,
                action.type_name
            );
            print_changes(&action.changes, "    ", &action.type_name);
        }
        let count = |kind: &str| {
            plan.actions
                .iter()
                .filter(|a| a.kind.as_str() == kind)
                .count()
        };
        println!(
            "Plan: {} to create, {} to update, {} to replace, {} to delete, {} unchanged.",
            count("create"),
            count("update"),
            count("replace"),
            count("delete"),
            plan.unchanged.len()
        );
    }

    pub fn apply(&self, report: &ApplyReport) {
        if self.output == Output::Json {
            return self.json(report);
        }
        let all: Vec<_> = report.resumed.iter().chain(&report.actions).collect();
        if all.is_empty() {
            println!("Nothing to do: AWS already matches HEAD.");
            return;
        }
        for outcome in &all {
            let id = outcome
                .identifier
                .as_deref()
                .map(|i| format!(" {i}"))
                .unwrap_or_default();
            let message = outcome
                .message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            println!(
                "{} {} {} {}{id}{message}",
                mark(&outcome.state),
                outcome.kind,
                outcome.component,
                outcome.state
            );
        }
        let failed = all.iter().filter(|o| !o.succeeded()).count();
        if failed == 0 {
            println!(
                "Applied {}: {} action(s) succeeded.",
                report.change_set,
                all.len()
            );
        } else {
            println!(
                "Applied {} with {failed} of {} action(s) not succeeded.",
                report.change_set,
                all.len()
            );
        }
    }

    pub fn refresh(&self, report: &RefreshReport) {
        if self.output == Output::Json {
            return self.json(report);
        }
        if report.resources.is_empty() {
            println!("No resources to refresh.");
        }
        for resource in &report.resources {
            let message = resource
                .message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            println!(
                "{} {} {}{message}",
                resource.component, resource.identifier, resource.status
            );
            if !resource.drift.is_empty() {
                println!("  drift:");
                print_changes(&resource.drift, "    ", &resource.type_name);
            }
        }
    }
}

fn mark(state: &str) -> &'static str {
    match state {
        "succeeded" | "success" => "✓",
        "failed" | "failure" => "✗",
        "skipped" => "-",
        _ => "?",
    }
}

fn symbol(kind: &str) -> &'static str {
    match kind {
        "create" => "+",
        "delete" => "-",
        "replace" => "-/+",
        _ => "~",
    }
}

/// Prints property changes. Values of write-only properties (passwords and the like,
/// which AWS never returns) are hidden, because plan output often ends up in CI logs.
fn print_changes(changes: &[PropertyChange], indent: &str, type_name: &str) {
    let schema = Registry::bundled().get(type_name).ok();
    for change in changes {
        let hidden = schema
            .as_deref()
            .is_some_and(|schema| holds_write_only(schema, &change.path));
        let show = |value: &Value| {
            if hidden {
                HIDDEN.to_string()
            } else {
                compact(value)
            }
        };
        let before = change
            .before
            .as_ref()
            .map(show)
            .unwrap_or_else(|| "(unset)".into());
        let after = change
            .after
            .as_ref()
            .map(show)
            .unwrap_or_else(|| match change.kind {
                ChangeKind::Remove => "(removed)".into(),
                _ => "(known after apply)".into(),
            });
        let effect = match change.effect {
            canopy_core::ChangeEffect::Replace => "  [forces replacement]",
            canopy_core::ChangeEffect::MayReplace => "  [may replace]",
            canopy_core::ChangeEffect::NotSent => "  [not sent]",
            canopy_core::ChangeEffect::Update => "",
        };
        match change.kind {
            ChangeKind::Add => println!("{indent}+ {} = {after}{effect}", change.path),
            ChangeKind::Remove => println!(
                "{indent}- {} = {before}{effect}  ({})",
                change.path, change.reason
            ),
            ChangeKind::Change => {
                println!("{indent}~ {}: {before} -> {after}{effect}", change.path)
            }
        }
    }
}

pub(crate) const HIDDEN: &str = "(write-only value hidden)";

/// True when the value at this pointer is write-only or contains write-only values.
pub(crate) fn holds_write_only(schema: &canopy_schema::ResourceSchema, pointer: &str) -> bool {
    canopy_schema::parse_pointer(pointer)
        .is_ok_and(|path| schema.is_write_only(&path) || schema.has_write_only_below(&path))
}

/// Returns a copy of a domain with every write-only value replaced by a placeholder.
pub(crate) fn mask_write_only(
    schema: &canopy_schema::ResourceSchema,
    value: &Value,
    path: &mut Vec<canopy_schema::Segment>,
) -> Value {
    if !path.is_empty() && schema.is_write_only(path) {
        return Value::String(HIDDEN.to_string());
    }
    match value {
        Value::Object(object) => Value::Object(
            object
                .iter()
                .map(|(key, child)| {
                    path.push(canopy_schema::Segment::Key(key.clone()));
                    let masked = mask_write_only(schema, child, path);
                    path.pop();
                    (key.clone(), masked)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(index, child)| {
                    path.push(canopy_schema::Segment::Index(index));
                    let masked = mask_write_only(schema, child, path);
                    path.pop();
                    masked
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn compact(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 160 {
        format!("{}…", &text[..text.floor_char_boundary(160)])
    } else {
        text
    }
}

/// Runs `canopy schema list|show`, which needs no store.
pub fn schema(printer: &Printer, command: SchemaCommand) -> Result<u8> {
    let registry = Registry::bundled();
    match command {
        SchemaCommand::List { search } => {
            let summaries: Vec<_> = match &search {
                Some(text) => registry.search(text),
                None => registry.summaries().iter().collect(),
            };
            if printer.output == Output::Json {
                printer.json(&summaries);
            } else {
                for summary in &summaries {
                    println!("{}", summary.type_name);
                }
                eprintln!(
                    "{} type(s); schemas from {} {}",
                    summaries.len(),
                    registry.manifest().source,
                    registry.manifest().source_version
                );
            }
        }
        SchemaCommand::Show { type_name } => {
            let schema = registry.get(&type_name)?;
            let tree = schema.property_tree();
            if printer.output == Output::Json {
                printer.json(&serde_json::json!({
                    "typeName": schema.type_name,
                    "description": schema.description,
                    "primaryIdentifier": schema.primary_identifier.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
                    "properties": tree,
                }));
            } else {
                println!("{}\n  {}", schema.type_name, schema.description);
                println!("  identifier: {}", schema.identifier_shape());
                print!("{}", canopy_schema::render_tree(&tree));
            }
        }
    }
    Ok(0)
}
