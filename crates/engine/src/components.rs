//! Editing components in a change set, and reading them back with their qualifications
//! and resource.

use std::collections::HashMap;

use canopy_core::{DependencyGraph, Subscription, remove_at_pointer, set_at_pointer};
use canopy_store::{
    ChangeSet, Component, ComponentId, ComponentSnapshot, Qualification, Workspace,
};
use serde::Serialize;
use serde_json::Value;

use crate::builtin::{AWS_CREDENTIAL, REGION, check_schema_name, is_builtin};
use crate::resolve::{Resolver, subscriptions_of};
use crate::secrets::check_name;
use crate::{Engine, EngineError, Result};

/// The input that creates a component.
#[derive(Debug, Clone, Default)]
pub struct NewComponent {
    pub schema: String,
    pub name: String,
    pub domain: Value,
    /// Name of the Region component; defaults to the only one in the change set.
    pub region: Option<String>,
    /// Name of the AWS Credential component; defaults to the only one in the change set.
    pub credential: Option<String>,
}

/// A component as `component show` presents it.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentView {
    pub id: ComponentId,
    pub name: String,
    pub schema: String,
    pub change_set: String,
    pub domain: Value,
    pub subscriptions: Vec<Subscription>,
    pub region: Option<String>,
    pub credential: Option<String>,
    pub deleted: bool,
    pub qualifications: Vec<Qualification>,
    pub resource: Option<ResourceView>,
    /// Properties whose value in AWS differs from the domain, from the last refresh.
    pub drift: Vec<canopy_core::PropertyChange>,
    /// Write-only properties of an imported resource whose value is unknown, because
    /// AWS never returns them and canopy has not applied them since the import.
    pub unknown_write_only: Vec<String>,
}

/// The resource part of [`ComponentView`].
#[derive(Debug, Clone, Serialize)]
pub struct ResourceView {
    pub identifier: Option<String>,
    pub status: String,
    pub region: String,
    pub properties: Option<Value>,
    pub message: Option<String>,
    pub refreshed_at: Option<String>,
}

impl Engine {
    /// Creates a component in an open change set and qualifies it.
    pub async fn create_component(
        &self,
        workspace: &str,
        change_set: &str,
        new: NewComponent,
    ) -> Result<ComponentView> {
        let (workspace, change_set) = self.editable_change_set(workspace, change_set).await?;
        check_name("component name", &new.name)?;
        check_schema_name(&new.schema, self.registry)?;
        let domain = if new.domain.is_null() {
            Value::Object(Default::default())
        } else {
            new.domain
        };
        if !domain.is_object() {
            return Err(EngineError::invalid(
                format!("domain of {:?}", new.name),
                "the domain must be a JSON object such as {\"CidrBlock\": \"10.0.0.0/16\"}",
            ));
        }
        let components = self.store.list_components(&change_set.id).await?;
        let (region_id, credential_id) = if is_builtin(&new.schema) {
            (None, None)
        } else {
            (
                Some(pick_link(
                    &components,
                    REGION,
                    new.region.as_deref(),
                    &new.name,
                )?),
                Some(pick_link(
                    &components,
                    AWS_CREDENTIAL,
                    new.credential.as_deref(),
                    &new.name,
                )?),
            )
        };
        let component = Component {
            id: ComponentId::new(),
            change_set_id: change_set.id.clone(),
            snapshot: ComponentSnapshot {
                name: new.name.clone(),
                schema: new.schema,
                domain,
                subscriptions: Value::Array(Vec::new()),
                region_id,
                credential_id,
            },
            deleted: false,
            base: None,
            updated_at: String::new(),
        };
        self.store.insert_component(&component).await?;
        tracing::info!(change_set.id = %change_set.id, component.id = %component.id, component.name = %new.name, "created component");
        self.after_edit(&workspace, &change_set, &new.name).await
    }

    /// Sets the value at a JSON pointer in a component's domain.
    pub async fn set_property(
        &self,
        workspace: &str,
        change_set: &str,
        component: &str,
        pointer: &str,
        value: Value,
    ) -> Result<ComponentView> {
        let (workspace, change_set) = self.editable_change_set(workspace, change_set).await?;
        let mut component = self.store.get_component(&change_set.id, component).await?;
        check_pointer(pointer)?;
        let subscriptions = subscriptions_of(&component)?;
        if let Some(subscription) = subscriptions.iter().find(|s| s.path == pointer) {
            return Err(EngineError::invalid(
                format!("{pointer} of {:?}", component.name()),
                format!(
                    "it is subscribed to {}{}; remove the subscription first with `canopy component unsubscribe`",
                    subscription.source, subscription.source_path
                ),
            ));
        }
        if let Ok(schema) = self.registry.get(component.schema()) {
            create_missing_arrays(&schema, &mut component.snapshot.domain, pointer);
        }
        set_at_pointer(&mut component.snapshot.domain, pointer, value).map_err(|e| {
            EngineError::invalid(
                format!("{pointer} of {:?}", component.name()),
                e.to_string(),
            )
        })?;
        self.store.update_component(&component).await?;
        let name = component.name().to_string();
        self.after_edit(&workspace, &change_set, &name).await
    }

    /// Removes the value at a JSON pointer from a component's domain.
    pub async fn unset_property(
        &self,
        workspace: &str,
        change_set: &str,
        component: &str,
        pointer: &str,
    ) -> Result<ComponentView> {
        let (workspace, change_set) = self.editable_change_set(workspace, change_set).await?;
        let mut component = self.store.get_component(&change_set.id, component).await?;
        check_pointer(pointer)?;
        let removed = remove_at_pointer(&mut component.snapshot.domain, pointer).map_err(|e| {
            EngineError::invalid(
                format!("{pointer} of {:?}", component.name()),
                e.to_string(),
            )
        })?;
        if removed.is_none() {
            return Err(EngineError::invalid(
                format!("{pointer} of {:?}", component.name()),
                "the domain has no value there; `canopy component show` lists what is set",
            ));
        }
        self.store.update_component(&component).await?;
        let name = component.name().to_string();
        self.after_edit(&workspace, &change_set, &name).await
    }

    /// Makes a domain value of `component` come from `source`'s `/domain/...` or
    /// `/resource/...` value. Rejects unknown paths and cycles.
    pub async fn subscribe(
        &self,
        workspace: &str,
        change_set: &str,
        component: &str,
        subscription: Subscription,
    ) -> Result<ComponentView> {
        let (workspace, change_set) = self.editable_change_set(workspace, change_set).await?;
        let components = self.store.list_components(&change_set.id).await?;
        let mut consumer = find_live(&components, component)?.clone();
        let producer = find_live(&components, &subscription.source)?.clone();
        check_pointer(&subscription.path)?;
        self.check_source_path(&producer, &subscription.source_path)?;
        if producer.id == consumer.id {
            return Err(EngineError::Cycle {
                cycle: vec![consumer.name().to_string(), consumer.name().to_string()],
            });
        }

        let mut subscriptions = subscriptions_of(&consumer)?;
        subscriptions.retain(|s| s.path != subscription.path);
        subscriptions.push(subscription);
        consumer.snapshot.subscriptions =
            serde_json::to_value(&subscriptions).expect("subscriptions serialize");
        let mut updated = components.clone();
        if let Some(slot) = updated.iter_mut().find(|c| c.id == consumer.id) {
            *slot = consumer.clone();
        }
        if let Some(cycle) = dependency_graph(&updated)?.find_cycle() {
            return Err(EngineError::Cycle { cycle });
        }
        // The domain value under a subscription is replaced by the subscription.
        let _ = remove_at_pointer(
            &mut consumer.snapshot.domain,
            &subscriptions.last().expect("pushed").path,
        );
        self.store.update_component(&consumer).await?;
        let name = consumer.name().to_string();
        self.after_edit(&workspace, &change_set, &name).await
    }

    /// Removes the subscription at a path of a component's domain.
    pub async fn unsubscribe(
        &self,
        workspace: &str,
        change_set: &str,
        component: &str,
        path: &str,
    ) -> Result<ComponentView> {
        let (workspace, change_set) = self.editable_change_set(workspace, change_set).await?;
        let mut consumer = self.store.get_component(&change_set.id, component).await?;
        let mut subscriptions = subscriptions_of(&consumer)?;
        let before = subscriptions.len();
        subscriptions.retain(|s| s.path != path);
        if subscriptions.len() == before {
            return Err(EngineError::invalid(
                format!("{path} of {:?}", consumer.name()),
                "there is no subscription at that path",
            ));
        }
        consumer.snapshot.subscriptions = serde_json::to_value(&subscriptions).expect("serializes");
        self.store.update_component(&consumer).await?;
        let name = consumer.name().to_string();
        self.after_edit(&workspace, &change_set, &name).await
    }

    /// Deletes a component from a change set. A component that HEAD holds is marked
    /// deleted, so applying the change set deletes its resource; one the change set
    /// added is removed outright, and the record of a resource it imported is forgotten
    /// (the resource stays in AWS). Fails while other components depend on it.
    pub async fn delete_component(
        &self,
        workspace: &str,
        change_set: &str,
        component: &str,
    ) -> Result<()> {
        let (workspace, change_set) = self.editable_change_set(workspace, change_set).await?;
        let components = self.store.list_components(&change_set.id).await?;
        let mut target = find_live(&components, component)?.clone();
        let dependents: Vec<&str> = components
            .iter()
            .filter(|c| !c.deleted && c.id != target.id)
            .filter(|c| {
                c.snapshot.region_id.as_ref() == Some(&target.id)
                    || c.snapshot.credential_id.as_ref() == Some(&target.id)
                    || subscriptions_of(c)
                        .unwrap_or_default()
                        .iter()
                        .any(|s| s.source == target.name())
            })
            .map(|c| c.name())
            .collect();
        if !dependents.is_empty() {
            return Err(EngineError::invalid(
                format!("component {:?}", target.name()),
                format!(
                    "{} depend on it; delete them or remove their subscriptions first",
                    dependents.join(", ")
                ),
            ));
        }
        if target.base.is_none() {
            self.store
                .remove_component(&change_set.id, &target.id)
                .await?;
            self.forget_added_resource(&workspace, &target.id).await?;
        } else {
            target.deleted = true;
            self.store.update_component(&target).await?;
        }
        Ok(())
    }

    /// Lists the components of a change set, with qualifications and resources.
    pub async fn list_components(
        &self,
        workspace: &str,
        change_set: &str,
    ) -> Result<Vec<ComponentView>> {
        let (workspace, change_set) = self.change_set(workspace, change_set).await?;
        let components = self.store.list_components(&change_set.id).await?;
        let resources = self.resources_by_component(&workspace).await?;
        let mut views = Vec::new();
        for component in &components {
            views.push(
                self.view(&workspace, &change_set, &components, &resources, component)
                    .await?,
            );
        }
        Ok(views)
    }

    /// Shows one component.
    pub async fn show_component(
        &self,
        workspace: &str,
        change_set: &str,
        component: &str,
    ) -> Result<ComponentView> {
        let (workspace, change_set) = self.change_set(workspace, change_set).await?;
        let components = self.store.list_components(&change_set.id).await?;
        let component = components
            .iter()
            .find(|c| c.name() == component || c.id.as_str() == component)
            .ok_or_else(|| self.component_not_found(component))?;
        let resources = self.resources_by_component(&workspace).await?;
        self.view(&workspace, &change_set, &components, &resources, component)
            .await
    }

    fn component_not_found(&self, name: &str) -> EngineError {
        EngineError::Store(canopy_store::StoreError::NotFound {
            kind: "component",
            name: name.to_string(),
            hint: "; run `canopy component list` to see the components".to_string(),
        })
    }

    pub(crate) async fn after_edit(
        &self,
        workspace: &Workspace,
        change_set: &ChangeSet,
        name: &str,
    ) -> Result<ComponentView> {
        let components = self.store.list_components(&change_set.id).await?;
        let resources = self.resources_by_component(workspace).await?;
        let component = components
            .iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| self.component_not_found(name))?;
        self.qualify(workspace, change_set, &components, &resources, component)
            .await?;
        // Consumers of this component may change validity with it.
        for consumer in components.iter().filter(|c| {
            subscriptions_of(c)
                .unwrap_or_default()
                .iter()
                .any(|s| s.source == name)
                || c.snapshot.credential_id.as_ref() == Some(&component.id)
                || c.snapshot.region_id.as_ref() == Some(&component.id)
        }) {
            self.qualify(workspace, change_set, &components, &resources, consumer)
                .await?;
        }
        self.view(workspace, change_set, &components, &resources, component)
            .await
    }

    pub(crate) async fn resources_by_component(
        &self,
        workspace: &Workspace,
    ) -> Result<HashMap<ComponentId, canopy_store::Resource>> {
        Ok(self
            .store
            .list_resources(&workspace.id)
            .await?
            .into_iter()
            .map(|r| (r.component_id.clone(), r))
            .collect())
    }

    async fn view(
        &self,
        workspace: &Workspace,
        change_set: &ChangeSet,
        components: &[Component],
        resources: &HashMap<ComponentId, canopy_store::Resource>,
        component: &Component,
    ) -> Result<ComponentView> {
        let resource = resources.get(&component.id);
        let name_of = |id: Option<&ComponentId>| {
            id.and_then(|id| components.iter().find(|c| &c.id == id))
                .map(|c| c.name().to_string())
        };
        let drift = match resource {
            Some(resource) if !is_builtin(component.schema()) => {
                self.drift(components, resources, component, resource)
            }
            _ => Vec::new(),
        };
        Ok(ComponentView {
            id: component.id.clone(),
            name: component.name().to_string(),
            schema: component.schema().to_string(),
            change_set: change_set.name.clone(),
            domain: component.snapshot.domain.clone(),
            subscriptions: subscriptions_of(component)?,
            region: name_of(component.snapshot.region_id.as_ref()),
            credential: name_of(component.snapshot.credential_id.as_ref()),
            deleted: component.deleted,
            qualifications: self
                .store
                .list_qualifications(&change_set.id, &component.id)
                .await?,
            resource: resource.map(|r| ResourceView {
                identifier: r.identifier.clone(),
                status: r.status.clone(),
                region: r.region.clone(),
                properties: r.properties.clone(),
                message: r.message.clone(),
                refreshed_at: r.refreshed_at.clone(),
            }),
            drift,
            unknown_write_only: self
                .unknown_write_only(workspace, component, resource)
                .await?,
        })
    }

    fn drift(
        &self,
        components: &[Component],
        resources: &HashMap<ComponentId, canopy_store::Resource>,
        component: &Component,
        resource: &canopy_store::Resource,
    ) -> Vec<canopy_core::PropertyChange> {
        let (Ok(schema), Some(remote)) = (
            self.registry.get(component.schema()),
            resource.properties.as_ref(),
        ) else {
            return Vec::new();
        };
        let resolver = Resolver {
            components,
            resources,
        };
        let desired = resolver.resolve(component).value;
        let diff = canopy_core::diff_resource(&canopy_core::DiffInput {
            schema: &schema,
            desired: &desired,
            remote,
            last_applied: resource.last_applied.as_ref(),
        });
        diff.changes
    }

    fn check_source_path(&self, producer: &Component, source_path: &str) -> Result<()> {
        let invalid =
            |reason: String| EngineError::invalid(format!("source path {source_path:?}"), reason);
        let (root, rest) = if let Some(rest) = source_path.strip_prefix("/domain") {
            ("domain", rest)
        } else if let Some(rest) = source_path.strip_prefix("/resource") {
            ("resource", rest)
        } else {
            return Err(invalid(
                "it must start with /domain/ or /resource/, as in /resource/VpcId".to_string(),
            ));
        };
        if rest.is_empty() || !rest.starts_with('/') {
            return Err(invalid(format!(
                "name a property after /{root}/, as in /{root}/VpcId"
            )));
        }
        if is_builtin(producer.schema()) {
            if root == "resource" {
                return Err(invalid(format!(
                    "{} components own no resource",
                    producer.schema()
                )));
            }
            return Ok(());
        }
        let schema = self.registry.get(producer.schema())?;
        let segments = canopy_schema::parse_pointer(rest)?;
        if schema.property(&segments).is_none() {
            return Err(invalid(format!(
                "{} has no property {rest}; `canopy schema show {}` lists its properties",
                producer.schema(),
                producer.schema()
            )));
        }
        Ok(())
    }
}

/// Creates, along `pointer`, the empty arrays that the schema declares and the domain
/// lacks, so `/Tags/0/Key` on a domain without Tags starts a list instead of an object
/// with a key "0". Writing past the end of the new array then fails as it should.
fn create_missing_arrays(
    schema: &canopy_schema::ResourceSchema,
    domain: &mut Value,
    pointer: &str,
) {
    let Some(rest) = pointer.strip_prefix('/') else {
        return;
    };
    let tokens: Vec<String> = rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut path: Vec<canopy_schema::Segment> = Vec::new();
    let mut current = domain;
    for token in &tokens[..tokens.len().saturating_sub(1)] {
        let segment = match current {
            Value::Array(_) => match token.parse::<usize>() {
                Ok(index) => canopy_schema::Segment::Index(index),
                Err(_) => return,
            },
            _ => canopy_schema::Segment::Key(token.clone()),
        };
        path.push(segment);
        let declared_array = schema
            .property(&path)
            .and_then(|property| property.get("type"))
            .is_some_and(|kind| {
                kind == "array"
                    || kind
                        .as_array()
                        .is_some_and(|kinds| kinds.iter().any(|k| k == "array"))
            });
        let next = match current {
            Value::Object(object) => {
                if !object.contains_key(token) && declared_array {
                    object.insert(token.clone(), Value::Array(Vec::new()));
                }
                object.get_mut(token)
            }
            Value::Array(items) => token
                .parse::<usize>()
                .ok()
                .and_then(|index| items.get_mut(index)),
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => return,
        }
    }
}

fn check_pointer(pointer: &str) -> Result<()> {
    if !pointer.starts_with('/') || pointer.len() < 2 {
        return Err(EngineError::invalid(
            format!("property path {pointer:?}"),
            "use a JSON pointer into the domain, such as /CidrBlock or /Tags/0/Value",
        ));
    }
    Ok(())
}

fn find_live<'a>(components: &'a [Component], name: &str) -> Result<&'a Component> {
    components
        .iter()
        .find(|c| (c.name() == name || c.id.as_str() == name) && !c.deleted)
        .ok_or_else(|| {
            EngineError::Store(canopy_store::StoreError::NotFound {
                kind: "component",
                name: name.to_string(),
                hint: "; run `canopy component list` to see the components".to_string(),
            })
        })
}

/// Picks the Region or AWS Credential component for a new resource component.
pub(crate) fn pick_link(
    components: &[Component],
    schema: &'static str,
    named: Option<&str>,
    for_name: &str,
) -> Result<ComponentId> {
    let flag = if schema == REGION {
        "--region"
    } else {
        "--credential"
    };
    let candidates: Vec<&Component> = components
        .iter()
        .filter(|c| c.schema() == schema && !c.deleted)
        .collect();
    if let Some(name) = named {
        return candidates
            .iter()
            .find(|c| c.name() == name)
            .map(|c| c.id.clone())
            .ok_or_else(|| {
                EngineError::invalid(
                    format!("{flag} {name:?}"),
                    format!("the change set has no {schema} component with that name"),
                )
            });
    }
    match candidates.as_slice() {
        [only] => Ok(only.id.clone()),
        [] => {
            let needed = if schema == REGION {
                "a Region component"
            } else {
                "an AWS Credential component"
            };
            Err(EngineError::MissingLink {
                component: for_name.to_string(),
                needed,
                fix: format!("create {needed} in the change set first"),
            })
        }
        many => Err(EngineError::invalid(
            format!("component {for_name:?}"),
            format!(
                "the change set has {} {schema} components ({}); choose one with {flag} NAME",
                many.len(),
                many.iter().map(|c| c.name()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// Builds the graph of components, in which each consumer depends on its producers,
/// its region and its credential.
pub(crate) fn dependency_graph(components: &[Component]) -> Result<DependencyGraph<String>> {
    let mut graph = DependencyGraph::new();
    let names: HashMap<&ComponentId, &str> = components.iter().map(|c| (&c.id, c.name())).collect();
    for component in components.iter().filter(|c| !c.deleted) {
        graph.add_node(component.name().to_string());
        for subscription in subscriptions_of(component)? {
            graph.add_edge(component.name().to_string(), subscription.source.clone());
        }
        for link in [
            &component.snapshot.region_id,
            &component.snapshot.credential_id,
        ]
        .into_iter()
        .flatten()
        {
            if let Some(name) = names.get(link) {
                graph.add_edge(component.name().to_string(), name.to_string());
            }
        }
    }
    Ok(graph)
}
