//! Live updates: the engine's events and the server's own, fanned out to each
//! workspace's server-sent event stream.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::response::sse::{Event, KeepAlive, Sse};
use canopy_engine::{EngineEvent, EventSink};
use canopy_store::WorkspaceId;
use futures_util::Stream;
use serde_json::{Value, json};
use tokio::sync::broadcast;

/// Events kept for slow readers; a reader that falls further behind gets a `lagged`
/// event and should reload what it shows.
const BUFFER: usize = 1024;

/// One event, tagged with where it happened.
#[derive(Debug)]
pub struct ServerEvent {
    pub sequence: u64,
    pub workspace_id: WorkspaceId,
    /// The change set the event belongs to, by name; `None` for workspace-wide events.
    pub change_set: Option<String>,
    /// A JSON object whose `event` field names the kind.
    pub data: Value,
}

/// Fans events out to every open stream.
#[derive(Clone)]
pub struct EventHub {
    sender: broadcast::Sender<Arc<ServerEvent>>,
    sequence: Arc<AtomicU64>,
}

impl Default for EventHub {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(BUFFER);
        EventHub {
            sender,
            sequence: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl EventHub {
    /// Publishes an event; without readers it is dropped.
    pub fn publish(&self, workspace_id: &WorkspaceId, change_set: Option<&str>, data: Value) {
        let event = ServerEvent {
            sequence: self.sequence.fetch_add(1, Ordering::Relaxed),
            workspace_id: workspace_id.clone(),
            change_set: change_set.map(str::to_string),
            data,
        };
        let _ = self.sender.send(Arc::new(event));
    }

    /// Returns an engine event sink that publishes into this hub, tagged with the
    /// workspace and change set the engine is working on.
    pub fn sink(&self, workspace_id: &WorkspaceId, change_set: &str) -> EventSink {
        let hub = self.clone();
        let workspace_id = workspace_id.clone();
        let change_set = change_set.to_string();
        Arc::new(move |event: &EngineEvent| {
            let data = serde_json::to_value(event).unwrap_or_else(
                |error| json!({"event": "unserializable", "detail": error.to_string()}),
            );
            hub.publish(&workspace_id, Some(&change_set), data);
        })
    }

    /// Opens a server-sent event stream of one workspace, optionally only the events of
    /// one change set (plus the workspace-wide ones).
    pub fn stream(
        &self,
        workspace_id: WorkspaceId,
        change_set: Option<String>,
    ) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
        let receiver = self.sender.subscribe();
        let first = Event::default().data(
            json!({"event": "subscribed", "workspace_id": workspace_id, "change_set": change_set})
                .to_string(),
        );
        let state = (receiver, workspace_id, change_set, Some(first));
        let stream = futures_util::stream::unfold(
            state,
            |(mut receiver, workspace_id, change_set, first)| async move {
                if let Some(first) = first {
                    return Some((Ok(first), (receiver, workspace_id, change_set, None)));
                }
                loop {
                    match receiver.recv().await {
                        Ok(event) => {
                            if event.workspace_id != workspace_id {
                                continue;
                            }
                            if let (Some(wanted), Some(actual)) = (&change_set, &event.change_set)
                                && wanted != actual
                            {
                                continue;
                            }
                            let sse = Event::default()
                                .id(event.sequence.to_string())
                                .data(envelope(&event).to_string());
                            return Some((Ok(sse), (receiver, workspace_id, change_set, None)));
                        }
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            tracing::warn!(missed, workspace.id = %workspace_id, "an event stream reader fell behind");
                            let sse = Event::default()
                                .data(json!({"event": "lagged", "missed": missed}).to_string());
                            return Some((Ok(sse), (receiver, workspace_id, change_set, None)));
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        );
        Sse::new(stream).keep_alive(KeepAlive::default())
    }
}

/// Builds the JSON of one event as a stream sends it: the event's fields plus its
/// workspace and change set.
fn envelope(event: &ServerEvent) -> Value {
    let mut data = event.data.clone();
    if let Some(object) = data.as_object_mut() {
        object.insert("workspace_id".into(), json!(event.workspace_id));
        object.insert("change_set".into(), json!(event.change_set));
    }
    data
}
