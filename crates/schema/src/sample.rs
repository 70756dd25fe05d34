//! Minimal valid resource models, generated from a type's schema.
//!
//! A sample contains every required property, recursively, and nothing else except what
//! `minProperties` or `minItems` demand. Enumerated and constant values are taken as
//! published, numbers are placed inside their bounds, and strings are generated from
//! their `pattern` by walking the pattern's syntax tree from `regex-syntax`, stretched to
//! `minLength` where the pattern allows it. No crate generates strings from a
//! `regex-syntax` tree, and the walk needs only the shortest match, so it is written here.

mod string;

use serde_json::{Map, Value};

use crate::path::Segment;
use crate::resource::ResourceSchema;

/// Maximum nesting depth the generator follows, a guard against recursive definitions.
/// Required properties nest only a few levels deep in the bundled schemas.
const MAX_DEPTH: usize = 12;

/// Generates a minimal desired state for the type: every required property, with values
/// that satisfy their schemas.
///
/// # Caveats
/// The sample is meant to pass [`ResourceSchema::validate`], not to be accepted by AWS:
/// identifiers and ARNs are well-formed but name nothing. A handful of schemas have
/// `oneOf` and `anyOf` alternatives that the generator does not satisfy (it takes the
/// first alternative), and their samples fail validation.
pub fn sample_model(schema: &ResourceSchema) -> Value {
    Generator { schema }.value(&schema.document, 0)
}

/// Generates a value for the property at a model path, with the same rules as
/// [`sample_model`]: for an object, its required properties. Returns `None` when the
/// schema does not describe the path.
pub fn sample_property(schema: &ResourceSchema, path: &[Segment]) -> Option<Value> {
    let subschema = schema.property(path)?;
    Some(Generator { schema }.value(subschema, path.len()))
}

struct Generator<'a> {
    schema: &'a ResourceSchema,
}

impl Generator<'_> {
    fn value(&self, subschema: &Value, depth: usize) -> Value {
        let Some(subschema) = self.schema.resolve(subschema) else {
            return Value::Null;
        };
        let merged = self.merge_combinators(subschema);
        let subschema = &merged;

        if let Some(constant) = subschema.get("const") {
            return constant.clone();
        }
        if let Some(first) = subschema
            .get("enum")
            .and_then(Value::as_array)
            .and_then(|v| v.first())
        {
            return first.clone();
        }
        if depth > MAX_DEPTH {
            return Value::Null;
        }

        match chosen_type(subschema) {
            "object" => self.object(subschema, depth),
            "array" => self.array(subschema, depth),
            "integer" => number(subschema, true),
            "number" => number(subschema, false),
            "boolean" => Value::Bool(false),
            "null" => Value::Null,
            _ => Value::String(string::sample_string(subschema)),
        }
    }

    /// Folds `allOf`, and the first alternative of `oneOf` and `anyOf`, into the schema.
    fn merge_combinators(&self, subschema: &Value) -> Value {
        let Some(object) = subschema.as_object() else {
            return subschema.clone();
        };
        let mut merged = object.clone();
        // Each part, and whether it is an alternative (of oneOf or anyOf).
        let mut parts: Vec<(&Value, bool)> = Vec::new();
        if let Some(Value::Array(all)) = object.get("allOf") {
            parts.extend(all.iter().map(|part| (part, false)));
        }
        for combinator in ["oneOf", "anyOf"] {
            if let Some(first) = object
                .get(combinator)
                .and_then(Value::as_array)
                .and_then(|v| v.first())
            {
                parts.push((first, true));
            }
        }
        for keyword in ["allOf", "oneOf", "anyOf"] {
            merged.remove(keyword);
        }
        for (part, alternative) in parts {
            let Some(part) = self.schema.resolve(part).map(|p| self.merge_combinators(p)) else {
                continue;
            };
            let Value::Object(mut part) = part else {
                continue;
            };
            // An alternative that requires nothing matches the empty object, and so
            // would every other such alternative: fill its first property so that
            // exactly this one matches.
            if alternative && !part.contains_key("required") {
                let first = part
                    .get("properties")
                    .and_then(Value::as_object)
                    .and_then(|properties| properties.keys().next().cloned());
                if let Some(first) = first {
                    part.insert("required".into(), Value::Array(vec![Value::String(first)]));
                }
            }
            merge_into(&mut merged, part);
        }
        Value::Object(merged)
    }

    fn object(&self, subschema: &Value, depth: usize) -> Value {
        let properties = subschema.get("properties").and_then(Value::as_object);
        let mut names: Vec<String> = subschema
            .get("required")
            .and_then(Value::as_array)
            .map(|names| {
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();

        let min_properties = subschema
            .get("minProperties")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if let Some(properties) = properties {
            for name in properties.keys() {
                if names.len() as u64 >= min_properties {
                    break;
                }
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }

        let mut model = Map::new();
        for name in names {
            let child = properties
                .and_then(|properties| properties.get(&name))
                .or_else(|| match subschema.get("additionalProperties") {
                    Some(child @ Value::Object(_)) => Some(child),
                    _ => None,
                });
            let value = match child {
                Some(child) => self.value(child, depth + 1),
                None => Value::String("sample".to_string()),
            };
            model.insert(name, value);
        }

        if (model.len() as u64) < min_properties {
            if let Some(patterns) = subschema
                .get("patternProperties")
                .and_then(Value::as_object)
            {
                for (pattern, child) in patterns.iter() {
                    let key = string::sample_string(&serde_json::json!({ "pattern": pattern }));
                    model.insert(key, self.value(child, depth + 1));
                }
            }
        }
        // A free-form object such as a policy document takes any keys.
        let mut index = 0;
        while (model.len() as u64) < min_properties && index < min_properties {
            let value = match subschema.get("additionalProperties") {
                Some(Value::Bool(false)) => break,
                Some(child @ Value::Object(_)) => self.value(child, depth + 1),
                _ => Value::String(string::sample_string(&Value::Null)),
            };
            model.insert(format!("Key{index}"), value);
            index += 1;
        }
        Value::Object(model)
    }

    fn array(&self, subschema: &Value, depth: usize) -> Value {
        let count = subschema
            .get("minItems")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let Some(items) = subschema.get("items") else {
            return Value::Array((0..count).map(|_| Value::String("sample".into())).collect());
        };
        let unique = subschema.get("uniqueItems").and_then(Value::as_bool) == Some(true);
        let values = (0..count)
            .map(|index| {
                let value = self.value(items, depth + 1);
                if unique && index > 0 {
                    distinct(
                        self.with_optional(items, value, index as usize, depth),
                        index as usize,
                    )
                } else {
                    value
                }
            })
            .collect();
        Value::Array(values)
    }

    /// Gives an empty object one optional property, chosen by `index`, so that items
    /// of a `uniqueItems` array whose required part is empty can differ.
    fn with_optional(&self, items: &Value, value: Value, index: usize, depth: usize) -> Value {
        let Value::Object(mut object) = value else {
            return value;
        };
        if !object.is_empty() {
            return Value::Object(object);
        }
        let Some(properties) = self
            .schema
            .resolve(items)
            .and_then(|schema| schema.get("properties"))
            .and_then(Value::as_object)
            .filter(|properties| !properties.is_empty())
        else {
            return Value::Object(object);
        };
        let (name, schema) = properties
            .iter()
            .nth((index - 1) % properties.len())
            .expect("in range");
        object.insert(name.clone(), self.value(schema, depth + 2));
        Value::Object(object)
    }
}

/// Merges a schema object into another: properties and required names are united, and
/// other keywords are taken from the part unless already present.
fn merge_into(target: &mut Map<String, Value>, part: Map<String, Value>) {
    for (keyword, value) in part {
        match (keyword.as_str(), target.get_mut(&keyword), value) {
            ("properties", Some(Value::Object(existing)), Value::Object(added)) => {
                for (name, schema) in added {
                    existing.entry(name).or_insert(schema);
                }
            }
            ("required", Some(Value::Array(existing)), Value::Array(added)) => {
                for name in added {
                    if !existing.contains(&name) {
                        existing.push(name);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, value) => {
                target.insert(keyword, value);
            }
        }
    }
}

/// Picks the type to generate: the declared one, the first non-null of several, or one
/// implied by the keywords present.
fn chosen_type(subschema: &Value) -> &str {
    match subschema.get("type") {
        Some(Value::String(name)) => name,
        Some(Value::Array(names)) => {
            let names: Vec<&str> = names.iter().filter_map(Value::as_str).collect();
            let implied = implied_type(subschema);
            if names.contains(&implied) {
                implied
            } else {
                names
                    .into_iter()
                    .find(|name| *name != "null")
                    .unwrap_or("null")
            }
        }
        _ => implied_type(subschema),
    }
}

fn implied_type(subschema: &Value) -> &'static str {
    if subschema.get("properties").is_some() || subschema.get("required").is_some() {
        "object"
    } else if subschema.get("items").is_some() {
        "array"
    } else {
        "string"
    }
}

fn number(subschema: &Value, integer: bool) -> Value {
    let bound = |keyword: &str| subschema.get(keyword).and_then(Value::as_f64);
    let minimum = bound("minimum");
    let maximum = bound("maximum");
    let exclusive_minimum = bound("exclusiveMinimum");
    let exclusive_maximum = bound("exclusiveMaximum");
    let step = if integer { 1.0 } else { 0.5 };

    let mut value = minimum
        .or(exclusive_minimum.map(|limit| limit + step))
        .unwrap_or(1.0)
        .max(exclusive_minimum.map_or(f64::MIN, |limit| limit + step));
    if let Some(maximum) = maximum {
        value = value.min(maximum);
    }
    if let Some(limit) = exclusive_maximum {
        value = value.min(limit - step);
    }
    if let Some(multiple) = bound("multipleOf").filter(|multiple| *multiple > 0.0) {
        value = (value / multiple).ceil() * multiple;
    }

    if integer {
        Value::from(value.ceil() as i64)
    } else {
        serde_json::Number::from_f64(value).map_or(Value::from(1), Value::Number)
    }
}

/// Makes a repeated item differ from the first, for arrays with `uniqueItems`, by
/// changing its first string or number.
fn distinct(value: Value, index: usize) -> Value {
    match value {
        Value::String(text) => Value::String(format!("{text}{index}")),
        Value::Number(number) => Value::from(number.as_i64().unwrap_or(0) + index as i64),
        Value::Object(mut object) => {
            // Vary a scalar of this object, or else one nested in an object or array.
            let key = object
                .iter()
                .find(|(_, child)| matches!(child, Value::String(_) | Value::Number(_)))
                .or_else(|| {
                    object
                        .iter()
                        .find(|(_, child)| matches!(child, Value::Object(_) | Value::Array(_)))
                })
                .map(|(key, _)| key.clone());
            if let Some(key) = key {
                let child = object.remove(&key).unwrap_or(Value::Null);
                object.insert(key, distinct(child, index));
            }
            Value::Object(object)
        }
        Value::Array(mut items) => {
            if let Some(first) = items.first_mut() {
                *first = distinct(std::mem::take(first), index);
            }
            Value::Array(items)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests;
