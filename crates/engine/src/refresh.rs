//! Refresh: read every resource of HEAD with GetResource and record what AWS holds.
//!
//! A resource that is gone is forgotten, so the next plan creates it again; one that
//! differs from its component's domain shows the difference as drift.

use canopy_core::PropertyChange;
use serde::Serialize;

use crate::builtin::is_builtin;
use crate::resolve::Resolver;
use crate::{Engine, Result};

/// The outcome of refreshing one resource.
#[derive(Debug, Clone, Serialize)]
pub struct RefreshedResource {
    pub component: String,
    pub type_name: String,
    pub identifier: String,
    /// ok, gone or error
    pub status: String,
    pub drift: Vec<PropertyChange>,
    pub message: Option<String>,
}

/// The result of a refresh.
#[derive(Debug, Clone, Serialize)]
pub struct RefreshReport {
    pub resources: Vec<RefreshedResource>,
}

impl Engine {
    /// Reads every resource that HEAD's components own.
    pub async fn refresh(&self, workspace: &str) -> Result<RefreshReport> {
        let workspace = self.store.get_workspace(workspace).await?;
        let head = self.store.head(&workspace.id).await?;
        let components = self.store.list_components(&head.id).await?;
        let mut resources = self.resources_by_component(&workspace).await?;
        let mut report = RefreshReport {
            resources: Vec::new(),
        };

        for component in components.iter().filter(|c| !is_builtin(c.schema())) {
            let Some(mut resource) = resources.get(&component.id).cloned() else {
                continue;
            };
            let Some(identifier) = resource.identifier.clone() else {
                continue;
            };
            let mut entry = RefreshedResource {
                component: component.name().to_string(),
                type_name: component.schema().to_string(),
                identifier: identifier.clone(),
                status: "ok".into(),
                drift: Vec::new(),
                message: None,
            };
            let read = match self
                .session_for_component(&workspace, &components, component)
                .await
            {
                Ok((session, _)) => session
                    .cloud_control()
                    .get_resource(component.schema(), &identifier)
                    .await
                    .map_err(|e| e.to_string()),
                Err(error) => Err(error.to_string()),
            };
            match read {
                Ok(None) => {
                    tracing::info!(component.id = %component.id, %identifier, "resource is gone; forgetting it");
                    self.store
                        .remove_resource(&workspace.id, &component.id)
                        .await?;
                    resources.remove(&component.id);
                    entry.status = "gone".into();
                    entry.message =
                        Some("the resource no longer exists; the next plan creates it".into());
                }
                Ok(Some(description)) => {
                    resource.properties = Some(description.properties);
                    resource.refreshed_at = Some(chrono::Utc::now().to_rfc3339());
                    if resource.status == "unknown" || resource.status == "creating" {
                        resource.status = "ok".into();
                    }
                    self.store.put_resource(&resource).await?;
                    resources.insert(component.id.clone(), resource);
                }
                Err(message) => {
                    entry.status = "error".into();
                    entry.message = Some(message);
                }
            }
            report.resources.push(entry);
        }

        // Drift is computed once every resource is read, so subscriptions resolve to
        // fresh values.
        let resolver = Resolver {
            components: &components,
            resources: &resources,
        };
        for entry in report.resources.iter_mut().filter(|e| e.status == "ok") {
            let Some(component) = components.iter().find(|c| c.name() == entry.component) else {
                continue;
            };
            let Some(resource) = resources.get(&component.id) else {
                continue;
            };
            let Ok(schema) = self.registry.get(component.schema()) else {
                continue;
            };
            let desired = resolver.resolve(component).value;
            let remote = resource.properties.clone().unwrap_or_default();
            entry.drift = canopy_core::diff_resource(&canopy_core::DiffInput {
                schema: &schema,
                desired: &desired,
                remote: &remote,
                last_applied: resource.last_applied.as_ref(),
            })
            .changes;
        }
        Ok(report)
    }
}
