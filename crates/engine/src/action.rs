//! Running one action against Cloud Control, and resuming one an earlier apply left in
//! flight.
//!
//! Before each Cloud Control call the action row is written with a fresh ClientToken;
//! right after the call it gets the RequestToken. A process killed at any point
//! therefore leaves either a client token (sent again: Cloud Control returns the same
//! request for the same token) or a request token (polled again). Nothing is sent
//! twice with different tokens unless the earlier request finished FAILED with a
//! retryable code and nothing was created.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use canopy_aws::cloudcontrol::{
    CloudControl, ErrorKind, OperationStatus, ProgressEvent, WaitOutcome, new_client_token,
};
use canopy_core::{DiffAction, DiffInput, diff_resource};
use canopy_schema::{Operation as SchemaOperation, ReplacementStrategy, ResourceSchema};
use canopy_store::{ActionId, ActionRecord, ChangeSet, Component, Resource, Workspace};
use serde_json::{Value, json};

use crate::apply::ActionOutcome;
use crate::events::EngineEvent;
use crate::plan::{ActionKind, PlannedAction};
use crate::resolve::{Resolver, subscriptions_of};
use crate::{Engine, EngineError, Result};

/// Times one operation is sent after retryable FAILED results, including the first.
const MAX_SENDS: i64 = 5;
/// How long an apply waits for a request an earlier apply left in flight, unless the
/// user set a request timeout.
const RESUME_WAIT: Duration = Duration::from_secs(60);
/// Times a call is repeated while another request on the resource is in flight.
const MAX_CONCURRENT_WAITS: u32 = 10;
/// Times a call is sent again, with the same client token, after the SDK's own retries
/// for throttling ran out.
const MAX_THROTTLED_RESENDS: u32 = 10;

/// A Cloud Control operation with its payload.
#[derive(Debug, Clone)]
enum Call {
    /// `replaces` names the resource a create_then_delete replacement deletes once the
    /// create succeeds; it is kept in the action row so a resumed create deletes it too.
    Create {
        desired: Value,
        replaces: Option<String>,
    },
    Update {
        identifier: String,
        patch: Value,
        desired: Value,
    },
    Delete {
        identifier: String,
    },
}

impl Call {
    fn operation(&self) -> &'static str {
        match self {
            Call::Create { .. } => "CREATE",
            Call::Update { .. } => "UPDATE",
            Call::Delete { .. } => "DELETE",
        }
    }

    /// Returns the payload kept in the action row, enough to send the call again.
    fn payload(&self) -> Value {
        match self {
            Call::Create {
                desired,
                replaces: None,
            } => json!({"DesiredState": desired}),
            Call::Create {
                desired,
                replaces: Some(old),
            } => json!({"DesiredState": desired, "Replaces": old}),
            Call::Update {
                identifier,
                patch,
                desired,
            } => {
                json!({"Identifier": identifier, "PatchDocument": patch, "DesiredState": desired})
            }
            Call::Delete { identifier } => json!({"Identifier": identifier}),
        }
    }

    fn from_record(operation: &str, payload: &Value) -> Option<Call> {
        let identifier = || {
            payload
                .get("Identifier")
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        match operation {
            "CREATE" => Some(Call::Create {
                desired: payload.get("DesiredState")?.clone(),
                replaces: payload
                    .get("Replaces")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            }),
            "UPDATE" => Some(Call::Update {
                identifier: identifier()?,
                patch: payload.get("PatchDocument")?.clone(),
                desired: payload.get("DesiredState")?.clone(),
            }),
            "DELETE" => Some(Call::Delete {
                identifier: identifier()?,
            }),
            _ => None,
        }
    }
}

/// The outcome of a Cloud Control call.
enum Finish {
    Success(ProgressEvent),
    /// Failed; the identifier of anything left behind, and whether sending the
    /// operation again may succeed.
    Failed {
        message: String,
        identifier: Option<String>,
        retryable: bool,
    },
    /// The deadline passed; the request may still finish.
    Unknown {
        message: String,
    },
}

/// One action's context: its row, client and schema.
struct Run<'a> {
    engine: &'a Engine,
    record: ActionRecord,
    client: CloudControl,
    schema: std::sync::Arc<ResourceSchema>,
    workspace: &'a Workspace,
    region: String,
    /// HEAD's components when the apply started.
    components: Arc<Vec<Component>>,
    /// True when finishing a request an earlier apply left in flight.
    resuming: bool,
}

impl Engine {
    /// Runs one planned action to its end and returns how it ended.
    pub(crate) async fn run_action(
        &self,
        workspace: &Workspace,
        change_set: &ChangeSet,
        action: PlannedAction,
        components: Arc<Vec<Component>>,
    ) -> ActionOutcome {
        let record = ActionRecord {
            id: ActionId::new(),
            workspace_id: workspace.id.clone(),
            change_set_id: change_set.id.clone(),
            component_id: action.component_id.clone(),
            component_name: action.component.clone(),
            kind: action.kind.as_str().to_string(),
            operation: None,
            state: "queued".into(),
            patch: None,
            client_token: None,
            request_token: None,
            identifier: action.identifier.clone(),
            attempts: 0,
            message: None,
            created_at: canopy_store_now(),
            updated_at: String::new(),
        };
        match self
            .prepare(workspace, &action, record.clone(), components)
            .await
        {
            Ok(mut run) => {
                let result = run.execute(&action).await;
                run.finish(result).await
            }
            Err(error) => {
                let mut record = record;
                record.state = "failed".into();
                record.message = Some(error.to_string());
                let _ = self.store.put_action(&record).await;
                outcome(&record)
            }
        }
    }

    async fn prepare<'a>(
        &'a self,
        workspace: &'a Workspace,
        action: &PlannedAction,
        record: ActionRecord,
        components: Arc<Vec<Component>>,
    ) -> Result<Run<'a>> {
        let component = components
            .iter()
            .find(|c| c.id == action.component_id)
            .ok_or_else(|| {
                EngineError::invalid(
                    format!("component {:?}", action.component),
                    "it is no longer in HEAD",
                )
            })?;
        let (session, region) = self
            .session_for_component(workspace, &components, component)
            .await?;
        let schema = self.registry.get(&action.type_name)?;
        self.store.put_action(&record).await?;
        Ok(Run {
            engine: self,
            record,
            client: session.cloud_control(),
            schema,
            workspace,
            region,
            components,
            resuming: false,
        })
    }

    /// Finishes every action an earlier apply left running or unknown.
    pub(crate) async fn resume_in_flight(
        &self,
        workspace: &Workspace,
    ) -> Result<Vec<ActionOutcome>> {
        let mut outcomes = Vec::new();
        for record in self
            .store
            .list_actions(&workspace.id, &["running", "unknown"])
            .await?
        {
            tracing::info!(action.id = %record.id, component = %record.component_name, request_token = ?record.request_token, "resuming action");
            outcomes.push(self.resume(workspace, record).await);
        }
        Ok(outcomes)
    }

    async fn resume(&self, workspace: &Workspace, record: ActionRecord) -> ActionOutcome {
        let call = record
            .operation
            .as_deref()
            .zip(record.patch.as_ref())
            .and_then(|(operation, payload)| Call::from_record(operation, payload));
        let head = match self.store.head(&workspace.id).await {
            Ok(head) => head,
            Err(error) => return failed_outcome(record, error.to_string()),
        };
        let components = self
            .store
            .list_components(&head.id)
            .await
            .unwrap_or_default();
        let Some(component) = components
            .iter()
            .find(|c| c.id == record.component_id)
            .cloned()
        else {
            return failed_outcome(record, "its component is no longer in HEAD".into());
        };
        let session = match self
            .session_for_component(workspace, &components, &component)
            .await
        {
            Ok(session) => session,
            Err(error) => return failed_outcome(record, error.to_string()),
        };
        let schema = match self.registry.get(component.schema()) {
            Ok(schema) => schema,
            Err(error) => return failed_outcome(record, error.to_string()),
        };
        let mut run = Run {
            engine: self,
            record,
            client: session.0.cloud_control(),
            schema,
            workspace,
            region: session.1,
            components: Arc::new(components),
            resuming: true,
        };
        let Some(call) = call else {
            let message =
                "no Cloud Control call was recorded; the action never started".to_string();
            return run.finish(Err(message)).await;
        };
        // The row may still be "unknown" from the earlier run. Resetting it lets a definite
        // FAILED or CANCEL_COMPLETE end the action as failed instead of unknown forever.
        run.record.state = "running".into();
        let finish = match run.record.request_token.clone() {
            Some(token) => run.wait(&call, &token).await,
            // Killed between recording the client token and the response: the same
            // token makes Cloud Control return the request it already has.
            None => run.send_with_token(&call).await,
        };
        let mut result = run.settle(&component, &call, finish).await;
        if let (
            Ok(()),
            Call::Create {
                replaces: Some(old),
                ..
            },
        ) = (&result, &call)
        {
            result = run.delete_replaced(old.clone()).await;
        }
        run.finish(result).await
    }
}

/// Returns the component and every live component its subscriptions reach, directly or
/// through other producers.
fn producers_of<'a>(components: &'a [Component], component: &'a Component) -> Vec<&'a Component> {
    let mut reached = vec![component];
    let mut index = 0;
    while index < reached.len() {
        let sources = subscriptions_of(reached[index]).unwrap_or_default();
        index += 1;
        for source in sources {
            let producer = components
                .iter()
                .find(|c| c.name() == source.source && !c.deleted);
            if let Some(producer) = producer
                && !reached.iter().any(|c| c.id == producer.id)
            {
                reached.push(producer);
            }
        }
    }
    reached
}

fn canopy_store_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn outcome(record: &ActionRecord) -> ActionOutcome {
    ActionOutcome {
        component: record.component_name.clone(),
        kind: record.kind.clone(),
        state: record.state.clone(),
        identifier: record.identifier.clone(),
        request_token: record.request_token.clone(),
        message: record.message.clone(),
    }
}

fn failed_outcome(mut record: ActionRecord, message: String) -> ActionOutcome {
    record.state = "failed".into();
    record.message = Some(message);
    outcome(&record)
}

impl Run<'_> {
    async fn save(&mut self) {
        if let Err(error) = self.engine.store.put_action(&self.record).await {
            tracing::error!(action.id = %self.record.id, %error, "cannot record action state");
        }
    }

    fn progress(&self, event: &ProgressEvent) {
        (self.engine.events)(&EngineEvent::ActionProgress {
            component: self.record.component_name.clone(),
            kind: self.record.kind.clone(),
            status: format!("{:?}", event.status),
            request_token: Some(event.request_token.clone()),
            identifier: event.identifier.clone(),
            message: event.status_message.clone(),
        });
    }

    /// Returns the component, its resource as recorded now and its desired properties.
    ///
    /// Only the resources of the component and of the producers its subscriptions reach
    /// are loaded, so the rows an action reads do not grow with the workspace.
    async fn current(&self) -> Result<(Component, Option<Resource>, Value)> {
        let components = self.components.as_slice();
        let component = components
            .iter()
            .find(|c| c.id == self.record.component_id)
            .cloned()
            .ok_or_else(|| EngineError::invalid("component", "it is no longer in HEAD"))?;
        let mut resources = HashMap::new();
        for related in producers_of(components, &component) {
            if let Some(resource) = self
                .engine
                .store
                .find_resource(&self.workspace.id, &related.id)
                .await?
            {
                resources.insert(related.id.clone(), resource);
            }
        }
        let resource = resources.get(&component.id).cloned();
        let desired = Resolver {
            components,
            resources: &resources,
        }
        .resolve(&component)
        .value;
        Ok((component, resource, desired))
    }

    /// Executes the action; returns the final message on failure.
    async fn execute(&mut self, action: &PlannedAction) -> std::result::Result<(), String> {
        let (component, resource, desired) = self.current().await.map_err(|e| e.to_string())?;
        match action.kind {
            ActionKind::Create => self.create(&component, desired, None).await,
            ActionKind::Delete => {
                let identifier = resource
                    .and_then(|r| r.identifier)
                    .ok_or("the resource has no identifier")?;
                self.delete(&component, identifier).await
            }
            ActionKind::Update => {
                let resource =
                    resource.ok_or("the resource is gone; run `canopy refresh` and plan again")?;
                let remote = resource.properties.clone().unwrap_or(json!({}));
                let diff = diff_resource(&DiffInput {
                    schema: &self.schema,
                    desired: &desired,
                    remote: &remote,
                    last_applied: resource.last_applied.as_ref(),
                });
                match diff.action() {
                    DiffAction::NoChange => Ok(()),
                    DiffAction::Replace => self.replace(&component, resource, desired).await,
                    DiffAction::Update => {
                        let identifier = resource
                            .identifier
                            .clone()
                            .ok_or("the resource has no identifier")?;
                        let call = Call::Update {
                            identifier,
                            patch: diff.patch_document(),
                            desired,
                        };
                        let finish = self.send(&call).await;
                        self.settle(&component, &call, finish).await
                    }
                }
            }
            ActionKind::Replace => {
                let resource =
                    resource.ok_or("the resource is gone; run `canopy refresh` and plan again")?;
                self.replace(&component, resource, desired).await
            }
        }
    }

    async fn create(
        &mut self,
        component: &Component,
        desired: Value,
        replaces: Option<String>,
    ) -> std::result::Result<(), String> {
        // The resource being replaced still exists until the create succeeds, so its
        // record stays.
        if replaces.is_none() {
            self.put_resource(component, None, "creating", None, None, None)
                .await;
        }
        let call = Call::Create { desired, replaces };
        let finish = self.send(&call).await;
        self.settle(component, &call, finish).await
    }

    async fn delete(
        &mut self,
        component: &Component,
        identifier: String,
    ) -> std::result::Result<(), String> {
        let call = Call::Delete { identifier };
        let finish = self.send(&call).await;
        self.settle(component, &call, finish).await
    }

    /// Replaces a resource in the order its schema names.
    // NOTE: resources that subscribe to this one are replaced after it, so AWS may
    // reject deleting a producer that consumers still use (a VPC with subnets).
    async fn replace(
        &mut self,
        component: &Component,
        resource: Resource,
        desired: Value,
    ) -> std::result::Result<(), String> {
        let old = resource
            .identifier
            .clone()
            .ok_or("the resource has no identifier")?;
        match self.schema.replacement_strategy {
            ReplacementStrategy::DeleteThenCreate => {
                self.delete(component, old).await?;
                self.create(component, desired, None).await
            }
            ReplacementStrategy::CreateThenDelete => {
                self.create(component, desired, Some(old.clone())).await?;
                self.delete_replaced(old).await
            }
        }
    }

    /// Deletes the resource a create_then_delete replacement replaced, keeping the
    /// component's record of the new one.
    async fn delete_replaced(&mut self, old: String) -> std::result::Result<(), String> {
        let call = Call::Delete {
            identifier: old.clone(),
        };
        match self.send(&call).await {
            Finish::Success(_) => Ok(()),
            Finish::Failed { message, .. } | Finish::Unknown { message } => Err(format!(
                "created the replacement, but deleting the old resource {old} failed: {message}"
            )),
        }
    }

    fn deadline(&self, call: &Call) -> tokio::time::Instant {
        let operation = match call {
            Call::Create { .. } => SchemaOperation::Create,
            Call::Update { .. } => SchemaOperation::Update,
            Call::Delete { .. } => SchemaOperation::Delete,
        };
        let handler = Duration::from_secs(u64::from(self.schema.timeout_minutes(operation)) * 60);
        // A request an earlier apply left running gets a short look: if it is still
        // running, it stays unknown and the rest of the apply goes on without it.
        let default = if self.resuming {
            RESUME_WAIT.min(handler)
        } else {
            handler
        };
        let timeout = self.engine.config.request_timeout.unwrap_or(default);
        tokio::time::Instant::now() + timeout
    }

    /// Sends a call with a fresh client token, again after retryable FAILED results
    /// once it is clear nothing was created.
    async fn send(&mut self, call: &Call) -> Finish {
        loop {
            self.record.client_token = Some(new_client_token());
            self.record.request_token = None;
            self.record.attempts += 1;
            let finish = self.send_with_token(call).await;
            let Finish::Failed {
                message,
                identifier,
                retryable,
            } = &finish
            else {
                return finish;
            };
            if !retryable || self.record.attempts >= MAX_SENDS {
                return finish;
            }
            // A create that failed may still have made the resource: look for it by the
            // identifier the event named, or the one the desired state spells out.
            let left_behind = match call {
                Call::Create { desired, .. } => identifier
                    .clone()
                    .or_else(|| self.schema.identifier_of(desired)),
                _ => None,
            };
            if let Some(identifier) = left_behind
                && self.exists(&identifier).await
            {
                // The failed create left a resource behind: never create again over it.
                return Finish::Failed {
                    message: format!(
                        "{message}; resource {identifier} exists and is kept, marked failed"
                    ),
                    identifier: Some(identifier),
                    retryable: false,
                };
            }
            let delay = retry_delay(self.engine.config.retry_delay, self.record.attempts);
            tracing::warn!(action.id = %self.record.id, attempt = self.record.attempts, %message, "retrying after a retryable failure");
            tokio::time::sleep(delay).await;
        }
    }
}

impl Run<'_> {
    /// Records the client token, sends the call, records the request token and waits.
    async fn send_with_token(&mut self, call: &Call) -> Finish {
        let token = self
            .record
            .client_token
            .get_or_insert_with(new_client_token)
            .clone();
        self.record.operation = Some(call.operation().to_string());
        self.record.patch = Some(call.payload());
        self.record.state = "running".into();
        self.save().await;

        let mut waits = 0;
        let mut resends = 0;
        let event = loop {
            let type_name = self.schema.type_name.clone();
            let sent = match call {
                Call::Create { desired, .. } => {
                    self.client
                        .create_resource(&type_name, desired, &token)
                        .await
                }
                Call::Update {
                    identifier, patch, ..
                } => {
                    self.client
                        .update_resource(&type_name, identifier, patch, &token)
                        .await
                }
                Call::Delete { identifier } => {
                    self.client
                        .delete_resource(&type_name, identifier, &token)
                        .await
                }
            };
            match sent {
                Ok(event) => break event,
                Err(error)
                    if error.kind() == ErrorKind::ConcurrentOperation
                        && waits < MAX_CONCURRENT_WAITS =>
                {
                    waits += 1;
                    tracing::info!(action.id = %self.record.id, "another request on the resource is in flight; waiting");
                    tokio::time::sleep(retry_delay(
                        self.engine.config.retry_delay,
                        i64::from(waits),
                    ))
                    .await;
                }
                Err(error)
                    if error.kind() == ErrorKind::Throttling && resends < MAX_THROTTLED_RESENDS =>
                {
                    // The same client token names the same request, so sending again
                    // cannot create the resource twice.
                    resends += 1;
                    tracing::warn!(action.id = %self.record.id, %error, "throttled after the SDK's retries; sending again with the same client token");
                    tokio::time::sleep(retry_delay(
                        self.engine.config.retry_delay,
                        i64::from(resends),
                    ))
                    .await;
                }
                Err(error)
                    if error.kind() == ErrorKind::NotFound
                        && matches!(call, Call::Delete { .. }) =>
                {
                    // Already gone: the goal of a delete is met.
                    return Finish::Success(ProgressEvent {
                        type_name,
                        identifier: None,
                        request_token: String::new(),
                        operation: canopy_aws::cloudcontrol::Operation::Delete,
                        status: OperationStatus::Success,
                        event_time: None,
                        resource_model: None,
                        status_message: Some("the resource was already gone".into()),
                        error_code: None,
                        retry_after: None,
                    });
                }
                Err(error) => {
                    return Finish::Failed {
                        message: error.to_string(),
                        identifier: None,
                        retryable: false,
                    };
                }
            }
        };
        self.record.request_token = Some(event.request_token.clone());
        if event.identifier.is_some() {
            self.record.identifier = event.identifier.clone();
        }
        self.save().await;
        self.progress(&event);
        let token = event.request_token.clone();
        self.wait(call, &token).await
    }

    /// Polls a request until it ends or its deadline passes.
    async fn wait(&mut self, call: &Call, request_token: &str) -> Finish {
        let deadline = self.deadline(call);
        let engine = self.engine;
        let name = self.record.component_name.clone();
        let kind = self.record.kind.clone();
        let outcome = self
            .client
            .wait_for_request(request_token, deadline, |event| {
                (engine.events)(&EngineEvent::ActionProgress {
                    component: name.clone(),
                    kind: kind.clone(),
                    status: format!("{:?}", event.status),
                    request_token: Some(event.request_token.clone()),
                    identifier: event.identifier.clone(),
                    message: event.status_message.clone(),
                });
            })
            .await;
        let event = match outcome {
            Ok(WaitOutcome::Finished(event)) => event,
            Ok(WaitOutcome::TimedOut(event)) => {
                return Finish::Unknown {
                    message: format!(
                        "request {} was still {:?} at the deadline; its outcome is unknown. Run `canopy change-set apply --resume` to pick it up",
                        event.request_token, event.status
                    ),
                };
            }
            Err(error) => {
                return Finish::Unknown {
                    message: format!(
                        "cannot read the status of request {request_token}: {error}. Run `canopy change-set apply --resume` to pick it up"
                    ),
                };
            }
        };
        if event.identifier.is_some() {
            self.record.identifier = event.identifier.clone();
        }
        match event.status {
            OperationStatus::Success => Finish::Success(event),
            OperationStatus::CancelComplete => Finish::Failed {
                message: format!("request {} was cancelled", event.request_token),
                identifier: event.identifier,
                retryable: false,
            },
            _ => {
                let code = event
                    .error_code
                    .as_ref()
                    .map(|c| c.as_str().to_string())
                    .unwrap_or_default();
                Finish::Failed {
                    message: format!(
                        "{} failed ({code}): {}",
                        call.operation(),
                        event.status_message.clone().unwrap_or_default()
                    ),
                    retryable: event.error_code.as_ref().is_some_and(|c| c.is_retryable()),
                    identifier: event.identifier,
                }
            }
        }
    }

    async fn exists(&self, identifier: &str) -> bool {
        matches!(
            self.client
                .get_resource(&self.schema.type_name, identifier)
                .await,
            Ok(Some(_)) | Err(_)
        )
    }

    /// Records what a finished call means for the resource.
    async fn settle(
        &mut self,
        component: &Component,
        call: &Call,
        finish: Finish,
    ) -> std::result::Result<(), String> {
        match (call, finish) {
            (_, Finish::Unknown { message }) => {
                self.record.state = "unknown".into();
                Err(message)
            }
            (Call::Delete { identifier }, Finish::Success(_)) => {
                // A resumed delete of a replaced resource must keep the replacement.
                let recorded = self
                    .engine
                    .store
                    .find_resource(&self.workspace.id, &component.id)
                    .await;
                let replaced = matches!(recorded, Ok(Some(r)) if r.identifier.as_ref().is_some_and(|id| id != identifier));
                if !replaced {
                    self.forget_resource(component).await;
                }
                Ok(())
            }
            (
                Call::Create { desired, .. } | Call::Update { desired, .. },
                Finish::Success(event),
            ) => {
                let identifier = event
                    .identifier
                    .clone()
                    .or_else(|| self.record.identifier.clone())
                    .ok_or("Cloud Control reported success without an identifier")?;
                let properties = self.read(&identifier).await;
                self.put_resource(
                    component,
                    Some(identifier),
                    "ok",
                    properties,
                    Some(desired.clone()),
                    None,
                )
                .await;
                Ok(())
            }
            (
                Call::Create {
                    replaces: Some(old),
                    ..
                },
                Finish::Failed {
                    message,
                    identifier,
                    ..
                },
            ) => {
                // The resource being replaced still exists and stays recorded.
                Err(match identifier {
                    Some(left) => format!(
                        "{message}; the failed replacement left {left} behind, and {old} is kept"
                    ),
                    None => format!("{message}; {old} is kept"),
                })
            }
            (
                Call::Create { desired, .. },
                Finish::Failed {
                    message,
                    identifier: Some(identifier),
                    ..
                },
            ) => {
                // A failed create that named a resource keeps it, marked failed.
                let properties = self.read(&identifier).await;
                if properties.is_some() {
                    self.put_resource(
                        component,
                        Some(identifier),
                        "failed",
                        properties,
                        Some(desired.clone()),
                        Some(message.clone()),
                    )
                    .await;
                } else {
                    self.forget_resource(component).await;
                }
                Err(message)
            }
            (
                Call::Create { .. },
                Finish::Failed {
                    message,
                    identifier: None,
                    ..
                },
            ) => {
                self.forget_resource(component).await;
                Err(message)
            }
            (_, Finish::Failed { message, .. }) => Err(message),
        }
    }

    async fn read(&self, identifier: &str) -> Option<Value> {
        match self
            .client
            .get_resource(&self.schema.type_name, identifier)
            .await
        {
            Ok(Some(description)) => Some(description.properties),
            Ok(None) => None,
            Err(error) => {
                tracing::warn!(%identifier, %error, "cannot read the resource after its request finished");
                None
            }
        }
    }

    async fn put_resource(
        &self,
        component: &Component,
        identifier: Option<String>,
        status: &str,
        properties: Option<Value>,
        last_applied: Option<Value>,
        message: Option<String>,
    ) {
        let resource = Resource {
            workspace_id: self.workspace.id.clone(),
            component_id: component.id.clone(),
            type_name: self.schema.type_name.clone(),
            region: self.region.clone(),
            identifier,
            status: status.to_string(),
            properties,
            last_applied,
            message,
            refreshed_at: Some(canopy_store_now()),
            updated_at: String::new(),
        };
        if let Err(error) = self.engine.store.put_resource(&resource).await {
            tracing::error!(component.id = %component.id, %error, "cannot record the resource");
        }
    }

    async fn forget_resource(&self, component: &Component) {
        if let Err(error) = self
            .engine
            .store
            .remove_resource(&self.workspace.id, &component.id)
            .await
        {
            tracing::error!(component.id = %component.id, %error, "cannot forget the resource");
        }
        if component.deleted {
            let head = self.engine.store.head(&self.workspace.id).await;
            if let Ok(head) = head {
                let _ = self
                    .engine
                    .store
                    .remove_component(&head.id, &component.id)
                    .await;
            }
        }
    }

    /// Writes the final state of the action and returns its outcome.
    async fn finish(&mut self, result: std::result::Result<(), String>) -> ActionOutcome {
        match result {
            Ok(()) => {
                self.record.state = "succeeded".into();
                self.record.message = None;
            }
            Err(message) => {
                if self.record.state != "unknown" {
                    self.record.state = "failed".into();
                }
                tracing::warn!(action.id = %self.record.id, component = %self.record.component_name, %message, "action did not succeed");
                self.record.message = Some(message);
            }
        }
        self.save().await;
        outcome(&self.record)
    }
}

/// Backoff before sending again: `base` doubled per attempt, at most 32 times `base`.
fn retry_delay(base: Duration, attempt: i64) -> Duration {
    let exponent = attempt.clamp(0, 5) as u32;
    base.saturating_mul(2u32.saturating_pow(exponent))
}
