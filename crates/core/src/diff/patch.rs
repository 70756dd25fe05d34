//! Building the RFC 6902 `PatchDocument` for UpdateResource from the walk's differences.
//!
//! Cloud Control reads the current model, applies the operations in order and fails the
//! whole request on the first invalid one. So each operation is chosen against the
//! remote model: `add` where the remote lacks the path (at the shallowest missing
//! ancestor, carrying the desired subtree), `replace` where it contains it, and `remove`
//! only for paths it contains. The result is validated against the schema, so required
//! write-only properties are sent again whenever anything is sent.

use canopy_schema::{ResourceSchema, Segment, format_pointer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::DiffInput;
use super::walk::{Send, Walked, value_at};
use crate::equality::with_segment;

/// One RFC 6902 operation, serialized as `{"op", "path", "value"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum PatchOperation {
    Add { path: String, value: Value },
    Replace { path: String, value: Value },
    Remove { path: String },
}

impl PatchOperation {
    /// Returns the operation's JSON pointer.
    pub fn path(&self) -> &str {
        match self {
            PatchOperation::Add { path, .. }
            | PatchOperation::Replace { path, .. }
            | PatchOperation::Remove { path } => path,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// Builds the operations for the walk's differences. Replacement changes send nothing.
pub(super) fn build_patch(input: &DiffInput, walked: &Walked) -> Vec<PatchOperation> {
    let mut targets: Vec<(Vec<Segment>, Op)> = Vec::new();
    for found in &walked.found {
        match found.send {
            Send::Value => targets.push(set_target(input, &found.path)),
            Send::Remove => targets.push((found.path.clone(), Op::Remove)),
            Send::Nothing => {}
        }
    }
    if targets.is_empty() {
        return Vec::new();
    }

    // Cloud Control validates the patched model, and its model never contains write-only
    // values, so required ones go out again with any update, as do write-only values
    // canopy cannot compare.
    for path in required_write_only(input.schema, input.desired)
        .chain(walked.unknown_write_only.iter().cloned())
    {
        targets.push(set_target(input, &path));
    }
    materialize(input, cover(targets))
}

/// Chooses the operation that writes the desired value at `path`.
fn set_target(input: &DiffInput, path: &[Segment]) -> (Vec<Segment>, Op) {
    for length in 1..=path.len() {
        if value_at(input.remote, &path[..length]).is_none() {
            return (path[..length].to_vec(), Op::Add);
        }
    }
    // `add` sets an object key whether or not it exists, and write-only values always go
    // out with it. At an array index `add` would insert, so an element is replaced.
    let at_key = matches!(path.last(), Some(Segment::Key(_)));
    if at_key && input.schema.is_write_only(path) {
        (path.to_vec(), Op::Add)
    } else {
        (path.to_vec(), Op::Replace)
    }
}

/// Lists the top-level write-only properties the schema requires and the desired value sets,
/// except create-only ones, which no patch may touch.
fn required_write_only<'a>(
    schema: &'a ResourceSchema,
    desired: &'a Value,
) -> impl Iterator<Item = Vec<Segment>> + 'a {
    schema
        .required
        .iter()
        .map(|name| vec![Segment::key(name)])
        .filter(move |path| schema.is_write_only(path) && !schema.is_create_only(path))
        .filter(move |path| value_at(desired, path).is_some())
}

/// Drops duplicates and any target inside a path that another target writes whole, then
/// orders the rest: writes by path, then removals from the highest array index down.
fn cover(mut targets: Vec<(Vec<Segment>, Op)>) -> Vec<(Vec<Segment>, Op)> {
    targets.sort();
    targets.dedup_by(|later, earlier| later.0 == earlier.0);
    let writes: Vec<Vec<Segment>> = targets
        .iter()
        .filter(|(_, op)| *op != Op::Remove)
        .map(|(path, _)| path.clone())
        .collect();
    let covered = |path: &[Segment]| {
        writes
            .iter()
            .any(|write| write.len() < path.len() && path.starts_with(write))
    };
    targets.retain(|(path, _)| !covered(path));

    let (mut removals, mut ordered): (Vec<_>, Vec<_>) =
        targets.into_iter().partition(|(_, op)| *op == Op::Remove);
    // Segment orders indexes as numbers, so a descending sort removes index 10 before 2.
    removals.sort_by(|left, right| right.0.cmp(&left.0));
    ordered.extend(removals);
    ordered
}

fn materialize(input: &DiffInput, targets: Vec<(Vec<Segment>, Op)>) -> Vec<PatchOperation> {
    targets
        .into_iter()
        .filter_map(|(path, op)| {
            let pointer = format_pointer(&path);
            if op == Op::Remove {
                return Some(PatchOperation::Remove { path: pointer });
            }
            let desired = value_at(input.desired, &path)?;
            let value = prune(input.schema, &mut path.clone(), desired, false)?;
            Some(match op {
                Op::Add => PatchOperation::Add {
                    path: pointer,
                    value,
                },
                _ => PatchOperation::Replace {
                    path: pointer,
                    value,
                },
            })
        })
        .collect()
}

/// Copies `value` without nulls, read-only paths and create-only paths, which a patch
/// must not carry.
///
/// NOTE: create-only values inside array elements are kept, since dropping them would
/// send elements that look changed. Whether Cloud Control accepts a whole array that
/// contains unchanged create-only leaves is not verified.
fn prune(
    schema: &ResourceSchema,
    path: &mut Vec<Segment>,
    value: &Value,
    in_array: bool,
) -> Option<Value> {
    if value.is_null() || schema.is_read_only(path) || (!in_array && schema.is_create_only(path)) {
        return None;
    }
    match value {
        Value::Object(map) => {
            let mut pruned = Map::new();
            for (key, child) in map {
                let kept = with_segment(path, Segment::key(key), |path| {
                    prune(schema, path, child, in_array)
                });
                if let Some(kept) = kept {
                    pruned.insert(key.clone(), kept);
                }
            }
            Some(Value::Object(pruned))
        }
        Value::Array(items) => {
            let pruned = items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    with_segment(path, Segment::Index(index), |path| {
                        prune(schema, path, item, true)
                    })
                    .unwrap_or_else(|| item.clone())
                })
                .collect();
            Some(Value::Array(pruned))
        }
        other => Some(other.clone()),
    }
}
