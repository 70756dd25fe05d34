//! The Cloud Control API (`CloudApiService`, awsJson1_0), driven by the canopy-schema
//! registry.
//!
//! Each operation takes the parsed JSON body and the authenticated caller and returns
//! the JSON output or an [`ApiError`], which the server sends as HTTP 400 (500 for
//! internal failures) with `{"__type": ..., "Message": ...}`. Error names and field
//! names are the ones in the Cloud Control API reference, so the AWS SDK maps them to
//! its typed errors.

mod read;
pub(crate) mod requests;
mod write;

use axum::http::StatusCode;
use serde_json::Value;

use crate::identity::Principal;
use crate::state::{RecordedCall, State};

/// The authenticated caller and the region from its credential scope.
pub(crate) struct CallContext {
    pub principal: Principal,
    pub region: String,
}

/// A synchronous Cloud Control error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// The exception name, such as `ResourceNotFoundException`.
    pub code: &'static str,
    pub message: String,
    pub status: StatusCode,
}

impl ApiError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status: StatusCode::BAD_REQUEST,
        }
    }

    pub(crate) fn type_not_found(type_name: &str) -> Self {
        Self::new(
            "TypeNotFoundException",
            format!("The type '{type_name}' cannot be found."),
        )
    }

    pub(crate) fn resource_not_found(type_name: &str, identifier: &str) -> Self {
        Self::new(
            "ResourceNotFoundException",
            format!("Resource of type '{type_name}' with identifier '{identifier}' was not found."),
        )
    }

    pub(crate) fn unsupported(type_name: &str, action: &str) -> Self {
        Self::new(
            "UnsupportedActionException",
            format!("Resource type {type_name} does not support {action} action"),
        )
    }

    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Self::new("InvalidRequestException", message)
    }

    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }

    pub(crate) fn request_token_not_found(token: &str) -> Self {
        Self::new(
            "RequestTokenNotFoundException",
            format!("Request with token {token} was not found"),
        )
    }

    pub(crate) fn concurrent_operation(identifier: &str, token: &str) -> Self {
        Self::new(
            "ConcurrentOperationException",
            format!(
                "Resource {identifier} is being modified by request {token}; wait for it to \
                 finish, then retry"
            ),
        )
    }
}

/// The operations of `CloudApiService`.
pub(crate) const OPERATIONS: &[&str] = &[
    "CreateResource",
    "GetResource",
    "UpdateResource",
    "DeleteResource",
    "ListResources",
    "GetResourceRequestStatus",
    "ListResourceRequests",
    "CancelResourceRequest",
];

/// Runs one Cloud Control operation against the state.
pub(crate) fn dispatch(
    state: &mut State,
    ctx: &CallContext,
    operation: &str,
    input: &Value,
) -> Result<Value, ApiError> {
    let throttled = OPERATIONS.contains(&operation) && state.faults.should_throttle(operation);
    state.calls.push(RecordedCall {
        service: "cloudcontrolapi".into(),
        operation: operation.to_string(),
        account: ctx.principal.account.clone(),
        region: ctx.region.clone(),
        type_name: optional_str(input, "TypeName").map(String::from),
        identifier: optional_str(input, "Identifier").map(String::from),
        client_token: optional_str(input, "ClientToken").map(String::from),
        throttled,
    });
    if throttled {
        return Err(ApiError::new("ThrottlingException", "Rate exceeded"));
    }

    match operation {
        "CreateResource" => write::create(state, ctx, input),
        "UpdateResource" => write::update(state, ctx, input),
        "DeleteResource" => write::delete(state, ctx, input),
        "GetResource" => read::get(state, ctx, input),
        "ListResources" => read::list(state, ctx, input),
        "GetResourceRequestStatus" => requests::get_status(state, ctx, input),
        "ListResourceRequests" => requests::list(state, ctx, input),
        "CancelResourceRequest" => requests::cancel(state, ctx, input),
        other => Err(ApiError::new(
            "UnknownOperationException",
            format!("operation {other} is not part of CloudApiService"),
        )),
    }
}

pub(crate) fn optional_str<'a>(input: &'a Value, field: &str) -> Option<&'a str> {
    input.get(field).and_then(Value::as_str)
}

/// Reads a required string member, failing as AWS's input validation does.
pub(crate) fn required_str<'a>(input: &'a Value, field: &str) -> Result<&'a str, ApiError> {
    optional_str(input, field).ok_or_else(|| {
        let member = lower_first(field);
        ApiError::validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy \
             constraint: Member must not be null"
        ))
    })
}

/// Reads `MaxResults`: absent means 20, and values outside 1..=`max` are invalid.
pub(crate) fn page_size(input: &Value, max: u64) -> Result<usize, ApiError> {
    let Some(value) = input.get("MaxResults") else {
        return Ok(20);
    };
    match value.as_u64() {
        Some(size) if (1..=max).contains(&size) => Ok(size as usize),
        _ => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{value}' at 'maxResults' failed to satisfy \
             constraint: Member must have value between 1 and {max}"
        ))),
    }
}

/// Parses a member that carries a JSON document as a string (`DesiredState`, ...).
pub(crate) fn json_document(input: &Value, field: &str) -> Result<Option<Value>, ApiError> {
    let Some(text) = optional_str(input, field) else {
        return Ok(None);
    };
    serde_json::from_str(text)
        .map(Some)
        .map_err(|error| ApiError::invalid_request(format!("{field} is not valid JSON: {error}")))
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
