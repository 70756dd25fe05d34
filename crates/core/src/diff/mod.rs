//! The diff of one resource: what differs between a component's desired properties and
//! the model Cloud Control returns, and the `PatchDocument` that UpdateResource needs.
//!
//! Each rule here prevents a way other tools have broken production resources:
//!
//! - The patch touches only the paths that changed, leaf by leaf, so an update never
//!   rewrites a parent object that also holds create-only values.
//! - A path the remote model lacks is written with `add` at its shallowest missing
//!   ancestor, because Cloud Control rejects `replace` of a missing path ("noSuchPath").
//! - A changed create-only value means a replacement and never a patch operation:
//!   Cloud Control rejects any operation on a create-only path, even one that sets the
//!   same value. A create-only value the user never set, or one the remote omits and the
//!   user did not change, is no change.
//! - Write-only values are never returned, so they compare with the last applied value
//!   and are sent with `add`.
//! - A value the user removed from the domain, and that the remote still holds, gets an
//!   explicit `remove`; values the user never set are never removed.
//! - Unordered arrays that differ are replaced whole, because the order the remote
//!   returns can change between reads and an index would name the wrong element.
//!
//! Unknown write-only values (a resource canopy did not create or update, so
//! `last_applied` is `None`) never cause an update or a replacement on their own. When
//! something else changes they are sent with `add`, since the update handler would
//! otherwise receive a model without them.

mod patch;
mod walk;

use canopy_schema::ResourceSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use patch::PatchOperation;

/// The inputs of a diff.
#[derive(Debug, Clone, Copy)]
pub struct DiffInput<'a> {
    pub schema: &'a ResourceSchema,
    /// The component's desired properties (the domain with subscriptions resolved).
    pub desired: &'a Value,
    /// The resource model last read from Cloud Control (GetResource `Properties`).
    pub remote: &'a Value,
    /// The desired properties last applied successfully; `None` for a resource canopy
    /// did not create or update, such as an imported one.
    pub last_applied: Option<&'a Value>,
}

/// The kind of change to one property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Add,
    Change,
    Remove,
}

/// The consequence of applying a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeEffect {
    /// Sent in the patch.
    Update,
    /// Create-only: only a replacement of the resource applies it.
    Replace,
    /// Conditionally create-only: sent in the patch, and the service decides whether the
    /// update replaces the resource.
    MayReplace,
    /// Shown but not sent, because Cloud Control offers no operation for it.
    NotSent,
}

/// One difference, for people to read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyChange {
    /// RFC 6901 pointer relative to the resource properties, such as `/Tags`.
    pub path: String,
    pub kind: ChangeKind,
    /// The value compared against: the remote one, or the last applied one for a
    /// write-only path.
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub effect: ChangeEffect,
    /// The reason this is a change, and the effect of applying it.
    pub reason: String,
}

/// The plan's action for one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffAction {
    NoChange,
    Update,
    Replace,
}

/// The result of [`diff_resource`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceDiff {
    /// Every difference, including those that force a replacement.
    pub changes: Vec<PropertyChange>,
    /// The changes that force a replacement (create-only values).
    pub replacement: Vec<PropertyChange>,
    /// RFC 6902 operations for UpdateResource, relative to the resource properties.
    pub patch: Vec<PatchOperation>,
}

impl ResourceDiff {
    /// Returns `Replace` when any change is create-only, `Update` when the patch has
    /// operations, and `NoChange` otherwise. Changes marked [`ChangeEffect::NotSent`]
    /// alone leave the action at `NoChange`.
    pub fn action(&self) -> DiffAction {
        if !self.replacement.is_empty() {
            DiffAction::Replace
        } else if !self.patch.is_empty() {
            DiffAction::Update
        } else {
            DiffAction::NoChange
        }
    }

    /// Returns the patch as the JSON array UpdateResource takes as its `PatchDocument`.
    pub fn patch_document(&self) -> Value {
        serde_json::to_value(&self.patch).expect("patch operations serialize to JSON")
    }
}

/// Compares one resource and builds its patch. See the module documentation for the
/// rules.
pub fn diff_resource(input: &DiffInput) -> ResourceDiff {
    let walked = walk::walk_resource(input);
    let patch = patch::build_patch(input, &walked);

    let mut changes: Vec<PropertyChange> = walked
        .found
        .iter()
        .map(|found| found.change.clone())
        .collect();
    if !patch.is_empty() {
        changes.extend(walk::unknown_write_only_changes(input, &walked));
    }
    let replacement = changes
        .iter()
        .filter(|change| change.effect == ChangeEffect::Replace)
        .cloned()
        .collect();

    ResourceDiff {
        changes,
        replacement,
        patch,
    }
}
