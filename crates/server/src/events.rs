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
use tokio::sync::{broadcast, watch};

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
    /// Set to true to end every open stream.
    closed: Arc<watch::Sender<bool>>,
}

impl Default for EventHub {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(BUFFER);
        let (closed, _) = watch::channel(false);
        EventHub {
            sender,
            sequence: Arc::new(AtomicU64::new(1)),
            closed: Arc::new(closed),
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
    /// one change set (plus the workspace-wide ones). The stream ends when the hub is
    /// closed.
    pub fn stream(
        &self,
        workspace_id: WorkspaceId,
        change_set: Option<String>,
    ) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
        let first = Event::default().data(
            json!({"event": "subscribed", "workspace_id": workspace_id, "change_set": change_set})
                .to_string(),
        );
        let reader = Reader {
            receiver: self.sender.subscribe(),
            closed: self.closed.subscribe(),
            workspace_id,
            change_set,
            first: Some(first),
        };
        let stream = futures_util::stream::unfold(reader, |mut reader| async move {
            let event = reader.next().await?;
            Some((Ok(event), reader))
        });
        Sse::new(stream).keep_alive(KeepAlive::default())
    }

    /// Ends every open stream, so a graceful shutdown does not wait for readers that
    /// never disconnect.
    pub fn close(&self) {
        let _ = self.closed.send(true);
    }
}

/// The state of one open stream.
struct Reader {
    receiver: broadcast::Receiver<Arc<ServerEvent>>,
    closed: watch::Receiver<bool>,
    workspace_id: WorkspaceId,
    change_set: Option<String>,
    first: Option<Event>,
}

impl Reader {
    /// Waits for the next event this stream carries; `None` when the stream ends.
    async fn next(&mut self) -> Option<Event> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        loop {
            if *self.closed.borrow() {
                return None;
            }
            let received = tokio::select! {
                _ = self.closed.changed() => return None,
                received = self.receiver.recv() => received,
            };
            match received {
                Ok(event) => {
                    if !self.wants(&event) {
                        continue;
                    }
                    let sse = Event::default()
                        .id(event.sequence.to_string())
                        .data(envelope(&event).to_string());
                    return Some(sse);
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, workspace.id = %self.workspace_id, "an event stream reader fell behind");
                    let lagged = json!({"event": "lagged", "missed": missed});
                    return Some(Event::default().data(lagged.to_string()));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    fn wants(&self, event: &ServerEvent) -> bool {
        if event.workspace_id != self.workspace_id {
            return false;
        }
        match (&self.change_set, &event.change_set) {
            (Some(wanted), Some(actual)) => wanted == actual,
            _ => true,
        }
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
