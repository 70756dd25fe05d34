//! The HTTP listener: one axum fallback handler that authenticates each request and
//! sends it to Cloud Control or STS.
//!
//! Cloud Control requests carry `X-Amz-Target: CloudApiService.<Operation>` with an
//! awsJson1_0 body. Anything else is treated as an STS awsQuery request, with its
//! parameters in a form-encoded POST body or in the query string. HTTP statuses and error
//! bodies for each protocol are chosen here, in one place.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State as AxumState};
use axum::http::{HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::cloudcontrol::{self, ApiError, CallContext};
use crate::identity::{AuthError, Principal};
use crate::sigv4::{Authorization, SignedRequest};
use crate::state::Shared;
use crate::sts::{self, StsError};

/// Largest request body accepted, in bytes. Cloud Control documents are far smaller.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

const CLOUD_CONTROL_TARGET_PREFIX: &str = "CloudApiService.";

/// Builds the router serving both protocols.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(serve).with_state(shared)
}

async fn serve(AxumState(shared): AxumState<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let request_id = uuid::Uuid::new_v4().to_string();
    let body = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(error) => {
            tracing::warn!(%error, "request body could not be read");
            return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
        }
    };

    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let mut response = match target {
        Some(target) => serve_cloud_control(&shared, &parts, &body, &target),
        None => serve_sts(&shared, &parts, &body, &request_id),
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

/// Authenticates under the lock's keyring and checks the credential scope's service.
fn authenticate(
    shared: &Shared,
    parts: &Parts,
    body: &Bytes,
    service: &str,
) -> Result<(Principal, Authorization), AuthError> {
    let signed = SignedRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
        body,
    };
    let result = shared
        .lock()
        .keyring
        .authenticate(&signed, chrono::Utc::now());
    let (principal, authorization) = result.inspect_err(|error| {
        tracing::info!(service, %error, "request rejected by authentication");
    })?;
    if authorization.service != service {
        return Err(AuthError::SignatureMismatch(format!(
            "Credential should be scoped to correct service: '{service}'."
        )));
    }
    Ok((principal, authorization))
}

fn serve_cloud_control(shared: &Shared, parts: &Parts, body: &Bytes, target: &str) -> Response {
    let Some(operation) = target.strip_prefix(CLOUD_CONTROL_TARGET_PREFIX) else {
        let error = ApiError::new(
            "UnknownOperationException",
            format!("X-Amz-Target {target:?} is not a CloudApiService operation"),
        );
        return json_error(&error);
    };
    let (principal, authorization) = match authenticate(shared, parts, body, "cloudcontrolapi") {
        Ok(found) => found,
        Err(error) => return json_error(&cloud_control_auth_error(&error)),
    };
    let input: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(body) {
            Ok(input) => input,
            Err(error) => {
                let error = ApiError::new(
                    "SerializationException",
                    format!("request body is not valid JSON: {error}"),
                );
                return json_error(&error);
            }
        }
    };

    let ctx = CallContext {
        principal,
        region: authorization.region,
    };
    let result = {
        let mut state = shared.lock();
        cloudcontrol::dispatch(&mut state, &ctx, operation, &input)
    };
    tracing::debug!(
        operation,
        account = %ctx.principal.account,
        region = %ctx.region,
        error = result.as_ref().err().map(|e| e.code).unwrap_or(""),
        "cloud control call"
    );
    match result {
        Ok(output) => {
            let mut response = (StatusCode::OK, output.to_string()).into_response();
            set_content_type(&mut response, "application/x-amz-json-1.0");
            response
        }
        Err(error) => json_error(&error),
    }
}

/// Maps a failed authentication to its Cloud Control (awsJson1_0) error.
fn cloud_control_auth_error(error: &AuthError) -> ApiError {
    match error {
        AuthError::MissingAuthentication => ApiError::new(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ),
        AuthError::IncompleteSignature(message) => {
            ApiError::new("IncompleteSignatureException", message.clone())
        }
        AuthError::InvalidClientToken => ApiError::new(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ),
        AuthError::ExpiredToken => ApiError::new(
            "ExpiredTokenException",
            "The security token included in the request is expired",
        ),
        AuthError::SignatureMismatch(message) => {
            ApiError::new("InvalidSignatureException", message.clone())
        }
    }
}

fn json_error(error: &ApiError) -> Response {
    let body = json!({ "__type": error.code, "Message": error.message });
    let mut response = (error.status, body.to_string()).into_response();
    set_content_type(&mut response, "application/x-amz-json-1.0");
    if let Ok(value) = HeaderValue::from_str(error.code) {
        response.headers_mut().insert("x-amzn-errortype", value);
    }
    response
}

fn serve_sts(shared: &Shared, parts: &Parts, body: &Bytes, request_id: &str) -> Response {
    let (principal, authorization) = match authenticate(shared, parts, body, "sts") {
        Ok(found) => found,
        Err(error) => return xml_error(&StsError::from_auth(&error), request_id),
    };

    // awsQuery parameters come in the POST body, or in the query string of a GET.
    let source = if body.is_empty() {
        parts.uri.query().unwrap_or("").as_bytes()
    } else {
        body.as_ref()
    };
    let params: HashMap<String, String> = url::form_urlencoded::parse(source)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();

    let result = {
        let mut state = shared.lock();
        sts::dispatch(
            &mut state,
            &principal,
            &authorization.region,
            &params,
            request_id,
        )
    };
    match result {
        Ok(xml) => {
            let mut response = (StatusCode::OK, xml).into_response();
            set_content_type(&mut response, "text/xml");
            response
        }
        Err(error) => xml_error(&error, request_id),
    }
}

fn xml_error(error: &StsError, request_id: &str) -> Response {
    let mut response = (error.status, error.to_xml(request_id)).into_response();
    set_content_type(&mut response, "text/xml");
    response
}

fn set_content_type(response: &mut Response<Body>, content_type: &'static str) {
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
}
