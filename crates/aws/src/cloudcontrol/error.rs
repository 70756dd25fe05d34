//! Cloud Control errors and their classification.
//!
//! Each Cloud Control operation has its own SDK error enum, but the engine decides what
//! to do from the cause alone (wait and retry, replan, ask the user to fix the
//! credential), so [`CloudControlError::kind`] reduces every failure to an
//! [`ErrorKind`]. Classification reads the AWS error code, which is the same across
//! operations.

use std::error::Error as StdError;

use aws_sdk_cloudcontrol::config::http::HttpResponse;
use aws_sdk_cloudcontrol::error::{ProvideErrorMetadata, SdkError};

use crate::credentials::{
    CredentialError, FailureContext, credential_failure, display_chain, from_auth_code,
};

/// The cause of a [`CloudControlError`], which the engine matches on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// Rate exceeded, after the SDK's own retries ran out.
    Throttling,
    /// Another request on this resource is in flight: wait for it, then send again.
    ConcurrentOperation,
    /// The client token was already used for a different request.
    ClientTokenConflict,
    /// The resource, or the request token, does not exist.
    NotFound,
    /// The resource type does not exist in this region, or is private and unregistered.
    TypeNotFound,
    /// The resource type does not support this operation.
    UnsupportedAction,
    /// The request is invalid, including an argument rejected before sending.
    InvalidRequest,
    /// The patch changes a create-only property.
    NotUpdatable,
    /// A resource with this identifier already exists.
    AlreadyExists,
    /// The principal may not call this operation.
    AccessDenied,
    /// The credentials are expired or invalid, or could not be obtained.
    Credentials,
    /// The endpoint could not be reached or did not respond in time.
    Network,
    /// Any other failure reported by the service, or an unreadable response.
    Service,
}

/// A failed Cloud Control call.
///
/// Messages contain the operation, the type name and identifier or request token
/// involved, and the AWS error code and message; never a secret.
#[derive(Debug, thiserror::Error)]
pub enum CloudControlError {
    #[error("{operation} on {target} failed: {code}: {message}")]
    Service {
        operation: &'static str,
        target: String,
        kind: ErrorKind,
        code: String,
        message: String,
    },

    #[error("{operation} on {target} failed: {source}")]
    Credentials {
        operation: &'static str,
        target: String,
        source: CredentialError,
    },

    #[error("{operation} on {target} failed: could not reach {endpoint}: {detail}")]
    Network {
        operation: &'static str,
        target: String,
        endpoint: String,
        detail: String,
    },

    #[error("invalid {operation} request on {target}: {reason}")]
    InvalidArgument {
        operation: &'static str,
        target: String,
        reason: String,
    },

    #[error("{operation} on {target} returned an unreadable response: {reason}")]
    InvalidResponse {
        operation: &'static str,
        target: String,
        reason: String,
    },
}

/// Result alias for this module.
pub type CloudControlResult<T> = Result<T, CloudControlError>;

impl CloudControlError {
    /// Returns the kind of failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Service { kind, .. } => *kind,
            Self::Credentials { .. } => ErrorKind::Credentials,
            Self::Network { .. } => ErrorKind::Network,
            Self::InvalidArgument { .. } => ErrorKind::InvalidRequest,
            Self::InvalidResponse { .. } => ErrorKind::Service,
        }
    }

    /// Returns the AWS error code, for errors that the service returned.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True when sending the same call again later can succeed without any change:
    /// throttling, a concurrent operation on the resource, or a network failure.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::Throttling | ErrorKind::ConcurrentOperation | ErrorKind::Network
        )
    }
}

/// Maps a Cloud Control exception name to its kind.
pub(crate) fn kind_of_code(code: &str) -> ErrorKind {
    match code {
        "ThrottlingException" | "Throttling" => ErrorKind::Throttling,
        "ConcurrentOperationException" => ErrorKind::ConcurrentOperation,
        "ClientTokenConflictException" => ErrorKind::ClientTokenConflict,
        "ResourceNotFoundException" | "RequestTokenNotFoundException" => ErrorKind::NotFound,
        "TypeNotFoundException" | "PrivateTypeException" => ErrorKind::TypeNotFound,
        "UnsupportedActionException" => ErrorKind::UnsupportedAction,
        "InvalidRequestException" | "ValidationException" => ErrorKind::InvalidRequest,
        "NotUpdatableException" => ErrorKind::NotUpdatable,
        "AlreadyExistsException" => ErrorKind::AlreadyExists,
        "AccessDeniedException" => ErrorKind::AccessDenied,
        "InvalidCredentialsException" => ErrorKind::Credentials,
        _ => ErrorKind::Service,
    }
}

/// Everything needed to turn an SDK error into a [`CloudControlError`].
#[derive(Clone, Debug)]
pub(crate) struct CallContext {
    pub(crate) failure: FailureContext,
    pub(crate) endpoint: String,
}

impl CallContext {
    /// Classifies an SDK error of `operation` on `target`.
    pub(crate) fn classify<E>(
        &self,
        operation: &'static str,
        target: &str,
        error: &SdkError<E, HttpResponse>,
    ) -> CloudControlError
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let target = target.to_owned();
        if let Some(source) = credential_failure(error, &self.failure) {
            return CloudControlError::Credentials {
                operation,
                target,
                source,
            };
        }

        match error {
            SdkError::ServiceError(service) => {
                let code = service.err().code().unwrap_or("Unknown");
                let message = self
                    .failure
                    .redactor
                    .scrub(service.err().message().unwrap_or(""));
                if let Some(source) = from_auth_code(code, &self.failure.call_principal) {
                    return CloudControlError::Credentials {
                        operation,
                        target,
                        source,
                    };
                }
                CloudControlError::Service {
                    operation,
                    target,
                    kind: kind_of_code(code),
                    code: code.to_owned(),
                    message,
                }
            }
            SdkError::DispatchFailure(_)
            | SdkError::TimeoutError(_)
            | SdkError::ResponseError(_) => CloudControlError::Network {
                operation,
                target,
                endpoint: self.endpoint.clone(),
                detail: self.describe(error),
            },
            _ => CloudControlError::InvalidArgument {
                operation,
                target,
                reason: self.describe(error),
            },
        }
    }

    fn describe(&self, error: &(dyn StdError + 'static)) -> String {
        self.failure.redactor.scrub(&display_chain(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exception_names_map_to_kinds() {
        let cases = [
            ("ThrottlingException", ErrorKind::Throttling),
            (
                "ConcurrentOperationException",
                ErrorKind::ConcurrentOperation,
            ),
            (
                "ClientTokenConflictException",
                ErrorKind::ClientTokenConflict,
            ),
            ("ResourceNotFoundException", ErrorKind::NotFound),
            ("RequestTokenNotFoundException", ErrorKind::NotFound),
            ("TypeNotFoundException", ErrorKind::TypeNotFound),
            ("UnsupportedActionException", ErrorKind::UnsupportedAction),
            ("InvalidRequestException", ErrorKind::InvalidRequest),
            ("NotUpdatableException", ErrorKind::NotUpdatable),
            ("AlreadyExistsException", ErrorKind::AlreadyExists),
            ("GeneralServiceException", ErrorKind::Service),
            ("HandlerInternalFailureException", ErrorKind::Service),
        ];
        for (code, kind) in cases {
            assert_eq!(kind_of_code(code), kind, "{code}");
        }
    }

    #[test]
    fn transient_kinds() {
        let error = |kind| CloudControlError::Service {
            operation: "CreateResource",
            target: "AWS::Logs::LogGroup".to_owned(),
            kind,
            code: "X".to_owned(),
            message: String::new(),
        };

        assert!(error(ErrorKind::Throttling).is_transient());
        assert!(error(ErrorKind::ConcurrentOperation).is_transient());
        assert!(!error(ErrorKind::NotUpdatable).is_transient());
        assert!(!error(ErrorKind::ClientTokenConflict).is_transient());
    }
}
