//! Import: adopting one existing resource into a change set as a component.
//!
//! An imported component owns the resource it was read from, so the plan compares the
//! two like any other pair and never creates the resource again. Its domain is what a
//! user would have written: the model read with GetResource, minus read-only
//! properties. The resource record is written before the component, so a process
//! killed in between leaves a record that no component owns (ignored) and never a
//! component without its resource (which the next plan would create a second time).
//!
//! The resource record keeps the imported domain as `last_applied`, the baseline that
//! later removals compare against: removing a property from an imported component
//! then plans an explicit `remove` instead of nothing.
//!
//! Resource records belong to the workspace, not to a change set. Abandoning a change
//! set, or deleting a component it added, forgets the records of the resources it
//! imported; the resources in AWS are untouched.

use std::collections::HashMap;

use canopy_schema::{PathPart, PropertyPath, ResourceSchema, Segment};
use canopy_store::{
    ActionId, ActionRecord, ChangeSet, ChangeSetStatus, Component, ComponentId, ComponentSnapshot,
    Resource, Workspace,
};
use serde_json::{Map, Value};

use crate::builtin::{AWS_CREDENTIAL, REGION};
use crate::components::{ComponentView, pick_link};
use crate::secrets::check_name;
use crate::session::linked_region;
use crate::{Engine, EngineError, Result};

/// Kind of the action record written for an import. It marks the resource as adopted,
/// so its unset write-only properties are reported as unknown.
pub(crate) const IMPORT_KIND: &str = "import";

/// Parameters of an import of one resource.
#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    /// The Cloud Control type, such as `AWS::S3::Bucket`.
    pub type_name: String,
    /// Name of the new component.
    pub name: String,
    /// The primary identifier: parts joined with `|` in schema order, or a JSON object
    /// of the parts.
    pub identifier: String,
    /// Name of the Region component; defaults to the only one in the change set.
    pub region: Option<String>,
    /// Name of the AWS Credential component; defaults to the only one in the change set.
    pub credential: Option<String>,
}

/// Failure of an import or a discovery.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "type {type_name} has no read handler, so Cloud Control cannot read its resources and canopy cannot import them"
    )]
    NotReadable { type_name: String },

    #[error(
        "{type_name} {identifier:?} not found in region {region}: check the identifier, the region of the Region component and the account of the AWS Credential component"
    )]
    NotFound {
        type_name: String,
        identifier: String,
        region: String,
    },

    #[error(
        "{type_name} {identifier:?} in {region} is already owned by component {component:?} in {change_set}; edit that component instead of importing the resource again"
    )]
    AlreadyOwned {
        type_name: String,
        identifier: String,
        region: String,
        component: String,
        change_set: String,
    },

    #[error(
        "type {type_name} is not listable: its schema has no list handler, so Cloud Control cannot discover its resources; import them one at a time with `canopy component import`"
    )]
    NotListable { type_name: String },

    #[error("discovering {type_name} needs {needed} in --model; {hint}")]
    ParentRequired {
        type_name: String,
        /// The properties the list handler requires, such as `ClusterName`.
        needed: String,
        /// Candidate parents from the change set, or how to give the value.
        hint: String,
    },
}

/// The component and change set that own a resource.
#[derive(Debug, Clone)]
pub(crate) struct Owner {
    pub component: String,
    pub change_set: String,
}

/// Type name, region and identifier of a resource.
pub(crate) type ResourceKey = (String, String, String);

impl Engine {
    /// Reads one resource with GetResource and creates a component in an open change
    /// set that owns it.
    ///
    /// The identifier is checked against the type's primary identifier before any call.
    /// Fails when the resource does not exist, or when a component of the workspace
    /// already owns it.
    pub async fn import_resource(
        &self,
        workspace: &str,
        change_set: &str,
        request: ImportRequest,
    ) -> Result<ComponentView> {
        let (workspace, change_set) = self.editable_change_set(workspace, change_set).await?;
        check_name("component name", &request.name)?;
        let schema = self.registry.get(&request.type_name)?;
        if schema.handlers.read.is_none() {
            return Err(ImportError::NotReadable {
                type_name: schema.type_name.clone(),
            }
            .into());
        }
        let identifier = canonical_identifier(&schema, &request.identifier)?;

        let components = self.store.list_components(&change_set.id).await?;
        check_name_free(&components, &request.name)?;
        let component = self.new_resource_component(
            &change_set,
            &components,
            &schema,
            &request.name,
            request.region.as_deref(),
            request.credential.as_deref(),
        )?;
        let region = self.available_region(&components, &component)?;

        let owners = self.owners(&workspace).await?;
        check_not_owned(&owners, &schema.type_name, &region, &identifier)?;

        let (session, _) = self
            .session_for_component(&workspace, &components, &component)
            .await?;
        let description = session
            .cloud_control()
            .get_resource(&schema.type_name, &identifier)
            .await?
            .ok_or_else(|| ImportError::NotFound {
                type_name: schema.type_name.clone(),
                identifier: identifier.clone(),
                region: region.clone(),
            })?;
        // AWS may spell the identifier differently from the user, so ownership is checked
        // again on the identifier it returned.
        check_not_owned(&owners, &schema.type_name, &region, &description.identifier)?;

        self.adopt(
            &workspace,
            &change_set,
            component,
            &schema,
            &region,
            &description.identifier,
            description.properties,
        )
        .await?;
        self.after_edit(&workspace, &change_set, &request.name)
            .await
    }

    /// Builds, without storing it, a resource component linked to a Region and an AWS
    /// Credential component of the change set.
    pub(crate) fn new_resource_component(
        &self,
        change_set: &ChangeSet,
        components: &[Component],
        schema: &ResourceSchema,
        name: &str,
        region: Option<&str>,
        credential: Option<&str>,
    ) -> Result<Component> {
        Ok(Component {
            id: ComponentId::new(),
            change_set_id: change_set.id.clone(),
            snapshot: ComponentSnapshot {
                name: name.to_string(),
                schema: schema.type_name.clone(),
                domain: Value::Object(Map::new()),
                subscriptions: Value::Array(Vec::new()),
                region_id: Some(pick_link(components, REGION, region, name)?),
                credential_id: Some(pick_link(components, AWS_CREDENTIAL, credential, name)?),
            },
            deleted: false,
            base: None,
            updated_at: String::new(),
        })
    }

    /// Returns the region of a component, failing when its type is not offered there.
    pub(crate) fn available_region(
        &self,
        components: &[Component],
        component: &Component,
    ) -> Result<String> {
        let region = linked_region(components, component)?;
        if !self.registry.is_available(component.schema(), &region)? {
            return Err(EngineError::TypeNotInRegion {
                type_name: component.schema().to_string(),
                region,
            });
        }
        Ok(region)
    }

    /// Stores a component that owns a resource just read: first the resource record,
    /// then the import action record, then the component (see the module
    /// documentation for why in this order).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn adopt(
        &self,
        workspace: &Workspace,
        change_set: &ChangeSet,
        mut component: Component,
        schema: &ResourceSchema,
        region: &str,
        identifier: &str,
        properties: Value,
    ) -> Result<Component> {
        let domain = adopted_domain(schema, &properties);
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let resource = Resource {
            workspace_id: workspace.id.clone(),
            component_id: component.id.clone(),
            type_name: schema.type_name.clone(),
            region: region.to_string(),
            identifier: Some(identifier.to_string()),
            status: "ok".into(),
            properties: Some(properties),
            last_applied: Some(domain.clone()),
            message: None,
            refreshed_at: Some(now.clone()),
            updated_at: String::new(),
        };
        self.store.put_resource(&resource).await?;
        self.store
            .put_action(&ActionRecord {
                id: ActionId::new(),
                workspace_id: workspace.id.clone(),
                change_set_id: change_set.id.clone(),
                component_id: component.id.clone(),
                component_name: component.name().to_string(),
                kind: IMPORT_KIND.into(),
                operation: None,
                state: "succeeded".into(),
                patch: None,
                client_token: None,
                request_token: None,
                identifier: Some(identifier.to_string()),
                attempts: 0,
                message: None,
                created_at: now,
                updated_at: String::new(),
            })
            .await?;
        component.snapshot.domain = domain;
        self.store.insert_component(&component).await?;
        tracing::info!(
            change_set.id = %change_set.id,
            component.id = %component.id,
            component.name = %component.name(),
            type_name = %schema.type_name,
            %identifier,
            "imported resource"
        );
        Ok(component)
    }

    /// Maps every resource that a live component of HEAD or of an open change set owns
    /// to that component. Records whose component is gone (an abandoned change set, an
    /// interrupted import) own nothing.
    pub(crate) async fn owners(
        &self,
        workspace: &Workspace,
    ) -> Result<HashMap<ResourceKey, Owner>> {
        let mut change_sets: Vec<ChangeSet> = self
            .store
            .list_change_sets(&workspace.id)
            .await?
            .into_iter()
            .filter(|c| matches!(c.status, ChangeSetStatus::Head | ChangeSetStatus::Open))
            .collect();
        // A component in HEAD is reported as HEAD's, not as a change set's copy.
        change_sets.sort_by_key(|c| c.status != ChangeSetStatus::Head);
        let mut names: HashMap<ComponentId, Owner> = HashMap::new();
        for change_set in &change_sets {
            for component in self.store.list_components(&change_set.id).await? {
                names.entry(component.id.clone()).or_insert_with(|| Owner {
                    component: component.name().to_string(),
                    change_set: if change_set.status == ChangeSetStatus::Head {
                        "HEAD".to_string()
                    } else {
                        format!("change set {:?}", change_set.name)
                    },
                });
            }
        }
        let mut owners = HashMap::new();
        for resource in self.store.list_resources(&workspace.id).await? {
            let (Some(identifier), Some(owner)) =
                (resource.identifier, names.get(&resource.component_id))
            else {
                continue;
            };
            owners.insert(
                (resource.type_name, resource.region, identifier),
                owner.clone(),
            );
        }
        Ok(owners)
    }

    /// Forgets the resource records of the components a change set added. Called when
    /// the change set is abandoned; the resources in AWS are untouched.
    pub(crate) async fn forget_added_resources(
        &self,
        workspace: &Workspace,
        change_set: &ChangeSet,
    ) -> Result<()> {
        for component in self.store.list_components(&change_set.id).await? {
            if component.base.is_none() {
                self.forget_added_resource(workspace, &component.id).await?;
            }
        }
        Ok(())
    }

    /// Forgets the resource record of a component that its change set added and then
    /// removed. Only imported resources have one before their change set is applied.
    pub(crate) async fn forget_added_resource(
        &self,
        workspace: &Workspace,
        component: &ComponentId,
    ) -> Result<()> {
        if self
            .store
            .find_resource(&workspace.id, component)
            .await?
            .is_some()
        {
            self.store.remove_resource(&workspace.id, component).await?;
            tracing::info!(component.id = %component, "forgot the record of an imported resource; the resource itself is untouched");
        }
        Ok(())
    }

    /// Lists the write-only properties of an imported resource whose value is unknown:
    /// AWS never returns them, and canopy has not applied them since the import.
    /// Empty for a resource canopy created, since canopy sent every value it has.
    pub(crate) async fn unknown_write_only(
        &self,
        workspace: &Workspace,
        component: &Component,
        resource: Option<&Resource>,
    ) -> Result<Vec<String>> {
        let Some(resource) = resource.filter(|r| r.identifier.is_some()) else {
            return Ok(Vec::new());
        };
        let Ok(schema) = self.registry.get(component.schema()) else {
            return Ok(Vec::new());
        };
        if schema.write_only.is_empty() || !self.is_imported(workspace, &component.id).await? {
            return Ok(Vec::new());
        }
        let empty = Value::Object(Map::new());
        let remote = resource.properties.as_ref().unwrap_or(&empty);
        let applied = resource.last_applied.as_ref().unwrap_or(&empty);
        Ok(schema
            .write_only
            .iter()
            .filter(|path| is_unknown(path, remote, applied))
            .map(ToString::to_string)
            .collect())
    }

    /// True when the component's current resource was imported, not made by a create or
    /// a replacement.
    async fn is_imported(&self, workspace: &Workspace, component: &ComponentId) -> Result<bool> {
        let actions = self
            .store
            .list_actions(&workspace.id, &["succeeded"])
            .await?;
        let origin = actions
            .iter()
            .filter(|a| &a.component_id == component)
            .rfind(|a| matches!(a.kind.as_str(), IMPORT_KIND | "create" | "replace"));
        Ok(origin.is_some_and(|a| a.kind == IMPORT_KIND))
    }
}

/// Checks an identifier against the type's primary identifier and returns it as Cloud
/// Control spells it: the parts joined with `|` in schema order.
pub(crate) fn canonical_identifier(schema: &ResourceSchema, identifier: &str) -> Result<String> {
    let parts = schema.parse_identifier(identifier)?;
    let values: Vec<&str> = schema
        .primary_identifier_names()
        .iter()
        .map(|name| parts.get(name).and_then(Value::as_str).unwrap_or_default())
        .collect();
    Ok(values.join("|"))
}

/// Returns the domain a user would have written for a resource model: the model
/// without read-only properties and without top-level properties the schema does not
/// declare.
/// Primary identifier parts stay only when they are writable, since read-only ones go
/// with the other read-only properties.
pub(crate) fn adopted_domain(schema: &ResourceSchema, model: &Value) -> Value {
    let mut domain = model.clone();
    if let Value::Object(object) = &mut domain {
        object.retain(|key, _| schema.property(&[Segment::key(key.as_str())]).is_some());
    } else {
        return Value::Object(Map::new());
    }
    strip_read_only(schema, &mut domain, &mut Vec::new());
    domain
}

fn strip_read_only(schema: &ResourceSchema, value: &mut Value, path: &mut Vec<Segment>) {
    match value {
        Value::Object(object) => {
            object.retain(|key, _| {
                path.push(Segment::key(key.as_str()));
                let keep = !schema.is_read_only(path);
                path.pop();
                keep
            });
            for (key, child) in object.iter_mut() {
                path.push(Segment::key(key.as_str()));
                strip_read_only(schema, child, path);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter_mut().enumerate() {
                path.push(Segment::Index(index));
                strip_read_only(schema, child, path);
                path.pop();
            }
        }
        _ => {}
    }
}

/// True when the write-only path's parent exists in the remote model and the last
/// applied properties contain no value at the path.
fn is_unknown(path: &PropertyPath, remote: &Value, applied: &Value) -> bool {
    let Some((last, parents)) = path.parts().split_last() else {
        return false;
    };
    let mut places: Vec<Vec<Segment>> = vec![Vec::new()];
    for part in parents {
        let mut next = Vec::new();
        for place in &places {
            let Some(value) = value_at(remote, place) else {
                continue;
            };
            match (part, value) {
                (PathPart::Key(key), Value::Object(object)) if object.contains_key(key) => {
                    next.push([place.clone(), vec![Segment::key(key.as_str())]].concat());
                }
                (PathPart::AnyIndex, Value::Array(items)) => {
                    next.extend(
                        (0..items.len()).map(|i| [place.clone(), vec![Segment::Index(i)]].concat()),
                    );
                }
                _ => {}
            }
        }
        places = next;
    }
    let PathPart::Key(name) = last else {
        return false;
    };
    places.iter().any(|place| {
        let full = [place.clone(), vec![Segment::key(name.as_str())]].concat();
        value_at(applied, &full).is_none_or(Value::is_null)
    })
}

fn value_at<'v>(root: &'v Value, path: &[Segment]) -> Option<&'v Value> {
    path.iter()
        .try_fold(root, |value, segment| match (segment, value) {
            (Segment::Key(key), Value::Object(object)) => object.get(key),
            (Segment::Index(index), Value::Array(items)) => items.get(*index),
            _ => None,
        })
}

pub(crate) fn check_name_free(components: &[Component], name: &str) -> Result<()> {
    if components.iter().any(|c| c.name() == name) {
        return Err(EngineError::invalid(
            format!("component name {name:?}"),
            "the change set already has a component with that name; choose another",
        ));
    }
    Ok(())
}

fn check_not_owned(
    owners: &HashMap<ResourceKey, Owner>,
    type_name: &str,
    region: &str,
    identifier: &str,
) -> Result<()> {
    let key = (
        type_name.to_string(),
        region.to_string(),
        identifier.to_string(),
    );
    match owners.get(&key) {
        Some(owner) => Err(ImportError::AlreadyOwned {
            type_name: type_name.to_string(),
            identifier: identifier.to_string(),
            region: region.to_string(),
            component: owner.component.clone(),
            change_set: owner.change_set.clone(),
        }
        .into()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_schema::Registry;
    use serde_json::json;

    #[test]
    fn composite_identifier_in_schema_order() {
        let schema = Registry::bundled().get("AWS::QuickSight::DataSet").unwrap();
        let from_object = canonical_identifier(
            &schema,
            r#"{"DataSetId": "abc", "AwsAccountId": "210987654321"}"#,
        );
        let from_parts = canonical_identifier(&schema, "210987654321|abc");

        assert_eq!(from_object.unwrap(), "210987654321|abc");
        assert_eq!(from_parts.unwrap(), "210987654321|abc");
    }

    #[test]
    fn malformed_identifier_shows_shape() {
        let schema = Registry::bundled().get("AWS::QuickSight::DataSet").unwrap();
        let error = canonical_identifier(&schema, "abc")
            .unwrap_err()
            .to_string();

        assert!(error.contains("<AwsAccountId>|<DataSetId>"), "{error}");
    }

    #[test]
    fn domain_drops_read_only_keeps_writable_identifier() {
        let schema = Registry::bundled().get("AWS::S3::Bucket").unwrap();
        let model = json!({
            "BucketName": "logs",
            "Arn": "arn:aws:s3:::logs",
            "DomainName": "logs.s3.amazonaws.com",
            "Tags": [{"Key": "team", "Value": "web"}],
            "NotInSchema": 1
        });
        let domain = adopted_domain(&schema, &model);

        assert_eq!(
            domain,
            json!({"BucketName": "logs", "Tags": [{"Key": "team", "Value": "web"}]})
        );
    }

    #[test]
    fn read_only_identifier_dropped() {
        let schema = Registry::bundled().get("AWS::EKS::Nodegroup").unwrap();
        let model = json!({"Id": "prod/ng-1", "ClusterName": "prod", "NodegroupName": "ng-1"});
        let domain = adopted_domain(&schema, &model);

        assert_eq!(
            domain,
            json!({"ClusterName": "prod", "NodegroupName": "ng-1"})
        );
    }

    #[test]
    fn nested_write_only_unknown_only_where_parent_exists() {
        let path = PropertyPath::parse("/properties/Rules/*/Transition").unwrap();
        let remote = json!({"Rules": [{"Id": "a"}, {"Id": "b"}]});

        assert!(is_unknown(&path, &remote, &json!({})));
        assert!(!is_unknown(&path, &json!({}), &json!({})));
        let applied = json!({"Rules": [{"Transition": 1}, {"Transition": 2}]});
        assert!(!is_unknown(&path, &remote, &applied));
    }
}
