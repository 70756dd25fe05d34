//! canopy's services: everything a user does to a workspace, over the store and AWS.
//!
//! The CLI (and later the HTTP server) calls [`Engine`]; the engine keeps the rules:
//! HEAD is never edited directly, every edit recomputes the component's
//! qualifications, a plan compares each component with its last read resource, and
//! apply merges a change set into HEAD and then runs the plan's actions through Cloud
//! Control, recording tokens before each call so an interrupted apply can resume.

mod action;
mod apply;
mod builtin;
mod cancel;
mod components;
mod discover;
mod error;
mod events;
mod import;
mod merge;
mod plan;
mod qualify;
mod refresh;
mod resolve;
mod secrets;
mod session;

pub use apply::{ActionOutcome, ApplyOptions, ApplyReport};
pub use builtin::{AWS_CREDENTIAL, REGION};
pub use components::{ComponentView, NewComponent, ResourceView};
pub use discover::{
    DiscoverReport, DiscoverRequest, DiscoveredResource, FailedResource, SkippedResource,
};
pub use error::{Conflict, EngineError};
pub use events::{EngineEvent, EventSink};
pub use import::{ImportError, ImportRequest};
pub use plan::{ActionKind, Plan, PlannedAction};
pub use refresh::{RefreshReport, RefreshedResource};
pub use secrets::AWS_CREDENTIAL_KIND;

use std::sync::Arc;

use canopy_aws::credentials::OwnIdentity;
use canopy_store::{ChangeSet, Store, Workspace};

/// Result alias for this crate.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// Settings of the engine that do not live in the database.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// canopy's own AWS identity, the source identity for AssumeRole.
    pub own_identity: OwnIdentity,
    /// How many actions run at once during an apply.
    pub concurrency: usize,
    /// Replaces each handler's `timeoutInMinutes` as the deadline of one Cloud Control
    /// request, when set.
    pub request_timeout: Option<std::time::Duration>,
    /// First delay before sending an operation again after a retryable failure; it
    /// doubles with each attempt.
    pub retry_delay: std::time::Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            own_identity: OwnIdentity::default(),
            concurrency: 8,
            request_timeout: None,
            retry_delay: std::time::Duration::from_secs(2),
        }
    }
}

/// The entry point to canopy's services.
#[derive(Clone)]
pub struct Engine {
    store: Store,
    config: EngineConfig,
    events: EventSink,
    registry: &'static canopy_schema::Registry,
    sessions: Arc<session::SessionCache>,
}

impl Engine {
    pub fn new(store: Store, config: EngineConfig) -> Engine {
        Engine {
            store,
            config,
            events: events::discard(),
            registry: canopy_schema::Registry::bundled(),
            sessions: Arc::new(session::SessionCache::default()),
        }
    }

    /// Sends progress events (qualifications, action progress) to `sink`.
    pub fn with_events(mut self, sink: EventSink) -> Engine {
        self.events = sink;
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Gets the workspace and the change set named in it (`HEAD` for HEAD).
    pub async fn change_set(
        &self,
        workspace: &str,
        change_set: &str,
    ) -> Result<(Workspace, ChangeSet)> {
        let workspace = self.store.get_workspace(workspace).await?;
        let change_set = self.store.get_change_set(&workspace.id, change_set).await?;
        Ok((workspace, change_set))
    }

    /// Gets an open change set for editing; HEAD and closed change sets are rejected.
    pub(crate) async fn editable_change_set(
        &self,
        workspace: &str,
        change_set: &str,
    ) -> Result<(Workspace, ChangeSet)> {
        let (workspace, change_set) = self.change_set(workspace, change_set).await?;
        match change_set.status {
            canopy_store::ChangeSetStatus::Open => Ok((workspace, change_set)),
            canopy_store::ChangeSetStatus::Head => Err(EngineError::HeadIsReadOnly),
            status => Err(EngineError::ChangeSetClosed {
                name: change_set.name,
                status: status.as_str().to_string(),
            }),
        }
    }
}
