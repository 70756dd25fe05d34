use super::*;

const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";
const WORKSPACE_TOKEN: &str = "cnpy_ws_9f8e7d6c5b4a";
const ROLE: &str = "arn:aws:iam::210987654321:role/canopy";

fn static_secret() -> AwsCredentialSecret {
    AwsCredentialSecret {
        access_key_id: Some(KEY_ID.to_owned()),
        secret_access_key: Some(SECRET_KEY.to_owned()),
        endpoint: Some("http://127.0.0.1:9".to_owned()),
        ..AwsCredentialSecret::default()
    }
}

async fn connect_err(secret: &AwsCredentialSecret, session_name: &str) -> CredentialError {
    let own = OwnIdentity::default();
    connect(secret, "us-east-1", &own, WORKSPACE_TOKEN, session_name)
        .await
        .expect_err("connect must reject the input")
}

fn assert_no_secret(text: &str) {
    for secret in [SECRET_KEY, TOKEN, WORKSPACE_TOKEN] {
        assert!(!text.contains(secret), "{text:?} contains a secret");
    }
}

#[test]
fn secret_debug_redacts_keys() {
    let secret = AwsCredentialSecret {
        session_token: Some(TOKEN.to_owned()),
        assume_role: Some(ROLE.to_owned()),
        ..static_secret()
    };

    let debug = format!("{secret:?}");

    assert_no_secret(&debug);
    assert!(!debug.contains(KEY_ID), "{debug}");
    assert!(debug.contains("AKIA…"), "{debug}");
    assert!(debug.contains(ROLE), "{debug}");
}

#[test]
fn secret_serializes_with_aws_field_names() {
    let secret = AwsCredentialSecret {
        assume_role: Some(ROLE.to_owned()),
        ..AwsCredentialSecret::default()
    };

    let json = serde_json::to_value(&secret).unwrap();

    assert_eq!(json["AssumeRole"], ROLE);
    assert!(json["AccessKeyId"].is_null());
}

#[tokio::test]
async fn secret_key_without_key_id_is_rejected() {
    let secret = AwsCredentialSecret {
        access_key_id: Some(String::new()),
        ..static_secret()
    };

    let error = connect_err(&secret, "canopy").await;

    assert!(
        matches!(error, CredentialError::MissingAccessKeyId),
        "{error:?}"
    );
    assert_no_secret(&error.to_string());
}

#[tokio::test]
async fn key_id_without_secret_key_is_rejected() {
    let secret = AwsCredentialSecret {
        secret_access_key: None,
        ..static_secret()
    };

    let error = connect_err(&secret, "canopy").await;

    assert!(matches!(
        error,
        CredentialError::MissingSecretAccessKey { .. }
    ));
}

#[tokio::test]
async fn session_token_without_keys_is_rejected() {
    let secret = AwsCredentialSecret {
        session_token: Some(TOKEN.to_owned()),
        ..AwsCredentialSecret::default()
    };

    let error = connect_err(&secret, "canopy").await;

    assert!(matches!(error, CredentialError::SessionTokenWithoutKeys));
    assert_no_secret(&format!("{error} {error:?}"));
}

#[tokio::test]
async fn empty_secret_is_rejected() {
    let error = connect_err(&AwsCredentialSecret::default(), "canopy").await;

    assert!(matches!(error, CredentialError::MissingCredentials));
}

#[tokio::test]
async fn assume_role_must_be_role_arn() {
    let secret = AwsCredentialSecret {
        assume_role: Some(KEY_ID.to_owned()),
        ..static_secret()
    };

    let error = connect_err(&secret, "canopy").await;

    assert!(matches!(error, CredentialError::InvalidRoleArn { .. }));
}

#[tokio::test]
async fn endpoint_must_be_http_url() {
    let secret = AwsCredentialSecret {
        endpoint: Some("127.0.0.1:4566".to_owned()),
        ..static_secret()
    };

    let error = connect_err(&secret, "canopy").await;

    assert!(matches!(error, CredentialError::InvalidEndpoint { .. }));
}

#[tokio::test]
async fn secret_key_with_whitespace_is_rejected() {
    let secret = AwsCredentialSecret {
        secret_access_key: Some(format!("{SECRET_KEY}\n")),
        ..static_secret()
    };

    let error = connect_err(&secret, "canopy").await;

    assert!(matches!(error, CredentialError::MalformedValue { .. }));
    assert_no_secret(&format!("{error} {error:?}"));
}

#[tokio::test]
async fn session_name_with_workspace_token_is_rejected() {
    let secret = AwsCredentialSecret {
        assume_role: Some(ROLE.to_owned()),
        ..static_secret()
    };
    let session_name = format!("canopy-{WORKSPACE_TOKEN}");

    let error = connect_err(&secret, &session_name).await;

    assert!(
        matches!(error, CredentialError::SessionNameContainsToken),
        "{error:?}"
    );
    assert_no_secret(&format!("{error} {error:?}"));
}

#[tokio::test]
async fn invalid_region_is_rejected() {
    let own = OwnIdentity::default();
    let error = connect(
        &static_secret(),
        "Virginia",
        &own,
        WORKSPACE_TOKEN,
        "canopy",
    )
    .await
    .unwrap_err();

    assert!(matches!(error, CredentialError::InvalidRegion { .. }));
}

#[tokio::test]
async fn session_debug_shows_no_secret() {
    let secret = AwsCredentialSecret {
        session_token: Some(TOKEN.to_owned()),
        assume_role: Some(ROLE.to_owned()),
        ..static_secret()
    };
    let own = OwnIdentity::default();

    let session = connect(&secret, "us-east-1", &own, WORKSPACE_TOKEN, "canopy-apply")
        .await
        .unwrap();

    let debug = format!("{session:?} {:?}", session.cloud_control());
    assert_no_secret(&debug);
    assert!(debug.contains(ROLE), "{debug}");
}
