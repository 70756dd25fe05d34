//! Cloud Control's resource-request types, owned by canopy.
//!
//! The SDK's types are builders with every field optional and JSON documents carried
//! as strings. These types parse the documents, require the fields that every
//! `ProgressEvent` has, and serialize with AWS's field names so that the engine can
//! store a request and read it back after a crash.

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use aws_sdk_cloudcontrol::types as sdk;

/// The state of one resource request (`ProgressEvent` in the Cloud Control API).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProgressEvent {
    pub type_name: String,
    /// Primary identifier; may be present before SUCCESS, and on FAILED when a failed
    /// create left a resource behind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<String>,
    pub request_token: String,
    pub operation: Operation,
    #[serde(rename = "OperationStatus")]
    pub status: OperationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_time: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_model: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<HandlerErrorCode>,
    /// Earliest time to poll the request again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<DateTime<Utc>>,
}

/// The operation of a resource request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Operation {
    Create,
    Update,
    Delete,
}

/// The status of a resource request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationStatus {
    Pending,
    InProgress,
    Success,
    Failed,
    CancelInProgress,
    CancelComplete,
}

impl OperationStatus {
    /// True for SUCCESS, FAILED and CANCEL_COMPLETE, after which the status never changes.
    ///
    /// CANCEL_COMPLETE is terminal but is not success: the operation may have been
    /// partly applied.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Success | Self::Failed | Self::CancelComplete)
    }

    /// True only for SUCCESS.
    pub fn is_success(self) -> bool {
        self == Self::Success
    }
}

/// The handler error code of a FAILED resource request.
///
/// Codes this version does not know are kept in [`HandlerErrorCode::Other`] and
/// serialize back to the same string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum HandlerErrorCode {
    NotUpdatable,
    InvalidRequest,
    AccessDenied,
    UnauthorizedTaggingOperation,
    InvalidCredentials,
    AlreadyExists,
    NotFound,
    ResourceConflict,
    Throttling,
    ServiceLimitExceeded,
    NotStabilized,
    GeneralServiceException,
    ServiceInternalError,
    ServiceTimeout,
    NetworkFailure,
    InternalFailure,
    Other(String),
}

const HANDLER_ERROR_CODES: [(&str, HandlerErrorCode); 16] = [
    ("NotUpdatable", HandlerErrorCode::NotUpdatable),
    ("InvalidRequest", HandlerErrorCode::InvalidRequest),
    ("AccessDenied", HandlerErrorCode::AccessDenied),
    (
        "UnauthorizedTaggingOperation",
        HandlerErrorCode::UnauthorizedTaggingOperation,
    ),
    ("InvalidCredentials", HandlerErrorCode::InvalidCredentials),
    ("AlreadyExists", HandlerErrorCode::AlreadyExists),
    ("NotFound", HandlerErrorCode::NotFound),
    ("ResourceConflict", HandlerErrorCode::ResourceConflict),
    ("Throttling", HandlerErrorCode::Throttling),
    (
        "ServiceLimitExceeded",
        HandlerErrorCode::ServiceLimitExceeded,
    ),
    ("NotStabilized", HandlerErrorCode::NotStabilized),
    (
        "GeneralServiceException",
        HandlerErrorCode::GeneralServiceException,
    ),
    (
        "ServiceInternalError",
        HandlerErrorCode::ServiceInternalError,
    ),
    ("ServiceTimeout", HandlerErrorCode::ServiceTimeout),
    ("NetworkFailure", HandlerErrorCode::NetworkFailure),
    ("InternalFailure", HandlerErrorCode::InternalFailure),
];

impl HandlerErrorCode {
    /// Returns the code as AWS spells it.
    pub fn as_str(&self) -> &str {
        if let Self::Other(code) = self {
            return code;
        }
        HANDLER_ERROR_CODES
            .iter()
            .find(|(_, known)| known == self)
            .map(|(name, _)| *name)
            .expect("every known code is in the table")
    }

    /// True for the codes that the CloudFormation handler contract calls retriable:
    /// Throttling, NetworkFailure, ServiceInternalError and ResourceConflict.
    ///
    /// A retry after a FAILED request is a new request with a new client token. Before
    /// sending it, the caller checks that the failed request left nothing behind.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Throttling
                | Self::NetworkFailure
                | Self::ServiceInternalError
                | Self::ResourceConflict
        )
    }
}

impl From<String> for HandlerErrorCode {
    fn from(code: String) -> Self {
        HANDLER_ERROR_CODES
            .iter()
            .find(|(name, _)| *name == code)
            .map(|(_, known)| known.clone())
            .unwrap_or(Self::Other(code))
    }
}

impl From<HandlerErrorCode> for String {
    fn from(code: HandlerErrorCode) -> Self {
        code.as_str().to_owned()
    }
}

impl std::fmt::Display for HandlerErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource as GetResource or ListResources returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceDescription {
    pub identifier: String,
    /// The resource model; write-only properties are absent and ListResources may
    /// return only some properties.
    pub properties: serde_json::Value,
}

/// One page of ListResources.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPage {
    pub type_name: String,
    pub resources: Vec<ResourceDescription>,
    /// Token for the next page; `None` on the last page.
    pub next_token: Option<String>,
}

/// A response field that is missing or unreadable.
#[derive(Debug)]
pub(crate) struct MalformedResponse(pub(crate) String);

impl ProgressEvent {
    /// Converts the SDK's event, requiring the fields that every event has.
    pub(crate) fn from_sdk(event: &sdk::ProgressEvent) -> Result<Self, MalformedResponse> {
        let missing = |field: &str| MalformedResponse(format!("the ProgressEvent has no {field}"));

        let operation = match event.operation().ok_or_else(|| missing("Operation"))? {
            sdk::Operation::Create => Operation::Create,
            sdk::Operation::Update => Operation::Update,
            sdk::Operation::Delete => Operation::Delete,
            other => {
                let message = format!("unknown Operation {:?}", other.as_str());
                return Err(MalformedResponse(message));
            }
        };
        let status = convert_status(
            event
                .operation_status()
                .ok_or_else(|| missing("OperationStatus"))?,
        )?;
        let resource_model = event
            .resource_model()
            .map(|model| parse_document("ResourceModel", model))
            .transpose()?;

        Ok(Self {
            type_name: event
                .type_name()
                .ok_or_else(|| missing("TypeName"))?
                .to_owned(),
            identifier: event.identifier().map(str::to_owned),
            request_token: event
                .request_token()
                .ok_or_else(|| missing("RequestToken"))?
                .to_owned(),
            operation,
            status,
            event_time: event.event_time().and_then(to_chrono),
            resource_model,
            status_message: event.status_message().map(str::to_owned),
            error_code: event
                .error_code()
                .map(|code| HandlerErrorCode::from(code.as_str().to_owned())),
            retry_after: event.retry_after().and_then(to_chrono),
        })
    }
}

impl ResourceDescription {
    pub(crate) fn from_sdk(
        description: &sdk::ResourceDescription,
    ) -> Result<Self, MalformedResponse> {
        let identifier = description
            .identifier()
            .ok_or_else(|| MalformedResponse("the resource has no Identifier".to_owned()))?;
        let properties = match description.properties() {
            Some(properties) => parse_document("Properties", properties)?,
            None => serde_json::Value::Object(serde_json::Map::new()),
        };
        Ok(Self {
            identifier: identifier.to_owned(),
            properties,
        })
    }
}

fn convert_status(status: &sdk::OperationStatus) -> Result<OperationStatus, MalformedResponse> {
    let converted = match status {
        sdk::OperationStatus::Pending => OperationStatus::Pending,
        sdk::OperationStatus::InProgress => OperationStatus::InProgress,
        sdk::OperationStatus::Success => OperationStatus::Success,
        sdk::OperationStatus::Failed => OperationStatus::Failed,
        sdk::OperationStatus::CancelInProgress => OperationStatus::CancelInProgress,
        sdk::OperationStatus::CancelComplete => OperationStatus::CancelComplete,
        other => {
            let message = format!("unknown OperationStatus {:?}", other.as_str());
            return Err(MalformedResponse(message));
        }
    };
    Ok(converted)
}

/// Parses a JSON document that Cloud Control carries as a string.
fn parse_document(field: &str, text: &str) -> Result<serde_json::Value, MalformedResponse> {
    serde_json::from_str(text)
        .map_err(|e| MalformedResponse(format!("the {field} is not valid JSON: {e}")))
}

fn to_chrono(time: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(time.secs(), time.subsec_nanos()).single()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_statuses() {
        use OperationStatus::*;

        for status in [Success, Failed, CancelComplete] {
            assert!(status.is_terminal(), "{status:?}");
        }
        for status in [Pending, InProgress, CancelInProgress] {
            assert!(!status.is_terminal(), "{status:?}");
        }
        assert!(!CancelComplete.is_success());
        assert!(Success.is_success());
    }

    #[test]
    fn handler_error_codes_round_trip() {
        for (name, code) in HANDLER_ERROR_CODES {
            assert_eq!(HandlerErrorCode::from(name.to_owned()), code);
            assert_eq!(code.as_str(), name);
        }
        let unknown = HandlerErrorCode::from("SomethingNew".to_owned());
        assert_eq!(unknown, HandlerErrorCode::Other("SomethingNew".to_owned()));
        assert_eq!(serde_json::to_value(&unknown).unwrap(), "SomethingNew");
    }

    #[test]
    fn retryable_handler_codes() {
        let retryable: Vec<&str> = HANDLER_ERROR_CODES
            .iter()
            .filter(|(_, code)| code.is_retryable())
            .map(|(name, _)| *name)
            .collect();

        assert_eq!(
            retryable,
            [
                "ResourceConflict",
                "Throttling",
                "ServiceInternalError",
                "NetworkFailure"
            ]
        );
    }

    #[test]
    fn progress_event_serializes_with_aws_names() {
        let event = ProgressEvent {
            type_name: "AWS::Logs::LogGroup".to_owned(),
            identifier: Some("lg".to_owned()),
            request_token: "tok".to_owned(),
            operation: Operation::Create,
            status: OperationStatus::InProgress,
            event_time: None,
            resource_model: None,
            status_message: None,
            error_code: Some(HandlerErrorCode::Throttling),
            retry_after: None,
        };

        let json = serde_json::to_value(&event).unwrap();

        assert_eq!(
            json,
            serde_json::json!({
                "TypeName": "AWS::Logs::LogGroup",
                "Identifier": "lg",
                "RequestToken": "tok",
                "Operation": "CREATE",
                "OperationStatus": "IN_PROGRESS",
                "ErrorCode": "Throttling",
            })
        );
        let back: ProgressEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn sdk_event_converts_documents_and_times() {
        let sdk_event = sdk::ProgressEvent::builder()
            .type_name("AWS::Logs::LogGroup")
            .identifier("lg")
            .request_token("tok")
            .operation(sdk::Operation::Update)
            .operation_status(sdk::OperationStatus::Failed)
            .resource_model(r#"{"RetentionInDays":7}"#)
            .error_code(sdk::HandlerErrorCode::NotUpdatable)
            .retry_after(aws_smithy_types::DateTime::from_secs(1_700_000_000))
            .build();

        let event = ProgressEvent::from_sdk(&sdk_event).unwrap();

        assert_eq!(event.operation, Operation::Update);
        assert_eq!(event.status, OperationStatus::Failed);
        assert_eq!(
            event.resource_model,
            Some(serde_json::json!({"RetentionInDays": 7}))
        );
        assert_eq!(event.error_code, Some(HandlerErrorCode::NotUpdatable));
        assert_eq!(event.retry_after.unwrap().timestamp(), 1_700_000_000);
    }

    #[test]
    fn sdk_event_without_request_token_is_malformed() {
        let sdk_event = sdk::ProgressEvent::builder()
            .type_name("AWS::Logs::LogGroup")
            .operation(sdk::Operation::Create)
            .operation_status(sdk::OperationStatus::Pending)
            .build();

        let error = ProgressEvent::from_sdk(&sdk_event).unwrap_err();

        assert!(error.0.contains("RequestToken"), "{}", error.0);
    }
}
