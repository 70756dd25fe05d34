//! Planning: which actions bring AWS to what a change set describes.
//!
//! Each live component is compared with the resource it owns: no resource means
//! create; otherwise the core diff decides between nothing, an update (with its RFC
//! 6902 patch) and a replacement. A deleted component that owns a resource means
//! delete. Values that come from a resource that this plan creates or replaces are
//! known only after apply: on a create-only path they force a replacement.

use std::collections::{HashMap, HashSet};

use canopy_core::{
    ChangeEffect, ChangeKind, DiffAction, DiffInput, PatchOperation, PropertyChange, diff_resource,
};
use canopy_store::{ChangeSet, ChangeSetStatus, Component, ComponentId, Resource, Workspace};
use serde::Serialize;
use serde_json::Value;

use crate::builtin::is_builtin;
use crate::components::dependency_graph;
use crate::merge::merge;
use crate::resolve::{Resolver, subscriptions_of};
use crate::session::linked_region;
use crate::{Engine, EngineError, Result};

/// The kind of change an action makes to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Create,
    Update,
    Replace,
    Delete,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Create => "create",
            ActionKind::Update => "update",
            ActionKind::Replace => "replace",
            ActionKind::Delete => "delete",
        }
    }
}

/// One planned action.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedAction {
    pub component: String,
    pub component_id: ComponentId,
    pub type_name: String,
    pub kind: ActionKind,
    pub region: String,
    /// The resource's identifier, for actions on an existing resource.
    pub identifier: Option<String>,
    /// Every property difference, for people to read.
    pub changes: Vec<PropertyChange>,
    /// The UpdateResource patch; for a create, empty.
    pub patch: Vec<PatchOperation>,
    /// For a create or replace: the desired state as known now.
    pub desired: Option<Value>,
    /// Properties whose value is known only after apply, as JSON pointers.
    pub known_after_apply: Vec<String>,
    /// Components whose actions must finish first.
    pub depends_on: Vec<String>,
}

/// An action of an earlier apply whose outcome is not known yet; apply resumes it
/// before anything else.
#[derive(Debug, Clone, Serialize)]
pub struct InFlightAction {
    pub component: String,
    pub kind: String,
    pub request_token: Option<String>,
}

/// The actions applying a change set would run, in order.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub change_set: String,
    pub actions: Vec<PlannedAction>,
    pub in_flight: Vec<InFlightAction>,
    /// Resource components with nothing to do.
    pub unchanged: Vec<String>,
    /// Components not planned because a component they depend on has a request in
    /// flight; a later apply plans them once it finishes.
    pub waiting: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty() && self.in_flight.is_empty() && self.waiting.is_empty()
    }
}

/// The components a plan works on: those that stay, and those being deleted.
pub(crate) struct Target {
    pub live: Vec<Component>,
    pub deleted: Vec<Component>,
}

impl Target {
    pub fn all(&self) -> Vec<Component> {
        self.live.iter().chain(&self.deleted).cloned().collect()
    }
}

impl Engine {
    /// Plans a change set (or HEAD): what applying it now would do.
    pub async fn plan(&self, workspace: &str, change_set: &str) -> Result<Plan> {
        let (workspace, change_set) = self.change_set(workspace, change_set).await?;
        let target = self.target(&workspace, &change_set).await?;
        self.plan_target(&workspace, &change_set, &target).await
    }

    /// Merges a change set over HEAD (without writing) and returns what HEAD would hold.
    pub(crate) async fn target(
        &self,
        workspace: &Workspace,
        change_set: &ChangeSet,
    ) -> Result<Target> {
        let head = self.store.head(&workspace.id).await?;
        let head_components = self.store.list_components(&head.id).await?;
        let (head_live, mut deleted): (Vec<Component>, Vec<Component>) =
            head_components.into_iter().partition(|c| !c.deleted);
        if change_set.status != ChangeSetStatus::Open {
            return Ok(Target {
                live: head_live,
                deleted,
            });
        }
        let ours = self.store.list_components(&change_set.id).await?;
        let merged = merge(change_set, &head_live, &ours);
        if !merged.conflicts.is_empty() {
            return Err(EngineError::Conflicts {
                change_set: change_set.name.clone(),
                conflicts: merged.conflicts,
            });
        }
        let removed: HashSet<&ComponentId> = merged.removed.iter().collect();
        deleted.extend(
            head_live
                .iter()
                .filter(|c| removed.contains(&c.id))
                .cloned(),
        );
        let live = merged
            .components
            .into_iter()
            .filter(|c| !removed.contains(&c.id))
            .collect();
        Ok(Target { live, deleted })
    }

    pub(crate) async fn plan_target(
        &self,
        workspace: &Workspace,
        change_set: &ChangeSet,
        target: &Target,
    ) -> Result<Plan> {
        let resources = self.resources_by_component(workspace).await?;
        let in_flight: Vec<InFlightAction> = self
            .store
            .list_actions(&workspace.id, &["running", "unknown"])
            .await?
            .into_iter()
            .map(|a| InFlightAction {
                component: a.component_name,
                kind: a.kind,
                request_token: a.request_token,
            })
            .collect();
        let mut busy: HashSet<String> = in_flight.iter().map(|a| a.component.clone()).collect();

        let all = target.all();
        let graph = dependency_graph(&target.live)?;
        if let Some(cycle) = graph.find_cycle() {
            return Err(EngineError::Cycle { cycle });
        }
        let layers = graph.order()?;
        let by_name: HashMap<&str, &Component> =
            target.live.iter().map(|c| (c.name(), c)).collect();
        let resolver = Resolver {
            components: &all,
            resources: &resources,
        };

        let mut plan = Plan {
            change_set: change_set.name.clone(),
            actions: Vec::new(),
            in_flight,
            unchanged: Vec::new(),
            waiting: Vec::new(),
        };
        let mut changing: HashSet<String> = HashSet::new();
        for name in layers.iter().flatten() {
            let Some(component) = by_name.get(name.as_str()) else {
                continue;
            };
            if is_builtin(component.schema()) || busy.contains(name.as_str()) {
                continue;
            }
            // A consumer of a component whose request is still in flight would be planned
            // with a value that does not exist yet, so it waits, and so do its consumers.
            if graph
                .producers_of(name)
                .iter()
                .any(|producer| busy.contains(producer))
            {
                busy.insert(name.clone());
                plan.waiting.push(name.clone());
                continue;
            }
            let resource = resources.get(&component.id);
            let action = self.plan_component(&all, &resolver, component, resource, &changing)?;
            match action {
                Some(mut action) => {
                    if matches!(action.kind, ActionKind::Create | ActionKind::Replace) {
                        changing.insert(name.clone());
                    }
                    action.depends_on = graph
                        .producers_of(name)
                        .into_iter()
                        .filter(|d| {
                            plan.actions
                                .iter()
                                .any(|a: &PlannedAction| &a.component == d)
                        })
                        .collect();
                    plan.actions.push(action);
                }
                None => plan.unchanged.push(name.clone()),
            }
        }
        plan.actions
            .extend(self.plan_deletes(&target.deleted, &resources, &busy)?);
        Ok(plan)
    }

    fn plan_component(
        &self,
        all: &[Component],
        resolver: &Resolver,
        component: &Component,
        resource: Option<&Resource>,
        changing: &HashSet<String>,
    ) -> Result<Option<PlannedAction>> {
        let (schema, region) = self.check_plannable(all, resolver, component)?;
        let (desired, known_after_apply) = desired_now(resolver, component, changing)?;

        let base = PlannedAction {
            component: component.name().to_string(),
            component_id: component.id.clone(),
            type_name: component.schema().to_string(),
            kind: ActionKind::Create,
            region,
            identifier: None,
            changes: Vec::new(),
            patch: Vec::new(),
            desired: None,
            known_after_apply: known_after_apply.clone(),
            depends_on: Vec::new(),
        };

        let existing = resource.filter(|r| r.identifier.is_some());
        let Some(resource) = existing else {
            return Ok(Some(PlannedAction {
                changes: additions(&desired),
                desired: Some(desired),
                ..base
            }));
        };

        let remote = resource
            .properties
            .clone()
            .unwrap_or(Value::Object(Default::default()));
        let diff = diff_resource(&DiffInput {
            schema: &schema,
            desired: &desired,
            remote: &remote,
            last_applied: resource.last_applied.as_ref(),
        });
        let mut changes = diff.changes.clone();
        let pending_forces_replace = known_after_apply.iter().any(|path| {
            canopy_schema::parse_pointer(path)
                .is_ok_and(|segments| schema.is_create_only(&segments))
        });
        // A value known only after apply replaces the diff's own entry for that path.
        changes.retain(|change| !known_after_apply.contains(&change.path));
        for path in &known_after_apply {
            changes.push(PropertyChange {
                path: path.clone(),
                kind: ChangeKind::Change,
                before: canopy_core::get_at_pointer(&remote, path).cloned(),
                after: None,
                effect: if pending_forces_replace {
                    ChangeEffect::Replace
                } else {
                    ChangeEffect::Update
                },
                reason: "known after apply: it comes from a resource this plan creates or replaces"
                    .into(),
            });
        }

        let kind = if pending_forces_replace || diff.action() == DiffAction::Replace {
            ActionKind::Replace
        } else if diff.action() == DiffAction::Update || !known_after_apply.is_empty() {
            ActionKind::Update
        } else {
            return Ok(None);
        };
        Ok(Some(PlannedAction {
            kind,
            identifier: resource.identifier.clone(),
            changes,
            patch: if kind == ActionKind::Update {
                diff.patch
            } else {
                Vec::new()
            },
            desired: (kind == ActionKind::Replace).then_some(desired),
            ..base
        }))
    }

    /// Checks what a component needs before it can be planned: its schema, region and
    /// credential, the type's availability there, and the producers it subscribes to.
    fn check_plannable(
        &self,
        all: &[Component],
        resolver: &Resolver,
        component: &Component,
    ) -> Result<(std::sync::Arc<canopy_schema::ResourceSchema>, String)> {
        let schema = self.registry.get(component.schema())?;
        let region = linked_region(all, component)?;
        crate::session::linked(all, component, crate::AWS_CREDENTIAL)?;
        if !self.registry.is_available(component.schema(), &region)? {
            return Err(EngineError::TypeNotInRegion {
                type_name: component.schema().to_string(),
                region,
            });
        }
        for subscription in subscriptions_of(component)? {
            if resolver.find(&subscription.source).is_none() {
                return Err(EngineError::invalid(
                    format!(
                        "subscription {} of {:?}",
                        subscription.path,
                        component.name()
                    ),
                    format!(
                        "it comes from {}, which no longer exists; remove it with `canopy component unsubscribe` or subscribe to another component",
                        subscription.source
                    ),
                ));
            }
        }
        Ok((schema, region))
    }

    fn plan_deletes(
        &self,
        deleted: &[Component],
        resources: &HashMap<ComponentId, Resource>,
        busy: &HashSet<String>,
    ) -> Result<Vec<PlannedAction>> {
        // Consumers are deleted before their producers: reverse dependency order.
        let graph = dependency_graph(
            &deleted
                .iter()
                .map(|c| {
                    let mut c = c.clone();
                    c.deleted = false;
                    c
                })
                .collect::<Vec<_>>(),
        )?;
        let mut order: Vec<String> = graph.order()?.into_iter().flatten().collect();
        order.reverse();
        let mut actions = Vec::new();
        for name in order {
            let Some(component) = deleted.iter().find(|c| c.name() == name) else {
                continue;
            };
            if is_builtin(component.schema()) || busy.contains(name.as_str()) {
                continue;
            }
            let Some(resource) = resources
                .get(&component.id)
                .filter(|r| r.identifier.is_some())
            else {
                continue;
            };
            let depends_on = deleted
                .iter()
                .filter(|c| {
                    subscriptions_of(c)
                        .unwrap_or_default()
                        .iter()
                        .any(|s| s.source == name)
                        && resources.get(&c.id).is_some_and(|r| r.identifier.is_some())
                })
                .map(|c| c.name().to_string())
                .collect();
            actions.push(PlannedAction {
                component: name.clone(),
                component_id: component.id.clone(),
                type_name: component.schema().to_string(),
                kind: ActionKind::Delete,
                region: resource.region.clone(),
                identifier: resource.identifier.clone(),
                changes: Vec::new(),
                patch: Vec::new(),
                desired: None,
                known_after_apply: Vec::new(),
                depends_on,
            });
        }
        Ok(actions)
    }
}

/// Resolves a component's desired properties as they stand now. Values that come from
/// a resource this plan creates or replaces are left out and listed as known after apply.
fn desired_now(
    resolver: &Resolver,
    component: &Component,
    changing: &HashSet<String>,
) -> Result<(Value, Vec<String>)> {
    let resolved = resolver.resolve(component);
    let mut desired = resolved.value;
    let mut known_after_apply: Vec<String> =
        resolved.pending.iter().map(|s| s.path.clone()).collect();
    // A value from a resource this plan creates or replaces changes after apply.
    for subscription in subscriptions_of(component)? {
        if changing.contains(&subscription.source)
            && subscription.source_path.starts_with("/resource")
        {
            let _ = canopy_core::remove_at_pointer(&mut desired, &subscription.path);
            if !known_after_apply.contains(&subscription.path) {
                known_after_apply.push(subscription.path.clone());
            }
        }
    }
    Ok((desired, known_after_apply))
}

/// Lists every top-level property of a new resource as an addition, for the plan's output.
fn additions(desired: &Value) -> Vec<PropertyChange> {
    desired
        .as_object()
        .map(|object| {
            object
                .iter()
                .map(|(key, value)| PropertyChange {
                    path: format!("/{}", key.replace('~', "~0").replace('/', "~1")),
                    kind: ChangeKind::Add,
                    before: None,
                    after: Some(value.clone()),
                    effect: ChangeEffect::Update,
                    reason: "set at create".into(),
                })
                .collect()
        })
        .unwrap_or_default()
}
