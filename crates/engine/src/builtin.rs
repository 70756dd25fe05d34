//! The built-in component schemas that are not AWS resource types: AWS Credential and
//! Region. They own no resource; resource components link to one of each.

use serde_json::Value;

use crate::{EngineError, Result};

/// Schema name of the AWS Credential component; its domain is `{"Secret": NAME}`.
pub const AWS_CREDENTIAL: &str = "AWS Credential";
/// Schema name of the Region component; its domain is `{"Region": "us-east-1"}`.
pub const REGION: &str = "Region";

pub(crate) fn is_builtin(schema: &str) -> bool {
    schema == AWS_CREDENTIAL || schema == REGION
}

/// Checks a built-in component's domain, returning the problems found.
pub(crate) fn check_domain(schema: &str, domain: &Value, regions: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(object) = domain.as_object() else {
        return vec!["the domain must be a JSON object".to_string()];
    };
    let (key, allowed) = match schema {
        AWS_CREDENTIAL => ("Secret", "Secret"),
        _ => ("Region", "Region"),
    };
    for name in object.keys() {
        if name != allowed {
            problems.push(format!(
                "unknown property /{name}; a {schema} component has only /{allowed}"
            ));
        }
    }
    match object.get(key) {
        None => problems.push(format!("missing required property /{key}")),
        Some(Value::String(text)) if schema == REGION && !regions.iter().any(|r| r == text) => {
            problems.push(format!(
                "/Region {text:?} is not a known region; use a region name such as us-east-1"
            ));
        }
        Some(Value::String(_)) => {}
        Some(_) => problems.push(format!("/{key} must be a string")),
    }
    problems
}

pub(crate) fn region_of(domain: &Value) -> Option<&str> {
    domain.get("Region").and_then(Value::as_str)
}

pub(crate) fn secret_of(domain: &Value) -> Option<&str> {
    domain.get("Secret").and_then(Value::as_str)
}

pub(crate) fn check_schema_name(schema: &str, registry: &canopy_schema::Registry) -> Result<()> {
    if is_builtin(schema) || registry.contains(schema) {
        return Ok(());
    }
    Err(EngineError::Schema(registry.get(schema).unwrap_err()))
}
