//! The text output of `--server` commands, from the API's JSON.
//!
//! The engine's result types serialize to this JSON but cannot be read back from it,
//! so each function here prints the same lines as its counterpart in `output.rs` reads
//! from the typed value. Change both together.

use serde_json::Value;

/// Returns a JSON string's text, or "" for anything else.
pub fn string(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// Returns a JSON array's items, or none for anything else.
pub fn items(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn optional(value: &Value) -> Option<&str> {
    value.as_str()
}

pub fn workspaces(workspaces: &Value, current: Option<&str>) {
    for workspace in items(workspaces) {
        let name = string(&workspace["name"]);
        let mark = if Some(name) == current { "*" } else { " " };
        println!("{mark} {name}  {}", string(&workspace["id"]));
    }
}

pub fn secrets(secrets: &Value) {
    for secret in items(secrets) {
        println!(
            "{}  ({}, created {})",
            string(&secret["name"]),
            string(&secret["kind"]),
            string(&secret["created_at"])
        );
    }
}

pub fn change_sets(change_sets: &Value) {
    for change_set in items(change_sets) {
        println!(
            "{:<24} {}",
            string(&change_set["name"]),
            string(&change_set["status"])
        );
    }
}

pub fn components(views: &Value) {
    for view in items(views) {
        let failing = items(&view["qualifications"])
            .iter()
            .filter(|q| q["status"] == "failure")
            .count();
        let qualification = if failing == 0 {
            "ok".to_string()
        } else {
            format!("{failing} failing")
        };
        let resource = match &view["resource"] {
            Value::Null => "no resource".to_string(),
            resource => format!(
                "{} {}",
                string(&resource["status"]),
                optional(&resource["identifier"]).unwrap_or("-")
            ),
        };
        let deleted = if view["deleted"] == true {
            " (deleted)"
        } else {
            ""
        };
        println!(
            "{:<20} {:<32} qualifications {:<10} {}{deleted}",
            string(&view["name"]),
            string(&view["schema"]),
            qualification,
            resource
        );
    }
}

pub fn component(view: &Value) {
    println!(
        "{} ({}) in {}",
        string(&view["name"]),
        string(&view["schema"]),
        string(&view["change_set"])
    );
    if view["deleted"] == true {
        println!("  deleted in this change set");
    }
    if let Some(region) = optional(&view["region"]) {
        println!("  region: {region}");
    }
    if let Some(credential) = optional(&view["credential"]) {
        println!("  credential: {credential}");
    }

    let domain = match canopy_schema::Registry::bundled().get(string(&view["schema"])) {
        Ok(schema) => crate::output::mask_write_only(&schema, &view["domain"], &mut Vec::new()),
        Err(_) => view["domain"].clone(),
    };
    println!("  domain: {}", compact(&domain));
    for subscription in items(&view["subscriptions"]) {
        println!(
            "  {} <- {}{}",
            string(&subscription["path"]),
            string(&subscription["source"]),
            string(&subscription["source_path"])
        );
    }

    println!("  qualifications:");
    for q in items(&view["qualifications"]) {
        println!(
            "    {} {}: {}",
            mark(string(&q["status"])),
            string(&q["name"]),
            string(&q["message"])
        );
    }
    match &view["resource"] {
        Value::Null => println!("  resource: none"),
        resource => {
            println!(
                "  resource: {} {} in {}",
                string(&resource["status"]),
                optional(&resource["identifier"]).unwrap_or("(no identifier)"),
                string(&resource["region"])
            );
            if !resource["properties"].is_null() {
                println!("    properties: {}", compact(&resource["properties"]));
            }
            if let Some(message) = optional(&resource["message"]) {
                println!("    message: {message}");
            }
        }
    }

    let unknown: Vec<&str> = items(&view["unknown_write_only"])
        .iter()
        .map(string)
        .collect();
    if !unknown.is_empty() {
        println!(
            "  unknown write-only properties (AWS never returns them): {}",
            unknown.join(", ")
        );
    }
    if !items(&view["drift"]).is_empty() {
        println!("  drift (AWS differs from the domain):");
        print_changes(&view["drift"], "    ", string(&view["schema"]));
    }
}

pub fn plan(plan: &Value) {
    let actions = items(&plan["actions"]);
    let in_flight = items(&plan["in_flight"]);
    for action in in_flight {
        println!(
            "resume {} {} (request {})",
            string(&action["kind"]),
            string(&action["component"]),
            optional(&action["request_token"]).unwrap_or("not sent")
        );
    }
    let waiting = items(&plan["waiting"]);
    for name in waiting {
        println!(
            "wait {}: a component it depends on has a request in flight",
            string(name)
        );
    }
    if actions.is_empty() && in_flight.is_empty() && waiting.is_empty() {
        println!(
            "No changes. AWS matches change set {}.",
            string(&plan["change_set"])
        );
        return;
    }
    for action in actions {
        let id = optional(&action["identifier"])
            .map(|i| format!(" {i}"))
            .unwrap_or_default();
        let kind = string(&action["kind"]);
        println!(
            "{} {kind} {} ({}{id})",
            symbol(kind),
            string(&action["component"]),
            string(&action["type_name"])
        );
        print_changes(&action["changes"], "    ", string(&action["type_name"]));
    }
    let count = |kind: &str| actions.iter().filter(|a| a["kind"] == kind).count();
    println!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete, {} unchanged.",
        count("create"),
        count("update"),
        count("replace"),
        count("delete"),
        items(&plan["unchanged"]).len()
    );
}

pub fn apply(report: &Value) {
    let all: Vec<&Value> = items(&report["resumed"])
        .iter()
        .chain(items(&report["actions"]))
        .collect();
    if all.is_empty() {
        println!("Nothing to do: AWS already matches HEAD.");
        return;
    }
    for outcome in &all {
        let id = optional(&outcome["identifier"])
            .map(|i| format!(" {i}"))
            .unwrap_or_default();
        let message = optional(&outcome["message"])
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        let state = string(&outcome["state"]);
        println!(
            "{} {} {} {state}{id}{message}",
            mark(state),
            string(&outcome["kind"]),
            string(&outcome["component"])
        );
    }
    let change_set = string(&report["change_set"]);
    let failed = all.iter().filter(|o| o["state"] != "succeeded").count();
    if failed == 0 {
        println!("Applied {change_set}: {} action(s) succeeded.", all.len());
    } else {
        println!(
            "Applied {change_set} with {failed} of {} action(s) not succeeded.",
            all.len()
        );
    }
}

pub fn refresh(report: &Value) {
    let resources = items(&report["resources"]);
    if resources.is_empty() {
        println!("No resources to refresh.");
    }
    for resource in resources {
        let message = optional(&resource["message"])
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        println!(
            "{} {} {}{message}",
            string(&resource["component"]),
            string(&resource["identifier"]),
            string(&resource["status"])
        );
        if !items(&resource["drift"]).is_empty() {
            println!("  drift:");
            print_changes(&resource["drift"], "    ", string(&resource["type_name"]));
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

/// Prints property changes, the JSON of `canopy_core::PropertyChange`.
/// Prints property changes, hiding write-only values as the local output does.
fn print_changes(changes: &Value, indent: &str, type_name: &str) {
    let schema = canopy_schema::Registry::bundled().get(type_name).ok();
    for change in items(changes) {
        let kind = string(&change["kind"]);
        let path = string(&change["path"]);
        let hidden = schema
            .as_deref()
            .is_some_and(|schema| crate::output::holds_write_only(schema, path));
        let show = |value: &Value| {
            if hidden {
                crate::output::HIDDEN.to_string()
            } else {
                compact(value)
            }
        };
        let before = match &change["before"] {
            Value::Null => "(unset)".to_string(),
            value => show(value),
        };
        let after = match &change["after"] {
            Value::Null if kind == "remove" => "(removed)".to_string(),
            Value::Null => "(known after apply)".to_string(),
            value => show(value),
        };
        let effect = match string(&change["effect"]) {
            "replace" => "  [forces replacement]",
            "may_replace" => "  [may replace]",
            "not_sent" => "  [not sent]",
            _ => "",
        };
        match kind {
            "add" => println!("{indent}+ {path} = {after}{effect}"),
            "remove" => println!(
                "{indent}- {path} = {before}{effect}  ({})",
                string(&change["reason"])
            ),
            _ => println!("{indent}~ {path}: {before} -> {after}{effect}"),
        }
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
