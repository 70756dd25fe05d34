//! STS through the AWS SDK: caller identity, rejected credentials, and AssumeRole
//! against a role created through Cloud Control.

mod common;

use aws_sdk_sts::error::ProvideErrorMetadata;
use canopy_emulator::{
    CUSTOMER_ADMIN_ACCESS_KEY_ID, CUSTOMER_ADMIN_SECRET_ACCESS_KEY, DEFAULT_ADMIN_ACCESS_KEY_ID,
    EmulatorConfig, SessionConfig,
};
use common::{admin_credentials, credentials, sts_client};
use serde_json::json;

#[tokio::test]
async fn caller_identity_of_known_user() {
    let emulator = common::start(EmulatorConfig::default()).await;
    let sts = sts_client(&emulator, admin_credentials());

    let identity = sts.get_caller_identity().send().await.expect("identity");

    assert_eq!(identity.account(), Some("123456789012"));
    assert_eq!(
        identity.arn(),
        Some("arn:aws:iam::123456789012:user/canopy-admin")
    );
    assert!(identity.user_id().unwrap().starts_with("AIDA"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn unknown_key_is_invalid_client_token() {
    let emulator = common::start(EmulatorConfig::default()).await;
    let sts = sts_client(&emulator, credentials("AKIAUNKNOWN000000000", "x", None));

    let error = sts.get_caller_identity().send().await.unwrap_err();

    assert_eq!(error.code(), Some("InvalidClientTokenId"));
    assert_eq!(error.raw_response().map(|r| r.status().as_u16()), Some(403));
}

#[tokio::test]
async fn wrong_secret_is_signature_mismatch() {
    let emulator = common::start(EmulatorConfig::default()).await;
    let sts = sts_client(
        &emulator,
        credentials(DEFAULT_ADMIN_ACCESS_KEY_ID, "not-the-secret", None),
    );

    let error = sts.get_caller_identity().send().await.unwrap_err();

    assert_eq!(error.code(), Some("SignatureDoesNotMatch"));
}

fn expired_session() -> SessionConfig {
    SessionConfig {
        account: "123456789012".into(),
        user: Some("canopy-admin".into()),
        role: None,
        session_name: None,
        access_key_id: "ASIAEXPIRED000000001".into(),
        secret_access_key: "expired-secret".into(),
        session_token: "expired-token".into(),
        expiration: "2020-01-01T00:00:00Z".parse().unwrap(),
    }
}

#[tokio::test]
async fn expired_session_token_is_rejected() {
    let config = EmulatorConfig::default().with_session(expired_session());
    let emulator = common::start(config).await;
    let sts = sts_client(
        &emulator,
        credentials(
            "ASIAEXPIRED000000001",
            "expired-secret",
            Some("expired-token"),
        ),
    );

    let error = sts.get_caller_identity().send().await.unwrap_err();

    assert_eq!(error.code(), Some("ExpiredToken"));
}

#[tokio::test]
async fn wrong_session_token_is_invalid() {
    let mut session = expired_session();
    session.expiration = "2999-01-01T00:00:00Z".parse().unwrap();
    let emulator = common::start(EmulatorConfig::default().with_session(session)).await;
    let wrong = sts_client(
        &emulator,
        credentials(
            "ASIAEXPIRED000000001",
            "expired-secret",
            Some("other-token"),
        ),
    );
    let right = sts_client(
        &emulator,
        credentials(
            "ASIAEXPIRED000000001",
            "expired-secret",
            Some("expired-token"),
        ),
    );

    let error = wrong.get_caller_identity().send().await.unwrap_err();
    let identity = right
        .get_caller_identity()
        .send()
        .await
        .expect("valid session");

    assert_eq!(error.code(), Some("InvalidClientTokenId"));
    assert_eq!(identity.account(), Some("123456789012"));
}

/// Creates, as the customer, a role that canopy's account may assume with `external_id`.
async fn create_customer_role(emulator: &canopy_emulator::RunningEmulator, external_id: &str) {
    let customer = common::cloud_control(
        emulator,
        credentials(
            CUSTOMER_ADMIN_ACCESS_KEY_ID,
            CUSTOMER_ADMIN_SECRET_ACCESS_KEY,
            None,
        ),
    );
    let desired = json!({
        "RoleName": "canopy-deployer",
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}}
            }]
        }
    });
    let identifier = common::create(&customer, "AWS::IAM::Role", &desired.to_string()).await;
    assert_eq!(identifier, "canopy-deployer");
}

#[tokio::test]
async fn assume_role_checks_external_id() {
    let emulator = common::start(common::fast_config()).await;
    create_customer_role(&emulator, "workspace-token-1").await;
    let sts = sts_client(&emulator, admin_credentials());
    let role_arn = "arn:aws:iam::210987654321:role/canopy-deployer";

    let without = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("canopy")
        .send()
        .await
        .unwrap_err();
    let wrong = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name("canopy")
        .external_id("workspace-token-2")
        .send()
        .await
        .unwrap_err();

    assert_eq!(without.code(), Some("AccessDenied"));
    assert_eq!(
        without.message(),
        Some(
            "User: arn:aws:iam::123456789012:user/canopy-admin is not authorized to perform: \
             sts:AssumeRole on resource: arn:aws:iam::210987654321:role/canopy-deployer"
        )
    );
    assert_eq!(wrong.code(), Some("AccessDenied"));
}

#[tokio::test]
async fn assumed_role_credentials_work() {
    let emulator = common::start(common::fast_config()).await;
    create_customer_role(&emulator, "workspace-token-1").await;
    let sts = sts_client(&emulator, admin_credentials());

    let output = sts
        .assume_role()
        .role_arn("arn:aws:iam::210987654321:role/canopy-deployer")
        .role_session_name("canopy-apply")
        .external_id("workspace-token-1")
        .duration_seconds(900)
        .send()
        .await
        .expect("assume role allowed");
    let issued = output.credentials().expect("credentials");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let lifetime = issued.expiration().secs() - now;
    let assumed = sts_client(
        &emulator,
        credentials(
            issued.access_key_id(),
            issued.secret_access_key(),
            Some(issued.session_token()),
        ),
    );
    let identity = assumed
        .get_caller_identity()
        .send()
        .await
        .expect("identity");

    assert!(issued.access_key_id().starts_with("ASIA"));
    assert!((890..=900).contains(&lifetime), "lifetime {lifetime}");
    assert_eq!(
        output.assumed_role_user().unwrap().arn(),
        "arn:aws:sts::210987654321:assumed-role/canopy-deployer/canopy-apply"
    );
    assert_eq!(identity.account(), Some("210987654321"));
    assert_eq!(
        identity.arn(),
        Some("arn:aws:sts::210987654321:assumed-role/canopy-deployer/canopy-apply")
    );
}

#[tokio::test]
async fn assume_missing_role_is_denied() {
    let emulator = common::start(EmulatorConfig::default()).await;
    let sts = sts_client(&emulator, admin_credentials());

    let error = sts
        .assume_role()
        .role_arn("arn:aws:iam::210987654321:role/absent")
        .role_session_name("canopy")
        .send()
        .await
        .unwrap_err();

    assert_eq!(error.code(), Some("AccessDenied"));
}

#[tokio::test]
async fn duration_above_role_maximum_is_invalid() {
    let role = canopy_emulator::RoleConfig::new(
        "open",
        "210987654321",
        json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRole"}]}),
    );
    let emulator = common::start(EmulatorConfig::default().with_role(role)).await;
    let sts = sts_client(&emulator, admin_credentials());

    let error = sts
        .assume_role()
        .role_arn("arn:aws:iam::210987654321:role/open")
        .role_session_name("canopy")
        .duration_seconds(7200)
        .send()
        .await
        .unwrap_err();

    assert_eq!(error.code(), Some("ValidationError"));
}
