//! AWS credentials: from the decrypted "AWS Credential" secret to an SDK configuration.
//!
//! A secret contains static keys, temporary keys (with a session token), or a role to
//! assume. For AssumeRole, the source identity is the secret's keys when it has them,
//! and canopy's own identity ([`OwnIdentity`]) when it does not. The AssumeRole call
//! always sends `sts:ExternalId` set to the workspace token, which the customer's role
//! trust policy checks. [`connect`] validates the inputs and builds an [`AwsSession`] without
//! calling AWS; [`AwsSession::caller_identity`] is the call that proves the credential
//! works.
//!
//! Assumed credentials come from aws-config's [`AssumeRoleProvider`] behind the SDK's
//! lazy identity cache, so every client built from one session shares one set of
//! assumed credentials and refreshes them before they expire.
//!
//! # Secrets
//! Secret access keys, session tokens and the workspace token never appear in a
//! `Debug` output, a log line or an error of this crate. The role session name is
//! visible in the role account's CloudTrail, so [`connect`] rejects one that contains
//! the workspace token.
//!
//! NOTE: the SDK itself logs raw requests, which carry the session token header and the
//! AssumeRole form body, at `trace` level under the `aws_smithy_runtime` target. A
//! program using this crate must keep that target below `trace`.

mod error;
mod validate;

use std::fmt;

use aws_config::meta::region::ProvideRegion;
use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileRegionProvider};
use aws_config::provider_config::ProviderConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::config::{Region, retry::RetryConfig, timeout::TimeoutConfig};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError;
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::cloudcontrol::CloudControl;
pub use error::{CredentialError, CredentialResult};
pub(crate) use error::{
    FailureContext, Redactor, credential_failure, display_chain, from_auth_code,
};

/// The decrypted value of an "AWS Credential" secret.
///
/// Empty strings count as absent, because secret forms submit empty fields.
/// `Debug` shows only the first four characters of the access key id. `Serialize`
/// writes every value in clear text, with AWS's field names, for encrypted storage only.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AwsCredentialSecret {
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    /// ARN of the IAM role to assume.
    pub assume_role: Option<String>,
    /// Custom endpoint URL for STS and Cloud Control, such as `canopy emulator`'s.
    pub endpoint: Option<String>,
}

impl fmt::Debug for AwsCredentialSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redact = |value: &Option<String>| present(value).map(|_| "<redacted>");
        let key_hint = present(&self.access_key_id).map(error::key_hint);
        f.debug_struct("AwsCredentialSecret")
            .field("access_key_id", &key_hint)
            .field("secret_access_key", &redact(&self.secret_access_key))
            .field("session_token", &redact(&self.session_token))
            .field("assume_role", &self.assume_role)
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// canopy's own AWS identity: the source identity for AssumeRole when the secret has
/// no keys of its own.
///
/// With `profile` set, credentials come from that profile of the shared AWS config
/// files (SSO, `credential_process` and role-chaining profiles included). Without it,
/// they come from the standard credential chain of the canopy process (environment,
/// profile, web identity, ECS or EC2 instance metadata).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OwnIdentity {
    pub profile: Option<String>,
}

/// The account and principal that AWS authenticates a session as.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallerIdentity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
}

/// An SDK configuration with credentials, region and endpoint resolved from a secret.
///
/// Cheap to clone; clients built from clones share the cached credentials.
#[derive(Clone)]
pub struct AwsSession {
    config: SdkConfig,
    region: String,
    endpoint: Option<String>,
    failure: FailureContext,
}

impl fmt::Debug for AwsSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsSession")
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("principal", &self.failure.call_principal)
            .finish()
    }
}

/// Validates `secret` and builds a session for `region`.
///
/// With `assume_role` set, the session assumes that role with `sts:ExternalId` set to
/// `external_id` (the workspace token) and the role session name `session_name`. The
/// source identity is the secret's keys if present, else `own`. Without `assume_role`,
/// `external_id` and `session_name` are not used.
///
/// # Errors
/// Returns a validation variant of [`CredentialError`] for a missing or malformed
/// field, a role value that is not a role ARN, a non-http(s) endpoint or an invalid
/// region. A session name that contains the workspace token or breaks the AWS rules
/// is rejected too. No network call is made, so failures of the credentials themselves
/// surface from the first call, such as [`AwsSession::caller_identity`].
pub async fn connect(
    secret: &AwsCredentialSecret,
    region: &str,
    own: &OwnIdentity,
    external_id: &str,
    session_name: &str,
) -> CredentialResult<AwsSession> {
    validate::check_region(region)?;
    let keys = static_keys(secret)?;
    let endpoint = present(&secret.endpoint);
    if let Some(endpoint) = endpoint {
        validate::check_endpoint(endpoint)?;
    }
    let role_arn = present(&secret.assume_role);
    if let Some(role_arn) = role_arn {
        validate::check_role_arn(role_arn)?;
        validate::check_external_id(external_id)?;
        validate::check_session_name(session_name, external_id)?;
    }

    let base = base_config(region, endpoint).await;
    let source_principal = match &keys {
        Some(keys) => secret_principal(keys),
        None => own_principal(own),
    };
    let mut redacted = vec![];
    if let Some(keys) = &keys {
        redacted.push(keys.secret_access_key().to_owned());
        redacted.extend(keys.session_token().map(str::to_owned));
    }

    let (credentials, call_principal) = match (role_arn, keys.clone()) {
        (None, None) => return Err(CredentialError::MissingCredentials),
        (None, Some(keys)) => (
            SharedCredentialsProvider::new(keys),
            source_principal.clone(),
        ),
        (Some(role_arn), keys) => {
            redacted.push(external_id.to_owned());
            let source = match keys {
                Some(keys) => SharedCredentialsProvider::new(keys),
                None => own_identity_provider(own, region).await,
            };
            let provider = AssumeRoleProvider::builder(role_arn)
                .external_id(external_id)
                .session_name(session_name)
                .configure(&base)
                .build_from_provider(source)
                .await;
            let principal = format!("role {role_arn} (session {session_name})");
            (SharedCredentialsProvider::new(provider), principal)
        }
    };

    let failure = FailureContext {
        source_principal,
        call_principal,
        role_arn: role_arn.map(str::to_owned),
        own_source: keys.is_none().then(|| own.profile.clone()).flatten(),
        sts_endpoint: endpoint_label("STS", endpoint, region),
        redactor: Redactor::new(redacted),
    };
    Ok(AwsSession {
        config: base
            .into_builder()
            .credentials_provider(credentials)
            .build(),
        region: region.to_owned(),
        endpoint: endpoint.map(str::to_owned),
        failure,
    })
}

impl AwsSession {
    /// Calls STS GetCallerIdentity: the check that the credential works, and the
    /// account and principal it acts as (the assumed role for AssumeRole).
    ///
    /// # Errors
    /// The classified [`CredentialError`]: expired token, unknown access key, bad secret
    /// key, AssumeRole denied, no source identity, or a network error naming the endpoint.
    pub async fn caller_identity(&self) -> CredentialResult<CallerIdentity> {
        let client = aws_sdk_sts::Client::new(&self.config);
        let span = tracing::info_span!(
            "sts.get_caller_identity",
            region = %self.region,
            principal = %self.failure.call_principal,
        );

        let output = client
            .get_caller_identity()
            .send()
            .instrument(span)
            .await
            .map_err(|e| self.classify_caller_identity_error(&e))?;

        let missing = |field: &str| CredentialError::Sts {
            code: "InvalidResponse".to_owned(),
            message: format!("GetCallerIdentity returned no {field}"),
        };
        Ok(CallerIdentity {
            account: output.account.ok_or_else(|| missing("Account"))?,
            arn: output.arn.ok_or_else(|| missing("Arn"))?,
            user_id: output.user_id.ok_or_else(|| missing("UserId"))?,
        })
    }

    /// Builds a Cloud Control client that shares this session's credentials.
    pub fn cloud_control(&self) -> CloudControl {
        let endpoint = endpoint_label("Cloud Control", self.endpoint.as_deref(), &self.region);
        CloudControl::new(&self.config, self.failure.clone(), endpoint)
    }

    /// Returns the region the session was built for.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// Returns the SDK configuration, for clients of services this crate does not wrap.
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.config
    }

    fn classify_caller_identity_error(
        &self,
        error: &SdkError<GetCallerIdentityError, HttpResponse>,
    ) -> CredentialError {
        let ctx = &self.failure;
        if let Some(classified) = credential_failure(error, ctx) {
            return classified;
        }
        match error {
            SdkError::ServiceError(service) => {
                let code = service.err().code().unwrap_or("Unknown");
                let message = service.err().message().unwrap_or("no message");
                from_auth_code(code, &ctx.call_principal).unwrap_or_else(|| CredentialError::Sts {
                    code: code.to_owned(),
                    message: ctx.redactor.scrub(message),
                })
            }
            SdkError::DispatchFailure(_)
            | SdkError::TimeoutError(_)
            | SdkError::ResponseError(_) => {
                error::network_error(error, &ctx.sts_endpoint, &ctx.redactor)
            }
            _ => CredentialError::Sts {
                code: "ClientError".to_owned(),
                message: ctx.redactor.scrub(&error::display_chain(error)),
            },
        }
    }
}

/// Resolves a named profile of the shared AWS config files into keys, for
/// `canopy secret create --from-profile NAME`.
///
/// Works with every profile kind that aws-config's profile provider supports: static
/// keys, SSO (after `aws sso login`), `credential_process`, and role chaining. Profiles
/// that produce temporary keys give a secret with a session token, which expires.
///
/// # Errors
/// [`CredentialError::Profile`] with the provider's explanation, such as an undefined
/// profile or an expired SSO session.
pub async fn credentials_from_profile(profile: &str) -> CredentialResult<AwsCredentialSecret> {
    let profile_error = |detail: String| CredentialError::Profile {
        profile: profile.to_owned(),
        detail,
    };

    // Role-chaining profiles call STS in the profile's region; the provider needs one.
    let region = ProfileFileRegionProvider::builder()
        .profile_name(profile)
        .build()
        .region()
        .await
        .unwrap_or_else(|| Region::from_static("us-east-1"));
    let provider_config = ProviderConfig::default().with_region(Some(region));
    let provider = ProfileFileCredentialsProvider::builder()
        .configure(&provider_config)
        .profile_name(profile)
        .build();

    let credentials = provider
        .provide_credentials()
        .await
        .map_err(|e| profile_error(error::display_chain(&e)))?;
    Ok(AwsCredentialSecret {
        access_key_id: Some(credentials.access_key_id().to_owned()),
        secret_access_key: Some(credentials.secret_access_key().to_owned()),
        session_token: credentials.session_token().map(str::to_owned),
        assume_role: None,
        endpoint: None,
    })
}

/// Builds the retry policy shared by STS and Cloud Control calls, which the
/// `cloudcontrol` module documentation describes.
fn retry_config() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(crate::cloudcontrol::MAX_ATTEMPTS)
        .with_initial_backoff(crate::cloudcontrol::INITIAL_BACKOFF)
        .with_max_backoff(crate::cloudcontrol::MAX_BACKOFF)
}

/// Bounds each attempt so that a stalled connection fails and is retried instead of
/// hanging the caller.
fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .operation_attempt_timeout(std::time::Duration::from_secs(60))
        .build()
}

/// Loads the configuration shared by all sessions, without credentials.
///
/// Region and endpoint are set explicitly, so the region chain (which may query EC2
/// instance metadata) never runs. Without an endpoint in the secret, an endpoint set by
/// `AWS_ENDPOINT_URL` in the canopy process's environment still applies, as in every
/// AWS SDK.
async fn base_config(region: &str, endpoint: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .retry_config(retry_config())
        .timeout_config(timeout_config())
        .no_credentials();
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    loader.load().await
}

/// Extracts and checks the secret's keys, if it has any.
fn static_keys(secret: &AwsCredentialSecret) -> CredentialResult<Option<Credentials>> {
    let key_id = present(&secret.access_key_id);
    let secret_key = present(&secret.secret_access_key);
    let token = present(&secret.session_token);

    let (key_id, secret_key) = match (key_id, secret_key) {
        (None, None) if token.is_some() => return Err(CredentialError::SessionTokenWithoutKeys),
        (None, None) => return Ok(None),
        (None, Some(_)) => return Err(CredentialError::MissingAccessKeyId),
        (Some(key_id), None) => {
            return Err(CredentialError::MissingSecretAccessKey {
                key_hint: error::key_hint(key_id),
            });
        }
        (Some(key_id), Some(secret_key)) => (key_id, secret_key),
    };
    validate::check_key_material("access key id", key_id)?;
    validate::check_key_material("secret access key", secret_key)?;
    if let Some(token) = token {
        validate::check_key_material("session token", token)?;
    }

    let credentials = Credentials::new(
        key_id,
        secret_key,
        token.map(str::to_owned),
        None,
        "canopy-aws-credential",
    );
    Ok(Some(credentials))
}

async fn own_identity_provider(own: &OwnIdentity, region: &str) -> SharedCredentialsProvider {
    let region = Region::new(region.to_owned());
    match &own.profile {
        Some(profile) => {
            let provider_config = ProviderConfig::default().with_region(Some(region));
            let provider = ProfileFileCredentialsProvider::builder()
                .configure(&provider_config)
                .profile_name(profile)
                .build();
            SharedCredentialsProvider::new(provider)
        }
        None => {
            let chain =
                aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
                    .region(region)
                    .build()
                    .await;
            SharedCredentialsProvider::new(chain)
        }
    }
}

fn secret_principal(keys: &Credentials) -> String {
    let kind = if keys.session_token().is_some() {
        "temporary"
    } else {
        "static"
    };
    let hint = error::key_hint(keys.access_key_id());
    format!("the AWS credential's {kind} key {hint}")
}

fn own_principal(own: &OwnIdentity) -> String {
    match &own.profile {
        Some(profile) => format!("canopy's own identity (profile {profile:?})"),
        None => "canopy's own identity".to_owned(),
    }
}

/// Names the endpoint a service call goes to, for network errors.
fn endpoint_label(service: &str, endpoint: Option<&str>, region: &str) -> String {
    match endpoint {
        Some(endpoint) => endpoint.to_owned(),
        None => format!("the default {service} endpoint of {region}"),
    }
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests;
