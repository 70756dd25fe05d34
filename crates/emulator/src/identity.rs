//! Who a request comes from: access keys, the principals behind them, and the checks
//! that turn a signed request into a [`Principal`].
//!
//! Long-term keys belong to configured IAM users. Temporary keys (`ASIA...`) come from
//! the configuration or from AssumeRole and carry a session token and an expiry. The
//! order of checks follows AWS. The access key must be known, a temporary key needs its
//! exact session token, and the token must not be expired. Only then is the signature
//! compared, so a wrong secret is reported as a signature mismatch.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::secret::Secret;
use crate::sigv4::{self, Authorization, SigV4Error, SignedRequest};

/// An IAM identity that can sign requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// Twelve-digit account id.
    pub account: String,
    /// `arn:aws:iam::<account>:user/<name>` or
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    pub arn: String,
    /// `AIDA...` for users, `AROA...:<session>` for assumed roles.
    pub user_id: String,
    pub kind: PrincipalKind,
}

/// The kind of IAM identity behind a [`Principal`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PrincipalKind {
    User {
        name: String,
    },
    AssumedRole {
        role_name: String,
        /// `arn:aws:iam::<account>:role/<name>`, which trust policies name.
        role_arn: String,
        session_name: String,
    },
}

impl Principal {
    /// Builds the principal of an IAM user.
    pub fn user(account: &str, name: &str) -> Self {
        Self {
            account: account.to_string(),
            arn: format!("arn:aws:iam::{account}:user/{name}"),
            user_id: unique_id("AIDA", &format!("{account}/user/{name}")),
            kind: PrincipalKind::User {
                name: name.to_string(),
            },
        }
    }

    /// Builds the principal of a session of an assumed IAM role.
    pub fn assumed_role(account: &str, role_name: &str, session_name: &str) -> Self {
        let role_id = unique_id("AROA", &format!("{account}/role/{role_name}"));
        Self {
            account: account.to_string(),
            arn: format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}"),
            user_id: format!("{role_id}:{session_name}"),
            kind: PrincipalKind::AssumedRole {
                role_name: role_name.to_string(),
                role_arn: format!("arn:aws:iam::{account}:role/{role_name}"),
                session_name: session_name.to_string(),
            },
        }
    }

    /// Lists the ARNs a trust policy's `Principal.AWS` can name to mean this principal: the
    /// user ARN, or the role ARN and the assumed-role session ARN.
    pub fn policy_arns(&self) -> Vec<&str> {
        match &self.kind {
            PrincipalKind::User { .. } => vec![&self.arn],
            PrincipalKind::AssumedRole { role_arn, .. } => vec![role_arn, &self.arn],
        }
    }
}

/// Derives an IAM unique id: a four-letter prefix and 17 characters derived from `seed`, so the
/// same identity always has the same id.
pub(crate) fn unique_id(prefix: &str, seed: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(seed.as_bytes());
    let suffix: String = digest
        .iter()
        .take(17)
        .map(|byte| ALPHABET[(*byte as usize) % ALPHABET.len()] as char)
        .collect();
    format!("{prefix}{suffix}")
}

/// One access key and what it authenticates as.
#[derive(Clone, Debug)]
pub(crate) struct Credential {
    pub secret_access_key: Secret,
    /// Present exactly for temporary credentials.
    pub session_token: Option<Secret>,
    pub expiration: Option<DateTime<Utc>>,
    pub principal: Principal,
}

/// Authentication failure of a request. Each protocol maps these to its own error codes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum AuthError {
    #[error("request is missing authentication token")]
    MissingAuthentication,

    #[error("{0}")]
    IncompleteSignature(String),

    /// Unknown access key, or a temporary key whose session token is missing or wrong.
    #[error("the security token included in the request is invalid")]
    InvalidClientToken,

    #[error("the security token included in the request is expired")]
    ExpiredToken,

    #[error("{0}")]
    SignatureMismatch(String),
}

/// The access keys the emulator accepts.
#[derive(Debug, Default)]
pub(crate) struct Keyring {
    credentials: HashMap<String, Credential>,
}

impl Keyring {
    pub(crate) fn insert(&mut self, access_key_id: String, credential: Credential) {
        self.credentials.insert(access_key_id, credential);
    }

    /// Authenticates a signed request and returns its principal and credential scope.
    pub(crate) fn authenticate(
        &self,
        request: &SignedRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<(Principal, Authorization), AuthError> {
        let authorization = sigv4::parse_authorization(request.headers).map_err(|e| match e {
            SigV4Error::MissingAuthorization => AuthError::MissingAuthentication,
            other => AuthError::IncompleteSignature(other.to_string()),
        })?;

        let credential = self
            .credentials
            .get(&authorization.access_key_id)
            .ok_or(AuthError::InvalidClientToken)?;

        if let Some(expected_token) = &credential.session_token {
            let sent = request
                .headers
                .get("x-amz-security-token")
                .and_then(|value| value.to_str().ok());
            match sent {
                Some(token) if expected_token.matches(token) => {}
                _ => return Err(AuthError::InvalidClientToken),
            }
        }
        if credential.expiration.is_some_and(|expiry| expiry <= now) {
            return Err(AuthError::ExpiredToken);
        }

        sigv4::verify(
            &authorization,
            request,
            credential.secret_access_key.expose(),
            now,
        )
        .map_err(|error| match error {
            SigV4Error::Mismatch | SigV4Error::Expired { .. } => {
                AuthError::SignatureMismatch(capitalize(&error.to_string()))
            }
            other => AuthError::IncompleteSignature(capitalize(&other.to_string())),
        })?;

        Ok((credential.principal.clone(), authorization))
    }
}

/// AWS starts its wire messages with a capital letter; Rust error messages start lower.
pub(crate) fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_principal_has_iam_arn() {
        let principal = Principal::user("123456789012", "canopy-admin");

        assert_eq!(principal.arn, "arn:aws:iam::123456789012:user/canopy-admin");
        assert!(principal.user_id.starts_with("AIDA"));
        assert_eq!(principal.user_id.len(), 21);
    }

    #[test]
    fn assumed_role_principal_names_session() {
        let principal = Principal::assumed_role("210987654321", "deployer", "canopy");

        assert_eq!(
            principal.arn,
            "arn:aws:sts::210987654321:assumed-role/deployer/canopy"
        );
        assert!(principal.user_id.starts_with("AROA"));
        assert!(principal.user_id.ends_with(":canopy"));
        assert!(
            principal
                .policy_arns()
                .contains(&"arn:aws:iam::210987654321:role/deployer")
        );
    }
}
