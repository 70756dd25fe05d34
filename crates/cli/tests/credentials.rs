//! AWS Credential components through the CLI. Each method qualifies with the account
//! and ARN it acts as, and each kind of bad credential fails with a clear message. No
//! secret value shows in any output or in plain text in the data directory.

mod common;

use canopy_emulator::{
    CUSTOMER_ADMIN_ACCESS_KEY_ID, CUSTOMER_ADMIN_SECRET_ACCESS_KEY, DEFAULT_ACCOUNT_ID,
    DEFAULT_ADMIN_SECRET_ACCESS_KEY, EmulatorConfig, SessionConfig, UserConfig,
};
use chrono::Utc;
use common::{
    CUSTOMER, Fixture, contains_bytes, create_customer_role, customer_keys, read_all_files,
};
use serde_json::{Value, json};

const SESSION_KEY_ID: &str = "ASIAEMULATORSESSION1";
const SESSION_SECRET: &str = "emulator/session/secret/0000000000000001";
const SESSION_TOKEN: &str = "emulator-session-token-valid-0001";
const EXPIRED_KEY_ID: &str = "ASIAEMULATOREXPIRED2";
const EXPIRED_SECRET: &str = "emulator/expired/secret/0000000000000002";
const EXPIRED_TOKEN: &str = "emulator-session-token-expired-0002";
const DEPLOYER_KEY_ID: &str = "AKIAEMULATORDEPLOYER";
const DEPLOYER_SECRET: &str = "emulator/deployer/secret/00000000000003";
const WRONG_SECRET: &str = "emulator/wrong/secret/0000000000000000004";
const UNKNOWN_KEY_ID: &str = "AKIAEMULATORUNKNOWN9";
const UNKNOWN_SECRET: &str = "emulator/unknown/secret/000000000000005";

fn session(
    key: &str,
    secret: &str,
    token: &str,
    expiration: chrono::DateTime<Utc>,
) -> SessionConfig {
    SessionConfig {
        account: CUSTOMER.to_string(),
        user: Some("customer-admin".to_string()),
        role: None,
        session_name: None,
        access_key_id: key.to_string(),
        secret_access_key: secret.into(),
        session_token: token.into(),
        expiration,
    }
}

fn config() -> EmulatorConfig {
    EmulatorConfig::default()
        .with_request_delay(std::time::Duration::from_millis(20))
        .with_user(UserConfig::new(
            "deployer",
            DEFAULT_ACCOUNT_ID,
            DEPLOYER_KEY_ID,
            DEPLOYER_SECRET,
        ))
        .with_session(session(
            SESSION_KEY_ID,
            SESSION_SECRET,
            SESSION_TOKEN,
            Utc::now() + chrono::Duration::hours(12),
        ))
        .with_session(session(
            EXPIRED_KEY_ID,
            EXPIRED_SECRET,
            EXPIRED_TOKEN,
            Utc::now() - chrono::Duration::hours(1),
        ))
}

fn keys(key: &str, secret: &str, token: Option<&str>, endpoint: &str) -> Value {
    let mut value = json!({"AccessKeyId": key, "SecretAccessKey": secret, "Endpoint": endpoint});
    if let Some(token) = token {
        value["SessionToken"] = json!(token);
    }
    value
}

/// Creates an AWS Credential component for `secret` and returns its qualification.
fn qualify(fixture: &Fixture, name: &str, secret: &str, own_identity: bool) -> Value {
    let domain = json!({"Secret": secret}).to_string();
    let args = [
        "component",
        "create",
        "-c",
        "creds",
        "AWS Credential",
        name,
        "--domain",
        &domain,
        "--output",
        "json",
    ];
    let output = fixture.run(&args, None, own_identity);
    assert_eq!(
        output.code,
        0,
        "creating credential component {name} failed:\n{}",
        output.all()
    );
    let view = output.json();
    let qualifications = view["qualifications"]
        .as_array()
        .expect("qualifications")
        .clone();
    assert_eq!(
        qualifications.len(),
        1,
        "a credential has one qualification: {view}"
    );
    qualifications[0].clone()
}

fn assert_valid(qualification: &Value, arn: &str) {
    let message = qualification["message"].as_str().unwrap_or_default();
    assert_eq!(
        qualification["status"], "success",
        "the credential should be valid: {qualification}"
    );
    assert!(
        message.contains(&format!("account {CUSTOMER}")),
        "the message should name the account: {message}"
    );
    assert!(
        message.contains(arn),
        "the message should name the ARN {arn}: {message}"
    );
}

fn assert_invalid(qualification: &Value, expected: &str) {
    let message = qualification["message"].as_str().unwrap_or_default();
    assert_eq!(
        qualification["status"], "failure",
        "the credential should fail: {qualification}"
    );
    assert!(
        message.contains(expected),
        "the message should say {expected:?}: {message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_methods_and_failures() {
    let fixture = Fixture::start_with(config()).await;
    let endpoint = fixture.endpoint();
    let token = fixture.workspace();
    let role_arn = create_customer_role(&endpoint, "canopy-deployer", &token).await;
    let other_arn =
        create_customer_role(&endpoint, "other-trust", "a-token-of-another-workspace").await;
    let assumed_arn = format!("arn:aws:sts::{CUSTOMER}:assumed-role/canopy-deployer/");

    fixture.secret("static", &customer_keys(&endpoint));
    fixture.secret(
        "session",
        &keys(
            SESSION_KEY_ID,
            SESSION_SECRET,
            Some(SESSION_TOKEN),
            &endpoint,
        ),
    );
    fixture.ok(&[
        "secret",
        "create",
        "role",
        "--assume-role",
        &role_arn,
        "--endpoint",
        &endpoint,
        "--no-keys",
    ]);
    let deployer = keys(DEPLOYER_KEY_ID, DEPLOYER_SECRET, None, &endpoint).to_string();
    let created = fixture.canopy_stdin(
        &["secret", "create", "role-keys", "--assume-role", &role_arn],
        &deployer,
    );
    assert_eq!(
        created.code,
        0,
        "a secret with source keys and a role should be accepted:\n{}",
        created.all()
    );
    fixture.ok(&[
        "secret",
        "create",
        "other-trust",
        "--assume-role",
        &other_arn,
        "--endpoint",
        &endpoint,
        "--no-keys",
    ]);
    fixture.secret(
        "expired",
        &keys(
            EXPIRED_KEY_ID,
            EXPIRED_SECRET,
            Some(EXPIRED_TOKEN),
            &endpoint,
        ),
    );
    fixture.secret(
        "bad-secret",
        &keys(CUSTOMER_ADMIN_ACCESS_KEY_ID, WRONG_SECRET, None, &endpoint),
    );
    fixture.secret(
        "unknown-key",
        &keys(UNKNOWN_KEY_ID, UNKNOWN_SECRET, None, &endpoint),
    );
    fixture.ok(&["change-set", "create", "creds"]);

    // The three methods, and AssumeRole from the secret's own keys with canopy's
    // identity removed from the environment.
    let user_arn = format!("arn:aws:iam::{CUSTOMER}:user/customer-admin");
    assert_valid(&qualify(&fixture, "static", "static", true), &user_arn);
    assert_valid(&qualify(&fixture, "session", "session", true), &user_arn);
    assert_valid(&qualify(&fixture, "role", "role", true), &assumed_arn);
    assert_valid(
        &qualify(&fixture, "role-keys", "role-keys", false),
        &assumed_arn,
    );
    let no_identity = qualify(&fixture, "role-no-identity", "role", false);
    assert_eq!(
        no_identity["status"], "failure",
        "AssumeRole with no source identity should fail: {no_identity}"
    );

    // Each kind of bad credential.
    assert_invalid(
        &qualify(&fixture, "other-trust", "other-trust", true),
        "access denied when assuming role",
    );
    assert_invalid(
        &qualify(&fixture, "expired", "expired", true),
        "has expired",
    );
    assert_invalid(
        &qualify(&fixture, "bad-secret", "bad-secret", true),
        "signature",
    );
    assert_invalid(
        &qualify(&fixture, "unknown-key", "unknown-key", true),
        "does not recognise the access key id",
    );

    // A rotated workspace token no longer matches the role's sts:ExternalId.
    let rotated = fixture
        .ok(&["workspace", "token", "--rotate"])
        .stdout
        .trim()
        .to_string();
    assert_ne!(rotated, token, "rotation should make a new token");
    let after_rotation = qualify(&fixture, "role-after-rotation", "role", true);
    assert_invalid(&after_rotation, "access denied when assuming role");
    assert_invalid(&after_rotation, "sts:ExternalId");

    // Names only in `secret list`.
    let listed = fixture.ok(&["secret", "list"]).stdout;
    for name in [
        "static",
        "session",
        "role",
        "role-keys",
        "other-trust",
        "expired",
        "bad-secret",
        "unknown-key",
    ] {
        assert!(
            listed.contains(name),
            "secret list should name {name}:\n{listed}"
        );
    }
    let listed_json = fixture.ok(&["secret", "list", "--output", "json"]).json();
    for entry in listed_json.as_array().expect("a list of secrets") {
        let fields: Vec<&String> = entry.as_object().expect("an object").keys().collect();
        assert_eq!(
            fields,
            [
                "id",
                "workspace_id",
                "name",
                "kind",
                "created_at",
                "updated_at"
            ],
            "secret list should show no value fields"
        );
    }

    // The secret value comes only from standard input, the environment or a profile.
    let empty = fixture.canopy(&["secret", "create", "empty"]);
    assert_ne!(
        empty.code,
        0,
        "secret create without input should fail:\n{}",
        empty.all()
    );
    assert!(
        empty.stderr.contains("no secret value on standard input"),
        "the error should say what is missing:\n{}",
        empty.stderr
    );
    assert!(
        empty.stderr.contains("--from-env"),
        "the error should name the alternatives:\n{}",
        empty.stderr
    );
    let as_flag = fixture.canopy(&[
        "secret",
        "create",
        "flag",
        "--secret-access-key",
        "not-a-real-key",
    ]);
    assert_eq!(
        as_flag.code,
        2,
        "a secret flag should be rejected as an invalid argument:\n{}",
        as_flag.all()
    );
    let as_argument = fixture.canopy(&[
        "secret",
        "create",
        "positional",
        "AKIAPOSITIONAL",
        "not-a-real-key",
    ]);
    assert_eq!(
        as_argument.code,
        2,
        "a secret argument should be rejected:\n{}",
        as_argument.all()
    );
    let listed = fixture.ok(&["secret", "list"]).stdout;
    for name in ["empty", "flag", "positional"] {
        assert!(
            !listed.lines().any(|l| l.starts_with(name)),
            "secret {name} should not exist:\n{listed}"
        );
    }

    // No secret value in any output, nor in plain text in the data directory.
    let secrets = [
        CUSTOMER_ADMIN_SECRET_ACCESS_KEY,
        DEFAULT_ADMIN_SECRET_ACCESS_KEY,
        SESSION_SECRET,
        SESSION_TOKEN,
        EXPIRED_SECRET,
        EXPIRED_TOKEN,
        DEPLOYER_SECRET,
        WRONG_SECRET,
        UNKNOWN_SECRET,
    ];
    for (args, output) in fixture.runs() {
        let printed = output.all();
        for secret in secrets {
            assert!(
                !printed.contains(secret),
                "`canopy {args}` printed a secret value:\n{printed}"
            );
        }
        // The token is printed only when asked for.
        if !args.starts_with("workspace token") {
            assert!(
                !printed.contains(&token),
                "`canopy {args}` printed the workspace token"
            );
            assert!(
                !printed.contains(&rotated),
                "`canopy {args}` printed the rotated workspace token"
            );
        }
    }
    let files = read_all_files(&fixture.data_dir());
    assert!(
        files.iter().any(|(path, _)| path.ends_with("canopy.db")),
        "the database should be in the data directory"
    );
    for (path, bytes) in &files {
        for secret in secrets
            .iter()
            .copied()
            .chain([token.as_str(), rotated.as_str()])
        {
            assert!(
                !contains_bytes(bytes, secret),
                "{} contains a secret value in plain text",
                path.display()
            );
        }
    }
}
