//! Resources the components own, and the actions run against AWS.

use serde_json::Value;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::components::parse_json;
use crate::records::{ActionRecord, Resource};
use crate::{ActionId, ChangeSetId, ComponentId, Result, Store, WorkspaceId, now};

const RESOURCE_COLUMNS: &str = "workspace_id, component_id, type_name, region, identifier, status, \
     properties, last_applied, message, refreshed_at, updated_at";
const ACTION_COLUMNS: &str = "id, workspace_id, change_set_id, component_id, component_name, kind, \
     operation, state, patch, client_token, request_token, identifier, attempts, message, \
     created_at, updated_at";

impl Store {
    pub async fn find_resource(
        &self,
        workspace: &WorkspaceId,
        component: &ComponentId,
    ) -> Result<Option<Resource>> {
        let row = sqlx::query(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE workspace_id = ? AND component_id = ?"
        ))
        .bind(workspace.as_str())
        .bind(component.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(resource_from_row).transpose()
    }

    pub async fn list_resources(&self, workspace: &WorkspaceId) -> Result<Vec<Resource>> {
        let rows = sqlx::query(&format!(
            "SELECT {RESOURCE_COLUMNS} FROM resources WHERE workspace_id = ?"
        ))
        .bind(workspace.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(resource_from_row).collect()
    }

    /// Inserts or replaces the resource record of a component.
    pub async fn put_resource(&self, resource: &Resource) -> Result<()> {
        sqlx::query(&format!(
            "INSERT OR REPLACE INTO resources ({RESOURCE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(resource.workspace_id.as_str())
        .bind(resource.component_id.as_str())
        .bind(&resource.type_name)
        .bind(&resource.region)
        .bind(&resource.identifier)
        .bind(&resource.status)
        .bind(resource.properties.as_ref().map(Value::to_string))
        .bind(resource.last_applied.as_ref().map(Value::to_string))
        .bind(&resource.message)
        .bind(&resource.refreshed_at)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a component's resource, after it was deleted or found gone.
    pub async fn remove_resource(
        &self,
        workspace: &WorkspaceId,
        component: &ComponentId,
    ) -> Result<()> {
        sqlx::query("DELETE FROM resources WHERE workspace_id = ? AND component_id = ?")
            .bind(workspace.as_str())
            .bind(component.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Inserts or updates an action. The engine calls this before every Cloud Control
    /// call and after every status change, so the row always holds the tokens in use.
    pub async fn put_action(&self, action: &ActionRecord) -> Result<()> {
        sqlx::query(&format!(
            "INSERT OR REPLACE INTO actions ({ACTION_COLUMNS}) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(action.id.as_str())
        .bind(action.workspace_id.as_str())
        .bind(action.change_set_id.as_str())
        .bind(action.component_id.as_str())
        .bind(&action.component_name)
        .bind(&action.kind)
        .bind(&action.operation)
        .bind(&action.state)
        .bind(action.patch.as_ref().map(Value::to_string))
        .bind(&action.client_token)
        .bind(&action.request_token)
        .bind(&action.identifier)
        .bind(action.attempts)
        .bind(&action.message)
        .bind(&action.created_at)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Lists a workspace's actions, newest last, optionally only those in the given states.
    pub async fn list_actions(
        &self,
        workspace: &WorkspaceId,
        states: &[&str],
    ) -> Result<Vec<ActionRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM actions WHERE workspace_id = ? ORDER BY created_at, rowid"
        ))
        .bind(workspace.as_str())
        .fetch_all(&self.pool)
        .await?;
        let actions = rows
            .iter()
            .map(action_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(actions
            .into_iter()
            .filter(|action| states.is_empty() || states.contains(&action.state.as_str()))
            .collect())
    }

    pub async fn list_change_set_actions(
        &self,
        change_set: &ChangeSetId,
    ) -> Result<Vec<ActionRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM actions WHERE change_set_id = ? ORDER BY created_at, rowid"
        ))
        .bind(change_set.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(action_from_row).collect()
    }

    pub async fn find_action(&self, id: &ActionId) -> Result<Option<ActionRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {ACTION_COLUMNS} FROM actions WHERE id = ?"
        ))
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(action_from_row).transpose()
    }
}

fn resource_from_row(row: &SqliteRow) -> Result<Resource> {
    let json = |column: &str| -> Result<Option<Value>> {
        row.get::<Option<String>, _>(column)
            .map(|text| parse_json(&format!("resource {column}"), &text))
            .transpose()
    };
    Ok(Resource {
        workspace_id: WorkspaceId(row.get("workspace_id")),
        component_id: ComponentId(row.get("component_id")),
        type_name: row.get("type_name"),
        region: row.get("region"),
        identifier: row.get("identifier"),
        status: row.get("status"),
        properties: json("properties")?,
        last_applied: json("last_applied")?,
        message: row.get("message"),
        refreshed_at: row.get("refreshed_at"),
        updated_at: row.get("updated_at"),
    })
}

fn action_from_row(row: &SqliteRow) -> Result<ActionRecord> {
    Ok(ActionRecord {
        id: ActionId(row.get("id")),
        workspace_id: WorkspaceId(row.get("workspace_id")),
        change_set_id: ChangeSetId(row.get("change_set_id")),
        component_id: ComponentId(row.get("component_id")),
        component_name: row.get("component_name"),
        kind: row.get("kind"),
        operation: row.get("operation"),
        state: row.get("state"),
        patch: row
            .get::<Option<String>, _>("patch")
            .map(|text| parse_json("action patch", &text))
            .transpose()?,
        client_token: row.get("client_token"),
        request_token: row.get("request_token"),
        identifier: row.get("identifier"),
        attempts: row.get("attempts"),
        message: row.get("message"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    })
}
