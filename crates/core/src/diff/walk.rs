//! The walk over desired, remote and last applied values that finds each difference.
//!
//! The walk descends into objects key by key, so a difference is recorded at the deepest
//! path that differs, and into ordered arrays of unchanged length element by element.
//! Other arrays that differ are recorded whole. Each difference says whether the patch
//! sets the desired value there, removes the path, or sends nothing.

use canopy_schema::{ResourceSchema, Segment, format_pointer};
use serde_json::{Map, Value};

use super::{ChangeEffect, ChangeKind, DiffInput, PropertyChange};
use crate::equality::{Comparator, Scope, is_empty_json, is_free_form, with_segment};
use crate::ordering::is_unordered;

const REASON_UPDATE: &str = "differs from the resource";
const REASON_WRITE_ONLY: &str =
    "write-only: Cloud Control never returns it, so it differs from the last applied value";
const REASON_REPLACE: &str =
    "create-only: Cloud Control cannot update it, so the resource is replaced";
const REASON_MAY_REPLACE: &str =
    "conditionally create-only: the service decides whether this change replaces the resource";
const REASON_REMOVE: &str =
    "removed from the domain; Cloud Control will reset it to the service default";
const REASON_REMOVE_WRITE_ONLY: &str = "removed from the domain, but write-only: Cloud Control never \
returns it, so no patch operation can remove it and the resource keeps its current value";
const REASON_UNKNOWN_WRITE_ONLY: &str = "write-only and never applied by canopy: sent again with \
this update because Cloud Control never returns it";

/// What the patch does at a difference's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Send {
    /// Write the desired value.
    Value,
    /// Remove the path.
    Remove,
    Nothing,
}

/// One difference with its model path.
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub path: Vec<Segment>,
    pub change: PropertyChange,
    pub send: Send,
}

/// Everything the walk found.
#[derive(Debug, Default)]
pub(super) struct Walked {
    pub found: Vec<Found>,
    /// Write-only paths the user sets on a resource without a last applied value.
    pub unknown_write_only: Vec<Vec<Segment>>,
}

/// Walks the desired properties, and the keys of the last applied ones that the user
/// removed.
pub(super) fn walk_resource(input: &DiffInput) -> Walked {
    let mut walker = Walker {
        schema: input.schema,
        last_applied_known: input.last_applied.is_some(),
        walked: Walked::default(),
    };
    let empty = Value::Object(Map::new());
    let desired = if input.desired.is_object() {
        input.desired
    } else {
        &empty
    };
    walker.object(
        &mut Vec::new(),
        desired,
        Some(input.remote),
        input.last_applied,
    );
    walker.walked
}

/// Describes the unknown write-only values a non-empty patch carries.
pub(super) fn unknown_write_only_changes(
    input: &DiffInput,
    walked: &Walked,
) -> Vec<PropertyChange> {
    walked
        .unknown_write_only
        .iter()
        .map(|path| PropertyChange {
            path: format_pointer(path),
            kind: ChangeKind::Add,
            before: None,
            after: value_at(input.desired, path).cloned(),
            effect: ChangeEffect::Update,
            reason: REASON_UNKNOWN_WRITE_ONLY.to_string(),
        })
        .collect()
}

/// Returns the value at a model path, treating `null` as absent.
pub(super) fn value_at<'v>(root: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    let mut current = root;
    for segment in path {
        current = match (segment, current) {
            (Segment::Key(key), Value::Object(map)) => map.get(key)?,
            (Segment::Index(index), Value::Array(items)) => items.get(*index)?,
            _ => return None,
        };
    }
    present(Some(current))
}

fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|value| !value.is_null())
}

fn child<'v>(value: Option<&'v Value>, segment: &Segment) -> Option<&'v Value> {
    value.and_then(|value| value_at(value, std::slice::from_ref(segment)))
}

struct Walker<'a> {
    schema: &'a ResourceSchema,
    last_applied_known: bool,
    walked: Walked,
}

impl Walker<'_> {
    fn walk(
        &mut self,
        path: &mut Vec<Segment>,
        desired: Option<&Value>,
        remote: Option<&Value>,
        last: Option<&Value>,
    ) {
        let (desired, remote, last) = (present(desired), present(remote), present(last));
        if self.schema.is_read_only(path) {
            return;
        }
        if self.schema.is_create_only(path) {
            return self.create_only(path, desired, remote, last);
        }

        let write_only = self.schema.is_write_only(path);
        let Some(desired) = desired else {
            return self.removed(path, remote, last, write_only);
        };
        if write_only && !self.last_applied_known {
            self.walked.unknown_write_only.push(path.clone());
            return;
        }

        // Cloud Control never returns a write-only value, so it is compared with the last
        // applied one.
        let before = if write_only { last } else { remote };
        let descend = desired.is_object()
            && before.is_none_or(Value::is_object)
            && !is_free_form(self.schema, path);
        if descend {
            self.object(path, desired, remote, last);
        } else if let Value::Array(items) = desired {
            self.array(path, desired, items, before, remote, last, write_only);
        } else if self.differs(path, desired, remote, last, write_only) {
            self.record_set(path, before, desired, write_only);
        }
    }

    fn object(
        &mut self,
        path: &mut Vec<Segment>,
        desired: &Value,
        remote: Option<&Value>,
        last: Option<&Value>,
    ) {
        let Value::Object(map) = desired else {
            return;
        };
        for (key, value) in map {
            let segment = Segment::key(key);
            let (remote, last) = (child(remote, &segment), child(last, &segment));
            with_segment(path, segment, |path| {
                self.walk(path, Some(value), remote, last)
            });
        }

        let Some(Value::Object(last_map)) = last else {
            return;
        };
        for (key, value) in last_map
            .iter()
            .filter(|(key, _)| !map.contains_key(key.as_str()))
        {
            let segment = Segment::key(key);
            let remote = child(remote, &segment);
            with_segment(path, segment, |path| {
                self.walk(path, None, remote, Some(value))
            });
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn array(
        &mut self,
        path: &mut Vec<Segment>,
        desired: &Value,
        items: &[Value],
        before: Option<&Value>,
        remote: Option<&Value>,
        last: Option<&Value>,
        write_only: bool,
    ) {
        if !self.differs(path, desired, remote, last, write_only) {
            return;
        }

        // An index is safe to patch only while it names the same element in the model
        // Cloud Control reads at update time. That holds for an ordered array of unchanged
        // length, and for an unordered one only when it has a single element.
        let same_length = before
            .and_then(Value::as_array)
            .is_some_and(|before| before.len() == items.len());
        let by_element = same_length && (items.len() == 1 || !is_unordered(self.schema, path));
        if !by_element {
            return self.record_whole_array(path, before, desired, remote, last, write_only);
        }
        for (index, item) in items.iter().enumerate() {
            let segment = Segment::Index(index);
            let (remote, last) = (child(remote, &segment), child(last, &segment));
            with_segment(path, segment, |path| {
                self.walk(path, Some(item), remote, last)
            });
        }
    }

    fn record_whole_array(
        &mut self,
        path: &[Segment],
        before: Option<&Value>,
        desired: &Value,
        remote: Option<&Value>,
        last: Option<&Value>,
        write_only: bool,
    ) {
        if self.create_only_below_changed(path, desired, remote, last) {
            self.record(
                path,
                before,
                Some(desired),
                ChangeEffect::Replace,
                REASON_REPLACE,
                Send::Nothing,
            );
        } else {
            self.record_set(path, before, desired, write_only);
        }
    }

    /// True when `desired` differs from the remote on the paths the remote returns, or
    /// from the last applied value on write-only paths.
    fn differs(
        &self,
        path: &[Segment],
        desired: &Value,
        remote: Option<&Value>,
        last: Option<&Value>,
        write_only: bool,
    ) -> bool {
        let path = &mut path.to_vec();
        if write_only {
            return !Comparator::new(self.schema, Scope::All).eq(path, desired, last);
        }
        if !Comparator::new(self.schema, Scope::Remote).eq(path, desired, remote) {
            return true;
        }
        self.last_applied_known
            && self.schema.has_write_only_below(path)
            && !Comparator::new(self.schema, Scope::WriteOnly).eq(path, desired, last)
    }

    /// Decides a create-only path: a replacement when the user changed the value, never
    /// a patch operation.
    fn create_only(
        &mut self,
        path: &[Segment],
        desired: Option<&Value>,
        remote: Option<&Value>,
        last: Option<&Value>,
    ) {
        let Some(desired) = desired else {
            // Removing a create-only value that was set can only be done by a new resource.
            if let Some(last) = last.filter(|last| !is_empty_json(last)) {
                self.record(
                    path,
                    remote.or(Some(last)),
                    None,
                    ChangeEffect::Replace,
                    REASON_REPLACE,
                    Send::Nothing,
                );
            }
            return;
        };

        let write_only = self.schema.is_write_only(path);
        let (before, scope) = if !write_only && remote.is_some() {
            (remote, Scope::Remote)
        } else if self.last_applied_known {
            (last, Scope::All)
        } else {
            // The remote omits the value and canopy never applied it: nothing shows a change.
            return;
        };

        let comparator = Comparator::new(self.schema, scope);
        let mut differs = !comparator.eq(&mut path.to_vec(), desired, before);
        if !differs
            && scope == Scope::Remote
            && self.last_applied_known
            && self.schema.has_write_only_below(path)
        {
            differs = !Comparator::new(self.schema, Scope::WriteOnly).eq(
                &mut path.to_vec(),
                desired,
                last,
            );
        }
        if differs {
            self.record(
                path,
                before,
                Some(desired),
                ChangeEffect::Replace,
                REASON_REPLACE,
                Send::Nothing,
            );
        }
    }

    /// True when a create-only value inside an array that is replaced whole changed.
    /// A create-only value the remote omits counts as unchanged unless the last applied
    /// value shows the user changed it.
    fn create_only_below_changed(
        &self,
        path: &[Segment],
        desired: &Value,
        remote: Option<&Value>,
        last: Option<&Value>,
    ) -> bool {
        if !self.schema.has_create_only_below(path) {
            return false;
        }
        let path = &mut path.to_vec();
        let comparator = Comparator::new(self.schema, Scope::CreateOnly);
        let remote_differs = !comparator
            .absent_create_only_matches()
            .eq(path, desired, remote);
        remote_differs && (!self.last_applied_known || !comparator.eq(path, desired, last))
    }

    /// Handles a path the user removed from the domain.
    fn removed(
        &mut self,
        path: &[Segment],
        remote: Option<&Value>,
        last: Option<&Value>,
        write_only: bool,
    ) {
        // A value the user never set is never removed.
        let Some(last) = last.filter(|last| !is_empty_json(last)) else {
            return;
        };
        let sets_create_only = self.schema.has_create_only_below(path)
            && !Comparator::new(self.schema, Scope::CreateOnly).eq(&mut path.to_vec(), last, None);
        let remote = remote.filter(|remote| !is_empty_json(remote));
        let (effect, reason, send) = if sets_create_only {
            (ChangeEffect::Replace, REASON_REPLACE, Send::Nothing)
        } else if write_only || (remote.is_none() && self.sets_write_only(path, last)) {
            (
                ChangeEffect::NotSent,
                REASON_REMOVE_WRITE_ONLY,
                Send::Nothing,
            )
        } else if remote.is_some() {
            (ChangeEffect::Update, REASON_REMOVE, Send::Remove)
        } else {
            return;
        };
        self.record(path, remote.or(Some(last)), None, effect, reason, send);
    }

    /// True when `value` sets a write-only value at or below `path`.
    fn sets_write_only(&self, path: &[Segment], value: &Value) -> bool {
        let comparator = Comparator::new(self.schema, Scope::WriteOnly);
        !comparator.eq(&mut path.to_vec(), value, None)
    }

    fn record_set(
        &mut self,
        path: &[Segment],
        before: Option<&Value>,
        desired: &Value,
        write_only: bool,
    ) {
        let (effect, reason) = if self.schema.is_conditional_create_only(path) {
            (ChangeEffect::MayReplace, REASON_MAY_REPLACE)
        } else if write_only {
            (ChangeEffect::Update, REASON_WRITE_ONLY)
        } else {
            (ChangeEffect::Update, REASON_UPDATE)
        };
        self.record(path, before, Some(desired), effect, reason, Send::Value);
    }

    fn record(
        &mut self,
        path: &[Segment],
        before: Option<&Value>,
        after: Option<&Value>,
        effect: ChangeEffect,
        reason: &str,
        send: Send,
    ) {
        let kind = match (before, after) {
            (None, _) => ChangeKind::Add,
            (Some(_), None) => ChangeKind::Remove,
            (Some(_), Some(_)) => ChangeKind::Change,
        };
        let change = PropertyChange {
            path: format_pointer(path),
            kind,
            before: before.cloned(),
            after: after.cloned(),
            effect,
            reason: reason.to_string(),
        };
        self.walked.found.push(Found {
            path: path.to_vec(),
            change,
            send,
        });
    }
}
