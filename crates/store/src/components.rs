//! Change sets, the components each holds, and their qualifications.

use serde_json::Value;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::records::{ChangeSet, ChangeSetStatus, Component, ComponentSnapshot, Qualification};
use crate::{ChangeSetId, ComponentId, Result, Store, StoreError, WorkspaceId, now};

const CHANGE_SET_COLUMNS: &str =
    "id, workspace_id, name, status, base_revision, created_at, applied_at";
const COMPONENT_COLUMNS: &str = "change_set_id, id, name, schema, domain, subscriptions, \
     region_id, credential_id, deleted, base, updated_at";

impl Store {
    /// Returns the workspace's HEAD.
    pub async fn head(&self, workspace: &WorkspaceId) -> Result<ChangeSet> {
        let row = sqlx::query(&format!(
            "SELECT {CHANGE_SET_COLUMNS} FROM change_sets WHERE workspace_id = ? AND status = 'head'"
        ))
        .bind(workspace.as_str())
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::not_found("HEAD of workspace", workspace.as_str()))?;
        Ok(change_set_from_row(&row))
    }

    /// Creates an open change set holding a copy of every HEAD component, each with
    /// HEAD's version as its merge base.
    pub async fn create_change_set(
        &self,
        workspace: &WorkspaceId,
        name: &str,
    ) -> Result<ChangeSet> {
        if name.eq_ignore_ascii_case("HEAD") {
            return Err(StoreError::AlreadyExists {
                kind: "change set",
                name: name.to_string(),
            });
        }
        if self.find_change_set(workspace, name).await?.is_some() {
            return Err(StoreError::AlreadyExists {
                kind: "change set",
                name: name.to_string(),
            });
        }
        let head = self.head(workspace).await?;
        let change_set = ChangeSet {
            id: ChangeSetId::new(),
            workspace_id: workspace.clone(),
            name: name.to_string(),
            status: ChangeSetStatus::Open,
            base_revision: head.base_revision,
            created_at: now(),
            applied_at: None,
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO change_sets (id, workspace_id, name, status, base_revision, created_at) \
             VALUES (?, ?, ?, 'open', ?, ?)",
        )
        .bind(change_set.id.as_str())
        .bind(workspace.as_str())
        .bind(name)
        .bind(change_set.base_revision)
        .bind(&change_set.created_at)
        .execute(&mut *tx)
        .await?;
        let head_components = sqlx::query(&format!(
            "SELECT {COMPONENT_COLUMNS} FROM components WHERE change_set_id = ? AND deleted = 0"
        ))
        .bind(head.id.as_str())
        .fetch_all(&mut *tx)
        .await?;
        for row in &head_components {
            let mut component = component_from_row(row)?;
            component.change_set_id = change_set.id.clone();
            component.base = Some(component.snapshot.clone());
            insert_component(&mut tx, &component).await?;
        }
        // The copies start with HEAD's qualifications, so nothing shows as unchecked.
        sqlx::query(
            "INSERT INTO qualifications (change_set_id, component_id, name, status, message, updated_at) \
             SELECT ?, q.component_id, q.name, q.status, q.message, q.updated_at FROM qualifications q \
             JOIN components c ON c.change_set_id = q.change_set_id AND c.id = q.component_id \
             WHERE q.change_set_id = ? AND c.deleted = 0",
        )
        .bind(change_set.id.as_str())
        .bind(head.id.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(workspace.id = %workspace, change_set.id = %change_set.id, change_set.name = name, "created change set");
        Ok(change_set)
    }

    pub async fn list_change_sets(&self, workspace: &WorkspaceId) -> Result<Vec<ChangeSet>> {
        let rows = sqlx::query(&format!(
            "SELECT {CHANGE_SET_COLUMNS} FROM change_sets WHERE workspace_id = ? ORDER BY created_at"
        ))
        .bind(workspace.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(change_set_from_row).collect())
    }

    /// Finds a change set by name (open ones and HEAD) or by id (any status).
    pub async fn find_change_set(
        &self,
        workspace: &WorkspaceId,
        name_or_id: &str,
    ) -> Result<Option<ChangeSet>> {
        let row = sqlx::query(&format!(
            "SELECT {CHANGE_SET_COLUMNS} FROM change_sets WHERE workspace_id = ? AND \
             (id = ? OR (name = ? AND status IN ('head', 'open'))) ORDER BY created_at DESC LIMIT 1"
        ))
        .bind(workspace.as_str())
        .bind(name_or_id)
        .bind(name_or_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(change_set_from_row))
    }

    /// Gets a change set by name or id, failing when there is none.
    pub async fn get_change_set(
        &self,
        workspace: &WorkspaceId,
        name_or_id: &str,
    ) -> Result<ChangeSet> {
        if let Some(change_set) = self.find_change_set(workspace, name_or_id).await? {
            return Ok(change_set);
        }
        // Names resolve to open change sets only, so a closed change set of that name gets its own message.
        let closed = sqlx::query(
            "SELECT status FROM change_sets WHERE workspace_id = ? AND name = ? ORDER BY created_at DESC LIMIT 1",
        )
        .bind(workspace.as_str())
        .bind(name_or_id)
        .fetch_optional(&self.pool)
        .await?;
        let hint = match closed.map(|row| row.get::<String, _>("status")) {
            Some(status) => format!(
                "; a change set of that name is {status}, and only open change sets can be edited or applied: create a new one with `canopy change-set create`"
            ),
            None => "; run `canopy change-set list` to see open change sets".to_string(),
        };
        Err(StoreError::NotFound {
            kind: "open change set",
            name: name_or_id.to_string(),
            hint,
        })
    }

    pub async fn set_change_set_status(
        &self,
        id: &ChangeSetId,
        status: ChangeSetStatus,
    ) -> Result<()> {
        let applied_at = (status == ChangeSetStatus::Applied).then(now);
        sqlx::query(
            "UPDATE change_sets SET status = ?, applied_at = COALESCE(?, applied_at) WHERE id = ?",
        )
        .bind(status.as_str())
        .bind(applied_at)
        .bind(id.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn list_components(&self, change_set: &ChangeSetId) -> Result<Vec<Component>> {
        let rows = sqlx::query(&format!(
            "SELECT {COMPONENT_COLUMNS} FROM components WHERE change_set_id = ? ORDER BY name"
        ))
        .bind(change_set.as_str())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(component_from_row).collect()
    }

    /// Finds a component of a change set by name or id.
    pub async fn find_component(
        &self,
        change_set: &ChangeSetId,
        name_or_id: &str,
    ) -> Result<Option<Component>> {
        let row = sqlx::query(&format!(
            "SELECT {COMPONENT_COLUMNS} FROM components WHERE change_set_id = ? AND (name = ? OR id = ?)"
        ))
        .bind(change_set.as_str())
        .bind(name_or_id)
        .bind(name_or_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(component_from_row).transpose()
    }

    /// Gets a component by name or id, failing when there is none.
    pub async fn get_component(
        &self,
        change_set: &ChangeSetId,
        name_or_id: &str,
    ) -> Result<Component> {
        self.find_component(change_set, name_or_id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "component",
                name: name_or_id.to_string(),
                hint: "; run `canopy component list --change-set NAME` to see the components"
                    .to_string(),
            })
    }

    /// Inserts a new component.
    pub async fn insert_component(&self, component: &Component) -> Result<()> {
        if self
            .find_component(&component.change_set_id, component.name())
            .await?
            .is_some()
        {
            return Err(StoreError::AlreadyExists {
                kind: "component",
                name: component.name().to_string(),
            });
        }
        let mut tx = self.pool.begin().await?;
        insert_component(&mut tx, component).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes a component's editable fields and deletion mark.
    pub async fn update_component(&self, component: &Component) -> Result<()> {
        sqlx::query(
            "UPDATE components SET name = ?, schema = ?, domain = ?, subscriptions = ?, \
             region_id = ?, credential_id = ?, deleted = ?, updated_at = ? \
             WHERE change_set_id = ? AND id = ?",
        )
        .bind(component.name())
        .bind(component.schema())
        .bind(component.snapshot.domain.to_string())
        .bind(component.snapshot.subscriptions.to_string())
        .bind(component.snapshot.region_id.as_ref().map(|id| id.0.clone()))
        .bind(
            component
                .snapshot
                .credential_id
                .as_ref()
                .map(|id| id.0.clone()),
        )
        .bind(component.deleted)
        .bind(now())
        .bind(component.change_set_id.as_str())
        .bind(component.id.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes a component row from a change set (for components the change set added).
    pub async fn remove_component(&self, change_set: &ChangeSetId, id: &ComponentId) -> Result<()> {
        sqlx::query("DELETE FROM components WHERE change_set_id = ? AND id = ?")
            .bind(change_set.as_str())
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM qualifications WHERE change_set_id = ? AND component_id = ?")
            .bind(change_set.as_str())
            .bind(id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Writes a merged change set into HEAD in one transaction: upserts `merged`, marks
    /// `removed` deleted, bumps HEAD's revision and marks the change set applied.
    pub async fn merge_into_head(
        &self,
        change_set: &ChangeSet,
        merged: &[Component],
        removed: &[ComponentId],
    ) -> Result<()> {
        let head = self.head(&change_set.workspace_id).await?;
        let mut tx = self.pool.begin().await?;
        for component in merged {
            sqlx::query("DELETE FROM components WHERE change_set_id = ? AND id = ?")
                .bind(head.id.as_str())
                .bind(component.id.as_str())
                .execute(&mut *tx)
                .await?;
            let mut row = component.clone();
            row.change_set_id = head.id.clone();
            row.base = None;
            row.deleted = false;
            insert_component(&mut tx, &row).await?;
        }
        // A removed component stays in HEAD, marked deleted, until the action that
        // deletes its resource succeeds: that action needs its links and region.
        for id in removed {
            sqlx::query("UPDATE components SET deleted = 1 WHERE change_set_id = ? AND id = ?")
                .bind(head.id.as_str())
                .bind(id.as_str())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE change_sets SET base_revision = base_revision + 1 WHERE id = ?")
            .bind(head.id.as_str())
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE change_sets SET status = 'applied', applied_at = ? WHERE id = ?")
            .bind(now())
            .bind(change_set.id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the qualifications of a component in a change set.
    pub async fn set_qualifications(
        &self,
        change_set: &ChangeSetId,
        component: &ComponentId,
        qualifications: &[Qualification],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM qualifications WHERE change_set_id = ? AND component_id = ?")
            .bind(change_set.as_str())
            .bind(component.as_str())
            .execute(&mut *tx)
            .await?;
        let updated = now();
        for qualification in qualifications {
            sqlx::query(
                "INSERT INTO qualifications (change_set_id, component_id, name, status, message, updated_at) \
                 VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(change_set.as_str())
            .bind(component.as_str())
            .bind(&qualification.name)
            .bind(&qualification.status)
            .bind(&qualification.message)
            .bind(&updated)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Copies the qualifications of the given components from one change set to
    /// another, replacing what the target had for them.
    pub async fn copy_qualifications(
        &self,
        from: &ChangeSetId,
        to: &ChangeSetId,
        components: &[ComponentId],
    ) -> Result<()> {
        for component in components {
            let qualifications = self.list_qualifications(from, component).await?;
            self.set_qualifications(to, component, &qualifications)
                .await?;
        }
        Ok(())
    }

    pub async fn list_qualifications(
        &self,
        change_set: &ChangeSetId,
        component: &ComponentId,
    ) -> Result<Vec<Qualification>> {
        let rows = sqlx::query(
            "SELECT name, status, message FROM qualifications \
             WHERE change_set_id = ? AND component_id = ? ORDER BY name",
        )
        .bind(change_set.as_str())
        .bind(component.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|row| Qualification {
                name: row.get("name"),
                status: row.get("status"),
                message: row.get("message"),
            })
            .collect())
    }
}

async fn insert_component(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    component: &Component,
) -> Result<()> {
    let base = component
        .base
        .as_ref()
        .map(|base| serde_json::to_string(base).expect("a component snapshot serializes"));
    sqlx::query(&format!(
        "INSERT INTO components ({COMPONENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(component.change_set_id.as_str())
    .bind(component.id.as_str())
    .bind(component.name())
    .bind(component.schema())
    .bind(component.snapshot.domain.to_string())
    .bind(component.snapshot.subscriptions.to_string())
    .bind(component.snapshot.region_id.as_ref().map(|id| id.0.clone()))
    .bind(
        component
            .snapshot
            .credential_id
            .as_ref()
            .map(|id| id.0.clone()),
    )
    .bind(component.deleted)
    .bind(base)
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn change_set_from_row(row: &SqliteRow) -> ChangeSet {
    ChangeSet {
        id: ChangeSetId(row.get("id")),
        workspace_id: WorkspaceId(row.get("workspace_id")),
        name: row.get("name"),
        status: ChangeSetStatus::parse(row.get("status")),
        base_revision: row.get("base_revision"),
        created_at: row.get("created_at"),
        applied_at: row.get("applied_at"),
    }
}

pub(crate) fn parse_json(what: &str, text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(StoreError::corrupt(what))
}

fn component_from_row(row: &SqliteRow) -> Result<Component> {
    let name: String = row.get("name");
    let base: Option<String> = row.get("base");
    let base = base
        .map(|text| {
            serde_json::from_str(&text).map_err(StoreError::corrupt(format!("base of {name}")))
        })
        .transpose()?;
    Ok(Component {
        id: ComponentId(row.get("id")),
        change_set_id: ChangeSetId(row.get("change_set_id")),
        snapshot: ComponentSnapshot {
            schema: row.get("schema"),
            domain: parse_json(&format!("domain of {name}"), row.get("domain"))?,
            subscriptions: parse_json(
                &format!("subscriptions of {name}"),
                row.get("subscriptions"),
            )?,
            region_id: row.get::<Option<String>, _>("region_id").map(ComponentId),
            credential_id: row
                .get::<Option<String>, _>("credential_id")
                .map(ComponentId),
            name,
        },
        deleted: row.get("deleted"),
        base,
        updated_at: row.get("updated_at"),
    })
}
