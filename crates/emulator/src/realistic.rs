//! Realistic reads: models returned the way AWS returns them, not as they were sent.
//!
//! A Cloud Control read rarely echoes the desired state. With
//! [`EmulatorConfig::realistic`](crate::EmulatorConfig::realistic) set, every model the
//! emulator returns (GetResource, ListResources and the `ResourceModel` of a finished
//! request) goes through [`present`], which:
//!
//! - adds the schema `default` of each absent property of an object that is present,
//!   and `false` for absent boolean properties without a default, as services report
//!   flags the caller never set;
//! - reverses arrays declared `insertionOrder: false`;
//! - rewrites JSON held in strings with keys in reverse order and pretty-printed, and
//!   returns such a string as an object where the schema allows an object (a policy
//!   document given as a string);
//! - drops empty arrays;
//! - writes integers as floats (`1.0`) where the schema types the property `number`,
//!   and keeps `integer` properties exact.
//!
//! Every step is deterministic, so two reads of one model are equal. Stored models are
//! not changed: an update patches what the caller sent, as a service does.

use canopy_schema::{ResourceSchema, Segment};
use json_patch::{AddOperation, PatchOperation};
use serde_json::{Map, Number, Value};

use crate::store::read_view;

/// Largest integer an `f64` represents exactly. Larger integers keep their spelling.
const MAX_EXACT_FLOAT_INTEGER: u64 = 1 << 53;

/// Nesting depth past which a model is returned unchanged, a guard against recursive
/// schema definitions.
const MAX_DEPTH: usize = 32;

/// Returns a stored model as a read returns it: without write-only properties, and
/// presented as AWS would when `realistic` is set.
pub(crate) fn read_model(schema: &ResourceSchema, model: &Value, realistic: bool) -> Value {
    let view = read_view(schema, model);
    if realistic {
        present(schema, view)
    } else {
        view
    }
}

/// Adapts an UpdateResource patch to the server values a read showed: `replace` of a
/// value only [`present`] adds becomes `add`, and `remove` of one is dropped, because
/// the stored model keeps what the caller sent.
pub(crate) fn adapt_patch(
    schema: &ResourceSchema,
    stored: &Value,
    patch: Vec<PatchOperation>,
) -> Vec<PatchOperation> {
    let presented = present(schema, stored.clone());
    let server_only =
        |path: &str| stored.pointer(path).is_none() && presented.pointer(path).is_some();
    patch
        .into_iter()
        .filter_map(|operation| match operation {
            PatchOperation::Replace(op) if server_only(op.path.as_str()) => {
                Some(PatchOperation::Add(AddOperation {
                    path: op.path,
                    value: op.value,
                }))
            }
            PatchOperation::Remove(op) if server_only(op.path.as_str()) => None,
            other => Some(other),
        })
        .collect()
}

/// Returns `model`, a read view without write-only properties, as AWS would return it.
pub(crate) fn present(schema: &ResourceSchema, model: Value) -> Value {
    let mut path = Vec::new();
    present_value(schema, &mut path, model)
}

fn present_value(schema: &ResourceSchema, path: &mut Vec<Segment>, value: Value) -> Value {
    if path.len() > MAX_DEPTH {
        return value;
    }
    let subschema = schema.property(path);
    match value {
        Value::Object(object) if subschema.is_some_and(names_keys) => {
            Value::Object(present_object(schema, path, object))
        }
        Value::Array(items) => present_array(schema, path, items),
        Value::Number(number) if subschema.is_some_and(|s| allows(s, "number")) => {
            Value::Number(float_spelling(number, subschema))
        }
        Value::String(text) => present_string(subschema, text),
        // Free-form objects, and values the schema does not describe, stay as they are.
        other => other,
    }
}

fn present_object(
    schema: &ResourceSchema,
    path: &mut Vec<Segment>,
    object: Map<String, Value>,
) -> Map<String, Value> {
    let mut presented = Map::new();
    for (key, child) in object {
        path.push(Segment::Key(key.clone()));
        let child = present_value(schema, path, child);
        path.pop();
        if child.as_array().is_some_and(Vec::is_empty) {
            continue;
        }
        presented.insert(key, child);
    }
    add_server_values(schema, path, &mut presented);
    presented
}

/// Adds the values a service reports for properties the caller left out.
fn add_server_values(
    schema: &ResourceSchema,
    path: &mut Vec<Segment>,
    object: &mut Map<String, Value>,
) {
    let Some(subschema) = schema.property(path) else {
        return;
    };
    let mut declared: Vec<(&String, &Value)> = Vec::new();
    collect_properties(schema, subschema, &mut declared, 0);
    for (name, child) in declared {
        if object.contains_key(name) {
            continue;
        }
        path.push(Segment::Key(name.clone()));
        let hidden = schema.is_write_only(path);
        path.pop();
        if hidden {
            continue;
        }
        let value = match child.get("default") {
            Some(default) => default.clone(),
            None if child.get("type").and_then(Value::as_str) == Some("boolean") => {
                Value::Bool(false)
            }
            None => continue,
        };
        if value.as_array().is_some_and(Vec::is_empty) || value.is_null() {
            continue;
        }
        object.insert(name.clone(), value);
    }
}

/// Collects the properties an object schema declares directly and through `allOf`.
/// Alternatives of `oneOf` and `anyOf` are left out, because a model follows at most one.
fn collect_properties<'a>(
    schema: &'a ResourceSchema,
    subschema: &'a Value,
    declared: &mut Vec<(&'a String, &'a Value)>,
    depth: usize,
) {
    if depth > 4 {
        return;
    }
    if let Some(properties) = subschema.get("properties").and_then(Value::as_object) {
        for (name, child) in properties {
            if let Some(child) = schema.resolve(child) {
                declared.push((name, child));
            }
        }
    }
    for part in subschema
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(part) = schema.resolve(part) {
            collect_properties(schema, part, declared, depth + 1);
        }
    }
}

fn present_array(schema: &ResourceSchema, path: &mut Vec<Segment>, items: Vec<Value>) -> Value {
    let mut presented: Vec<Value> = items
        .into_iter()
        .enumerate()
        .map(|(index, item)| {
            path.push(Segment::Index(index));
            let item = present_value(schema, path, item);
            path.pop();
            item
        })
        .collect();
    if schema.is_unordered_array(path) {
        presented.reverse();
    }
    Value::Array(presented)
}

/// Rewrites a string that contains a JSON object or array.
fn present_string(subschema: Option<&Value>, text: String) -> Value {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return Value::String(text);
    }
    let Ok(document) = serde_json::from_str::<Value>(&text) else {
        return Value::String(text);
    };
    let reordered = reverse_keys(document);
    let container = if reordered.is_object() {
        "object"
    } else {
        "array"
    };
    if subschema.is_some_and(|s| allows(s, container)) {
        return reordered;
    }
    let pretty = serde_json::to_string_pretty(&reordered).unwrap_or(text);
    Value::String(pretty)
}

/// Returns a JSON document with the keys of every object in reverse order.
fn reverse_keys(value: Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<(String, Value)> = object.into_iter().collect();
            entries.reverse();
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, child)| (key, reverse_keys(child)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(reverse_keys).collect()),
        other => other,
    }
}

/// Spells an integer as a float (`1` as `1.0`) where that loses nothing.
fn float_spelling(number: Number, subschema: Option<&Value>) -> Number {
    // A property typed both `integer` and `number` keeps integer spelling.
    if subschema.is_some_and(|s| allows(s, "integer")) {
        return number;
    }
    let exact = match (number.as_i64(), number.as_u64()) {
        (Some(signed), _) => signed.unsigned_abs() <= MAX_EXACT_FLOAT_INTEGER,
        (None, Some(unsigned)) => unsigned <= MAX_EXACT_FLOAT_INTEGER,
        _ => false,
    };
    if !exact {
        return number;
    }
    number.as_f64().and_then(Number::from_f64).unwrap_or(number)
}

/// True when the subschema's `type` is or includes `name`.
fn allows(subschema: &Value, name: &str) -> bool {
    match subschema.get("type") {
        Some(Value::String(declared)) => declared == name,
        Some(Value::Array(declared)) => declared.iter().any(|t| t.as_str() == Some(name)),
        _ => false,
    }
}

/// True when an object schema names its keys, so that it is not a free-form document.
fn names_keys(subschema: &Value) -> bool {
    ["properties", "allOf", "oneOf", "anyOf"]
        .iter()
        .any(|keyword| subschema.get(keyword).is_some())
}

#[cfg(test)]
mod tests;
