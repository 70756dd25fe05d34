//! Bearer tokens of the HTTP API.
//!
//! The store keeps each token's id, scope and role, and a hash of its secret part that
//! the caller computes: the token itself is never stored. An administrator token has
//! no workspace and reaches every workspace; every other token belongs to one
//! workspace and has the role view, edit or apply.

use std::fmt;

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use crate::{Result, Store, StoreError, WorkspaceId, now};

/// An API token's id: 32 lowercase hex digits, the public part of the token.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiTokenId(pub String);

impl ApiTokenId {
    pub fn new() -> Self {
        ApiTokenId(uuid::Uuid::new_v4().simple().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ApiTokenId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ApiTokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The permission level of a token. Each role includes the ones before it: view <
/// edit < apply < admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenRole {
    /// Read the workspace.
    View,
    /// Also edit change sets, components and secrets.
    Edit,
    /// Also apply change sets, which runs actions against AWS.
    Apply,
    /// Everything in every workspace, and creating workspaces and tokens.
    Admin,
}

impl TokenRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenRole::View => "view",
            TokenRole::Edit => "edit",
            TokenRole::Apply => "apply",
            TokenRole::Admin => "admin",
        }
    }

    /// Parses a role name; `None` for an unknown one.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "view" => Some(TokenRole::View),
            "edit" => Some(TokenRole::Edit),
            "apply" => Some(TokenRole::Apply),
            "admin" => Some(TokenRole::Admin),
            _ => None,
        }
    }
}

/// An API token without its secret part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    pub id: ApiTokenId,
    /// `None` for an administrator token.
    pub workspace_id: Option<WorkspaceId>,
    pub role: TokenRole,
    pub name: String,
    pub created_at: String,
    /// When the token was last accepted; updated at most once a minute.
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl ApiToken {
    pub fn is_admin(&self) -> bool {
        self.role == TokenRole::Admin
    }

    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

const TOKEN_COLUMNS: &str = "id, workspace_id, role, name, created_at, last_used_at, revoked_at";

impl Store {
    /// Inserts an administrator token with the hash of its secret part.
    pub async fn insert_admin_token(&self, name: &str, secret_hash: &[u8]) -> Result<ApiToken> {
        self.insert_api_token(None, TokenRole::Admin, name, secret_hash)
            .await
    }

    /// Inserts a token of one workspace with the hash of its secret part.
    ///
    /// Panics if `role` is [`TokenRole::Admin`]: administrator tokens belong to no
    /// workspace, so callers check the role first.
    pub async fn insert_workspace_token(
        &self,
        workspace: &WorkspaceId,
        role: TokenRole,
        name: &str,
        secret_hash: &[u8],
    ) -> Result<ApiToken> {
        assert!(
            role != TokenRole::Admin,
            "a workspace token cannot have the admin role"
        );
        self.insert_api_token(Some(workspace), role, name, secret_hash)
            .await
    }

    async fn insert_api_token(
        &self,
        workspace: Option<&WorkspaceId>,
        role: TokenRole,
        name: &str,
        secret_hash: &[u8],
    ) -> Result<ApiToken> {
        let token = ApiToken {
            id: ApiTokenId::new(),
            workspace_id: workspace.cloned(),
            role,
            name: name.to_string(),
            created_at: now(),
            last_used_at: None,
            revoked_at: None,
        };
        sqlx::query(
            "INSERT INTO api_tokens (id, workspace_id, role, name, secret_hash, created_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(token.id.as_str())
        .bind(workspace.map(WorkspaceId::as_str))
        .bind(role.as_str())
        .bind(name)
        .bind(secret_hash)
        .bind(&token.created_at)
        .execute(&self.pool)
        .await?;
        tracing::info!(api_token.id = %token.id, api_token.role = role.as_str(), workspace.id = ?workspace.map(WorkspaceId::as_str), "created API token");
        Ok(token)
    }

    /// Finds a token by id, with the stored hash of its secret part, revoked or not.
    pub async fn find_api_token(&self, id: &str) -> Result<Option<(ApiToken, Vec<u8>)>> {
        let row = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS}, secret_hash FROM api_tokens WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => Ok(Some((token_from_row(&row)?, row.get("secret_hash")))),
            None => Ok(None),
        }
    }

    /// Lists the tokens of one workspace, or every token when `workspace` is `None`,
    /// oldest first.
    pub async fn list_api_tokens(&self, workspace: Option<&WorkspaceId>) -> Result<Vec<ApiToken>> {
        let rows = match workspace {
            Some(workspace) => {
                sqlx::query(&format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE workspace_id = ? ORDER BY created_at, id"
                ))
                .bind(workspace.as_str())
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at, id"))
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(token_from_row).collect()
    }

    /// Marks a token revoked, so it is rejected from now on. Revoking a revoked token
    /// keeps its first revocation time.
    pub async fn revoke_api_token(&self, id: &str) -> Result<ApiToken> {
        sqlx::query("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?")
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        let (token, _) = self
            .find_api_token(id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "API token",
                name: id.to_string(),
                hint: String::new(),
            })?;
        tracing::info!(api_token.id = %token.id, "revoked API token");
        Ok(token)
    }

    /// Counts the administrator tokens that are not revoked.
    pub async fn count_admin_tokens(&self) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get(0))
    }

    /// Records that a token was accepted. Writes at most once a minute per token, so
    /// reading the API does not write the database on every request.
    pub async fn touch_api_token(&self, id: &ApiTokenId) -> Result<()> {
        let now = chrono::Utc::now();
        let cutoff = (now - chrono::Duration::minutes(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
        )
        .bind(now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .bind(id.as_str())
        .bind(cutoff)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn token_from_row(row: &SqliteRow) -> Result<ApiToken> {
    let role: String = row.get("role");
    let role = serde_json::from_value(serde_json::Value::String(role))
        .map_err(StoreError::corrupt("API token role"))?;
    Ok(ApiToken {
        id: ApiTokenId(row.get("id")),
        workspace_id: row
            .get::<Option<String>, _>("workspace_id")
            .map(WorkspaceId),
        role,
        name: row.get("name"),
        created_at: row.get("created_at"),
        last_used_at: row.get("last_used_at"),
        revoked_at: row.get("revoked_at"),
    })
}
