//! Progress events the engine reports while it works, for the CLI's output and, later,
//! the server's live updates.

use std::sync::Arc;

use serde::Serialize;

/// Something that happened during an engine operation.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EngineEvent {
    /// An action started, or moved to a new Cloud Control status.
    ActionProgress {
        component: String,
        kind: String,
        status: String,
        request_token: Option<String>,
        identifier: Option<String>,
        message: Option<String>,
    },
    /// An action finished.
    ActionFinished {
        component: String,
        kind: String,
        state: String,
        message: Option<String>,
    },
    /// A component's qualifications were recomputed.
    Qualified { component: String, failures: usize },
}

/// Receives engine events; must not block.
pub type EventSink = Arc<dyn Fn(&EngineEvent) + Send + Sync>;

pub(crate) fn discard() -> EventSink {
    Arc::new(|_| {})
}
