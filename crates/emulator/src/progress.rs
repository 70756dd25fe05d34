//! Cloud Control's request-tracking vocabulary: `Operation`, `OperationStatus` and the
//! `ProgressEvent` wire shape.
//!
//! Every mutating Cloud Control call creates a resource request that is reported through
//! `ProgressEvent`s. The serialized field names and enum spellings here are the ones in
//! the Cloud Control API reference, because the SDK and the `aws` CLI parse them.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The kind of change a resource request makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operation {
    Create,
    Update,
    Delete,
}

impl Operation {
    /// Returns the wire spelling (`CREATE`, `UPDATE`, `DELETE`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "CREATE" => Some(Self::Create),
            "UPDATE" => Some(Self::Update),
            "DELETE" => Some(Self::Delete),
            _ => None,
        }
    }
}

/// The lifecycle stage of a resource request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
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
    /// Returns the wire spelling (`IN_PROGRESS`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::InProgress => "IN_PROGRESS",
            Self::Success => "SUCCESS",
            Self::Failed => "FAILED",
            Self::CancelInProgress => "CANCEL_IN_PROGRESS",
            Self::CancelComplete => "CANCEL_COMPLETE",
        }
    }

    /// Parses the wire spelling.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::InProgress,
            Self::Success,
            Self::Failed,
            Self::CancelInProgress,
            Self::CancelComplete,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }

    /// True for SUCCESS, FAILED and CANCEL_COMPLETE, after which nothing changes.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Success | Self::Failed | Self::CancelComplete)
    }
}

/// The current state of one resource request, as Cloud Control reports it.
///
/// `resource_model` contains the properties as a JSON value. It is serialized as a JSON
/// string, as on the wire, and never contains write-only properties.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgressEvent {
    pub type_name: String,
    pub identifier: Option<String>,
    pub request_token: String,
    pub operation: Operation,
    pub operation_status: OperationStatus,
    /// Seconds since the Unix epoch, with fractions.
    pub event_time: f64,
    pub resource_model: Option<Value>,
    pub status_message: Option<String>,
    /// A `HandlerErrorCode` such as `NotFound` or `Throttling`, set only when FAILED.
    pub error_code: Option<String>,
    /// Seconds since the Unix epoch after which the caller may poll again.
    pub retry_after: Option<f64>,
}

impl ProgressEvent {
    /// Builds the wire JSON object, leaving out absent fields as AWS does.
    pub fn to_wire(&self) -> Value {
        let mut object = serde_json::Map::new();
        object.insert("TypeName".into(), json!(self.type_name));
        if let Some(identifier) = &self.identifier {
            object.insert("Identifier".into(), json!(identifier));
        }
        object.insert("RequestToken".into(), json!(self.request_token));
        object.insert("Operation".into(), json!(self.operation.as_str()));
        object.insert(
            "OperationStatus".into(),
            json!(self.operation_status.as_str()),
        );
        object.insert("EventTime".into(), json!(self.event_time));
        if let Some(model) = &self.resource_model {
            object.insert("ResourceModel".into(), json!(model.to_string()));
        }
        if let Some(message) = &self.status_message {
            object.insert("StatusMessage".into(), json!(message));
        }
        if let Some(code) = &self.error_code {
            object.insert("ErrorCode".into(), json!(code));
        }
        if let Some(retry_after) = self.retry_after {
            object.insert("RetryAfter".into(), json!(retry_after));
        }
        Value::Object(object)
    }
}

/// Returns the current time as epoch seconds with millisecond precision, as `EventTime` carries.
pub fn epoch_seconds_now() -> f64 {
    let now = chrono::Utc::now();
    now.timestamp_millis() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_event_carries_model_as_string() {
        let event = ProgressEvent {
            type_name: "AWS::EC2::VPC".into(),
            identifier: Some("vpc-1".into()),
            request_token: "token".into(),
            operation: Operation::Create,
            operation_status: OperationStatus::InProgress,
            event_time: 1.5,
            resource_model: Some(json!({"CidrBlock": "10.0.0.0/16"})),
            status_message: None,
            error_code: None,
            retry_after: None,
        };

        let wire = event.to_wire();

        assert_eq!(wire["OperationStatus"], "IN_PROGRESS");
        assert_eq!(wire["ResourceModel"], r#"{"CidrBlock":"10.0.0.0/16"}"#);
        assert!(wire.get("ErrorCode").is_none());
        assert_eq!(wire["EventTime"], 1.5);
    }

    #[test]
    fn status_parses_its_own_spelling() {
        for status in ["PENDING", "IN_PROGRESS", "CANCEL_COMPLETE"] {
            let parsed = OperationStatus::parse(status).expect("known status");
            assert_eq!(parsed.as_str(), status);
        }
        assert_eq!(OperationStatus::parse("DONE"), None);
    }
}
