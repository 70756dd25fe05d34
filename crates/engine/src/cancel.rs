//! Cancelling an action whose Cloud Control request is still in flight.
//!
//! CancelResourceRequest only requests that Cloud Control stop; the request then ends as
//! CANCEL_COMPLETE (or finishes first). The action row keeps its request token, so the
//! next apply resumes it and records the outcome: a cancelled request is a failure.

use canopy_aws::cloudcontrol::OperationStatus;
use canopy_store::{ActionId, ActionRecord};

use crate::{Engine, EngineError, Result};

impl Engine {
    /// Asks Cloud Control to cancel the request of a running or unknown action and
    /// returns the action, whose status the next apply settles.
    pub async fn cancel_action(&self, workspace: &str, action: &str) -> Result<ActionRecord> {
        let workspace = self.store.get_workspace(workspace).await?;
        let record = self
            .store
            .find_action(&ActionId(action.to_string()))
            .await?
            .filter(|record| record.workspace_id == workspace.id)
            .ok_or_else(|| {
                EngineError::invalid(
                    format!("action {action:?}"),
                    "no such action in this workspace",
                )
            })?;
        if record.state != "running" && record.state != "unknown" {
            return Err(EngineError::invalid(
                format!("action {action:?}"),
                format!(
                    "it is {}, and only a request still in flight can be cancelled",
                    record.state
                ),
            ));
        }
        let token = record.request_token.clone().ok_or_else(|| {
            EngineError::invalid(
                format!("action {action:?}"),
                "its request was never accepted by Cloud Control; run the apply again to settle it",
            )
        })?;
        let head = self.store.head(&workspace.id).await?;
        let components = self.store.list_components(&head.id).await?;
        let component = components
            .iter()
            .find(|c| c.id == record.component_id)
            .ok_or_else(|| {
                EngineError::invalid(
                    format!("action {action:?}"),
                    "its component is no longer in HEAD",
                )
            })?;
        let (session, _) = self
            .session_for_component(&workspace, &components, component)
            .await?;
        let event = session
            .cloud_control()
            .cancel_resource_request(&token)
            .await?;
        tracing::info!(action.id = %record.id, request_token = %token, status = ?event.status, "asked Cloud Control to cancel the request");
        if !matches!(
            event.status,
            OperationStatus::CancelInProgress | OperationStatus::CancelComplete
        ) {
            tracing::info!(action.id = %record.id, "the request ended before it could be cancelled");
        }
        Ok(record)
    }
}
