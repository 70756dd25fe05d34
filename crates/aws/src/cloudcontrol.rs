//! A thin typed client for the AWS Cloud Control API.
//!
//! Every resource operation canopy runs (create, update, delete, read, list) is one
//! call here. The client rejects arguments that AWS would reject anyway: a desired
//! state that is not an object, a patch that is not an RFC 6902 array, a malformed
//! client token. It converts the SDK's string-typed documents to JSON and classifies
//! failures into [`ErrorKind`]s the engine can act on. Each call runs in a
//! `cloudcontrol.call` tracing span with `type_name`, `identifier` and
//! `request_token` fields, recorded as soon as they are known.
//!
//! # Retry policy
//! Retries of a single call are the SDK's standard retry strategy, configured for every
//! session: up to [`MAX_ATTEMPTS`] attempts in total, with exponential backoff and
//! full jitter from [`INITIAL_BACKOFF`] up to [`MAX_BACKOFF`], for throttling errors
//! (`ThrottlingException`), transient errors (HTTP 5xx, timeouts, I/O failures). A retry
//! resends the same serialized request, so it carries the same `ClientToken`, and Cloud
//! Control returns the original request instead of starting a second one. The standard
//! strategy also keeps a retry quota, a token bucket that stops retries when most calls
//! fail.
//! When the retries run out, the error has kind [`ErrorKind::Throttling`] or
//! [`ErrorKind::Network`]; sending the call again with the same client token is then
//! safe within the token's 36 hours.
//!
//! A resource request that ends FAILED (reported by [`CloudControl::wait_for_request`])
//! is not retried here: sending it again needs a new client token, and first a check
//! that the failed request left nothing behind, which is the engine's decision.
//!
//! The SDK does not retry `ConcurrentOperationException`. It is returned with kind
//! [`ErrorKind::ConcurrentOperation`] for the caller to wait for the other request.
//!
//! NOTE: the SDK (aws-sdk-cloudcontrol 1.120) shares one retry quota among all clients of
//! a region in the process, so heavy throttling in one workspace also shortens the
//! retries of the others in that region.

mod error;
mod types;
mod wait;

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_cloudcontrol::Client;
use tracing::{Instrument, field::Empty};

use crate::credentials::FailureContext;
use error::CallContext;
pub use error::{CloudControlError, CloudControlResult, ErrorKind};
pub use types::{
    HandlerErrorCode, ListPage, Operation, OperationStatus, ProgressEvent, ResourceDescription,
};
pub use wait::WaitOutcome;

/// Attempts per call, the first included.
pub const MAX_ATTEMPTS: u32 = 5;
/// Base of the exponential backoff between attempts of one call.
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(500);
/// Maximum backoff between attempts of one call.
pub const MAX_BACKOFF: Duration = Duration::from_secs(20);
/// Maximum number of resources ListResources returns in one page.
pub const MAX_LIST_RESULTS: i32 = 100;

/// A Cloud Control client bound to one [`crate::AwsSession`].
#[derive(Clone)]
pub struct CloudControl {
    client: Client,
    context: CallContext,
}

impl std::fmt::Debug for CloudControl {
    // The SDK client's Debug output includes its credentials provider, which for
    // AssumeRole contains the external id; only the endpoint is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudControl")
            .field("endpoint", &self.context.endpoint)
            .field("principal", &self.context.failure.call_principal)
            .finish()
    }
}

/// Returns a new client token: a random UUID (version 4).
pub fn new_client_token() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl CloudControl {
    pub(crate) fn new(config: &SdkConfig, failure: FailureContext, endpoint: String) -> Self {
        Self {
            client: Client::new(config),
            context: CallContext { failure, endpoint },
        }
    }

    /// Starts creating a resource (CreateResource).
    ///
    /// `desired_state` must be a JSON object of the resource's properties. Returns the
    /// first event of the request; store its request token before waiting on it.
    pub async fn create_resource(
        &self,
        type_name: &str,
        desired_state: &serde_json::Value,
        client_token: &str,
    ) -> CloudControlResult<ProgressEvent> {
        const OPERATION: &str = "CreateResource";
        let span = call_span(OPERATION, type_name, None, None);
        async {
            check_client_token(OPERATION, type_name, client_token)?;
            if !desired_state.is_object() {
                return Err(invalid(
                    OPERATION,
                    type_name,
                    "the desired state must be a JSON object",
                ));
            }

            let output = self
                .client
                .create_resource()
                .type_name(type_name)
                .desired_state(desired_state.to_string())
                .client_token(client_token)
                .send()
                .await
                .map_err(|e| self.context.classify(OPERATION, type_name, &e))?;
            record_event(OPERATION, type_name, output.progress_event())
        }
        .instrument(span)
        .await
    }

    /// Starts updating a resource (UpdateResource) with an RFC 6902 patch whose paths
    /// are relative to the resource properties, such as `/RetentionInDays`.
    pub async fn update_resource(
        &self,
        type_name: &str,
        identifier: &str,
        patch: &serde_json::Value,
        client_token: &str,
    ) -> CloudControlResult<ProgressEvent> {
        const OPERATION: &str = "UpdateResource";
        let target = format!("{type_name} {identifier}");
        let span = call_span(OPERATION, type_name, Some(identifier), None);
        async {
            check_client_token(OPERATION, &target, client_token)?;
            check_patch(patch).map_err(|reason| invalid(OPERATION, &target, &reason))?;

            let output = self
                .client
                .update_resource()
                .type_name(type_name)
                .identifier(identifier)
                .patch_document(patch.to_string())
                .client_token(client_token)
                .send()
                .await
                .map_err(|e| self.context.classify(OPERATION, &target, &e))?;
            record_event(OPERATION, &target, output.progress_event())
        }
        .instrument(span)
        .await
    }

    /// Starts deleting a resource (DeleteResource).
    pub async fn delete_resource(
        &self,
        type_name: &str,
        identifier: &str,
        client_token: &str,
    ) -> CloudControlResult<ProgressEvent> {
        const OPERATION: &str = "DeleteResource";
        let target = format!("{type_name} {identifier}");
        let span = call_span(OPERATION, type_name, Some(identifier), None);
        async {
            check_client_token(OPERATION, &target, client_token)?;

            let output = self
                .client
                .delete_resource()
                .type_name(type_name)
                .identifier(identifier)
                .client_token(client_token)
                .send()
                .await
                .map_err(|e| self.context.classify(OPERATION, &target, &e))?;
            record_event(OPERATION, &target, output.progress_event())
        }
        .instrument(span)
        .await
    }

    /// Reads a resource (GetResource); `None` when it does not exist.
    ///
    /// Right after a create, AWS can briefly report a resource that exists as not found.
    pub async fn get_resource(
        &self,
        type_name: &str,
        identifier: &str,
    ) -> CloudControlResult<Option<ResourceDescription>> {
        const OPERATION: &str = "GetResource";
        let target = format!("{type_name} {identifier}");
        let span = call_span(OPERATION, type_name, Some(identifier), None);
        async {
            let result = self
                .client
                .get_resource()
                .type_name(type_name)
                .identifier(identifier)
                .send()
                .await;
            let output = match result {
                Ok(output) => output,
                Err(e) => {
                    let error = self.context.classify(OPERATION, &target, &e);
                    if error.kind() == ErrorKind::NotFound {
                        return Ok(None);
                    }
                    return Err(error);
                }
            };

            let description = output
                .resource_description()
                .ok_or_else(|| malformed(OPERATION, &target, "no ResourceDescription"))?;
            let description = ResourceDescription::from_sdk(description)
                .map_err(|e| malformed(OPERATION, &target, &e.0))?;
            Ok(Some(description))
        }
        .instrument(span)
        .await
    }

    /// Lists one page of resources of a type (ListResources).
    ///
    /// `resource_model` carries the parent identifier that child types need, as the
    /// type's list handler schema declares. `max_results` must be 1 to
    /// [`MAX_LIST_RESULTS`]. Pass the returned `next_token` to get the next page.
    pub async fn list_resources(
        &self,
        type_name: &str,
        resource_model: Option<&serde_json::Value>,
        next_token: Option<String>,
        max_results: i32,
    ) -> CloudControlResult<ListPage> {
        const OPERATION: &str = "ListResources";
        let span = call_span(OPERATION, type_name, None, None);
        async {
            if !(1..=MAX_LIST_RESULTS).contains(&max_results) {
                let reason =
                    format!("max_results is {max_results}, and must be 1 to {MAX_LIST_RESULTS}");
                return Err(invalid(OPERATION, type_name, &reason));
            }
            if resource_model.is_some_and(|model| !model.is_object()) {
                return Err(invalid(
                    OPERATION,
                    type_name,
                    "the resource model must be a JSON object",
                ));
            }

            let output = self
                .client
                .list_resources()
                .type_name(type_name)
                .set_resource_model(resource_model.map(|model| model.to_string()))
                .set_next_token(next_token)
                .max_results(max_results)
                .send()
                .await
                .map_err(|e| self.context.classify(OPERATION, type_name, &e))?;

            let resources = output
                .resource_descriptions()
                .iter()
                .map(ResourceDescription::from_sdk)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| malformed(OPERATION, type_name, &e.0))?;
            Ok(ListPage {
                type_name: output.type_name().unwrap_or(type_name).to_owned(),
                resources,
                next_token: output.next_token().map(str::to_owned),
            })
        }
        .instrument(span)
        .await
    }

    /// Reads the current state of a resource request (GetResourceRequestStatus).
    pub async fn get_resource_request_status(
        &self,
        request_token: &str,
    ) -> CloudControlResult<ProgressEvent> {
        const OPERATION: &str = "GetResourceRequestStatus";
        let target = format!("request {request_token}");
        let span = call_span(OPERATION, "", None, Some(request_token));
        async {
            let output = self
                .client
                .get_resource_request_status()
                .request_token(request_token)
                .send()
                .await
                .map_err(|e| self.context.classify(OPERATION, &target, &e))?;
            record_event(OPERATION, &target, output.progress_event())
        }
        .instrument(span)
        .await
    }

    /// Asks Cloud Control to cancel a resource request (CancelResourceRequest).
    ///
    /// Only requests still PENDING or IN_PROGRESS can be cancelled. The request then
    /// goes through CANCEL_IN_PROGRESS to CANCEL_COMPLETE, which is not success: the
    /// operation may have been partly applied.
    pub async fn cancel_resource_request(
        &self,
        request_token: &str,
    ) -> CloudControlResult<ProgressEvent> {
        const OPERATION: &str = "CancelResourceRequest";
        let target = format!("request {request_token}");
        let span = call_span(OPERATION, "", None, Some(request_token));
        async {
            let output = self
                .client
                .cancel_resource_request()
                .request_token(request_token)
                .send()
                .await
                .map_err(|e| self.context.classify(OPERATION, &target, &e))?;
            record_event(OPERATION, &target, output.progress_event())
        }
        .instrument(span)
        .await
    }

    /// Polls a resource request until it reaches SUCCESS, FAILED or CANCEL_COMPLETE, or
    /// until `deadline`, and reports each event to `on_event`.
    ///
    /// The first poll is immediate. Later polls back off from 1 s to 20 s with jitter,
    /// and never come before the event's RetryAfter. At the deadline the request is
    /// polled once more (unless RetryAfter is later) and then
    /// [`WaitOutcome::TimedOut`] returns the last event: the request's outcome is then
    /// unknown, never a success. Throttling and network errors of a poll are retried
    /// within the deadline; other errors end the wait.
    pub async fn wait_for_request(
        &self,
        request_token: &str,
        deadline: tokio::time::Instant,
        on_event: impl FnMut(&ProgressEvent),
    ) -> CloudControlResult<WaitOutcome> {
        let span = tracing::info_span!("cloudcontrol.wait", request_token);
        let fetch = || self.get_resource_request_status(request_token);
        wait::poll_until_terminal(request_token, fetch, deadline, on_event)
            .instrument(span)
            .await
    }
}

fn call_span(
    operation: &'static str,
    type_name: &str,
    identifier: Option<&str>,
    request_token: Option<&str>,
) -> tracing::Span {
    let span = tracing::info_span!(
        "cloudcontrol.call",
        operation,
        type_name = Empty,
        identifier = Empty,
        request_token = Empty,
    );
    if !type_name.is_empty() {
        span.record("type_name", type_name);
    }
    if let Some(identifier) = identifier {
        span.record("identifier", identifier);
    }
    if let Some(request_token) = request_token {
        span.record("request_token", request_token);
    }
    span
}

/// Converts the event of a response and records its ids on the current span.
fn record_event(
    operation: &'static str,
    target: &str,
    event: Option<&aws_sdk_cloudcontrol::types::ProgressEvent>,
) -> CloudControlResult<ProgressEvent> {
    let event = event.ok_or_else(|| malformed(operation, target, "no ProgressEvent"))?;
    let event = ProgressEvent::from_sdk(event).map_err(|e| malformed(operation, target, &e.0))?;

    let span = tracing::Span::current();
    span.record("type_name", event.type_name.as_str());
    span.record("request_token", event.request_token.as_str());
    if let Some(identifier) = &event.identifier {
        span.record("identifier", identifier.as_str());
    }
    tracing::debug!(
        status = ?event.status,
        error_code = ?event.error_code,
        "resource request event"
    );
    Ok(event)
}

/// Checks a client token against the Cloud Control rules: 1 to 128 characters from
/// `[-A-Za-z0-9+/=]`.
fn check_client_token(
    operation: &'static str,
    target: &str,
    client_token: &str,
) -> CloudControlResult<()> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || "-+/=".contains(c);
    if (1..=128).contains(&client_token.len()) && client_token.chars().all(valid_char) {
        return Ok(());
    }
    let reason = format!(
        "client token {client_token:?} must be 1 to 128 characters from [-A-Za-z0-9+/=]; \
         use new_client_token()"
    );
    Err(invalid(operation, target, &reason))
}

/// Checks that a patch is an RFC 6902 array of operations with `op` and `path`.
fn check_patch(patch: &serde_json::Value) -> Result<(), String> {
    const OPS: [&str; 6] = ["add", "remove", "replace", "move", "copy", "test"];

    let operations = patch
        .as_array()
        .ok_or("the patch must be a JSON array of RFC 6902 operations")?;
    if operations.is_empty() {
        return Err("the patch has no operations".to_owned());
    }
    for (index, operation) in operations.iter().enumerate() {
        let op = operation.get("op").and_then(|op| op.as_str());
        if !op.is_some_and(|op| OPS.contains(&op)) {
            return Err(format!("patch operation {index} has no valid \"op\""));
        }
        let path = operation.get("path").and_then(|path| path.as_str());
        if !path.is_some_and(|path| path.starts_with('/')) {
            return Err(format!(
                "patch operation {index} has no \"path\" starting with '/'"
            ));
        }
    }
    Ok(())
}

fn invalid(operation: &'static str, target: &str, reason: &str) -> CloudControlError {
    CloudControlError::InvalidArgument {
        operation,
        target: target.to_owned(),
        reason: reason.to_owned(),
    }
}

fn malformed(operation: &'static str, target: &str, reason: &str) -> CloudControlError {
    CloudControlError::InvalidResponse {
        operation,
        target: target.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn client_tokens_are_valid_and_unique() {
        let first = new_client_token();
        let second = new_client_token();

        assert_ne!(first, second);
        assert!(check_client_token("CreateResource", "t", &first).is_ok());
    }

    #[test]
    fn malformed_client_tokens_are_rejected() {
        let too_long = "a".repeat(129);
        for token in ["", "has space", "under_score", too_long.as_str()] {
            let error = check_client_token("CreateResource", "t", token).expect_err(token);
            assert_eq!(error.kind(), ErrorKind::InvalidRequest);
        }
    }

    #[test]
    fn patch_must_be_rfc6902_array() {
        let valid = json!([
            {"op": "replace", "path": "/RetentionInDays", "value": 7},
            {"op": "remove", "path": "/Tags/0"},
        ]);
        assert!(check_patch(&valid).is_ok());

        let invalid = [
            json!({"RetentionInDays": 7}),
            json!([]),
            json!([{"op": "merge", "path": "/A"}]),
            json!([{"op": "add", "value": 1}]),
            json!([{"op": "add", "path": "A", "value": 1}]),
        ];
        for patch in invalid {
            assert!(check_patch(&patch).is_err(), "{patch}");
        }
    }
}
