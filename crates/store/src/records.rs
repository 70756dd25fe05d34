//! The rows the store reads and writes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{ActionId, ChangeSetId, ComponentId, SecretId, WorkspaceId};

/// A workspace: an isolated model of infrastructure with its own token.
#[derive(Debug, Clone, Serialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: String,
}

/// A secret's name, kind and times, readable without decrypting it.
#[derive(Debug, Clone, Serialize)]
pub struct SecretInfo {
    pub id: SecretId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub kind: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The stage of a change set's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeSetStatus {
    /// The applied state; never edited directly.
    Head,
    Open,
    Applied,
    Abandoned,
}

impl ChangeSetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeSetStatus::Head => "head",
            ChangeSetStatus::Open => "open",
            ChangeSetStatus::Applied => "applied",
            ChangeSetStatus::Abandoned => "abandoned",
        }
    }

    pub(crate) fn parse(text: &str) -> Self {
        match text {
            "head" => ChangeSetStatus::Head,
            "open" => ChangeSetStatus::Open,
            "applied" => ChangeSetStatus::Applied,
            _ => ChangeSetStatus::Abandoned,
        }
    }
}

/// A change set, or HEAD.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeSet {
    pub id: ChangeSetId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub status: ChangeSetStatus,
    /// For HEAD, how many change sets it has taken in; for another change set, HEAD's
    /// revision when it was created.
    pub base_revision: i64,
    pub created_at: String,
    pub applied_at: Option<String>,
}

/// The editable part of a component, also kept as the merge base of a change set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentSnapshot {
    pub name: String,
    pub schema: String,
    pub domain: Value,
    pub subscriptions: Value,
    pub region_id: Option<ComponentId>,
    pub credential_id: Option<ComponentId>,
}

/// A component as stored in one change set.
#[derive(Debug, Clone, Serialize)]
pub struct Component {
    pub id: ComponentId,
    pub change_set_id: ChangeSetId,
    #[serde(flatten)]
    pub snapshot: ComponentSnapshot,
    /// True when this change set deletes the component.
    pub deleted: bool,
    /// The component as HEAD held it when the change set was created; `None` for a
    /// component the change set added.
    pub base: Option<ComponentSnapshot>,
    pub updated_at: String,
}

impl Component {
    pub fn name(&self) -> &str {
        &self.snapshot.name
    }

    pub fn schema(&self) -> &str {
        &self.snapshot.schema
    }
}

/// The result of one qualification of a component.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Qualification {
    pub name: String,
    /// success, warning or failure
    pub status: String,
    pub message: String,
}

/// The record of the real resource a component owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub workspace_id: WorkspaceId,
    pub component_id: ComponentId,
    pub type_name: String,
    pub region: String,
    pub identifier: Option<String>,
    /// creating, ok, failed, unknown or deleting
    pub status: String,
    /// The model last read with GetResource.
    pub properties: Option<Value>,
    /// The desired properties last applied successfully.
    pub last_applied: Option<Value>,
    pub message: Option<String>,
    pub refreshed_at: Option<String>,
    pub updated_at: String,
}

/// One action run against AWS, with the tokens needed to resume it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionRecord {
    pub id: ActionId,
    pub workspace_id: WorkspaceId,
    pub change_set_id: ChangeSetId,
    pub component_id: ComponentId,
    pub component_name: String,
    /// create, update, replace, delete or refresh
    pub kind: String,
    /// The Cloud Control operation in flight: CREATE, UPDATE or DELETE.
    pub operation: Option<String>,
    /// queued, running, succeeded, failed, skipped or unknown
    pub state: String,
    pub patch: Option<Value>,
    pub client_token: Option<String>,
    pub request_token: Option<String>,
    pub identifier: Option<String>,
    pub attempts: i64,
    pub message: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}
