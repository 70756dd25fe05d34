//! Resource requests: their lifecycle from IN_PROGRESS to a terminal status, client
//! token idempotency, and the GetResourceRequestStatus, ListResourceRequests and
//! CancelResourceRequest operations.
//!
//! A request decides its outcome when it is accepted (validation, injected failures),
//! but changes stored resources only when it completes, after the configured delay.
//! Checks that depend on the state at that moment (the identifier already taken, the
//! resource gone) run at completion.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use json_patch::PatchOperation;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{ApiError, CallContext, optional_str, page_size, required_str};
use crate::faults::InjectedFailure;
use crate::progress::{Operation, OperationStatus, ProgressEvent, epoch_seconds_now};
use crate::realistic::read_model;
use crate::state::State;
use crate::store::ResourceKey;

/// The change a request makes to the stored resources when it completes.
#[derive(Clone, Debug)]
pub(crate) enum Change {
    /// Store this complete model under the request's key.
    Create { model: Value },
    /// Apply these operations to the stored model.
    Update { patch: Vec<PatchOperation> },
    /// Remove the stored model.
    Delete,
    /// Change nothing and end FAILED with this `HandlerErrorCode`.
    Reject { error_code: String, message: String },
}

/// One accepted resource request.
#[derive(Clone, Debug)]
pub(crate) struct ResourceRequest {
    pub account: String,
    pub region: String,
    pub key: Option<ResourceKey>,
    pub event: ProgressEvent,
    /// When the request completes; `None` keeps it IN_PROGRESS (an injected hang).
    pub due: Option<Instant>,
    pub change: Change,
    pub injected: Option<InjectedFailure>,
    /// Operation, type, identifier and document, to detect a reused client token.
    pub fingerprint: String,
}

impl ResourceRequest {
    pub(crate) fn is_active(&self) -> bool {
        !self.event.operation_status.is_terminal()
    }
}

/// All resource requests, in the order they were accepted.
#[derive(Debug, Default)]
pub(crate) struct RequestBook {
    requests: HashMap<String, ResourceRequest>,
    order: Vec<String>,
    /// (account, region, client token) to request token.
    client_tokens: HashMap<(String, String, String), String>,
}

impl RequestBook {
    pub(crate) fn insert(&mut self, client_token: Option<&str>, request: ResourceRequest) {
        let token = request.event.request_token.clone();
        if let Some(client_token) = client_token {
            let scope = (
                request.account.clone(),
                request.region.clone(),
                client_token.to_string(),
            );
            self.client_tokens.insert(scope, token.clone());
        }
        self.order.push(token.clone());
        self.requests.insert(token, request);
    }

    /// Finds the request an earlier call with this client token made.
    pub(crate) fn find_by_client_token(
        &self,
        ctx: &CallContext,
        client_token: &str,
    ) -> Option<&ResourceRequest> {
        let scope = (
            ctx.principal.account.clone(),
            ctx.region.clone(),
            client_token.to_string(),
        );
        self.client_tokens
            .get(&scope)
            .and_then(|token| self.requests.get(token))
    }

    /// Finds an unfinished request on the resource.
    pub(crate) fn find_active_on(&self, key: &ResourceKey) -> Option<&ResourceRequest> {
        self.requests
            .values()
            .find(|request| request.is_active() && request.key.as_ref() == Some(key))
    }

    /// Finds a request by token, visible only to the account and region that made it.
    fn find_mut(&mut self, ctx: &CallContext, token: &str) -> Option<&mut ResourceRequest> {
        self.requests.get_mut(token).filter(|request| {
            request.account == ctx.principal.account && request.region == ctx.region
        })
    }

    /// Lists every request in acceptance order, for the test handle.
    pub(crate) fn list_all(&self) -> Vec<&ResourceRequest> {
        self.order
            .iter()
            .filter_map(|t| self.requests.get(t))
            .collect()
    }
}

/// Completes, in acceptance order, every active request whose time has come.
pub(crate) fn complete_due(state: &mut State, now: Instant) {
    let due: Vec<String> = state
        .requests
        .order
        .iter()
        .filter(|token| {
            state.requests.requests.get(*token).is_some_and(|request| {
                request.is_active() && request.due.is_some_and(|due| due <= now)
            })
        })
        .cloned()
        .collect();

    for token in due {
        let Some(request) = state.requests.requests.get(&token).cloned() else {
            continue;
        };
        let event = complete(state, &request);
        tracing::debug!(
            request_token = %token,
            type_name = %event.type_name,
            status = event.operation_status.as_str(),
            error_code = event.error_code.as_deref().unwrap_or(""),
            "resource request completed"
        );
        if let Some(stored) = state.requests.requests.get_mut(&token) {
            stored.event = event;
        }
    }
}

/// Applies a request's change and returns its terminal event.
fn complete(state: &mut State, request: &ResourceRequest) -> ProgressEvent {
    let mut event = request.event.clone();
    event.event_time = epoch_seconds_now();
    event.retry_after = None;
    let fail = |mut event: ProgressEvent, code: &str, message: String| {
        event.operation_status = OperationStatus::Failed;
        event.error_code = Some(code.to_string());
        event.status_message = Some(message);
        event
    };

    if let Change::Reject {
        error_code,
        message,
    } = &request.change
    {
        return fail(event, error_code, message.clone());
    }
    let Some(key) = request.key.clone() else {
        return fail(event, "InternalFailure", "request has no identifier".into());
    };
    let schema = match state.registry.get(&key.type_name) {
        Ok(schema) => schema,
        Err(error) => return fail(event, "InternalFailure", error.to_string()),
    };
    let injected = request.injected.clone();
    let not_found = || {
        format!(
            "{} with identifier {} not found",
            key.type_name, key.identifier
        )
    };

    match &request.change {
        Change::Create { model } => {
            if state.resources.contains(&key) {
                let message = format!("{} {} already exists", key.type_name, key.identifier);
                return fail(event, "AlreadyExists", message);
            }
            if let Some(failure) = injected.as_ref().filter(|f| !f.leave_resource) {
                return fail(event, &failure.error_code, failure.message.clone());
            }
            state.resources.insert(key.clone(), model.clone());
            if let Some(failure) = injected {
                return fail(event, &failure.error_code, failure.message);
            }
            event.resource_model = Some(read_model(&schema, model, state.realistic));
        }
        Change::Update { patch } => {
            let Some(current) = state.resources.find(&key) else {
                return fail(event, "NotFound", not_found());
            };
            if let Some(failure) = injected {
                return fail(event, &failure.error_code, failure.message);
            }
            let mut updated = current.clone();
            if let Err(error) = json_patch::patch(&mut updated, patch) {
                return fail(event, "InvalidRequest", error.to_string());
            }
            event.resource_model = Some(read_model(&schema, &updated, state.realistic));
            state.resources.insert(key.clone(), updated);
        }
        Change::Delete => {
            if !state.resources.contains(&key) {
                return fail(event, "NotFound", not_found());
            }
            if let Some(failure) = injected {
                return fail(event, &failure.error_code, failure.message);
            }
            state.resources.remove(&key);
        }
        Change::Reject { .. } => unreachable!("handled above"),
    }
    event.operation_status = OperationStatus::Success;
    event
}

/// GetResourceRequestStatus.
pub(crate) fn get_status(
    state: &mut State,
    ctx: &CallContext,
    input: &Value,
) -> Result<Value, ApiError> {
    let token = required_str(input, "RequestToken")?;
    let request = state
        .requests
        .find_mut(ctx, token)
        .ok_or_else(|| ApiError::request_token_not_found(token))?;
    Ok(json!({ "ProgressEvent": request.event.to_wire() }))
}

/// CancelResourceRequest: only PENDING and IN_PROGRESS requests can be cancelled.
pub(crate) fn cancel(
    state: &mut State,
    ctx: &CallContext,
    input: &Value,
) -> Result<Value, ApiError> {
    let token = required_str(input, "RequestToken")?;
    let request = state
        .requests
        .find_mut(ctx, token)
        .ok_or_else(|| ApiError::request_token_not_found(token))?;
    if !request.is_active() {
        return Err(ApiError::new(
            "ConcurrentModificationException",
            format!(
                "Request {token} cannot be cancelled because its status is {}",
                request.event.operation_status.as_str()
            ),
        ));
    }
    request.event.operation_status = OperationStatus::CancelComplete;
    request.event.event_time = epoch_seconds_now();
    request.event.retry_after = None;
    request.due = None;
    Ok(json!({ "ProgressEvent": request.event.to_wire() }))
}

/// ListResourceRequests, newest first, filtered by operation and status.
pub(crate) fn list(state: &mut State, ctx: &CallContext, input: &Value) -> Result<Value, ApiError> {
    let max_results = page_size(input, 100)?;
    let filter = input.get("ResourceRequestStatusFilter");
    let wanted = |name: &str| -> Vec<String> {
        filter
            .and_then(|f| f.get(name))
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let operations = wanted("Operations");
    let statuses = wanted("OperationStatuses");

    let start = match optional_str(input, "NextToken") {
        Some(token) => decode_offset(token)?,
        None => 0,
    };
    let book = &state.requests;
    let matching: Vec<&ResourceRequest> = book
        .order
        .iter()
        .rev()
        .filter_map(|token| book.requests.get(token))
        .filter(|r| r.account == ctx.principal.account && r.region == ctx.region)
        .filter(|r| {
            operations.is_empty() || operations.iter().any(|o| o == r.event.operation.as_str())
        })
        .filter(|r| {
            statuses.is_empty()
                || statuses
                    .iter()
                    .any(|s| s == r.event.operation_status.as_str())
        })
        .collect();

    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(max_results)
        .map(|r| {
            let mut event = r.event.clone();
            event.resource_model = None;
            event.to_wire()
        })
        .collect();
    let mut output = json!({ "ResourceRequestStatusSummaries": page });
    if start + max_results < matching.len() {
        output["NextToken"] = json!(BASE64.encode(format!("offset:{}", start + max_results)));
    }
    Ok(output)
}

fn decode_offset(token: &str) -> Result<usize, ApiError> {
    BASE64
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("offset:")?.parse().ok())
        .ok_or_else(|| ApiError::invalid_request(format!("NextToken {token:?} is invalid")))
}

/// Builds the IN_PROGRESS event of a newly accepted request.
pub(crate) fn new_event(
    type_name: &str,
    identifier: Option<String>,
    operation: Operation,
) -> ProgressEvent {
    ProgressEvent {
        type_name: type_name.to_string(),
        identifier,
        request_token: uuid::Uuid::new_v4().to_string(),
        operation,
        operation_status: OperationStatus::InProgress,
        event_time: epoch_seconds_now(),
        resource_model: None,
        status_message: None,
        error_code: None,
        retry_after: None,
    }
}
