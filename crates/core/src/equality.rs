//! Semantic equality between a desired value and a value read back from Cloud Control.
//!
//! GetResource does not return what was sent byte for byte. It spells numbers its own way
//! (`1.0`, `"1"`), reformats JSON documents held in strings, omits empty arrays, reorders
//! arrays declared unordered and adds server defaults the user never set. A plain `==`
//! would show a change on every plan, and a change shown where there is none trains users
//! to ignore plans. The rules, applied recursively:
//!
//! - Numbers compare by value, exactly: integers as integers (never through `f64`, so
//!   integers above 2^53 stay exact), `1` equals `1.0`, and a numeric string equals the
//!   number when the schema types the property as `number` or `integer`.
//! - A string holding a JSON object or array equals the parsed document on the other side,
//!   whatever its whitespace and key order.
//! - `null`, `[]` and `{}` equal an absent value.
//! - In an object only the keys the desired side sets count. The exception is a free-form
//!   document (an object the schema gives no properties, or JSON parsed from a string),
//!   where the user owns every key, so a key only the remote has is a difference.
//! - Read-only paths never count, and write-only paths are skipped when comparing with
//!   the remote, which never returns them.
//! - Unordered arrays compare as multisets, other arrays index by index.

use canopy_schema::{ResourceSchema, Segment};
use serde_json::{Number, Value};

use crate::ordering::is_unordered;

#[cfg(test)]
mod tests;

/// Returns true when `desired` and the `remote` value at `path` mean the same thing.
///
/// Read-only and write-only paths inside the values are skipped, because the remote never
/// returns write-only values. The diff compares write-only paths with the last applied
/// value instead.
pub fn values_equal(
    schema: &ResourceSchema,
    path: &[Segment],
    desired: &Value,
    remote: &Value,
) -> bool {
    values_equal_or_absent(schema, path, desired, Some(remote))
}

/// Like [`values_equal`], for a remote model that may lack the path: an absent remote
/// value equals `null`, `[]`, `{}` and objects made only of such values.
pub fn values_equal_or_absent(
    schema: &ResourceSchema,
    path: &[Segment],
    desired: &Value,
    remote: Option<&Value>,
) -> bool {
    Comparator::new(schema, Scope::Remote).eq(&mut path.to_vec(), desired, remote)
}

/// The set of paths a comparison covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// All but read-only and write-only paths: a comparison with the remote model.
    Remote,
    /// Only write-only paths: a comparison with the last applied value.
    WriteOnly,
    /// Only create-only paths.
    CreateOnly,
    /// All but read-only paths.
    All,
}

/// A comparison under one [`Scope`].
#[derive(Clone, Copy)]
pub(crate) struct Comparator<'a> {
    schema: &'a ResourceSchema,
    scope: Scope,
    /// When set, a create-only value the other side lacks counts as equal: the remote
    /// omits some create-only values, and an omitted value is not evidence of a change.
    absent_create_only_matches: bool,
    /// Inside a JSON document parsed from a string, where every key counts.
    in_document: bool,
}

impl<'a> Comparator<'a> {
    pub(crate) fn new(schema: &'a ResourceSchema, scope: Scope) -> Self {
        Comparator {
            schema,
            scope,
            absent_create_only_matches: false,
            in_document: false,
        }
    }

    pub(crate) fn absent_create_only_matches(mut self) -> Self {
        self.absent_create_only_matches = true;
        self
    }

    /// Compares the values at `path`, which the function restores before returning.
    pub(crate) fn eq(
        &self,
        path: &mut Vec<Segment>,
        desired: &Value,
        other: Option<&Value>,
    ) -> bool {
        if self.schema.is_read_only(path) {
            return true;
        }
        let Some(scope) = self.narrow(path) else {
            return true;
        };
        let other = other.filter(|value| !value.is_null());
        if other.is_none() && self.absent_create_only_matches && self.schema.is_create_only(path) {
            return true;
        }
        Comparator { scope, ..*self }.compare(path, desired, other)
    }

    /// Returns the scope below `path`, or `None` when nothing at or below `path` is in scope.
    fn narrow(&self, path: &[Segment]) -> Option<Scope> {
        let schema = self.schema;
        match self.scope {
            Scope::Remote if schema.is_write_only(path) => None,
            Scope::WriteOnly if schema.is_write_only(path) => Some(Scope::All),
            Scope::WriteOnly if !schema.has_write_only_below(path) => None,
            Scope::CreateOnly if schema.is_create_only(path) => Some(Scope::All),
            Scope::CreateOnly if !schema.has_create_only_below(path) => None,
            scope => Some(scope),
        }
    }

    fn compare(&self, path: &mut Vec<Segment>, desired: &Value, other: Option<&Value>) -> bool {
        if desired.is_null() {
            return true;
        }
        let Some(other) = other else {
            return self.is_empty_like(path, desired);
        };
        if !self.in_document && desired.is_object() && is_free_form(self.schema, path) {
            return self.document().compare(path, desired, Some(other));
        }

        match (desired, other) {
            (Value::Object(_), Value::Object(_)) => self.objects_equal(path, desired, other),
            (Value::Array(left), Value::Array(right)) => self.arrays_equal(path, left, right),
            (Value::Number(left), Value::Number(right)) => numbers_equal(left, right),
            (Value::Bool(left), Value::Bool(right)) => left == right,
            (Value::String(left), Value::String(right)) => self.strings_equal(path, left, right),
            (Value::String(text), Value::Object(_) | Value::Array(_)) => parse_document(text)
                .is_some_and(|parsed| self.document().compare(path, &parsed, Some(other))),
            (Value::Object(_) | Value::Array(_), Value::String(text)) => parse_document(text)
                .is_some_and(|parsed| self.document().compare(path, desired, Some(&parsed))),
            (Value::Number(number), Value::String(text))
            | (Value::String(text), Value::Number(number)) => {
                self.is_numeric(path)
                    && parse_number(text).is_some_and(|parsed| numbers_equal(number, &parsed))
            }
            _ => false,
        }
    }

    fn document(&self) -> Self {
        Comparator {
            in_document: true,
            ..*self
        }
    }

    /// True when `desired` sets no more than an absent value: `null`, `[]`, `{}`, or a
    /// container whose entries are all out of scope or empty themselves.
    fn is_empty_like(&self, path: &mut Vec<Segment>, desired: &Value) -> bool {
        match desired {
            Value::Null => true,
            Value::Object(map) => map.iter().all(|(key, value)| {
                with_segment(path, Segment::key(key), |path| self.eq(path, value, None))
            }),
            Value::Array(items) => items.iter().enumerate().all(|(index, value)| {
                with_segment(path, Segment::Index(index), |path| {
                    self.eq(path, value, None)
                })
            }),
            _ => false,
        }
    }

    fn objects_equal(&self, path: &mut Vec<Segment>, desired: &Value, other: &Value) -> bool {
        let (Value::Object(desired), Value::Object(other)) = (desired, other) else {
            return false;
        };
        let desired_keys_equal = desired.iter().all(|(key, value)| {
            with_segment(path, Segment::key(key), |path| {
                self.eq(path, value, other.get(key))
            })
        });
        if !desired_keys_equal {
            return false;
        }
        if !self.in_document {
            return true;
        }
        other
            .iter()
            .filter(|(key, _)| desired.get(key.as_str()).is_none_or(Value::is_null))
            .all(|(_, value)| is_empty_json(value))
    }

    fn arrays_equal(&self, path: &mut Vec<Segment>, desired: &[Value], other: &[Value]) -> bool {
        if desired.len() != other.len() {
            return false;
        }
        if is_unordered(self.schema, path) {
            return self.multisets_equal(path, desired, other);
        }
        desired
            .iter()
            .zip(other)
            .enumerate()
            .all(|(index, (left, right))| {
                with_segment(path, Segment::Index(index), |path| {
                    self.eq(path, left, Some(right))
                })
            })
    }

    /// Matches each desired element to a distinct other element. The relation is not an
    /// equivalence, because an element that sets fewer keys matches more. A greedy match
    /// can therefore miss a pairing that exists, so this searches for a perfect matching.
    fn multisets_equal(&self, path: &mut Vec<Segment>, desired: &[Value], other: &[Value]) -> bool {
        let matches: Vec<Vec<bool>> = desired
            .iter()
            .enumerate()
            .map(|(index, left)| {
                with_segment(path, Segment::Index(index), |path| {
                    other
                        .iter()
                        .map(|right| self.eq(path, left, Some(right)))
                        .collect()
                })
            })
            .collect();
        has_perfect_matching(&matches)
    }

    fn strings_equal(&self, path: &[Segment], desired: &str, other: &str) -> bool {
        if desired == other {
            return true;
        }
        if let (Some(left), Some(right)) = (parse_document(desired), parse_document(other)) {
            return self
                .document()
                .compare(&mut path.to_vec(), &left, Some(&right));
        }
        match (parse_number(desired), parse_number(other)) {
            (Some(left), Some(right)) => self.is_numeric(path) && numbers_equal(&left, &right),
            _ => false,
        }
    }

    fn is_numeric(&self, path: &[Segment]) -> bool {
        if self.in_document {
            return false;
        }
        let types = self
            .schema
            .property(path)
            .and_then(|schema| schema.get("type"));
        let is_numeric_name = |name: &Value| matches!(name.as_str(), Some("number" | "integer"));
        match types {
            Some(Value::Array(names)) => names.iter().any(is_numeric_name),
            Some(name) => is_numeric_name(name),
            None => false,
        }
    }
}

/// True when the schema describes the object at `path` without naming any property, as
/// it does for policy documents: the user then owns every key.
pub(crate) fn is_free_form(schema: &ResourceSchema, path: &[Segment]) -> bool {
    let Some(subschema) = schema.property(path) else {
        return false;
    };
    let names_keys = ["properties", "patternProperties", "oneOf", "anyOf", "allOf"]
        .iter()
        .any(|keyword| subschema.get(keyword).is_some());
    let maps_values = matches!(
        subschema.get("additionalProperties"),
        Some(Value::Object(_))
    );
    !names_keys && !maps_values
}

/// Runs `f` with `segment` pushed onto `path`, then pops it.
pub(crate) fn with_segment<T>(
    path: &mut Vec<Segment>,
    segment: Segment,
    f: impl FnOnce(&mut Vec<Segment>) -> T,
) -> T {
    path.push(segment);
    let result = f(path);
    path.pop();
    result
}

/// True for `null`, `[]`, `{}` and containers holding only such values.
pub(crate) fn is_empty_json(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().all(is_empty_json),
        Value::Object(map) => map.values().all(is_empty_json),
        _ => false,
    }
}

/// Parses a string that contains a JSON object or array. Other strings return `None`.
fn parse_document(text: &str) -> Option<Value> {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    serde_json::from_str(text).ok()
}

fn parse_number(text: &str) -> Option<Number> {
    text.trim().parse::<Number>().ok()
}

/// A number held without loss: integers as `i128`, other values as `f64`.
enum Exact {
    Integer(i128),
    Float(f64),
}

fn exact(number: &Number) -> Exact {
    if let Some(value) = number.as_i64() {
        Exact::Integer(i128::from(value))
    } else if let Some(value) = number.as_u64() {
        Exact::Integer(i128::from(value))
    } else {
        Exact::Float(number.as_f64().unwrap_or(f64::NAN))
    }
}

/// Compares two numbers by value. An integer equals a float only when the float is
/// integral and converts to exactly that integer.
pub(crate) fn numbers_equal(left: &Number, right: &Number) -> bool {
    match (exact(left), exact(right)) {
        (Exact::Integer(a), Exact::Integer(b)) => a == b,
        (Exact::Float(a), Exact::Float(b)) => a == b,
        (Exact::Integer(integer), Exact::Float(float))
        | (Exact::Float(float), Exact::Integer(integer)) => float_equals_integer(float, integer),
    }
}

fn float_equals_integer(float: f64, integer: i128) -> bool {
    // 2^127 bounds the floats that convert to i128 without saturating.
    const LIMIT: f64 = 1.701_411_834_604_692_3e38;
    float.is_finite() && float.fract() == 0.0 && float.abs() < LIMIT && float as i128 == integer
}

/// Kuhn's augmenting-path algorithm on a square boolean matrix.
fn has_perfect_matching(matches: &[Vec<bool>]) -> bool {
    let size = matches.len();
    let mut owner: Vec<Option<usize>> = vec![None; size];
    (0..size).all(|left| {
        let mut visited = vec![false; size];
        augment(matches, left, &mut visited, &mut owner)
    })
}

fn augment(
    matches: &[Vec<bool>],
    left: usize,
    visited: &mut [bool],
    owner: &mut [Option<usize>],
) -> bool {
    for right in 0..matches[left].len() {
        if !matches[left][right] || visited[right] {
            continue;
        }
        visited[right] = true;
        let free = match owner[right] {
            None => true,
            Some(previous) => augment(matches, previous, visited, owner),
        };
        if free {
            owner[right] = Some(left);
            return true;
        }
    }
    false
}
