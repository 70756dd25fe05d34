//! Credential errors, and the classification of STS and credential-provider failures
//! into them.
//!
//! The SDK reports an authentication failure as an error code buried in a chain of
//! wrapped errors, and the same failure has different codes under the query protocol
//! (STS) and the JSON protocol (Cloud Control). This module turns both into one
//! [`CredentialError`] variant per cause, each with a message that tells the user what to fix.
//! Every message is built from values that are not secret, and any text that comes
//! back from AWS passes through a [`Redactor`] first.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;

/// A failure to build or use AWS credentials.
///
/// No variant contains a secret access key, a session token or the workspace token
/// used as `sts:ExternalId`. Messages name the principal by its access key id prefix,
/// role ARN or profile, and text returned by AWS is scrubbed of those values.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("invalid AWS region {region:?}: expected a region code such as us-east-1")]
    InvalidRegion { region: String },

    #[error(
        "the AWS credential has a secret access key but no access key id: \
         add the access key id that belongs to the secret key"
    )]
    MissingAccessKeyId,

    #[error(
        "the AWS credential has access key id {key_hint} but no secret access key: \
         add the secret access key"
    )]
    MissingSecretAccessKey { key_hint: String },

    #[error(
        "the AWS credential has a session token but no access keys: add the access key id \
         and secret access key that were issued with the token"
    )]
    SessionTokenWithoutKeys,

    #[error(
        "the AWS credential has neither access keys nor a role to assume: add static keys, \
         temporary keys or an AssumeRole role ARN"
    )]
    MissingCredentials,

    #[error("the {field} in the AWS credential {problem}: enter the value again")]
    MalformedValue {
        field: &'static str,
        problem: &'static str,
    },

    #[error(
        "invalid AssumeRole value {value:?}: expected an IAM role ARN such as \
         arn:aws:iam::123456789012:role/canopy"
    )]
    InvalidRoleArn { value: String },

    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint { endpoint: String, reason: String },

    #[error("the workspace token cannot be used as sts:ExternalId: {reason}")]
    InvalidExternalId { reason: &'static str },

    #[error(
        "the role session name contains the workspace token, which would expose the token \
         in the CloudTrail logs of the role's account: choose a session name without it"
    )]
    SessionNameContainsToken,

    #[error("invalid role session name: {reason}")]
    InvalidSessionName { reason: String },

    #[error(
        "the session token of {principal} has expired: create new temporary keys \
         and update the AWS credential"
    )]
    ExpiredToken { principal: String },

    #[error(
        "AWS does not recognise the access key id of {principal}: check the key id, \
         and whether the key was deleted or deactivated in IAM"
    )]
    UnknownAccessKey { principal: String },

    #[error(
        "the request signature of {principal} does not match: the secret access key \
         does not belong to that access key id, so enter the secret key again"
    )]
    BadSecretKey { principal: String },

    #[error(
        "access denied when assuming role {role_arn} as {principal}: the role's trust \
         policy must allow canopy's identity to call sts:AssumeRole with the condition \
         sts:ExternalId equal to this workspace's token, shown by `canopy workspace token` \
         (AWS message: {message})"
    )]
    AssumeRoleDenied {
        role_arn: String,
        principal: String,
        message: String,
    },

    #[error(
        "no AWS identity found to assume role {role_arn}: the AWS credential has no \
         access keys and {source_label} returned no credentials ({detail}); configure \
         credentials for the canopy process or add access keys to the AWS credential"
    )]
    NoSourceIdentity {
        role_arn: String,
        source_label: String,
        detail: String,
    },

    #[error("could not reach the AWS endpoint {endpoint}: {detail}")]
    Network { endpoint: String, detail: String },

    #[error("could not load credentials from AWS profile {profile:?}: {detail}")]
    Profile { profile: String, detail: String },

    #[error("STS returned {code}: {message}")]
    Sts { code: String, message: String },
}

/// Result alias for this module.
pub type CredentialResult<T> = Result<T, CredentialError>;

/// Secret values that must never appear in text that canopy shows or logs.
///
/// AWS messages are passed through [`Redactor::scrub`] before they enter an error,
/// in case a service or a proxy echoes a request value back.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    secrets: Arc<Vec<String>>,
}

impl Redactor {
    pub(crate) fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let secrets = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        Self {
            secrets: Arc::new(secrets),
        }
    }

    /// Replaces every occurrence of a secret value in `text` with `<redacted>`.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut scrubbed = text.to_owned();
        for secret in self.secrets.iter() {
            scrubbed = scrubbed.replace(secret.as_str(), "<redacted>");
        }
        scrubbed
    }
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} values)", self.secrets.len())
    }
}

/// The facts about a session that the classifier uses to name the part that failed.
#[derive(Clone, Debug)]
pub(crate) struct FailureContext {
    /// The identity that signs the first request: the secret's keys or canopy's own.
    pub(crate) source_principal: String,
    /// The identity that signs service calls: the assumed role, or the source.
    pub(crate) call_principal: String,
    pub(crate) role_arn: Option<String>,
    /// Profile of canopy's own identity, when that identity is the source.
    pub(crate) own_source: Option<String>,
    pub(crate) sts_endpoint: String,
    pub(crate) redactor: Redactor,
}

/// Maps an AWS authentication error code to its variant.
///
/// Query-protocol services such as STS use `ExpiredToken`, `InvalidClientTokenId` and
/// `SignatureDoesNotMatch`; JSON-protocol services such as Cloud Control use
/// `ExpiredTokenException`, `UnrecognizedClientException` and `InvalidSignatureException`.
pub(crate) fn from_auth_code(code: &str, principal: &str) -> Option<CredentialError> {
    let principal = principal.to_owned();
    match code {
        "ExpiredToken" | "ExpiredTokenException" | "TokenRefreshRequired" => {
            Some(CredentialError::ExpiredToken { principal })
        }
        "InvalidClientTokenId" | "UnrecognizedClientException" => {
            Some(CredentialError::UnknownAccessKey { principal })
        }
        "SignatureDoesNotMatch" | "InvalidSignatureException" => {
            Some(CredentialError::BadSecretKey { principal })
        }
        _ => None,
    }
}

/// Classifies a credential-resolution failure found anywhere in an error chain.
///
/// Returns `None` when the chain shows no failure to obtain credentials, so the caller
/// can classify the error as a failure of its own call.
pub(crate) fn credential_failure(
    error: &(dyn StdError + 'static),
    ctx: &FailureContext,
) -> Option<CredentialError> {
    // The outermost AssumeRole error and the innermost provider error, with their
    // depths in the chain.
    let mut assume_role: Option<(usize, &SdkError<AssumeRoleError, HttpResponse>)> = None;
    let mut provider: Option<(usize, &CredentialsError)> = None;

    let mut current: Option<&(dyn StdError + 'static)> = Some(error);
    let mut depth = 0;
    while let Some(level) = current {
        if assume_role.is_none() {
            assume_role = level.downcast_ref().map(|e| (depth, e));
        }
        if let Some(found) = level.downcast_ref() {
            provider = Some((depth, found));
        }
        current = level.source();
        depth += 1;
    }

    // A provider error below the AssumeRole error means that the source identity could
    // not be loaded, and the SDK then reports the AssumeRole call as a dispatch failure.
    // Otherwise the AssumeRole error response (or its transport failure) is the cause.
    let source_failed = match (assume_role, provider) {
        (Some((role_depth, _)), Some((provider_depth, _))) => provider_depth > role_depth,
        (Some(_), None) => false,
        (None, _) => true,
    };
    if let Some((_, sdk_error)) = assume_role
        && !source_failed
        && let Some(classified) = classify_assume_role(sdk_error, ctx)
    {
        return Some(classified);
    }

    // The only providers that can fail are canopy's own identity and AssumeRole, so a
    // provider error that is not an AssumeRole error response concerns the source
    // identity.
    let (_, provider_error) = provider?;
    match provider_error {
        CredentialsError::ProviderTimedOut(timeout) => Some(CredentialError::Network {
            endpoint: ctx.sts_endpoint.clone(),
            detail: format!(
                "loading credentials timed out after {} s",
                timeout.timeout_duration().as_secs()
            ),
        }),
        _ => Some(no_source_identity(provider_error, ctx)),
    }
}

fn classify_assume_role(
    error: &SdkError<AssumeRoleError, HttpResponse>,
    ctx: &FailureContext,
) -> Option<CredentialError> {
    match error {
        SdkError::ServiceError(service) => {
            let err = service.err();
            let code = err.code().unwrap_or("Unknown");
            let message = ctx.redactor.scrub(err.message().unwrap_or("no message"));
            if code == "AccessDenied" {
                return Some(CredentialError::AssumeRoleDenied {
                    role_arn: ctx.role_arn.clone().unwrap_or_default(),
                    principal: ctx.source_principal.clone(),
                    message,
                });
            }
            let classified = from_auth_code(code, &ctx.source_principal).unwrap_or_else(|| {
                CredentialError::Sts {
                    code: code.to_owned(),
                    message,
                }
            });
            Some(classified)
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            Some(network_error(error, &ctx.sts_endpoint, &ctx.redactor))
        }
        // A construction failure wraps the failure to load the source identity, which
        // the caller finds further down the chain.
        _ => None,
    }
}

fn no_source_identity(error: &(dyn StdError + 'static), ctx: &FailureContext) -> CredentialError {
    let source_label = match &ctx.own_source {
        Some(profile) => format!("canopy's AWS profile {profile:?}"),
        None => "the standard AWS credential chain of the canopy process".to_owned(),
    };
    CredentialError::NoSourceIdentity {
        role_arn: ctx.role_arn.clone().unwrap_or_default(),
        source_label,
        detail: ctx.redactor.scrub(&display_chain(error)),
    }
}

/// Builds a [`CredentialError::Network`] naming `endpoint`.
pub(crate) fn network_error(
    error: &(dyn StdError + 'static),
    endpoint: &str,
    redactor: &Redactor,
) -> CredentialError {
    CredentialError::Network {
        endpoint: endpoint.to_owned(),
        detail: redactor.scrub(&display_chain(error)),
    }
}

/// Joins the messages of an error and its sources with ": ", skipping repeats.
///
/// Unlike the SDK's `DisplayErrorContext`, this leaves out the `Debug` dump.
pub(crate) fn display_chain(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(error);
    while let Some(level) = current {
        let message = level.to_string();
        if !message.is_empty() && parts.last() != Some(&message) {
            parts.push(message);
        }
        current = level.source();
    }
    parts.join(": ")
}

/// Returns the first four characters of an access key id, which tell a long-term key
/// (`AKIA`) from a temporary one (`ASIA`) without identifying it.
pub(crate) fn key_hint(access_key_id: &str) -> String {
    let prefix: String = access_key_id.chars().take(4).collect();
    format!("{prefix}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redactor_scrubs_every_secret() {
        let redactor = Redactor::new(["s3cr3t".to_owned(), "tok".to_owned(), String::new()]);

        let scrubbed = redactor.scrub("key s3cr3t and tok and s3cr3t");

        assert_eq!(scrubbed, "key <redacted> and <redacted> and <redacted>");
        assert_eq!(format!("{redactor:?}"), "Redactor(2 values)");
    }

    #[test]
    fn auth_codes_of_both_protocols_map_to_variants() {
        let cases = [
            ("ExpiredToken", "ExpiredToken"),
            ("ExpiredTokenException", "ExpiredToken"),
            ("InvalidClientTokenId", "UnknownAccessKey"),
            ("UnrecognizedClientException", "UnknownAccessKey"),
            ("SignatureDoesNotMatch", "BadSecretKey"),
            ("InvalidSignatureException", "BadSecretKey"),
        ];
        for (code, expected) in cases {
            let error = from_auth_code(code, "p").expect(code);
            let variant = format!("{error:?}");
            assert!(variant.starts_with(expected), "{code} gave {variant}");
        }
        assert!(from_auth_code("AccessDenied", "p").is_none());
    }

    #[test]
    fn key_hint_keeps_four_characters() {
        assert_eq!(key_hint("AKIAIOSFODNN7EXAMPLE"), "AKIA…");
        assert_eq!(key_hint("AK"), "AK…");
    }
}
