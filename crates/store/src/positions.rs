//! Canvas positions of components, for the web UI.

use serde::Serialize;
use sqlx::Row;

use crate::{ComponentId, Result, Store, WorkspaceId, now};

/// Where a component's card sits on the canvas, in CSS pixels at zoom 1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentPosition {
    pub component_id: ComponentId,
    pub x: f64,
    pub y: f64,
}

impl Store {
    pub async fn list_positions(&self, workspace: &WorkspaceId) -> Result<Vec<ComponentPosition>> {
        let rows = sqlx::query(
            "SELECT component_id, x, y FROM component_positions WHERE workspace_id = ? \
             ORDER BY component_id",
        )
        .bind(workspace.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| ComponentPosition {
                component_id: ComponentId(row.get("component_id")),
                x: row.get("x"),
                y: row.get("y"),
            })
            .collect())
    }

    /// Inserts or replaces the position of a component's card.
    pub async fn put_position(
        &self,
        workspace: &WorkspaceId,
        position: &ComponentPosition,
    ) -> Result<()> {
        sqlx::query(
            "INSERT OR REPLACE INTO component_positions (workspace_id, component_id, x, y, updated_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(workspace.as_str())
        .bind(position.component_id.as_str())
        .bind(position.x)
        .bind(position.y)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
