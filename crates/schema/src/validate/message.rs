//! Messages for validation errors, written for the person editing the component.
//!
//! `jsonschema` formats an error around the whole failing value, which for an object can
//! be kilobytes long, and names neither the property nor the type. These messages name
//! the property by its path, show the rule it breaks (allowed values, the pattern as
//! published, the limit) and shorten every value they quote.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError};
use serde_json::Value;

use crate::path::parse_pointer;
use crate::resource::ResourceSchema;
use crate::validate::ValidationIssue;

/// The longest quoted value, in characters, before it is cut with `...`.
const MAX_QUOTED_CHARS: usize = 60;
/// The number of allowed values listed before the rest are counted.
const MAX_LISTED_OPTIONS: usize = 12;

/// Describes one validation error as one issue, or one issue per unknown property.
pub(super) fn describe(
    schema: &ResourceSchema,
    error: &ValidationError<'_>,
) -> Vec<ValidationIssue> {
    let path = error.instance_path.to_string();
    let instance = error.instance.as_ref();

    if let ValidationErrorKind::AdditionalProperties { unexpected } = &error.kind {
        return unexpected
            .iter()
            .map(|name| ValidationIssue {
                path: format!("{path}/{}", name.replace('~', "~0").replace('/', "~1")),
                message: unknown_property(schema, &path, name),
            })
            .collect();
    }

    let message = describe_kind(schema, &path, instance, error);
    vec![ValidationIssue { path, message }]
}

fn describe_kind(
    schema: &ResourceSchema,
    path: &str,
    instance: &Value,
    error: &ValidationError<'_>,
) -> String {
    let subject = subject(path);
    let got = quote(instance);
    match &error.kind {
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or_else(|| quote(property), str::to_string);
            if path.is_empty() {
                format!("missing required property {name}")
            } else {
                format!("missing required property {name} in {subject}")
            }
        }
        ValidationErrorKind::Type { kind } => {
            format!(
                "{subject} must be {}, got {} {got}",
                expected_types(kind),
                type_name(instance)
            )
        }
        ValidationErrorKind::Enum { options } => {
            format!(
                "{subject} must be one of {}, got {got}",
                list_options(options)
            )
        }
        ValidationErrorKind::Constant { expected_value } => {
            format!("{subject} must be {}, got {got}", quote(expected_value))
        }
        ValidationErrorKind::Pattern { pattern } => {
            let published = published_pattern(schema, path).unwrap_or(pattern);
            format!("{subject} must match the pattern {published}, got {got}")
        }
        ValidationErrorKind::MinLength { limit } => {
            let length = char_count(instance);
            let unit = plural(*limit, "character");
            format!("{subject} must be at least {limit} {unit} long, got {length}: {got}")
        }
        ValidationErrorKind::MaxLength { limit } => {
            let length = char_count(instance);
            let unit = plural(*limit, "character");
            format!("{subject} must be at most {limit} {unit} long, got {length}: {got}")
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("{subject} must be at least {limit}, got {got}")
        }
        ValidationErrorKind::Maximum { limit } => {
            format!("{subject} must be at most {limit}, got {got}")
        }
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("{subject} must be greater than {limit}, got {got}")
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("{subject} must be less than {limit}, got {got}")
        }
        ValidationErrorKind::MultipleOf { multiple_of } => {
            format!("{subject} must be a multiple of {multiple_of}, got {got}")
        }
        ValidationErrorKind::MinItems { limit } => {
            let count = instance.as_array().map_or(0, Vec::len);
            let unit = plural(*limit, "item");
            format!("{subject} must have at least {limit} {unit}, got {count}")
        }
        ValidationErrorKind::MaxItems { limit } => {
            let count = instance.as_array().map_or(0, Vec::len);
            let unit = plural(*limit, "item");
            format!("{subject} must have at most {limit} {unit}, got {count}")
        }
        ValidationErrorKind::AdditionalItems { limit } => {
            format!("{subject} must have at most {limit} items")
        }
        ValidationErrorKind::MinProperties { limit } => {
            format!("{subject} must have at least {limit} properties")
        }
        ValidationErrorKind::MaxProperties { limit } => {
            format!("{subject} must have at most {limit} properties")
        }
        ValidationErrorKind::UniqueItems => {
            format!("{subject} must not contain the same item twice")
        }
        ValidationErrorKind::AnyOf | ValidationErrorKind::OneOfNotValid => {
            format!("{subject} matches none of the forms the schema allows here, got {got}")
        }
        ValidationErrorKind::OneOfMultipleValid => {
            format!(
                "{subject} matches more than one of the forms the schema allows here, \
                 but must match exactly one"
            )
        }
        ValidationErrorKind::Not { schema } => {
            format!("{subject} must not match {}", quote(schema))
        }
        ValidationErrorKind::FalseSchema => format!("{subject} is not allowed here"),
        _ => format!("{subject} is invalid: {}", error.masked()),
    }
}

/// Describes a property the schema does not declare, suggesting the declared name when
/// they differ only in case.
fn unknown_property(schema: &ResourceSchema, parent: &str, name: &str) -> String {
    let place = if parent.is_empty() {
        String::new()
    } else {
        format!(" in {}", subject(parent))
    };
    let suggestion = declared_properties(schema, parent)
        .into_iter()
        .find(|declared| declared.eq_ignore_ascii_case(name) && declared != name)
        .map(|declared| format!(" (did you mean {declared}?)"))
        .unwrap_or_default();
    format!(
        "unknown property {name}{place}; the schema of {} has no such property{suggestion}",
        schema.type_name
    )
}

fn declared_properties(schema: &ResourceSchema, path: &str) -> Vec<String> {
    let Ok(segments) = parse_pointer(path) else {
        return Vec::new();
    };
    schema
        .property(&segments)
        .and_then(|subschema| subschema.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

/// Returns the pattern as the schema publishes it, before translation to Rust syntax.
fn published_pattern<'a>(schema: &'a ResourceSchema, path: &str) -> Option<&'a String> {
    let segments = parse_pointer(path).ok()?;
    match schema.property(&segments)?.get("pattern")? {
        Value::String(pattern) => Some(pattern),
        _ => None,
    }
}

/// Names the value at a path: the property path without its leading `/`, or the model.
fn subject(path: &str) -> String {
    match path.strip_prefix('/') {
        Some(property) => property.to_string(),
        None => "the resource model".to_string(),
    }
}

fn expected_types(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(json_type) => with_article(*json_type),
        TypeKind::Multiple(set) => set
            .iter()
            .map(with_article)
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

fn with_article(json_type: JsonType) -> String {
    match json_type {
        JsonType::Null => "null".to_string(),
        JsonType::Array | JsonType::Integer | JsonType::Object => format!("an {json_type}"),
        _ => format!("a {json_type}"),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn list_options(options: &Value) -> String {
    let Some(options) = options.as_array() else {
        return quote(options);
    };
    let mut listed: Vec<String> = options.iter().take(MAX_LISTED_OPTIONS).map(quote).collect();
    if options.len() > MAX_LISTED_OPTIONS {
        listed.push(format!("and {} more", options.len() - MAX_LISTED_OPTIONS));
    }
    listed.join(", ")
}

fn plural(count: u64, noun: &str) -> String {
    if count == 1 {
        noun.to_string()
    } else {
        format!("{noun}s")
    }
}

fn char_count(value: &Value) -> usize {
    value.as_str().map_or(0, |text| text.chars().count())
}

/// Formats a value as compact JSON, cut to [`MAX_QUOTED_CHARS`] characters.
pub(crate) fn quote(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= MAX_QUOTED_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_QUOTED_CHARS - 3).collect();
    cut.push_str("...");
    cut
}
