//! The API's one error shape, `{"error": {"code": "...", "message": "..."}}`, and the
//! one place that maps engine and store errors to HTTP statuses.
//!
//! Codes are stable: clients branch on `code`, and `message` is for people. No message
//! carries a secret value, an API token or a workspace token, because none of the
//! errors mapped here are built from them.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use canopy_engine::{Conflict, EngineError};
use canopy_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The failure: a stable code, a message for people and, for merge conflicts, the
/// conflicting properties.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case; one of the codes listed for each response.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub conflicts: Option<Vec<Conflict>>,
}

/// A failed API request, ready to become a response.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub conflicts: Option<Vec<Conflict>>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            conflicts: None,
        }
    }

    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(kind: &str, name: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{kind} {name:?} not found"),
        )
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the server log has the details",
        )
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message.clone(),
                conflicts: self.conflicts.clone(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match &error {
            StoreError::NotFound { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", error.to_string())
            }
            StoreError::AlreadyExists { .. } => {
                ApiError::conflict("already_exists", error.to_string())
            }
            StoreError::Open { .. }
            | StoreError::Migrate(_)
            | StoreError::Query(_)
            | StoreError::Corrupt { .. }
            | StoreError::Key(_)
            | StoreError::Decrypt { .. } => {
                // Database messages can quote SQL and paths, so the client gets a
                // generic message and the log gets the error.
                tracing::error!(%error, "store error while serving an API request");
                ApiError::internal()
            }
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> ApiError {
        let message = error.to_string();
        let status_code =
            |status: StatusCode, code: &'static str| ApiError::new(status, code, message.clone());
        match error {
            EngineError::Store(store) => store.into(),
            EngineError::Schema(canopy_schema::SchemaError::UnknownType { .. }) => {
                status_code(StatusCode::NOT_FOUND, "unknown_type")
            }
            EngineError::Schema(canopy_schema::SchemaError::Bundle(_))
            | EngineError::Schema(canopy_schema::SchemaError::InvalidSchema { .. }) => {
                tracing::error!(%message, "schema bundle error while serving an API request");
                ApiError::internal()
            }
            EngineError::Schema(_) | EngineError::Core(_) => {
                status_code(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input")
            }
            EngineError::Credential(_) => {
                status_code(StatusCode::UNPROCESSABLE_ENTITY, "invalid_credential")
            }
            EngineError::CloudControl(_) => {
                status_code(StatusCode::BAD_GATEWAY, "aws_request_failed")
            }
            EngineError::HeadIsReadOnly => status_code(StatusCode::CONFLICT, "head_is_read_only"),
            EngineError::ChangeSetClosed { .. } => {
                status_code(StatusCode::CONFLICT, "change_set_closed")
            }
            EngineError::InvalidInput { .. } => {
                status_code(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input")
            }
            EngineError::MissingLink { .. } => {
                status_code(StatusCode::UNPROCESSABLE_ENTITY, "missing_link")
            }
            EngineError::Cycle { .. } => {
                status_code(StatusCode::UNPROCESSABLE_ENTITY, "subscription_cycle")
            }
            EngineError::Conflicts { conflicts, .. } => ApiError {
                conflicts: Some(conflicts),
                ..status_code(StatusCode::CONFLICT, "merge_conflict")
            },
            EngineError::QualificationsFail { .. } => {
                status_code(StatusCode::UNPROCESSABLE_ENTITY, "qualifications_fail")
            }
            EngineError::TypeNotInRegion { .. } => {
                status_code(StatusCode::UNPROCESSABLE_ENTITY, "type_not_in_region")
            }
            EngineError::Import(error) => match error {
                canopy_engine::ImportError::NotFound { .. } => {
                    status_code(StatusCode::NOT_FOUND, "resource_not_found")
                }
                canopy_engine::ImportError::AlreadyOwned { .. } => {
                    status_code(StatusCode::CONFLICT, "resource_already_owned")
                }
                _ => status_code(StatusCode::UNPROCESSABLE_ENTITY, "import_rejected"),
            },
            // NOTE: the engine's error enum is still growing; give each new variant its
            // own arm above. Until then it is a 500 that keeps the engine's message.
            #[allow(unreachable_patterns)]
            _ => {
                tracing::error!(%message, "engine error without an HTTP status mapping");
                status_code(StatusCode::INTERNAL_SERVER_ERROR, "engine_error")
            }
        }
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;
