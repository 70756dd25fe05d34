//! Merging a change set into HEAD, three-way against the base each component had when
//! the change set was created.
//!
//! A property changed only in the change set takes the change set's value; one changed
//! only in HEAD (by another change set applied since) keeps HEAD's; one changed in both
//! to different values is a conflict, reported with the component and the property.
//! Nothing is silently overwritten.

use std::collections::HashMap;

use canopy_store::{ChangeSet, Component, ComponentId, ComponentSnapshot};
use serde_json::{Map, Value};

use crate::error::Conflict;

/// The outcome of merging a change set over HEAD.
pub(crate) struct Merge {
    /// Every component HEAD will hold, merged.
    pub components: Vec<Component>,
    /// Components the change set changed or added (to write into HEAD).
    pub changed: Vec<Component>,
    /// Components the change set deletes.
    pub removed: Vec<ComponentId>,
    pub conflicts: Vec<Conflict>,
}

/// Merges `ours` (the change set's components) into `head`.
pub(crate) fn merge(change_set: &ChangeSet, head: &[Component], ours: &[Component]) -> Merge {
    let head_by_id: HashMap<&ComponentId, &Component> = head.iter().map(|c| (&c.id, c)).collect();
    let mut result: HashMap<ComponentId, Component> =
        head.iter().map(|c| (c.id.clone(), c.clone())).collect();
    let mut merge = Merge {
        components: Vec::new(),
        changed: Vec::new(),
        removed: Vec::new(),
        conflicts: Vec::new(),
    };

    for component in ours {
        let theirs = head_by_id.get(&component.id).copied();
        let conflict = |property: &str, detail: String| Conflict {
            component: component.name().to_string(),
            property: property.to_string(),
            detail,
        };
        match (&component.base, theirs) {
            (None, _) => {
                if head.iter().any(|c| c.name() == component.name()) {
                    merge.conflicts.push(conflict(
                        "name",
                        "HEAD gained a component with the same name from another change set".into(),
                    ));
                    continue;
                }
                if component.deleted {
                    continue;
                }
                let mut added = component.clone();
                added.change_set_id = change_set.id.clone();
                result.insert(added.id.clone(), added.clone());
                merge.changed.push(added);
            }
            (Some(base), None) => {
                // HEAD deleted it after this change set was created.
                if !component.deleted && component.snapshot != *base {
                    merge.conflicts.push(conflict(
                        "(component)",
                        "deleted in HEAD but changed in this change set".into(),
                    ));
                }
            }
            (Some(base), Some(theirs)) => {
                if component.deleted {
                    if theirs.snapshot != *base {
                        merge.conflicts.push(conflict(
                            "(component)",
                            "changed in HEAD but deleted in this change set".into(),
                        ));
                        continue;
                    }
                    result.remove(&component.id);
                    merge.removed.push(component.id.clone());
                    continue;
                }
                if component.snapshot == *base {
                    continue;
                }
                match merge_snapshot(base, &component.snapshot, &theirs.snapshot) {
                    Ok(snapshot) => {
                        let mut merged = component.clone();
                        merged.snapshot = snapshot;
                        result.insert(merged.id.clone(), merged.clone());
                        merge.changed.push(merged);
                    }
                    Err(conflicts) => merge.conflicts.extend(
                        conflicts
                            .into_iter()
                            .map(|(property, detail)| conflict(&property, detail)),
                    ),
                }
            }
        }
    }
    merge
        .conflicts
        .extend(dangling_links(&merge.changed, &result));
    let mut components: Vec<Component> = result.into_values().collect();
    components.sort_by(|a, b| a.name().cmp(b.name()));
    merge.components = components;
    merge
}

/// Finds changed components whose subscriptions, region or credential name a component
/// that the merged HEAD no longer holds, because another change set deleted it.
fn dangling_links(
    changed: &[Component],
    merged: &HashMap<ComponentId, Component>,
) -> Vec<Conflict> {
    let mut conflicts = Vec::new();
    for component in changed {
        let subscriptions: Vec<canopy_core::Subscription> =
            serde_json::from_value(component.snapshot.subscriptions.clone()).unwrap_or_default();
        for subscription in subscriptions {
            if !merged.values().any(|c| c.name() == subscription.source) {
                conflicts.push(Conflict {
                    component: component.name().to_string(),
                    property: format!("/subscriptions{}", subscription.path),
                    detail: format!(
                        "it subscribes to {}, which HEAD no longer has (another change set deleted it)",
                        subscription.source
                    ),
                });
            }
        }
        let links = [
            ("region", &component.snapshot.region_id),
            ("credential", &component.snapshot.credential_id),
        ];
        for (property, link) in links {
            if let Some(id) = link
                && !merged.contains_key(id)
            {
                conflicts.push(Conflict {
                    component: component.name().to_string(),
                    property: property.to_string(),
                    detail: format!(
                        "its {property} component was deleted in HEAD by another change set"
                    ),
                });
            }
        }
    }
    conflicts
}

type PropertyConflicts = Vec<(String, String)>;

fn merge_snapshot(
    base: &ComponentSnapshot,
    ours: &ComponentSnapshot,
    theirs: &ComponentSnapshot,
) -> Result<ComponentSnapshot, PropertyConflicts> {
    let mut conflicts = Vec::new();
    let domain = merge_value(
        "/domain",
        &base.domain,
        &ours.domain,
        &theirs.domain,
        &mut conflicts,
    );
    let subscriptions = merge_value(
        "/subscriptions",
        &base.subscriptions,
        &ours.subscriptions,
        &theirs.subscriptions,
        &mut conflicts,
    );
    let mut pick = |name: &str,
                    base: &Option<ComponentId>,
                    ours: &Option<ComponentId>,
                    theirs: &Option<ComponentId>| {
        three_way(base, ours, theirs).unwrap_or_else(|| {
            conflicts.push((
                name.to_string(),
                "changed in HEAD and in this change set".to_string(),
            ));
            ours.clone()
        })
    };
    let region_id = pick(
        "region",
        &base.region_id,
        &ours.region_id,
        &theirs.region_id,
    );
    let credential_id = pick(
        "credential",
        &base.credential_id,
        &ours.credential_id,
        &theirs.credential_id,
    );
    if !conflicts.is_empty() {
        return Err(conflicts);
    }
    Ok(ComponentSnapshot {
        name: ours.name.clone(),
        schema: ours.schema.clone(),
        domain: domain.unwrap_or(Value::Object(Map::new())),
        subscriptions: subscriptions.unwrap_or(Value::Array(Vec::new())),
        region_id,
        credential_id,
    })
}

/// Returns the merged value, `None` when neither side changed and the base was absent.
fn three_way<T: PartialEq + Clone>(base: &T, ours: &T, theirs: &T) -> Option<T> {
    if ours == base || ours == theirs {
        Some(theirs.clone())
    } else if theirs == base {
        Some(ours.clone())
    } else {
        None
    }
}

/// Merges JSON values, descending into objects so that changes to different
/// properties of one object merge cleanly.
fn merge_value(
    path: &str,
    base: &Value,
    ours: &Value,
    theirs: &Value,
    conflicts: &mut PropertyConflicts,
) -> Option<Value> {
    if let (Value::Object(b), Value::Object(o), Value::Object(t)) = (base, ours, theirs) {
        let mut keys: Vec<&String> = b.keys().chain(o.keys()).chain(t.keys()).collect();
        keys.sort();
        keys.dedup();
        let mut merged = Map::new();
        for key in keys {
            let absent = Value::Null;
            let child = merge_value(
                &format!("{path}/{key}"),
                b.get(key).unwrap_or(&absent),
                o.get(key).unwrap_or(&absent),
                t.get(key).unwrap_or(&absent),
                conflicts,
            );
            if let Some(value) = child.filter(|v| !v.is_null()) {
                merged.insert(key.clone(), value);
            }
        }
        return Some(Value::Object(merged));
    }
    match three_way(base, ours, theirs) {
        Some(value) => Some(value),
        None => {
            conflicts.push((
                path.to_string(),
                format!(
                    "HEAD now has {} and this change set has {}",
                    short(theirs),
                    short(ours)
                ),
            ));
            Some(ours.clone())
        }
    }
}

fn short(value: &Value) -> String {
    let text = if value.is_null() {
        "nothing".to_string()
    } else {
        value.to_string()
    };
    if text.len() > 60 {
        format!("{}…", &text[..text.floor_char_boundary(60)])
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_store::{ChangeSetId, ChangeSetStatus, WorkspaceId};
    use serde_json::json;

    fn snapshot(domain: Value) -> ComponentSnapshot {
        ComponentSnapshot {
            name: "vpc".into(),
            schema: "AWS::EC2::VPC".into(),
            domain,
            subscriptions: json!([]),
            region_id: None,
            credential_id: None,
        }
    }

    fn component(
        id: &ComponentId,
        snapshot: ComponentSnapshot,
        base: Option<ComponentSnapshot>,
    ) -> Component {
        Component {
            id: id.clone(),
            change_set_id: ChangeSetId::new(),
            snapshot,
            deleted: false,
            base,
            updated_at: String::new(),
        }
    }

    fn change_set() -> ChangeSet {
        ChangeSet {
            id: ChangeSetId::new(),
            workspace_id: WorkspaceId::new(),
            name: "cs".into(),
            status: ChangeSetStatus::Open,
            base_revision: 0,
            created_at: String::new(),
            applied_at: None,
        }
    }

    #[test]
    fn same_property_changed_twice_conflicts() {
        let id = ComponentId::new();
        let base = snapshot(json!({"CidrBlock": "10.0.0.0/16"}));
        let head = component(&id, snapshot(json!({"CidrBlock": "10.1.0.0/16"})), None);
        let ours = component(
            &id,
            snapshot(json!({"CidrBlock": "10.2.0.0/16"})),
            Some(base),
        );
        let merge = merge(&change_set(), &[head], &[ours]);
        assert_eq!(merge.conflicts.len(), 1);
        assert_eq!(merge.conflicts[0].component, "vpc");
        assert_eq!(merge.conflicts[0].property, "/domain/CidrBlock");
        assert!(merge.conflicts[0].detail.contains("10.1.0.0/16"));
    }

    #[test]
    fn different_properties_merge() {
        let id = ComponentId::new();
        let base = snapshot(json!({"CidrBlock": "10.0.0.0/16"}));
        let head = component(
            &id,
            snapshot(json!({"CidrBlock": "10.0.0.0/16", "EnableDnsSupport": true})),
            None,
        );
        let ours = component(
            &id,
            snapshot(json!({"CidrBlock": "10.0.0.0/16", "Tags": [{"Key": "a", "Value": "b"}]})),
            Some(base),
        );
        let merge = merge(&change_set(), &[head], &[ours]);
        assert!(merge.conflicts.is_empty());
        assert_eq!(
            merge.components[0].snapshot.domain,
            json!({"CidrBlock": "10.0.0.0/16", "EnableDnsSupport": true, "Tags": [{"Key": "a", "Value": "b"}]})
        );
    }

    #[test]
    fn unchanged_component_keeps_head() {
        let id = ComponentId::new();
        let base = snapshot(json!({"CidrBlock": "10.0.0.0/16"}));
        let head = component(&id, snapshot(json!({"CidrBlock": "10.9.0.0/16"})), None);
        let ours = component(&id, base.clone(), Some(base));
        let merge = merge(&change_set(), &[head], &[ours]);
        assert!(merge.conflicts.is_empty());
        assert!(merge.changed.is_empty());
        assert_eq!(
            merge.components[0].snapshot.domain,
            json!({"CidrBlock": "10.9.0.0/16"})
        );
    }

    #[test]
    fn subscription_to_component_deleted_in_head_conflicts() {
        let producer = ComponentId::new();
        let consumer = ComponentId::new();
        let mut vpc = snapshot(json!({"CidrBlock": "10.0.0.0/16"}));
        vpc.name = "lone".into();
        let mut group = snapshot(json!({"GroupDescription": "app"}));
        group.name = "appsg".into();
        group.schema = "AWS::EC2::SecurityGroup".into();
        group.subscriptions =
            json!([{"path": "/VpcId", "source": "lone", "source_path": "/resource/VpcId"}]);
        // HEAD no longer has the VPC, but this change set still contains it and adds a consumer.
        let ours = vec![
            component(&producer, vpc.clone(), Some(vpc)),
            component(&consumer, group, None),
        ];
        let merge = merge(&change_set(), &[], &ours);
        assert_eq!(merge.conflicts.len(), 1, "{:?}", merge.conflicts);
        assert_eq!(merge.conflicts[0].component, "appsg");
        assert_eq!(merge.conflicts[0].property, "/subscriptions/VpcId");
        assert!(merge.conflicts[0].detail.contains("lone"));
    }

    #[test]
    fn removal_in_change_set_merges() {
        let id = ComponentId::new();
        let base = snapshot(json!({"CidrBlock": "10.0.0.0/16", "EnableDnsHostnames": true}));
        let head = component(&id, base.clone(), None);
        let ours = component(
            &id,
            snapshot(json!({"CidrBlock": "10.0.0.0/16"})),
            Some(base),
        );
        let merge = merge(&change_set(), &[head], &[ours]);
        assert!(merge.conflicts.is_empty());
        assert_eq!(
            merge.components[0].snapshot.domain,
            json!({"CidrBlock": "10.0.0.0/16"})
        );
    }
}
