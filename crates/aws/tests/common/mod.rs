//! The fixture shared by the integration tests: an emulator on 127.0.0.1 with the
//! default accounts, a role that trusts the canopy account under an external id, and
//! pre-issued temporary credentials (one valid, one expired).
//!
//! Every secret used here names the emulator's endpoint explicitly, so no test reaches
//! AWS or the default credential chain.

#![allow(dead_code)]

use canopy_aws::AwsCredentialSecret;
use canopy_emulator::{
    DEFAULT_ACCOUNT_ID, DEFAULT_ADMIN_ACCESS_KEY_ID, DEFAULT_ADMIN_SECRET_ACCESS_KEY,
    EmulatorConfig, RoleConfig, RunningEmulator, SessionConfig,
};
use chrono::{Duration, Utc};
use serde_json::json;

pub const REGION: &str = "us-east-1";
pub const CUSTOMER_ACCOUNT: &str = "210987654321";
pub const WORKSPACE_TOKEN: &str = "cnpy_ws_7b2f9c41e8d04a6f";
pub const ROLE_ARN: &str = "arn:aws:iam::210987654321:role/canopy-deployer";
pub const SESSION_NAME: &str = "canopy-apply";

pub const SESSION_KEY_ID: &str = "ASIAEMULATORVALID001";
pub const SESSION_SECRET: &str = "emulator/valid/secret/00000000000000001";
pub const SESSION_TOKEN: &str = "emulator-valid-session-token-1";
pub const EXPIRED_KEY_ID: &str = "ASIAEMULATOREXPIRED1";
pub const EXPIRED_SECRET: &str = "emulator/expired/secret/000000000000001";
pub const EXPIRED_TOKEN: &str = "emulator-expired-session-token-1";

/// Starts an emulator that completes resource requests before the next call.
pub async fn start_emulator() -> RunningEmulator {
    start_emulator_with(base_config()).await
}

pub async fn start_emulator_with(config: EmulatorConfig) -> RunningEmulator {
    let addr = "127.0.0.1:0".parse().expect("loopback address");
    canopy_emulator::start(config, addr)
        .await
        .expect("emulator starts")
}

pub fn base_config() -> EmulatorConfig {
    let trust_policy = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": format!("arn:aws:iam::{DEFAULT_ACCOUNT_ID}:root") },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "sts:ExternalId": WORKSPACE_TOKEN } }
        }]
    });
    let session = |key: &str, secret: &str, token: &str, expiration| SessionConfig {
        account: DEFAULT_ACCOUNT_ID.to_owned(),
        user: Some("canopy-admin".to_owned()),
        role: None,
        session_name: None,
        access_key_id: key.to_owned(),
        secret_access_key: secret.into(),
        session_token: token.into(),
        expiration,
    };

    EmulatorConfig::default()
        .with_request_delay(std::time::Duration::ZERO)
        .with_role(RoleConfig::new(
            "canopy-deployer",
            CUSTOMER_ACCOUNT,
            trust_policy,
        ))
        .with_session(session(
            SESSION_KEY_ID,
            SESSION_SECRET,
            SESSION_TOKEN,
            Utc::now() + Duration::hours(12),
        ))
        .with_session(session(
            EXPIRED_KEY_ID,
            EXPIRED_SECRET,
            EXPIRED_TOKEN,
            Utc::now() - Duration::hours(1),
        ))
}

/// Builds a secret with the emulator's `canopy-admin` keys, pointed at `endpoint`.
pub fn admin_secret(endpoint: &str) -> AwsCredentialSecret {
    AwsCredentialSecret {
        access_key_id: Some(DEFAULT_ADMIN_ACCESS_KEY_ID.to_owned()),
        secret_access_key: Some(DEFAULT_ADMIN_SECRET_ACCESS_KEY.to_owned()),
        endpoint: Some(endpoint.to_owned()),
        ..AwsCredentialSecret::default()
    }
}

/// Asserts that `text` contains none of the secret values of the fixture.
pub fn assert_no_secret(text: &str) {
    let secrets = [
        DEFAULT_ADMIN_SECRET_ACCESS_KEY,
        SESSION_SECRET,
        SESSION_TOKEN,
        EXPIRED_SECRET,
        EXPIRED_TOKEN,
        WORKSPACE_TOKEN,
    ];
    for secret in secrets {
        assert!(!text.contains(secret), "{text:?} contains a secret value");
    }
}
