//! Discovery: adopting every existing resource of a type into a change set.
//!
//! ListResources is followed page by page (at most 100 resources a page) until it
//! returns no NextToken. Each listed resource is then read with GetResource, because
//! ListResources may return only some properties, a few at a time. A resource that a
//! component of the workspace already owns is skipped; every other one becomes a
//! component, as `import` makes it.
//!
//! Child types list only under a parent: their list handler's `handlerSchema` names
//! the properties the request's resource model must carry (`required`, or alternative
//! sets under `anyOf` or `oneOf`), such as `ClusterName` for AWS::EKS::Nodegroup.

use std::collections::{BTreeSet, HashMap, HashSet};

use canopy_aws::cloudcontrol::{CloudControl, MAX_LIST_RESULTS, ResourceDescription};
use canopy_schema::ResourceSchema;
use canopy_store::{Component, ComponentId, Resource};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::task::JoinSet;

use crate::builtin::is_builtin;
use crate::import::ImportError;
use crate::{Engine, EngineError, Result};

/// GetResource calls a discovery runs at once.
const CONCURRENT_READS: usize = 8;
/// Maximum length of a component name derived from an identifier, in bytes, leaving room
/// for a `-2` suffix under the 128-byte limit of names.
const MAX_DERIVED_NAME: usize = 100;

/// Parameters of a discovery of the resources of one type.
#[derive(Debug, Clone, Default)]
pub struct DiscoverRequest {
    pub type_name: String,
    /// The resource model for ListResources: the parent of a child type, such as
    /// `{"ClusterName": "prod"}`.
    pub model: Option<Value>,
    /// Name of the Region component; defaults to the only one in the change set.
    pub region: Option<String>,
    /// Name of the AWS Credential component; defaults to the only one in the change set.
    pub credential: Option<String>,
}

/// The result of a discovery.
#[derive(Debug, Clone, Serialize)]
pub struct DiscoverReport {
    pub change_set: String,
    pub type_name: String,
    pub region: String,
    /// How many resources ListResources returned.
    pub found: usize,
    /// How many ListResources pages were read.
    pub pages: usize,
    /// The components created, one per resource.
    pub imported: Vec<DiscoveredResource>,
    /// Resources left alone, with the reason.
    pub skipped: Vec<SkippedResource>,
    /// Resources whose GetResource failed; running discovery again retries them.
    pub failed: Vec<FailedResource>,
}

/// A resource discovery adopted.
#[derive(Debug, Clone, Serialize)]
pub struct DiscoveredResource {
    pub component: String,
    pub identifier: String,
}

/// A resource discovery left alone.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedResource {
    pub identifier: String,
    pub reason: String,
}

/// A resource discovery could not read.
#[derive(Debug, Clone, Serialize)]
pub struct FailedResource {
    pub identifier: String,
    pub message: String,
}

impl Engine {
    /// Lists every resource of a type with ListResources and creates one component per
    /// resource that no component of the workspace owns yet.
    ///
    /// Fails before any call when the type has no list handler, or when its list
    /// handler needs parent properties that `request.model` lacks. That error names
    /// candidate parents from the change set. Finding no resource is not an error.
    pub async fn discover(
        &self,
        workspace: &str,
        change_set: &str,
        request: DiscoverRequest,
    ) -> Result<DiscoverReport> {
        let (workspace, change_set) = self.editable_change_set(workspace, change_set).await?;
        let schema = self.registry.get(&request.type_name)?;
        if schema.handlers.list.is_none() {
            return Err(ImportError::NotListable {
                type_name: schema.type_name.clone(),
            }
            .into());
        }
        if schema.handlers.read.is_none() {
            return Err(ImportError::NotReadable {
                type_name: schema.type_name.clone(),
            }
            .into());
        }
        let mut components = self.store.list_components(&change_set.id).await?;
        let resources = self.resources_by_component(&workspace).await?;
        let model = self.list_model(&schema, request.model.as_ref(), &components, &resources)?;

        // A stand-in component carries the links for the session and the region check.
        let probe = self.new_resource_component(
            &change_set,
            &components,
            &schema,
            &format!("discovered {}", schema.type_name),
            request.region.as_deref(),
            request.credential.as_deref(),
        )?;
        let region = self.available_region(&components, &probe)?;
        let (session, _) = self
            .session_for_component(&workspace, &components, &probe)
            .await?;
        let client = session.cloud_control();

        let (listed, pages) = list_all(&client, &schema.type_name, model.as_ref()).await?;
        let mut report = DiscoverReport {
            change_set: change_set.name.clone(),
            type_name: schema.type_name.clone(),
            region: region.clone(),
            found: listed.len(),
            pages,
            imported: Vec::new(),
            skipped: Vec::new(),
            failed: Vec::new(),
        };

        let owners = self.owners(&workspace).await?;
        let mut to_read = Vec::new();
        for identifier in listed {
            let key = (schema.type_name.clone(), region.clone(), identifier.clone());
            match owners.get(&key) {
                Some(owner) => report.skipped.push(SkippedResource {
                    identifier,
                    reason: format!(
                        "already owned by component {:?} in {}",
                        owner.component, owner.change_set
                    ),
                }),
                None => to_read.push(identifier),
            }
        }

        let mut used_names: HashSet<String> =
            components.iter().map(|c| c.name().to_string()).collect();
        let mut adopted = Vec::new();
        for (identifier, read) in read_all(&client, &schema.type_name, to_read).await {
            match read {
                Ok(Some(description)) => {
                    let name = unique_name(&derived_name(&description.identifier), &mut used_names);
                    let mut component = probe.clone();
                    component.id = ComponentId::new();
                    component.snapshot.name = name.clone();
                    let component = self
                        .adopt(
                            &workspace,
                            &change_set,
                            component,
                            &schema,
                            &region,
                            &description.identifier,
                            description.properties,
                        )
                        .await?;
                    report.imported.push(DiscoveredResource {
                        component: name,
                        identifier: description.identifier,
                    });
                    adopted.push(component);
                }
                Ok(None) => report.skipped.push(SkippedResource {
                    identifier,
                    reason: "listed, but gone before GetResource read it".into(),
                }),
                Err(message) => report.failed.push(FailedResource {
                    identifier,
                    message,
                }),
            }
        }

        components.extend(adopted.iter().cloned());
        let resources = self.resources_by_component(&workspace).await?;
        for component in &adopted {
            self.qualify(&workspace, &change_set, &components, &resources, component)
                .await?;
        }
        tracing::info!(
            change_set.id = %change_set.id,
            type_name = %schema.type_name,
            found = report.found,
            imported = report.imported.len(),
            skipped = report.skipped.len(),
            failed = report.failed.len(),
            "discovered resources"
        );
        Ok(report)
    }

    /// Checks the resource model against the list handler's `handlerSchema` and returns
    /// the model to send.
    fn list_model(
        &self,
        schema: &ResourceSchema,
        model: Option<&Value>,
        components: &[Component],
        resources: &HashMap<ComponentId, Resource>,
    ) -> Result<Option<Value>> {
        let handler_schema = schema
            .handlers
            .list
            .as_ref()
            .and_then(|h| h.handler_schema.as_ref());
        let model_properties = match model {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(object)) => object.clone(),
            Some(other) => {
                return Err(EngineError::invalid(
                    format!("--model {other}"),
                    "the resource model must be a JSON object such as {\"ClusterName\": \"prod\"}",
                ));
            }
        };
        let Some(handler_schema) = handler_schema else {
            if !model_properties.is_empty() {
                return Err(EngineError::invalid(
                    format!("--model {}", Value::Object(model_properties)),
                    format!(
                        "{} lists every resource without a resource model, so the model would filter nothing; remove --model",
                        schema.type_name
                    ),
                ));
            }
            return Ok(None);
        };

        let declared: Vec<&String> = handler_schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().collect())
            .unwrap_or_default();
        if let Some(unknown) = model_properties
            .keys()
            .find(|k| !declared.is_empty() && !declared.contains(k))
        {
            return Err(EngineError::invalid(
                format!("--model property {unknown:?}"),
                format!(
                    "the list handler of {} takes only {}",
                    schema.type_name,
                    declared
                        .iter()
                        .map(|d| d.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }

        let sets = required_sets(handler_schema);
        let satisfied = sets.is_empty()
            || sets
                .iter()
                .any(|set| set.iter().all(|name| model_properties.contains_key(name)));
        if !satisfied {
            let needed = sets
                .iter()
                .map(|set| set.join(" and "))
                .collect::<Vec<_>>()
                .join(", or ");
            let names: BTreeSet<&String> = sets.iter().flatten().collect();
            let hint = self.parent_hint(&names, components, resources);
            return Err(ImportError::ParentRequired {
                type_name: schema.type_name.clone(),
                needed,
                hint,
            }
            .into());
        }
        Ok((!model_properties.is_empty()).then_some(Value::Object(model_properties)))
    }

    /// Describes the components of the change set that can be the parent: those whose
    /// single-part primary identifier is one of `names`, directly (`VpcId`) or after the
    /// type's last name (`ClusterName` for AWS::EKS::Cluster's `Name`).
    fn parent_hint(
        &self,
        names: &BTreeSet<&String>,
        components: &[Component],
        resources: &HashMap<ComponentId, Resource>,
    ) -> String {
        let mut candidates = Vec::new();
        for component in components
            .iter()
            .filter(|c| !c.deleted && !is_builtin(c.schema()))
        {
            let Ok(schema) = self.registry.get(component.schema()) else {
                continue;
            };
            let names_of_identifier = schema.primary_identifier_names();
            let [identifier_name] = names_of_identifier.as_slice() else {
                continue;
            };
            let short_type = component.schema().rsplit("::").next().unwrap_or_default();
            let prefixed = format!("{short_type}{identifier_name}");
            let Some(property) = names
                .iter()
                .find(|n| **n == identifier_name || ***n == prefixed)
            else {
                continue;
            };
            // The resource's identifier when it exists, else the value the domain sets.
            let value = resources
                .get(&component.id)
                .and_then(|r| r.identifier.clone())
                .or_else(|| {
                    component
                        .snapshot
                        .domain
                        .get(identifier_name)
                        .and_then(Value::as_str)
                        .map(str::to_string)
                });
            if let Some(value) = value {
                candidates.push(format!(
                    "--model '{}' (component {:?}, {})",
                    json!({ property.as_str(): value }),
                    component.name(),
                    component.schema()
                ));
            }
        }
        if candidates.is_empty() {
            let example: Map<String, Value> = names
                .iter()
                .map(|n| (n.to_string(), json!("...")))
                .collect();
            format!(
                "no component of the change set is a candidate parent; give the parent's value, as in --model '{}'",
                Value::Object(example)
            )
        } else {
            format!(
                "candidate parents in the change set: {}",
                candidates.join("; ")
            )
        }
    }
}

/// The sets of properties the list handler accepts as a parent: every `required`
/// property, plus one of the `anyOf` or `oneOf` sets when there are any. Empty when the
/// handler needs nothing.
fn required_sets(handler_schema: &Value) -> Vec<Vec<String>> {
    let names = |schema: &Value| -> Vec<String> {
        schema
            .get("required")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let base = names(handler_schema);
    let alternatives: Vec<Vec<String>> = ["anyOf", "oneOf"]
        .iter()
        .filter_map(|keyword| handler_schema.get(*keyword).and_then(Value::as_array))
        .flatten()
        .map(names)
        .collect();
    if alternatives.is_empty() {
        return if base.is_empty() {
            Vec::new()
        } else {
            vec![base]
        };
    }
    alternatives
        .into_iter()
        .map(|set| base.iter().cloned().chain(set).collect())
        .collect()
}

/// Follows ListResources until it returns no NextToken, and returns the identifiers
/// listed (each once, sorted) and the number of pages.
async fn list_all(
    client: &CloudControl,
    type_name: &str,
    model: Option<&Value>,
) -> Result<(Vec<String>, usize)> {
    let mut identifiers = BTreeSet::new();
    let mut tokens = HashSet::new();
    let mut next_token = None;
    let mut pages = 0;
    loop {
        let page = client
            .list_resources(type_name, model, next_token, MAX_LIST_RESULTS)
            .await?;
        pages += 1;
        identifiers.extend(page.resources.into_iter().map(|r| r.identifier));
        match page.next_token {
            None => break,
            Some(token) if !tokens.insert(token.clone()) => {
                return Err(EngineError::invalid(
                    format!("ListResources of {type_name}"),
                    "Cloud Control returned the same NextToken twice, so paging would never end; run discovery again",
                ));
            }
            Some(token) => next_token = Some(token),
        }
    }
    Ok((identifiers.into_iter().collect(), pages))
}

type Read = std::result::Result<Option<ResourceDescription>, String>;

/// Reads each resource with GetResource, [`CONCURRENT_READS`] at a time. Returns the
/// results in the order of `identifiers`.
async fn read_all(
    client: &CloudControl,
    type_name: &str,
    identifiers: Vec<String>,
) -> Vec<(String, Read)> {
    let mut results: Vec<Option<Read>> = vec![None; identifiers.len()];
    let mut running: JoinSet<(usize, Read)> = JoinSet::new();
    let mut queue = identifiers.iter().cloned().enumerate();
    loop {
        while running.len() < CONCURRENT_READS {
            let Some((index, identifier)) = queue.next() else {
                break;
            };
            let client = client.clone();
            let type_name = type_name.to_string();
            running.spawn(async move {
                let read = client
                    .get_resource(&type_name, &identifier)
                    .await
                    .map_err(|e| e.to_string());
                (index, read)
            });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        match joined {
            Ok((index, read)) => results[index] = Some(read),
            Err(error) => tracing::warn!(%error, "a GetResource task of discovery failed"),
        }
    }
    identifiers
        .into_iter()
        .zip(results)
        .map(|(identifier, read)| {
            let read = read
                .unwrap_or_else(|| Err("the GetResource task stopped before it finished".into()));
            (identifier, read)
        })
        .collect()
}

/// Derives a component name from an identifier. An ARN loses its
/// `arn:partition:service:region:account:` prefix, and the `|` between composite parts
/// becomes `/`.
fn derived_name(identifier: &str) -> String {
    let short = match identifier.strip_prefix("arn:") {
        Some(rest) => rest.splitn(5, ':').nth(4).unwrap_or(identifier),
        None => identifier,
    };
    let cleaned: String = short
        .chars()
        .map(|c| {
            if c == '|' {
                '/'
            } else if c.is_control() || c.is_whitespace() {
                '-'
            } else {
                c
            }
        })
        .collect();
    let mut end = cleaned.len().min(MAX_DERIVED_NAME);
    while !cleaned.is_char_boundary(end) {
        end -= 1;
    }
    let trimmed = cleaned[..end].trim_matches('-');
    if trimmed.is_empty() {
        "resource".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Returns `base`, or `base-2`, `base-3`, ... when it is in use, and marks the result used.
fn unique_name(base: &str, used_names: &mut HashSet<String>) -> String {
    let mut name = base.to_string();
    let mut suffix = 2;
    while used_names.contains(&name) {
        name = format!("{base}-{suffix}");
        suffix += 1;
    }
    used_names.insert(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_sets_of_any_of() {
        let handler_schema = json!({
            "anyOf": [{"required": ["StackName"]}, {"required": ["UserName", "AuthenticationType"]}]
        });
        let sets = required_sets(&handler_schema);

        assert_eq!(
            sets,
            vec![
                vec!["StackName".to_string()],
                vec!["UserName".into(), "AuthenticationType".into()]
            ]
        );
    }

    #[test]
    fn required_sets_of_plain_required() {
        let sets = required_sets(&json!({"required": ["ClusterName"]}));

        assert_eq!(sets, vec![vec!["ClusterName".to_string()]]);
        assert!(required_sets(&json!({"properties": {}})).is_empty());
    }

    #[test]
    fn names_from_identifiers() {
        assert_eq!(derived_name("210987654321|abc"), "210987654321/abc");
        assert_eq!(
            derived_name(
                "arn:aws:elasticloadbalancing:us-east-1:210987654321:listener/app/web/1/2"
            ),
            "listener/app/web/1/2"
        );
        assert_eq!(derived_name("   "), "resource");
    }

    #[test]
    fn unique_names_get_suffixes() {
        let mut used_names = HashSet::from(["logs".to_string()]);

        assert_eq!(unique_name("logs", &mut used_names), "logs-2");
        assert_eq!(unique_name("logs", &mut used_names), "logs-3");
        assert_eq!(unique_name("data", &mut used_names), "data");
    }
}
