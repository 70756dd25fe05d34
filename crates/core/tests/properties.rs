//! Property tests of the diff over models generated from real schemas.
//!
//! For each type, models are generated from the schema's own properties (nested objects,
//! arrays, enums, numbers), then a remote model is made by mixing two models key by key
//! and dropping the write-only paths, as GetResource never returns them.

use std::sync::Arc;

use canopy_core::{DiffAction, DiffInput, PatchOperation, diff_resource, values_equal};
use canopy_schema::{Registry, ResourceSchema, Segment, parse_pointer};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value, json};

const TYPES: &[&str] = &[
    "AWS::EC2::VPC",
    "AWS::Lambda::Function",
    "AWS::CloudWatch::Alarm",
    "AWS::Pipes::Pipe",
    "AWS::Batch::SchedulingPolicy",
    "AWS::GameLift::GameServerGroup",
    "AWS::IoT::SecurityProfile",
];

/// How deep generated models nest; deeper schemas are cut off with `{}` or `[]`.
const MAX_DEPTH: usize = 4;

fn schema(type_name: &str) -> Arc<ResourceSchema> {
    Registry::bundled().get(type_name).unwrap()
}

fn model(schema: &Arc<ResourceSchema>) -> BoxedStrategy<Value> {
    value(schema, &schema.document, 0)
}

fn value(schema: &Arc<ResourceSchema>, subschema: &Value, depth: usize) -> BoxedStrategy<Value> {
    let subschema = schema.resolve(subschema).unwrap_or(subschema).clone();
    if let Some(choices) = subschema.get("enum").and_then(Value::as_array) {
        return proptest::sample::select(choices.clone()).boxed();
    }
    match type_name(&subschema).as_str() {
        "object" => object(schema, &subschema, depth),
        "array" => array(schema, &subschema, depth),
        "integer" => (0_i64..1_000).prop_map(Value::from).boxed(),
        "number" => prop_oneof![
            (0_i64..1_000).prop_map(Value::from),
            (0_u32..64).prop_map(|quarters| json!(f64::from(quarters) / 4.0)),
        ]
        .boxed(),
        "boolean" => any::<bool>().prop_map(Value::Bool).boxed(),
        _ => "[a-z]{1,4}".prop_map(Value::String).boxed(),
    }
}

/// Returns the schema's `type`, taking the first name of a list; "object" when the schema lists
/// properties without a type.
fn type_name(subschema: &Value) -> String {
    match subschema.get("type") {
        Some(Value::String(name)) => name.clone(),
        Some(Value::Array(names)) => names
            .first()
            .and_then(Value::as_str)
            .unwrap_or("string")
            .to_string(),
        _ if subschema.get("properties").is_some() => "object".to_string(),
        _ => "string".to_string(),
    }
}

fn object(schema: &Arc<ResourceSchema>, subschema: &Value, depth: usize) -> BoxedStrategy<Value> {
    let Some(properties) = subschema.get("properties").and_then(Value::as_object) else {
        return Just(json!({"k": "v"})).boxed();
    };
    if depth >= MAX_DEPTH {
        return Just(json!({})).boxed();
    }
    let entries: Vec<BoxedStrategy<Option<(String, Value)>>> = properties
        .iter()
        .map(|(key, child)| {
            let key = key.clone();
            proptest::option::of(value(schema, child, depth + 1))
                .prop_map(move |child| child.map(|child| (key.clone(), child)))
                .boxed()
        })
        .collect();
    entries
        .prop_map(|entries| Value::Object(entries.into_iter().flatten().collect::<Map<_, _>>()))
        .boxed()
}

fn array(schema: &Arc<ResourceSchema>, subschema: &Value, depth: usize) -> BoxedStrategy<Value> {
    let Some(items) = subschema.get("items") else {
        return Just(json!([])).boxed();
    };
    if depth >= MAX_DEPTH {
        return Just(json!([])).boxed();
    }
    proptest::collection::vec(value(schema, items, depth + 1), 0..3)
        .prop_map(Value::Array)
        .boxed()
}

/// Mixes two models key by key, recursively, taking each key from one side by the next
/// bit; bits wrap around.
fn mix(left: &Value, right: &Value, bits: &[bool], cursor: &mut usize) -> Value {
    match (left, right) {
        (Value::Object(left_map), Value::Object(right_map)) => {
            let mut mixed = Map::new();
            for key in left_map.keys().chain(right_map.keys()) {
                if mixed.contains_key(key) {
                    continue;
                }
                let chosen = match (left_map.get(key), right_map.get(key)) {
                    (Some(a), Some(b)) => Some(mix(a, b, bits, cursor)),
                    (Some(a), None) | (None, Some(a)) => next_bit(bits, cursor).then(|| a.clone()),
                    (None, None) => None,
                };
                if let Some(chosen) = chosen {
                    mixed.insert(key.clone(), chosen);
                }
            }
            Value::Object(mixed)
        }
        _ if next_bit(bits, cursor) => right.clone(),
        _ => left.clone(),
    }
}

/// True for `null`, `[]`, `{}` and containers of such values, which the diff treats as
/// unset.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().all(is_empty),
        Value::Object(map) => map.values().all(is_empty),
        _ => false,
    }
}

fn next_bit(bits: &[bool], cursor: &mut usize) -> bool {
    *cursor += 1;
    bits[*cursor % bits.len()]
}

/// Copies a model without the paths `drop` selects.
fn without(
    schema: &ResourceSchema,
    value: &Value,
    path: &mut Vec<Segment>,
    drop: &dyn Fn(&ResourceSchema, &[Segment]) -> bool,
) -> Option<Value> {
    if drop(schema, path) {
        return None;
    }
    Some(match value {
        Value::Object(map) => {
            let mut kept = Map::new();
            for (key, child) in map {
                path.push(Segment::key(key));
                if let Some(child) = without(schema, child, path, drop) {
                    kept.insert(key.clone(), child);
                }
                path.pop();
            }
            Value::Object(kept)
        }
        Value::Array(items) => {
            let mut kept = Vec::new();
            for (index, item) in items.iter().enumerate() {
                path.push(Segment::Index(index));
                kept.push(without(schema, item, path, drop).unwrap_or(Value::Null));
                path.pop();
            }
            Value::Array(kept)
        }
        other => other.clone(),
    })
}

fn as_remote(schema: &ResourceSchema, model: &Value) -> Value {
    without(schema, model, &mut Vec::new(), &|schema, path| {
        schema.is_write_only(path)
    })
    .unwrap()
}

fn without_create_only(schema: &ResourceSchema, model: &Value) -> Value {
    without(schema, model, &mut Vec::new(), &|schema, path| {
        schema.is_create_only(path)
    })
    .unwrap()
}

/// Reverses every array the schema declares unordered, as a remote may return them.
fn reverse_unordered(schema: &ResourceSchema, value: &Value, path: &mut Vec<Segment>) -> Value {
    match value {
        Value::Object(map) => {
            let mut copy = Map::new();
            for (key, child) in map {
                path.push(Segment::key(key));
                copy.insert(key.clone(), reverse_unordered(schema, child, path));
                path.pop();
            }
            Value::Object(copy)
        }
        Value::Array(items) => {
            let mut copy: Vec<Value> = items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    path.push(Segment::Index(index));
                    let item = reverse_unordered(schema, item, path);
                    path.pop();
                    item
                })
                .collect();
            if schema.is_unordered_array(path) {
                copy.reverse();
            }
            Value::Array(copy)
        }
        other => other.clone(),
    }
}

fn apply(remote: &Value, operations: &[PatchOperation]) -> Result<Value, TestCaseError> {
    let document = serde_json::to_value(operations).unwrap();
    let patch: json_patch::Patch = serde_json::from_value(document).unwrap();
    let mut patched = remote.clone();
    json_patch::patch(&mut patched, &patch)
        .map_err(|error| TestCaseError::fail(format!("invalid patch {operations:?}: {error}")))?;
    Ok(patched)
}

fn check_self_diff(schema: &ResourceSchema, model: &Value) -> Result<(), TestCaseError> {
    for last_applied in [Some(model), None] {
        let diff = diff_resource(&DiffInput {
            schema,
            desired: model,
            remote: model,
            last_applied,
        });
        prop_assert_eq!(diff.action(), DiffAction::NoChange, "{:#?}", diff);
        prop_assert!(diff.changes.is_empty(), "{:#?}", diff.changes);
    }
    // The remote omits write-only values and returns unordered arrays in its own order.
    let remote = reverse_unordered(schema, &as_remote(schema, model), &mut Vec::new());
    let diff = diff_resource(&DiffInput {
        schema,
        desired: model,
        remote: &remote,
        last_applied: Some(model),
    });
    prop_assert!(diff.patch.is_empty(), "{:#?}", diff.patch);
    prop_assert!(diff.changes.is_empty(), "{:#?}", diff.changes);
    Ok(())
}

fn check_patch(
    schema: &ResourceSchema,
    desired: &Value,
    applied: &Value,
    last_applied: Option<&Value>,
) -> Result<(), TestCaseError> {
    let remote = as_remote(schema, applied);
    let diff = diff_resource(&DiffInput {
        schema,
        desired,
        remote: &remote,
        last_applied,
    });

    for operation in &diff.patch {
        let path = parse_pointer(operation.path()).unwrap();
        prop_assert!(
            !schema.is_read_only(&path),
            "read-only path in {:?}",
            operation
        );
        prop_assert!(
            !schema.is_create_only(&path),
            "create-only path in {:?}",
            operation
        );
    }

    // Every operation must be valid against the remote model, in order: no replace of a
    // missing path, no removal past the end of an array.
    let patched = apply(&remote, &diff.patch)?;
    let expected = without_create_only(schema, desired);
    let actual = without_create_only(schema, &patched);
    prop_assert!(
        values_equal(schema, &[], &expected, &actual),
        "patched model differs from desired\ndesired: {}\nremote: {}\npatch: {}\npatched: {}",
        desired,
        remote,
        diff.patch_document(),
        patched
    );

    // A top-level value the user removed since the last apply is gone afterwards.
    let (Some(Value::Object(last)), Value::Object(desired)) = (last_applied, desired) else {
        return Ok(());
    };
    let removed = last
        .iter()
        .filter(|(key, value)| !desired.contains_key(key.as_str()) && !is_empty(value));
    for (key, _) in removed {
        let path = [Segment::key(key)];
        let kept = schema.is_read_only(&path)
            || schema.is_write_only(&path)
            || schema.is_create_only(&path);
        prop_assert!(
            kept || patched.get(key).is_none_or(is_empty),
            "{} was not removed: {}",
            key,
            diff.patch_document()
        );
    }
    Ok(())
}

fn case(
    type_name: &'static str,
) -> impl Strategy<Value = (Arc<ResourceSchema>, Value, Value, Vec<bool>)> {
    let schema = schema(type_name);
    let models = (
        model(&schema),
        model(&schema),
        proptest::collection::vec(any::<bool>(), 1..16),
    );
    models.prop_map(move |(desired, other, bits)| (schema.clone(), desired, other, bits))
}

fn any_case() -> impl Strategy<Value = (Arc<ResourceSchema>, Value, Value, Vec<bool>)> {
    proptest::sample::select(TYPES).prop_flat_map(case)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn model_against_itself_is_empty((schema, model, _, _) in any_case()) {
        check_self_diff(&schema, &model)?;
    }

    #[test]
    fn patch_reaches_desired_model((schema, desired, other, bits) in any_case()) {
        let applied = mix(&desired, &other, &bits, &mut 0);
        check_patch(&schema, &desired, &applied, Some(&applied))?;
        check_patch(&schema, &desired, &applied, None)?;
    }
}
