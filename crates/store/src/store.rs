//! Opening the database, and the workspace and secret rows.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use rand::RngCore;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use crate::crypto::{SecretKey, Sensitive};
use crate::records::{ChangeSetStatus, SecretInfo, Workspace};
use crate::{Result, StoreError, WorkspaceId, now};

/// The name of the database file in a data directory.
pub const DATABASE_FILE: &str = "canopy.db";
/// The name of the secret key file in a data directory.
pub const KEY_FILE: &str = "secret.key";
/// Bytes of randomness in a workspace token: 256 bits.
const TOKEN_BYTES: usize = 32;

/// canopy's state, in one SQLite database.
#[derive(Clone)]
pub struct Store {
    pub(crate) pool: SqlitePool,
    pub(crate) key: SecretKey,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the store in a data directory: `canopy.db`, with the
    /// secret key from `CANOPY_SECRET_KEY` or `secret.key` beside it.
    pub async fn open_dir(data_dir: &Path) -> Result<Store> {
        let create_error = |e: std::io::Error| {
            StoreError::Key(format!(
                "cannot create data directory {}: {e}",
                data_dir.display()
            ))
        };
        if !data_dir.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            // The database holds resource models and domains that may carry sensitive
            // values, so a new data directory is private to its owner.
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder.create(data_dir).map_err(create_error)?;
        }
        let key = SecretKey::load_or_create(&data_dir.join(KEY_FILE))?;
        let database = data_dir.join(DATABASE_FILE);
        if !database.exists() {
            // SQLite gives its WAL and shared-memory files the database file's mode.
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            options.open(&database).map_err(create_error)?;
        }
        Store::open(&database, key).await
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub async fn open(path: &Path, key: SecretKey) -> Result<Store> {
        let open_error = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(open_error)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(open_error)?;
        crate::migrations::migrator().await?.run(&pool).await?;
        Ok(Store {
            pool,
            key,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates a workspace with a fresh token and its HEAD. Returns the token once.
    pub async fn create_workspace(&self, name: &str) -> Result<(Workspace, Sensitive<String>)> {
        if self.find_workspace(name).await?.is_some() {
            return Err(StoreError::AlreadyExists {
                kind: "workspace",
                name: name.to_string(),
            });
        }
        let workspace = Workspace {
            id: WorkspaceId::new(),
            name: name.to_string(),
            created_at: now(),
        };
        let token = generate_token();
        let sealed = self
            .key
            .seal(&token_context(&workspace.id), token.expose().as_bytes());
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO workspaces (id, name, token_sealed, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(workspace.id.as_str())
        .bind(&workspace.name)
        .bind(sealed)
        .bind(&workspace.created_at)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO change_sets (id, workspace_id, name, status, base_revision, created_at) \
             VALUES (?, ?, 'HEAD', ?, 0, ?)",
        )
        .bind(crate::ChangeSetId::new().as_str())
        .bind(workspace.id.as_str())
        .bind(ChangeSetStatus::Head.as_str())
        .bind(&workspace.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(workspace.id = %workspace.id, workspace.name = %workspace.name, "created workspace");
        Ok((workspace, token))
    }

    pub async fn list_workspaces(&self) -> Result<Vec<Workspace>> {
        let rows = sqlx::query("SELECT id, name, created_at FROM workspaces ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(workspace_from_row).collect())
    }

    /// Finds a workspace by name or id.
    pub async fn find_workspace(&self, name_or_id: &str) -> Result<Option<Workspace>> {
        let row =
            sqlx::query("SELECT id, name, created_at FROM workspaces WHERE name = ? OR id = ?")
                .bind(name_or_id)
                .bind(name_or_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.as_ref().map(workspace_from_row))
    }

    /// Gets a workspace by name or id, failing when there is none.
    pub async fn get_workspace(&self, name_or_id: &str) -> Result<Workspace> {
        self.find_workspace(name_or_id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "workspace",
                name: name_or_id.to_string(),
                hint: "; run `canopy workspace list` to see the workspaces".to_string(),
            })
    }

    /// Decrypts the workspace token.
    pub async fn workspace_token(&self, workspace: &WorkspaceId) -> Result<Sensitive<String>> {
        let row = sqlx::query("SELECT token_sealed FROM workspaces WHERE id = ?")
            .bind(workspace.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("workspace", workspace.as_str()))?;
        let sealed: Vec<u8> = row.get(0);
        let plain = self.key.open(&token_context(workspace), &sealed)?;
        let text = String::from_utf8(plain.into_inner()).map_err(|_| StoreError::Decrypt {
            what: "workspace token".to_string(),
        })?;
        Ok(Sensitive::new(text))
    }

    /// Replaces the workspace token with a fresh one and returns it.
    pub async fn rotate_workspace_token(
        &self,
        workspace: &WorkspaceId,
    ) -> Result<Sensitive<String>> {
        let token = generate_token();
        let sealed = self
            .key
            .seal(&token_context(workspace), token.expose().as_bytes());
        let done = sqlx::query("UPDATE workspaces SET token_sealed = ? WHERE id = ?")
            .bind(sealed)
            .bind(workspace.as_str())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("workspace", workspace.as_str()));
        }
        tracing::info!(workspace.id = %workspace, "rotated workspace token");
        Ok(token)
    }

    /// Stores a new secret, sealed. Fails if the name is taken in the workspace.
    pub async fn create_secret(
        &self,
        workspace: &WorkspaceId,
        name: &str,
        kind: &str,
        plaintext: &[u8],
    ) -> Result<SecretInfo> {
        if self.find_secret(workspace, name).await?.is_some() {
            return Err(StoreError::AlreadyExists {
                kind: "secret",
                name: name.to_string(),
            });
        }
        let id = crate::SecretId::new();
        let created = now();
        let sealed = self.key.seal(&secret_context(workspace, &id), plaintext);
        sqlx::query(
            "INSERT INTO secrets (id, workspace_id, name, kind, sealed, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.as_str())
        .bind(workspace.as_str())
        .bind(name)
        .bind(kind)
        .bind(sealed)
        .bind(&created)
        .bind(&created)
        .execute(&self.pool)
        .await?;
        tracing::info!(workspace.id = %workspace, secret.id = %id, secret.kind = kind, "created secret");
        Ok(SecretInfo {
            id,
            workspace_id: workspace.clone(),
            name: name.to_string(),
            kind: kind.to_string(),
            created_at: created.clone(),
            updated_at: created,
        })
    }

    pub async fn list_secrets(&self, workspace: &WorkspaceId) -> Result<Vec<SecretInfo>> {
        let rows = sqlx::query(
            "SELECT id, workspace_id, name, kind, created_at, updated_at FROM secrets \
             WHERE workspace_id = ? ORDER BY name",
        )
        .bind(workspace.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(secret_from_row).collect())
    }

    /// Finds a secret of the workspace by name or id.
    pub async fn find_secret(
        &self,
        workspace: &WorkspaceId,
        name_or_id: &str,
    ) -> Result<Option<SecretInfo>> {
        let row = sqlx::query(
            "SELECT id, workspace_id, name, kind, created_at, updated_at FROM secrets \
             WHERE workspace_id = ? AND (name = ? OR id = ?)",
        )
        .bind(workspace.as_str())
        .bind(name_or_id)
        .bind(name_or_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(secret_from_row))
    }

    /// Replaces a secret's value, sealed anew, and returns the secret with its new
    /// update time.
    pub async fn update_secret(&self, secret: &SecretInfo, plaintext: &[u8]) -> Result<SecretInfo> {
        let updated = now();
        let sealed = self
            .key
            .seal(&secret_context(&secret.workspace_id, &secret.id), plaintext);
        let done = sqlx::query(
            "UPDATE secrets SET sealed = ?, updated_at = ? WHERE id = ? AND workspace_id = ?",
        )
        .bind(sealed)
        .bind(&updated)
        .bind(secret.id.as_str())
        .bind(secret.workspace_id.as_str())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("secret", &secret.name));
        }
        tracing::info!(workspace.id = %secret.workspace_id, secret.id = %secret.id, "updated secret");
        Ok(SecretInfo {
            updated_at: updated,
            ..secret.clone()
        })
    }

    /// Decrypts a secret's value.
    pub async fn read_secret(&self, secret: &SecretInfo) -> Result<Sensitive<Vec<u8>>> {
        let row = sqlx::query("SELECT sealed FROM secrets WHERE id = ? AND workspace_id = ?")
            .bind(secret.id.as_str())
            .bind(secret.workspace_id.as_str())
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::not_found("secret", &secret.name))?;
        let sealed: Vec<u8> = row.get(0);
        self.key
            .open(&secret_context(&secret.workspace_id, &secret.id), &sealed)
    }
}

fn generate_token() -> Sensitive<String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    Sensitive::new(format!("cnp_{encoded}"))
}

fn token_context(workspace: &WorkspaceId) -> String {
    format!("workspace-token:{workspace}")
}

fn secret_context(workspace: &WorkspaceId, secret: &crate::SecretId) -> String {
    format!("secret:{workspace}:{secret}")
}

fn workspace_from_row(row: &sqlx::sqlite::SqliteRow) -> Workspace {
    Workspace {
        id: WorkspaceId(row.get("id")),
        name: row.get("name"),
        created_at: row.get("created_at"),
    }
}

fn secret_from_row(row: &sqlx::sqlite::SqliteRow) -> SecretInfo {
    SecretInfo {
        id: crate::SecretId(row.get("id")),
        workspace_id: WorkspaceId(row.get("workspace_id")),
        name: row.get("name"),
        kind: row.get("kind"),
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
    }
}
