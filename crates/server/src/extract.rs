//! Request extractors that reject with the API's JSON error shape instead of axum's
//! plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::auth::Caller;
use crate::error::ApiError;

/// A JSON request body. Parse errors name the line, column and field but never quote
/// the value, because request bodies can carry secret values.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| {
                value
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the request body as JSON with `Content-Type: application/json`",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                ApiError::bad_request(format!("cannot read the request body: {rejection}"))
            })?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// Parses a JSON request body without quoting any value from it in the error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|error| {
        let text = error.to_string();
        // serde's messages about missing or unknown fields name only the field; the
        // others ("invalid type: string \"...\"") can quote the value.
        let detail = if text.starts_with("missing field") || text.starts_with("unknown field") {
            text.split(" at line")
                .next()
                .unwrap_or_default()
                .to_string()
        } else {
            match error.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                    "it is not valid JSON".to_string()
                }
                _ => "a value has the wrong type or format".to_string(),
            }
        };
        ApiError::bad_request(format!(
            "invalid request body: {detail} (line {}, column {})",
            error.line(),
            error.column()
        ))
    })
}

/// Query parameters.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|query| ApiQuery(query.0))
            .map_err(|rejection| {
                ApiError::bad_request(format!("invalid query string: {}", rejection.body_text()))
            })
    }
}

/// Path parameters.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|path| ApiPath(path.0))
            .map_err(|rejection| {
                ApiError::bad_request(format!("invalid path: {}", rejection.body_text()))
            })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    /// Takes the caller that the authentication middleware stored; a route outside
    /// that middleware gets 401.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::unauthenticated("missing bearer token"))
    }
}
