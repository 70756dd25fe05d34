//! Qualifications: the checks recomputed on every edit of a component.
//!
//! A resource component is checked against its type's JSON Schema (with subscriptions
//! resolved), for read-only properties set by the user, and for its region and
//! credential links. An AWS Credential component checks itself by calling
//! `sts:GetCallerIdentity` with its resolved credentials.

use std::collections::HashMap;

use canopy_schema::Segment;
use canopy_store::{ChangeSet, Component, ComponentId, Qualification, Resource, Workspace};
use serde_json::Value;

use crate::builtin::{AWS_CREDENTIAL, REGION, check_domain};
use crate::events::EngineEvent;
use crate::resolve::Resolver;
use crate::session::linked_region;
use crate::{Engine, Result};

pub(crate) const SUCCESS: &str = "success";
pub(crate) const FAILURE: &str = "failure";

fn result(name: &str, status: &str, message: impl Into<String>) -> Qualification {
    Qualification {
        name: name.to_string(),
        status: status.to_string(),
        message: message.into(),
    }
}

impl Engine {
    /// Recomputes and stores a component's qualifications.
    pub(crate) async fn qualify(
        &self,
        workspace: &Workspace,
        change_set: &ChangeSet,
        components: &[Component],
        resources: &HashMap<ComponentId, Resource>,
        component: &Component,
    ) -> Result<Vec<Qualification>> {
        let qualifications = match component.schema() {
            AWS_CREDENTIAL => vec![
                self.qualify_credential(workspace, components, component)
                    .await,
            ],
            REGION => vec![qualify_builtin(component, self.registry.regions())],
            _ => self.qualify_resource(components, resources, component),
        };
        self.store
            .set_qualifications(&change_set.id, &component.id, &qualifications)
            .await?;
        let failures = qualifications
            .iter()
            .filter(|q| q.status == FAILURE)
            .count();
        (self.events)(&EngineEvent::Qualified {
            component: component.name().to_string(),
            failures,
        });
        Ok(qualifications)
    }

    /// Recomputes the qualifications of every component of a change set.
    pub async fn qualify_change_set(&self, workspace: &str, change_set: &str) -> Result<()> {
        let (workspace, change_set) = self.change_set(workspace, change_set).await?;
        let components = self.store.list_components(&change_set.id).await?;
        let resources = self.resources_by_component(&workspace).await?;
        for component in components.iter().filter(|c| !c.deleted) {
            self.qualify(&workspace, &change_set, &components, &resources, component)
                .await?;
        }
        Ok(())
    }

    async fn qualify_credential(
        &self,
        workspace: &Workspace,
        components: &[Component],
        component: &Component,
    ) -> Qualification {
        const NAME: &str = "credential";
        let problems = check_domain(AWS_CREDENTIAL, &component.snapshot.domain, &[]);
        if !problems.is_empty() {
            return result(NAME, FAILURE, problems.join("; "));
        }
        // STS accepts calls in any region, so the change set's region is used when it has one.
        let region = components
            .iter()
            .find(|c| c.schema() == REGION && !c.deleted)
            .and_then(|c| crate::builtin::region_of(&c.snapshot.domain))
            .unwrap_or("us-east-1")
            .to_string();
        let session = match self
            .session_for_credential(workspace, component, &region)
            .await
        {
            Ok(session) => session,
            Err(error) => return result(NAME, FAILURE, error.to_string()),
        };
        match session.caller_identity().await {
            Ok(identity) => result(
                NAME,
                SUCCESS,
                format!("valid: account {} as {}", identity.account, identity.arn),
            ),
            Err(error) => result(NAME, FAILURE, error.to_string()),
        }
    }

    fn qualify_resource(
        &self,
        components: &[Component],
        resources: &HashMap<ComponentId, Resource>,
        component: &Component,
    ) -> Vec<Qualification> {
        let schema = match self.registry.get(component.schema()) {
            Ok(schema) => schema,
            Err(error) => return vec![result("schema", FAILURE, error.to_string())],
        };
        let resolver = Resolver {
            components,
            resources,
        };
        let resolved = resolver.resolve(component);
        let pending: Vec<&str> = resolved.pending.iter().map(|s| s.path.as_str()).collect();

        let mut qualifications = vec![schema_qualification(&schema, &resolved.value, &pending)];
        let owns_resource = resources
            .get(&component.id)
            .is_some_and(|resource| resource.identifier.is_some());
        if schema.handlers.create.is_none() && !owns_resource {
            qualifications.push(result(
                "provisionable",
                FAILURE,
                format!(
                    "type {} has no create handler, so Cloud Control cannot create it; import an existing resource with `canopy component import` instead",
                    schema.type_name
                ),
            ));
        }
        qualifications.push(read_only_qualification(&schema, &component.snapshot.domain));
        qualifications.push(match linked_region(components, component) {
            Ok(region) => match self.registry.is_available(component.schema(), &region) {
                Ok(true) => result(
                    "region",
                    SUCCESS,
                    format!("{} is available in {region}", component.schema()),
                ),
                Ok(false) => result(
                    "region",
                    FAILURE,
                    format!(
                        "type {} is not available in region {region}",
                        component.schema()
                    ),
                ),
                Err(error) => result("region", FAILURE, error.to_string()),
            },
            Err(error) => result("region", FAILURE, error.to_string()),
        });
        qualifications.push(
            match crate::session::linked(components, component, AWS_CREDENTIAL) {
                Ok(credential) => {
                    result("credential", SUCCESS, format!("uses {}", credential.name()))
                }
                Err(error) => result("credential", FAILURE, error.to_string()),
            },
        );
        qualifications
    }
}

fn qualify_builtin(component: &Component, regions: &[String]) -> Qualification {
    let problems = check_domain(component.schema(), &component.snapshot.domain, regions);
    if problems.is_empty() {
        result("region", SUCCESS, "valid")
    } else {
        result("region", FAILURE, problems.join("; "))
    }
}

/// Validates the resolved domain; a required property whose value waits on a
/// subscription to a resource not yet created is not reported missing.
fn schema_qualification(
    schema: &canopy_schema::ResourceSchema,
    resolved: &Value,
    pending: &[&str],
) -> Qualification {
    let issues: Vec<String> = schema
        .validate(resolved)
        .into_iter()
        .filter(|issue| !is_pending_required(issue, pending))
        .map(|issue| issue.message)
        .collect();
    let waiting = if pending.is_empty() {
        String::new()
    } else {
        format!(" ({} known after apply)", pending.join(", "))
    };
    if issues.is_empty() {
        result(
            "schema",
            SUCCESS,
            format!("valid against {}{waiting}", schema.type_name),
        )
    } else {
        result("schema", FAILURE, issues.join("; "))
    }
}

fn is_pending_required(issue: &canopy_schema::ValidationIssue, pending: &[&str]) -> bool {
    pending.iter().any(|path| {
        let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
        issue.path == parent && issue.message.contains("required") && issue.message.contains(name)
    })
}

fn read_only_qualification(
    schema: &canopy_schema::ResourceSchema,
    domain: &Value,
) -> Qualification {
    let mut found = Vec::new();
    collect_read_only(schema, domain, &mut Vec::new(), &mut found);
    if found.is_empty() {
        result("read-only", SUCCESS, "no read-only property is set")
    } else {
        result(
            "read-only",
            FAILURE,
            format!(
                "{} {} read-only and set by AWS; remove {}",
                found.join(", "),
                if found.len() == 1 { "is" } else { "are" },
                if found.len() == 1 { "it" } else { "them" }
            ),
        )
    }
}

fn collect_read_only(
    schema: &canopy_schema::ResourceSchema,
    value: &Value,
    path: &mut Vec<Segment>,
    found: &mut Vec<String>,
) {
    if !path.is_empty() && schema.is_read_only(path) {
        found.push(canopy_schema::format_pointer(path));
        return;
    }
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                path.push(Segment::Key(key.clone()));
                collect_read_only(schema, child, path, found);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(Segment::Index(index));
                collect_read_only(schema, child, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}
