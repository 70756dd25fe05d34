//! canopy's own identity as the AssumeRole source, and `credentials_from_profile`.
//!
//! These paths read the process environment and the shared AWS config files. Each test
//! runs its body in a child process of this test binary with a controlled
//! environment: `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` point at temporary
//! files, EC2 instance metadata is disabled, and every other AWS variable is removed,
//! so no credential chain can reach beyond the emulator on 127.0.0.1.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use canopy_aws::{AwsCredentialSecret, CredentialError, OwnIdentity, connect};
use canopy_emulator::{DEFAULT_ADMIN_ACCESS_KEY_ID, DEFAULT_ADMIN_SECRET_ACCESS_KEY};
use common::*;

/// Set in the child process, where the test body runs.
const CHILD: &str = "CANOPY_AWS_TEST_CHILD";

/// Variables that could feed a credential chain from outside the test.
const AWS_VARIABLES: [&str; 12] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_REGION",
];

const PROFILE_CONFIG: &str = "\
[profile canopy-own]
aws_access_key_id = AKIAEMULATOR00000001
aws_secret_access_key = emulator/canopy-admin/secret/0000000001
region = us-east-1

[profile canopy-temporary]
aws_access_key_id = ASIAEMULATORVALID001
aws_secret_access_key = emulator/valid/secret/00000000000000001
aws_session_token = emulator-valid-session-token-1
";

fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Runs test `name` of this binary in a child process with a controlled environment.
fn run_in_child(name: &str, config_text: &str, extra_env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let config = write_file(dir.path(), "config", config_text);
    let credentials = write_file(dir.path(), "credentials", "");

    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([name, "--exact", "--nocapture", "--test-threads=1"]);
    for variable in AWS_VARIABLES {
        command.env_remove(variable);
    }
    command
        .env(CHILD, "1")
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("HOME", dir.path());
    for (variable, value) in extra_env {
        command.env(variable, value);
    }

    let output = command.output().expect("test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "child ran no test:\n{stdout}");
}

fn write_file(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let mut file = std::fs::File::create(&path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
    path
}

fn role_only_secret(endpoint: &str) -> AwsCredentialSecret {
    AwsCredentialSecret {
        assume_role: Some(ROLE_ARN.to_owned()),
        endpoint: Some(endpoint.to_owned()),
        ..AwsCredentialSecret::default()
    }
}

#[tokio::test]
async fn own_profile_assumes_role() {
    if !in_child() {
        return run_in_child("own_profile_assumes_role", PROFILE_CONFIG, &[]);
    }
    let emulator = start_emulator().await;
    let own = OwnIdentity {
        profile: Some("canopy-own".to_owned()),
    };

    let session = connect(
        &role_only_secret(&emulator.endpoint()),
        REGION,
        &own,
        WORKSPACE_TOKEN,
        SESSION_NAME,
    )
    .await
    .unwrap();
    let identity = session.caller_identity().await.unwrap();

    assert_eq!(
        identity.arn,
        "arn:aws:sts::210987654321:assumed-role/canopy-deployer/canopy-apply"
    );
}

#[tokio::test]
async fn own_environment_keys_assume_role() {
    if !in_child() {
        let env = [
            ("AWS_ACCESS_KEY_ID", DEFAULT_ADMIN_ACCESS_KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", DEFAULT_ADMIN_SECRET_ACCESS_KEY),
        ];
        return run_in_child("own_environment_keys_assume_role", "", &env);
    }
    let emulator = start_emulator().await;

    let session = connect(
        &role_only_secret(&emulator.endpoint()),
        REGION,
        &OwnIdentity::default(),
        WORKSPACE_TOKEN,
        SESSION_NAME,
    )
    .await
    .unwrap();
    let identity = session.caller_identity().await.unwrap();

    assert_eq!(identity.account, CUSTOMER_ACCOUNT);
}

#[tokio::test]
async fn missing_own_identity_is_classified() {
    if !in_child() {
        return run_in_child("missing_own_identity_is_classified", "", &[]);
    }
    let emulator = start_emulator().await;
    let session = connect(
        &role_only_secret(&emulator.endpoint()),
        REGION,
        &OwnIdentity::default(),
        WORKSPACE_TOKEN,
        SESSION_NAME,
    )
    .await
    .unwrap();

    let error = session.caller_identity().await.unwrap_err();

    assert!(
        matches!(error, CredentialError::NoSourceIdentity { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains(ROLE_ARN), "{error}");
    assert_no_secret(&format!("{error} {error:?}"));
}

#[tokio::test]
async fn undefined_own_profile_is_classified() {
    if !in_child() {
        return run_in_child("undefined_own_profile_is_classified", PROFILE_CONFIG, &[]);
    }
    let emulator = start_emulator().await;
    let own = OwnIdentity {
        profile: Some("no-such-profile".to_owned()),
    };
    let session = connect(
        &role_only_secret(&emulator.endpoint()),
        REGION,
        &own,
        WORKSPACE_TOKEN,
        SESSION_NAME,
    )
    .await
    .unwrap();

    let error = session.caller_identity().await.unwrap_err();

    let CredentialError::NoSourceIdentity { source_label, .. } = &error else {
        panic!("expected NoSourceIdentity, got {error:?}");
    };
    assert!(source_label.contains("no-such-profile"), "{source_label}");
}

#[tokio::test]
async fn profile_keys_become_secret() {
    if !in_child() {
        return run_in_child("profile_keys_become_secret", PROFILE_CONFIG, &[]);
    }

    let secret = canopy_aws::credentials_from_profile("canopy-own")
        .await
        .unwrap();

    assert_eq!(
        secret.access_key_id.as_deref(),
        Some(DEFAULT_ADMIN_ACCESS_KEY_ID)
    );
    assert_eq!(
        secret.secret_access_key.as_deref(),
        Some(DEFAULT_ADMIN_SECRET_ACCESS_KEY)
    );
    assert_eq!(secret.session_token, None);
    assert_eq!(secret.assume_role, None);
}

#[tokio::test]
async fn profile_session_token_is_kept() {
    if !in_child() {
        return run_in_child("profile_session_token_is_kept", PROFILE_CONFIG, &[]);
    }

    let secret = canopy_aws::credentials_from_profile("canopy-temporary")
        .await
        .unwrap();

    assert_eq!(secret.access_key_id.as_deref(), Some(SESSION_KEY_ID));
    assert_eq!(secret.session_token.as_deref(), Some(SESSION_TOKEN));
}

#[tokio::test]
async fn undefined_profile_is_profile_error() {
    if !in_child() {
        return run_in_child("undefined_profile_is_profile_error", PROFILE_CONFIG, &[]);
    }

    let error = canopy_aws::credentials_from_profile("missing")
        .await
        .unwrap_err();

    let CredentialError::Profile { profile, .. } = &error else {
        panic!("expected Profile, got {error:?}");
    };
    assert_eq!(profile, "missing");
}
