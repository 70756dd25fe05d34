//! CreateResource, UpdateResource and DeleteResource: the checks made when a request is
//! accepted, and the resource request that carries the change to completion.
//!
//! Like Cloud Control, the emulator raises some problems synchronously (unknown type,
//! missing handler, a patch touching a create-only property, a request already running
//! on the resource, a reused client token) and reports the others through a FAILED
//! progress event (an invalid model, a patch path that does not exist, an identifier
//! already taken, a resource gone by the time of a delete).

use std::sync::Arc;

use canopy_schema::{Operation as HandlerOperation, ResourceSchema, Segment, parse_pointer};
use json_patch::PatchOperation;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::requests::{Change, ResourceRequest, new_event};
use super::{ApiError, CallContext, json_document, optional_str, required_str};
use crate::generate::{self, Placement};
use crate::progress::Operation;
use crate::state::State;
use crate::store::{ResourceKey, writable_view};

/// Looks up a type's schema and checks that it offers `handler` in the caller's region.
pub(super) fn schema_with_handler(
    state: &State,
    ctx: &CallContext,
    type_name: &str,
    handler: HandlerOperation,
    action: &str,
) -> Result<Arc<ResourceSchema>, ApiError> {
    let schema = state
        .registry
        .get(type_name)
        .map_err(|_| ApiError::type_not_found(type_name))?;
    // An unknown region is not an error here: the bundle may lag behind new regions.
    if matches!(
        state.registry.is_available(type_name, &ctx.region),
        Ok(false)
    ) {
        return Err(ApiError::type_not_found(type_name));
    }
    if schema.handlers.get(handler).is_none() {
        return Err(ApiError::unsupported(type_name, action));
    }
    Ok(schema)
}

/// Turns an identifier as sent (`a|b` or a JSON object of the parts) into the stored
/// form, the parts joined with `|`.
pub(super) fn canonical_identifier(
    schema: &ResourceSchema,
    identifier: &str,
) -> Result<String, ApiError> {
    let parts = schema
        .parse_identifier(identifier)
        .map_err(|error| ApiError::invalid_request(error.to_string()))?;
    // The parts are keyed by property path (`Device/DeviceName` for a nested part), so
    // they are joined in schema order rather than read back from a model.
    let values: Option<Vec<&str>> = schema
        .primary_identifier_names()
        .iter()
        .map(|name| parts.get(name).and_then(Value::as_str))
        .collect();
    values.map(|values| values.join("|")).ok_or_else(|| {
        ApiError::invalid_request(format!("identifier {identifier:?} is incomplete"))
    })
}

fn resource_key(ctx: &CallContext, type_name: &str, identifier: &str) -> ResourceKey {
    ResourceKey {
        account: ctx.principal.account.clone(),
        region: ctx.region.clone(),
        type_name: type_name.to_string(),
        identifier: identifier.to_string(),
    }
}

/// Returns the original request's event when the client token was used before for the
/// same request, and raises `ClientTokenConflictException` when it was used for another.
fn replay_client_token(
    state: &State,
    ctx: &CallContext,
    client_token: Option<&str>,
    fingerprint: &str,
) -> Result<Option<Value>, ApiError> {
    let Some(client_token) = client_token else {
        return Ok(None);
    };
    let Some(earlier) = state.requests.find_by_client_token(ctx, client_token) else {
        return Ok(None);
    };
    if earlier.fingerprint != fingerprint {
        return Err(ApiError::new(
            "ClientTokenConflictException",
            format!("ClientToken {client_token} was already used for a different request"),
        ));
    }
    Ok(Some(json!({ "ProgressEvent": earlier.event.to_wire() })))
}

fn ensure_not_busy(state: &State, key: &ResourceKey) -> Result<(), ApiError> {
    match state.requests.find_active_on(key) {
        Some(active) => Err(ApiError::concurrent_operation(
            &key.identifier,
            &active.event.request_token,
        )),
        None => Ok(()),
    }
}

/// Records an accepted request and returns its first event.
fn accept(
    state: &mut State,
    ctx: &CallContext,
    client_token: Option<&str>,
    mut request: ResourceRequest,
) -> Value {
    let operation = request.event.operation;
    if !state.faults.hangs(&request.event.type_name, operation) {
        request.due = Some(Instant::now() + state.request_delay);
    }
    if matches!(
        request.change,
        Change::Create { .. } | Change::Update { .. } | Change::Delete
    ) {
        request.injected = state
            .faults
            .failure_for(&request.event.type_name, operation);
    }
    tracing::info!(
        account = %ctx.principal.account,
        region = %ctx.region,
        type_name = %request.event.type_name,
        identifier = request.event.identifier.as_deref().unwrap_or(""),
        request_token = %request.event.request_token,
        operation = operation.as_str(),
        "resource request accepted"
    );
    let output = json!({ "ProgressEvent": request.event.to_wire() });
    state.requests.insert(client_token, request);
    output
}

/// CreateResource.
pub(super) fn create(
    state: &mut State,
    ctx: &CallContext,
    input: &Value,
) -> Result<Value, ApiError> {
    let type_name = required_str(input, "TypeName")?;
    let desired_text = required_str(input, "DesiredState")?;
    let client_token = optional_str(input, "ClientToken");
    let schema = schema_with_handler(state, ctx, type_name, HandlerOperation::Create, "CREATE")?;

    let fingerprint = format!("CREATE\n{type_name}\n{desired_text}");
    if let Some(replay) = replay_client_token(state, ctx, client_token, &fingerprint)? {
        return Ok(replay);
    }
    let desired = json_document(input, "DesiredState")?.unwrap_or(Value::Null);
    if !desired.is_object() {
        return Err(ApiError::invalid_request(
            "DesiredState must be a JSON object",
        ));
    }

    let (identifier, change) = match creation_problem(&schema, &desired) {
        Some(message) => (
            None,
            Change::Reject {
                error_code: "InvalidRequest".into(),
                message,
            },
        ),
        None => {
            let placement = Placement {
                account: &ctx.principal.account,
                region: &ctx.region,
            };
            let model = generate::complete_model(&schema, &desired, &placement, &mut state.id_rng);
            match schema.identifier_of(&model) {
                Some(identifier) => (Some(identifier), Change::Create { model }),
                None => (
                    None,
                    Change::Reject {
                        error_code: "InvalidRequest".into(),
                        message: format!(
                            "the primary identifier {} could not be formed from the model",
                            schema.identifier_shape()
                        ),
                    },
                ),
            }
        }
    };

    let key = identifier
        .as_deref()
        .map(|id| resource_key(ctx, type_name, id));
    if let Some(key) = &key {
        ensure_not_busy(state, key)?;
    }
    let request = ResourceRequest {
        account: ctx.principal.account.clone(),
        region: ctx.region.clone(),
        key,
        event: new_event(type_name, identifier, Operation::Create),
        due: None,
        change,
        injected: None,
        fingerprint,
    };
    Ok(accept(state, ctx, client_token, request))
}

/// Describes why a desired state cannot be created, or `None` when it can.
fn creation_problem(schema: &ResourceSchema, desired: &Value) -> Option<String> {
    let Value::Object(properties) = desired else {
        return Some("DesiredState must be a JSON object".into());
    };
    let read_only: Vec<String> = properties
        .keys()
        .filter(|key| schema.is_read_only(&[Segment::key(key.as_str())]))
        .map(|key| format!("/properties/{key}"))
        .collect();
    if !read_only.is_empty() {
        return Some(format!(
            "readOnlyProperties [{}] cannot be specified in a create request",
            read_only.join(", ")
        ));
    }
    validation_message(schema, desired)
}

/// Validates a model's writable part, returning AWS's "Model validation failed" text.
fn validation_message(schema: &ResourceSchema, model: &Value) -> Option<String> {
    let issues = schema.validate(&writable_view(schema, model));
    if issues.is_empty() {
        return None;
    }
    let details: Vec<String> = issues
        .iter()
        .map(|issue| format!("#{}: {}", issue.path, issue.message))
        .collect();
    Some(format!("Model validation failed ({})", details.join("\n")))
}

/// UpdateResource.
pub(super) fn update(
    state: &mut State,
    ctx: &CallContext,
    input: &Value,
) -> Result<Value, ApiError> {
    let type_name = required_str(input, "TypeName")?;
    let identifier = required_str(input, "Identifier")?;
    let patch_text = required_str(input, "PatchDocument")?;
    let client_token = optional_str(input, "ClientToken");
    let schema = schema_with_handler(state, ctx, type_name, HandlerOperation::Update, "UPDATE")?;
    let identifier = canonical_identifier(&schema, identifier)?;

    let fingerprint = format!("UPDATE\n{type_name}\n{identifier}\n{patch_text}");
    if let Some(replay) = replay_client_token(state, ctx, client_token, &fingerprint)? {
        return Ok(replay);
    }
    let key = resource_key(ctx, type_name, &identifier);
    let Some(current) = state.resources.find(&key).cloned() else {
        return Err(ApiError::resource_not_found(type_name, &identifier));
    };
    ensure_not_busy(state, &key)?;

    let patch: Vec<PatchOperation> = serde_json::from_str(patch_text).map_err(|error| {
        ApiError::invalid_request(format!("PatchDocument is not an RFC 6902 patch: {error}"))
    })?;
    check_patch_paths(&schema, &patch)?;
    let patch = if state.realistic {
        crate::realistic::adapt_patch(&schema, &current, patch)
    } else {
        patch
    };

    // The patch is tried now so that the request can fail with the reason. It is applied
    // again to the stored model when the request completes.
    let change = match patched_model(&schema, &current, &patch) {
        Ok(_) => Change::Update { patch },
        Err(message) => Change::Reject {
            error_code: "InvalidRequest".into(),
            message,
        },
    };
    let request = ResourceRequest {
        account: ctx.principal.account.clone(),
        region: ctx.region.clone(),
        key: Some(key),
        event: new_event(type_name, Some(identifier), Operation::Update),
        due: None,
        change,
        injected: None,
        fingerprint,
    };
    Ok(accept(state, ctx, client_token, request))
}

/// Raises `NotUpdatableException` when a patch touches create-only properties, even with
/// an unchanged value, and `InvalidRequestException` for read-only ones.
fn check_patch_paths(schema: &ResourceSchema, patch: &[PatchOperation]) -> Result<(), ApiError> {
    let mut create_only = Vec::new();
    let mut read_only = Vec::new();
    for operation in patch {
        let mut pointers = vec![operation_path(operation)];
        if let PatchOperation::Move(op) = operation {
            pointers.push(op.from.as_str().to_string());
        }
        for pointer in pointers {
            let segments = parse_pointer(&pointer)
                .map_err(|error| ApiError::invalid_request(error.to_string()))?;
            let schema_path = format!("/properties{pointer}");
            if schema.is_create_only(&segments) || schema.has_create_only_below(&segments) {
                create_only.push(schema_path);
            } else if schema.is_read_only(&segments) {
                read_only.push(schema_path);
            }
        }
    }
    if !create_only.is_empty() {
        return Err(ApiError::new(
            "NotUpdatableException",
            format!(
                "Invalid patch update: createOnlyProperties [{}] cannot be updated",
                create_only.join(", ")
            ),
        ));
    }
    if !read_only.is_empty() {
        return Err(ApiError::invalid_request(format!(
            "Invalid patch update: readOnlyProperties [{}] cannot be updated",
            read_only.join(", ")
        )));
    }
    Ok(())
}

fn operation_path(operation: &PatchOperation) -> String {
    match operation {
        PatchOperation::Add(op) => op.path.as_str().to_string(),
        PatchOperation::Remove(op) => op.path.as_str().to_string(),
        PatchOperation::Replace(op) => op.path.as_str().to_string(),
        PatchOperation::Move(op) => op.path.as_str().to_string(),
        PatchOperation::Copy(op) => op.path.as_str().to_string(),
        PatchOperation::Test(op) => op.path.as_str().to_string(),
    }
}

/// Applies the patch operation by operation, reporting a missing target as AWS does
/// (`noSuchPath`), then validates the result.
fn patched_model(
    schema: &ResourceSchema,
    current: &Value,
    patch: &[PatchOperation],
) -> Result<Value, String> {
    let mut model = current.clone();
    for operation in patch {
        let target = match operation {
            PatchOperation::Remove(op) => Some(op.path.as_str()),
            PatchOperation::Replace(op) => Some(op.path.as_str()),
            PatchOperation::Move(op) => Some(op.from.as_str()),
            PatchOperation::Copy(op) => Some(op.from.as_str()),
            _ => None,
        };
        if let Some(pointer) = target.filter(|p| model.pointer(p).is_none()) {
            return Err(format!(
                "Invalid patch: noSuchPath: no value at path {pointer} to operate on"
            ));
        }
        json_patch::patch(&mut model, std::slice::from_ref(operation))
            .map_err(|error| format!("Invalid patch: {error}"))?;
    }
    match validation_message(schema, &model) {
        Some(message) => Err(message),
        None => Ok(model),
    }
}

/// DeleteResource.
pub(super) fn delete(
    state: &mut State,
    ctx: &CallContext,
    input: &Value,
) -> Result<Value, ApiError> {
    let type_name = required_str(input, "TypeName")?;
    let identifier = required_str(input, "Identifier")?;
    let client_token = optional_str(input, "ClientToken");
    let schema = schema_with_handler(state, ctx, type_name, HandlerOperation::Delete, "DELETE")?;
    let identifier = canonical_identifier(&schema, identifier)?;

    let fingerprint = format!("DELETE\n{type_name}\n{identifier}");
    if let Some(replay) = replay_client_token(state, ctx, client_token, &fingerprint)? {
        return Ok(replay);
    }
    let key = resource_key(ctx, type_name, &identifier);
    ensure_not_busy(state, &key)?;

    let request = ResourceRequest {
        account: ctx.principal.account.clone(),
        region: ctx.region.clone(),
        key: Some(key),
        event: new_event(type_name, Some(identifier), Operation::Delete),
        due: None,
        change: Change::Delete,
        injected: None,
        fingerprint,
    };
    Ok(accept(state, ctx, client_token, request))
}

#[cfg(test)]
mod tests {
    use canopy_schema::Registry;

    use super::*;

    #[test]
    fn nested_identifier_part_is_complete() {
        let schema = Registry::bundled().get("AWS::SageMaker::Device").unwrap();

        let identifier = canonical_identifier(&schema, "edge-device-1");

        assert_eq!(identifier, Ok("edge-device-1".to_string()));
    }

    #[test]
    fn identifier_parts_join_in_schema_order() {
        let schema = Registry::bundled()
            .get("AWS::NetworkManager::Site")
            .unwrap();

        let identifier =
            canonical_identifier(&schema, r#"{"SiteId": "s", "GlobalNetworkId": "g"}"#);

        assert_eq!(identifier, Ok("g|s".to_string()));
    }
}
