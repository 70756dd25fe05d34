//! Credential methods and STS failure classification, against the emulator.

mod common;

use canopy_aws::{AwsCredentialSecret, CredentialError, ErrorKind, OwnIdentity, connect};
use canopy_emulator::{DEFAULT_ADMIN_ACCESS_KEY_ID, DEFAULT_ADMIN_SECRET_ACCESS_KEY};
use common::*;

fn own() -> OwnIdentity {
    OwnIdentity::default()
}

/// Connects and calls GetCallerIdentity, expecting a failure; checks that neither the
/// error's Display nor its Debug output contains a secret value.
async fn caller_identity_error(secret: &AwsCredentialSecret, external_id: &str) -> CredentialError {
    let session = connect(secret, REGION, &own(), external_id, SESSION_NAME)
        .await
        .expect("inputs are valid");
    let error = session
        .caller_identity()
        .await
        .expect_err("GetCallerIdentity must fail");

    assert_no_secret(&error.to_string());
    assert_no_secret(&format!("{error:?}"));
    assert!(!error.to_string().contains(external_id), "{error}");
    error
}

#[tokio::test]
async fn static_keys_validate() {
    let emulator = start_emulator().await;
    let secret = admin_secret(&emulator.endpoint());

    let session = connect(&secret, REGION, &own(), WORKSPACE_TOKEN, SESSION_NAME)
        .await
        .unwrap();
    let identity = session.caller_identity().await.unwrap();

    assert_eq!(identity.account, "123456789012");
    assert_eq!(identity.arn, "arn:aws:iam::123456789012:user/canopy-admin");
    assert!(!identity.user_id.is_empty());
}

#[tokio::test]
async fn session_keys_validate() {
    let emulator = start_emulator().await;
    let secret = AwsCredentialSecret {
        access_key_id: Some(SESSION_KEY_ID.to_owned()),
        secret_access_key: Some(SESSION_SECRET.to_owned()),
        session_token: Some(SESSION_TOKEN.to_owned()),
        endpoint: Some(emulator.endpoint()),
        ..AwsCredentialSecret::default()
    };

    let session = connect(&secret, REGION, &own(), WORKSPACE_TOKEN, SESSION_NAME)
        .await
        .unwrap();
    let identity = session.caller_identity().await.unwrap();

    assert_eq!(identity.account, "123456789012");
    assert_eq!(identity.arn, "arn:aws:iam::123456789012:user/canopy-admin");
}

#[tokio::test]
async fn assume_role_with_external_id() {
    let emulator = start_emulator().await;
    let secret = AwsCredentialSecret {
        assume_role: Some(ROLE_ARN.to_owned()),
        ..admin_secret(&emulator.endpoint())
    };

    let session = connect(&secret, REGION, &own(), WORKSPACE_TOKEN, SESSION_NAME)
        .await
        .unwrap();
    let identity = session.caller_identity().await.unwrap();

    assert_eq!(identity.account, CUSTOMER_ACCOUNT);
    assert_eq!(
        identity.arn,
        "arn:aws:sts::210987654321:assumed-role/canopy-deployer/canopy-apply"
    );
    let assume_calls: Vec<_> = emulator
        .state()
        .calls()
        .into_iter()
        .filter(|call| call.operation == "AssumeRole")
        .collect();
    assert_eq!(assume_calls.len(), 1);
}

#[tokio::test]
async fn assumed_credentials_are_cached() {
    let emulator = start_emulator().await;
    let secret = AwsCredentialSecret {
        assume_role: Some(ROLE_ARN.to_owned()),
        ..admin_secret(&emulator.endpoint())
    };
    let session = connect(&secret, REGION, &own(), WORKSPACE_TOKEN, SESSION_NAME)
        .await
        .unwrap();

    session.caller_identity().await.unwrap();
    session.caller_identity().await.unwrap();
    let found = session
        .cloud_control()
        .get_resource("AWS::Logs::LogGroup", "absent")
        .await
        .unwrap();

    assert!(found.is_none());
    let calls = emulator.state().calls();
    let assume_calls = calls.iter().filter(|c| c.operation == "AssumeRole").count();
    assert_eq!(
        assume_calls, 1,
        "one AssumeRole serves every client of a session"
    );
}

#[tokio::test]
async fn wrong_external_id_is_denied() {
    let emulator = start_emulator().await;
    let secret = AwsCredentialSecret {
        assume_role: Some(ROLE_ARN.to_owned()),
        ..admin_secret(&emulator.endpoint())
    };
    let wrong_token = "cnpy_ws_00000000wrong000";

    let error = caller_identity_error(&secret, wrong_token).await;

    let CredentialError::AssumeRoleDenied { role_arn, .. } = &error else {
        panic!("expected AssumeRoleDenied, got {error:?}");
    };
    assert_eq!(role_arn, ROLE_ARN);
    let message = error.to_string();
    assert!(message.contains("sts:ExternalId"), "{message}");
    assert!(message.contains("canopy workspace token"), "{message}");
    assert!(!message.contains(wrong_token), "{message}");
}

#[tokio::test]
async fn assume_role_denied_reaches_cloud_control() {
    let emulator = start_emulator().await;
    let secret = AwsCredentialSecret {
        assume_role: Some(ROLE_ARN.to_owned()),
        ..admin_secret(&emulator.endpoint())
    };
    let session = connect(&secret, REGION, &own(), "cnpy_ws_wrong_token", SESSION_NAME)
        .await
        .unwrap();

    let error = session
        .cloud_control()
        .get_resource("AWS::Logs::LogGroup", "any")
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Credentials);
    let message = error.to_string();
    assert!(
        message.contains("access denied when assuming role"),
        "{message}"
    );
    assert!(!message.contains("cnpy_ws_wrong_token"), "{message}");
}

#[tokio::test]
async fn expired_session_token_is_classified() {
    let emulator = start_emulator().await;
    let secret = AwsCredentialSecret {
        access_key_id: Some(EXPIRED_KEY_ID.to_owned()),
        secret_access_key: Some(EXPIRED_SECRET.to_owned()),
        session_token: Some(EXPIRED_TOKEN.to_owned()),
        endpoint: Some(emulator.endpoint()),
        ..AwsCredentialSecret::default()
    };

    let error = caller_identity_error(&secret, WORKSPACE_TOKEN).await;

    assert!(
        matches!(error, CredentialError::ExpiredToken { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("expired"), "{error}");
}

#[tokio::test]
async fn expired_source_keys_fail_assume_role() {
    let emulator = start_emulator().await;
    let secret = AwsCredentialSecret {
        access_key_id: Some(EXPIRED_KEY_ID.to_owned()),
        secret_access_key: Some(EXPIRED_SECRET.to_owned()),
        session_token: Some(EXPIRED_TOKEN.to_owned()),
        assume_role: Some(ROLE_ARN.to_owned()),
        endpoint: Some(emulator.endpoint()),
    };

    let error = caller_identity_error(&secret, WORKSPACE_TOKEN).await;

    assert!(
        matches!(error, CredentialError::ExpiredToken { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn unknown_access_key_is_classified() {
    let emulator = start_emulator().await;
    let secret = AwsCredentialSecret {
        access_key_id: Some("AKIAUNKNOWNKEY000000".to_owned()),
        ..admin_secret(&emulator.endpoint())
    };

    let error = caller_identity_error(&secret, WORKSPACE_TOKEN).await;

    assert!(
        matches!(error, CredentialError::UnknownAccessKey { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("AKIA…"), "{error}");
}

#[tokio::test]
async fn bad_secret_key_is_classified() {
    let emulator = start_emulator().await;
    let secret = AwsCredentialSecret {
        secret_access_key: Some("not/the/right/secret/key/0000000000000".to_owned()),
        ..admin_secret(&emulator.endpoint())
    };

    let error = caller_identity_error(&secret, WORKSPACE_TOKEN).await;

    assert!(
        matches!(error, CredentialError::BadSecretKey { .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains("not/the/right"), "{error}");
}

#[tokio::test]
async fn bad_secret_key_on_cloud_control() {
    let emulator = start_emulator().await;
    let secret = AwsCredentialSecret {
        secret_access_key: Some("not/the/right/secret/key/0000000000000".to_owned()),
        ..admin_secret(&emulator.endpoint())
    };
    let session = connect(&secret, REGION, &own(), WORKSPACE_TOKEN, SESSION_NAME)
        .await
        .unwrap();

    let error = session
        .cloud_control()
        .get_resource("AWS::Logs::LogGroup", "any")
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Credentials);
    assert!(
        matches!(
            &error,
            canopy_aws::CloudControlError::Credentials {
                source: CredentialError::BadSecretKey { .. },
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.to_string().contains("not/the/right"), "{error}");
}

#[tokio::test]
async fn unreachable_endpoint_is_network_error() {
    // Bind a port and close it again, so nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let secret = admin_secret(&endpoint);

    let error = caller_identity_error(&secret, WORKSPACE_TOKEN).await;

    let CredentialError::Network {
        endpoint: named, ..
    } = &error
    else {
        panic!("expected Network, got {error:?}");
    };
    assert_eq!(named, &endpoint);
}

#[tokio::test]
async fn session_name_with_token_is_rejected() {
    let secret = AwsCredentialSecret {
        assume_role: Some(ROLE_ARN.to_owned()),
        ..admin_secret("http://127.0.0.1:9")
    };
    let session_name = format!("canopy-{WORKSPACE_TOKEN}");

    let error = connect(&secret, REGION, &own(), WORKSPACE_TOKEN, &session_name)
        .await
        .unwrap_err();

    assert!(
        matches!(error, CredentialError::SessionNameContainsToken),
        "{error:?}"
    );
    assert_no_secret(&format!("{error} {error:?}"));
}

#[tokio::test]
async fn admin_keys_are_not_in_debug_output() {
    let emulator = start_emulator().await;
    let secret = AwsCredentialSecret {
        assume_role: Some(ROLE_ARN.to_owned()),
        ..admin_secret(&emulator.endpoint())
    };

    let session = connect(&secret, REGION, &own(), WORKSPACE_TOKEN, SESSION_NAME)
        .await
        .unwrap();

    let printed = format!("{secret:?} {session:?} {:?}", session.cloud_control());
    assert_no_secret(&printed);
    assert!(!printed.contains(DEFAULT_ADMIN_ACCESS_KEY_ID), "{printed}");
    assert!(
        !printed.contains(DEFAULT_ADMIN_SECRET_ACCESS_KEY),
        "{printed}"
    );
}
