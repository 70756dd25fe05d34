//! AWS STS over the awsQuery protocol: GetCallerIdentity and AssumeRole.
//!
//! Requests are form parameters (`Action=AssumeRole&Version=2011-06-15&...`), responses
//! are XML in STS's `<ActionResponse><ActionResult>` shape, and errors use
//! `<ErrorResponse>` with the HTTP status AWS sends. AssumeRole finds the role in the
//! configuration or among `AWS::IAM::Role` resources created through Cloud Control,
//! evaluates its trust policy, and issues temporary credentials that later requests
//! authenticate with. Secret keys, session tokens and external ids are never logged.

use std::collections::HashMap;

use axum::http::StatusCode;
use chrono::{Duration, SecondsFormat, Utc};
use quick_xml::escape::escape;
use rand::Rng;
use serde_json::Value;

use crate::identity::{AuthError, Credential, Principal, PrincipalKind, capitalize};
use crate::policy::{self, AssumeRoleRequest};
use crate::secret::Secret;
use crate::state::{RecordedCall, State};

const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// Maximum session AWS allows for role chaining and for roles without a
/// `MaxSessionDuration`, in seconds.
const DEFAULT_MAX_SESSION_SECONDS: i64 = 3600;

/// An STS error response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StsError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl StsError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationError", message)
    }

    /// Maps a failed authentication to its STS error.
    pub(crate) fn from_auth(error: &AuthError) -> Self {
        let forbidden = StatusCode::FORBIDDEN;
        match error {
            AuthError::MissingAuthentication => Self::new(
                forbidden,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            ),
            AuthError::IncompleteSignature(message) => Self::new(
                StatusCode::BAD_REQUEST,
                "IncompleteSignature",
                message.clone(),
            ),
            AuthError::InvalidClientToken => Self::new(
                forbidden,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ),
            AuthError::ExpiredToken => Self::new(
                forbidden,
                "ExpiredToken",
                "The security token included in the request is expired",
            ),
            AuthError::SignatureMismatch(message) => {
                Self::new(forbidden, "SignatureDoesNotMatch", message.clone())
            }
        }
    }

    /// Renders the `<ErrorResponse>` body.
    pub(crate) fn to_xml(&self, request_id: &str) -> String {
        let kind = if self.status.is_server_error() {
            "Receiver"
        } else {
            "Sender"
        };
        format!(
            "<ErrorResponse xmlns=\"{NAMESPACE}\">\n  <Error>\n    <Type>{kind}</Type>\n    \
             <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  \
             <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
            self.code,
            escape(&self.message)
        )
    }
}

/// Runs one STS action and returns the XML response body.
pub(crate) fn dispatch(
    state: &mut State,
    principal: &Principal,
    region: &str,
    params: &HashMap<String, String>,
    request_id: &str,
) -> Result<String, StsError> {
    let action = params.get("Action").map(String::as_str).unwrap_or_default();
    state.calls.push(RecordedCall {
        service: "sts".into(),
        operation: action.to_string(),
        account: principal.account.clone(),
        region: region.to_string(),
        type_name: None,
        identifier: None,
        client_token: None,
        throttled: false,
    });

    let result = match action {
        "GetCallerIdentity" => get_caller_identity(principal),
        "AssumeRole" => assume_role(state, principal, params)?,
        "" => {
            return Err(StsError::new(
                StatusCode::BAD_REQUEST,
                "MissingAction",
                "Missing Action",
            ));
        }
        other => {
            return Err(StsError::new(
                StatusCode::BAD_REQUEST,
                "InvalidAction",
                format!("Could not find operation {other} for version 2011-06-15"),
            ));
        }
    };
    Ok(format!(
        "<{action}Response xmlns=\"{NAMESPACE}\">\n  <{action}Result>\n{result}  \
         </{action}Result>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  \
         </ResponseMetadata>\n</{action}Response>\n"
    ))
}

fn get_caller_identity(principal: &Principal) -> String {
    format!(
        "    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n",
        escape(&principal.arn),
        escape(&principal.user_id),
        principal.account
    )
}

/// Splits `arn:aws:iam::<account>:role/<path/><name>` into account and role name.
fn parse_role_arn(role_arn: &str) -> Option<(&str, &str)> {
    let rest = role_arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("role/")?;
    let name = path_and_name.rsplit('/').next()?;
    let valid_account = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    (valid_account && !name.is_empty()).then_some((account, name))
}

fn assume_role(
    state: &mut State,
    caller: &Principal,
    params: &HashMap<String, String>,
) -> Result<String, StsError> {
    let role_arn = required(params, "RoleArn", "roleArn")?;
    let session_name = required(params, "RoleSessionName", "roleSessionName")?;
    let external_id = params.get("ExternalId").map(String::as_str);
    check_session_name(session_name)?;
    if let Some(external_id) = external_id {
        check_external_id(external_id)?;
    }
    let (account, role_name) = parse_role_arn(role_arn)
        .ok_or_else(|| StsError::validation(format!("{role_arn} is invalid")))?;

    let denied = || {
        StsError::new(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                caller.arn
            ),
        )
    };

    let (trust_policy, max_session) = find_role(state, account, role_name).ok_or_else(|| {
        tracing::info!(caller = %caller.arn, role_arn, "assume role denied: role not found");
        denied()
    })?;
    let request = AssumeRoleRequest {
        principal: caller,
        external_id,
        session_name,
    };
    let allowed = policy::allows_assume_role(&trust_policy, &request).unwrap_or_else(|error| {
        tracing::warn!(role_arn, %error, "trust policy cannot be read; denying");
        false
    });
    if !allowed {
        tracing::info!(caller = %caller.arn, role_arn, "assume role denied by trust policy");
        return Err(denied());
    }

    let duration = session_duration(state, caller, params, max_session)?;
    let principal = Principal::assumed_role(account, role_name, session_name);
    let expiration = Utc::now() + Duration::seconds(duration);
    let access_key_id = format!(
        "ASIA{}",
        random_text(16, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    );
    let secret = Secret::new(random_text(40, ALPHANUMERIC_SLASH));
    let token = Secret::new(format!(
        "FwoGZXIvYXdzE{}",
        random_text(180, ALPHANUMERIC_SLASH)
    ));

    let body = format!(
        "    <Credentials>\n      <AccessKeyId>{access_key_id}</AccessKeyId>\n      \
         <SecretAccessKey>{}</SecretAccessKey>\n      <SessionToken>{}</SessionToken>\n      \
         <Expiration>{}</Expiration>\n    </Credentials>\n    <AssumedRoleUser>\n      \
         <Arn>{}</Arn>\n      <AssumedRoleId>{}</AssumedRoleId>\n    </AssumedRoleUser>\n",
        escape(secret.expose()),
        escape(token.expose()),
        expiration.to_rfc3339_opts(SecondsFormat::Secs, true),
        escape(&principal.arn),
        escape(&principal.user_id),
    );
    tracing::info!(
        caller = %caller.arn,
        assumed = %principal.arn,
        access_key_id,
        duration_seconds = duration,
        "assume role allowed"
    );
    state.keyring.insert(
        access_key_id,
        Credential {
            secret_access_key: secret,
            session_token: Some(token),
            expiration: Some(expiration),
            principal,
        },
    );
    Ok(body)
}

const ALPHANUMERIC_SLASH: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Random text for credentials. These use the thread RNG, not the seeded one, so that
/// issued secrets cannot be predicted from the configuration.
fn random_text(count: usize, alphabet: &[u8]) -> String {
    let mut rng = rand::thread_rng();
    (0..count)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

/// Returns the role's trust policy and maximum session length in seconds.
fn find_role(state: &State, account: &str, role_name: &str) -> Option<(Value, i64)> {
    let key = (account.to_string(), role_name.to_string());
    if let Some(policy) = state.roles.get(&key) {
        return Some((policy.clone(), DEFAULT_MAX_SESSION_SECONDS));
    }
    let model = state.resources.find_iam_role(account, role_name)?;
    let policy = model.get("AssumeRolePolicyDocument")?.clone();
    let max_session = model
        .get("MaxSessionDuration")
        .and_then(Value::as_i64)
        .unwrap_or(DEFAULT_MAX_SESSION_SECONDS);
    Some((policy, max_session))
}

fn session_duration(
    state: &State,
    caller: &Principal,
    params: &HashMap<String, String>,
    max_session: i64,
) -> Result<i64, StsError> {
    let Some(text) = params.get("DurationSeconds") else {
        return Ok(i64::from(state.default_session_duration).min(max_session));
    };
    let duration: i64 = text
        .parse()
        .map_err(|_| StsError::validation(format!("DurationSeconds {text:?} is not an integer")))?;
    if duration < 900 {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{duration}' at 'durationSeconds' failed to \
             satisfy constraint: Member must have value greater than or equal to 900"
        )));
    }
    // Role chaining (an assumed role assuming another) is capped at one hour.
    let chained = matches!(caller.kind, PrincipalKind::AssumedRole { .. });
    let limit = if chained {
        DEFAULT_MAX_SESSION_SECONDS
    } else {
        max_session
    };
    if duration > limit {
        return Err(StsError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    Ok(duration)
}

fn required<'a>(
    params: &'a HashMap<String, String>,
    name: &str,
    member: &str,
) -> Result<&'a str, StsError> {
    params.get(name).map(String::as_str).ok_or_else(|| {
        StsError::validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy \
             constraint: Member must not be null"
        ))
    })
}

fn check_session_name(name: &str) -> Result<(), StsError> {
    let valid_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if (2..=64).contains(&name.len()) && valid_chars {
        return Ok(());
    }
    Err(StsError::validation(capitalize(&format!(
        "1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have \
         length between 2 and 64"
    ))))
}

/// Checks the external id's length and characters without ever echoing its value.
fn check_external_id(external_id: &str) -> Result<(), StsError> {
    let valid_chars = external_id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@:/-".contains(c));
    if (2..=1224).contains(&external_id.len()) && valid_chars {
        return Ok(());
    }
    Err(StsError::validation(
        "1 validation error detected: Value at 'externalId' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]* and have length \
         between 2 and 1224",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arn_with_path_parses() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::210987654321:role/service/deployer"),
            Some(("210987654321", "deployer"))
        );
        assert_eq!(parse_role_arn("arn:aws:iam::21098:role/x"), None);
        assert_eq!(parse_role_arn("arn:aws:iam::210987654321:user/x"), None);
    }

    #[test]
    fn error_xml_escapes_message() {
        let error = StsError::validation("a < b");

        let xml = error.to_xml("req-1");

        assert!(xml.contains("<Code>ValidationError</Code>"));
        assert!(xml.contains("a &lt; b"));
        assert!(xml.contains("<Type>Sender</Type>"));
        assert!(xml.contains("<RequestId>req-1</RequestId>"));
    }

    #[test]
    fn invalid_external_id_is_not_echoed() {
        let error = check_external_id("secret token with spaces").unwrap_err();

        assert!(!error.message.contains("secret token"));
    }
}
