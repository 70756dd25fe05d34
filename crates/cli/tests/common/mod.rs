//! The fixture shared by the CLI tests: an emulator started in this process on
//! 127.0.0.1, a temporary data directory, and the real `canopy` binary run as a child
//! process against both.
//!
//! Every child gets empty AWS configuration files, no profile, instance metadata
//! disabled and `AWS_ENDPOINT_URL` set to the emulator, so no test reads the user's AWS
//! configuration or reaches anything outside 127.0.0.1. canopy's own identity is the
//! emulator's `canopy-admin` user, as in `canopy demo`.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use canopy_aws::cloudcontrol::new_client_token;
use canopy_aws::credentials::{AwsCredentialSecret, OwnIdentity, connect};
use canopy_emulator::{
    CUSTOMER_ACCOUNT_ID, CUSTOMER_ADMIN_ACCESS_KEY_ID, CUSTOMER_ADMIN_SECRET_ACCESS_KEY,
    DEFAULT_ACCOUNT_ID, DEFAULT_ADMIN_ACCESS_KEY_ID, DEFAULT_ADMIN_SECRET_ACCESS_KEY,
    EmulatorConfig, EmulatorHandle, RunningEmulator,
};
use serde_json::{Value, json};
use tempfile::TempDir;

pub const REGION: &str = "us-east-1";
pub const CUSTOMER: &str = CUSTOMER_ACCOUNT_ID;

/// What one `canopy` run printed and how it exited.
#[derive(Debug, Clone)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    /// The exit code; -1 when the process was ended by a signal.
    pub code: i32,
}

impl Output {
    /// Parses standard output as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Both streams, for messages that may be on either.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// An emulator plus a data directory for `canopy`.
pub struct Fixture {
    pub emulator: RunningEmulator,
    dir: TempDir,
    /// Every run so far, with its arguments, for tests that scan all output.
    runs: Mutex<Vec<(String, Output)>>,
}

impl Fixture {
    /// Starts an emulator with the default accounts and the given request delay.
    pub async fn start(delay: Duration) -> Fixture {
        Fixture::start_with(EmulatorConfig::default().with_request_delay(delay)).await
    }

    pub async fn start_with(config: EmulatorConfig) -> Fixture {
        let addr = "127.0.0.1:0".parse().expect("loopback address");
        let emulator = canopy_emulator::start(config, addr)
            .await
            .expect("the emulator starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        for name in ["aws-config", "aws-credentials"] {
            std::fs::write(dir.path().join(name), "").expect("an empty AWS configuration file");
        }
        Fixture {
            emulator,
            dir,
            runs: Mutex::new(Vec::new()),
        }
    }

    pub fn handle(&self) -> EmulatorHandle {
        self.emulator.state()
    }

    pub fn endpoint(&self) -> String {
        self.emulator.endpoint()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Builds the `canopy` command with the test environment. With `own_identity`
    /// false, canopy's own identity has no keys at all.
    pub fn command(&self, args: &[&str], own_identity: bool) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_canopy"));
        command
            .args(args)
            .env("CANOPY_DATA_DIR", self.data_dir())
            .env_remove("CANOPY_WORKSPACE")
            .env_remove("CANOPY_AWS_PROFILE")
            .env_remove("CANOPY_LOG")
            .env_remove("CANOPY_SECRET_KEY")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env("AWS_CONFIG_FILE", self.dir.path().join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", self.endpoint());
        if own_identity {
            command
                .env("AWS_ACCESS_KEY_ID", DEFAULT_ADMIN_ACCESS_KEY_ID)
                .env("AWS_SECRET_ACCESS_KEY", DEFAULT_ADMIN_SECRET_ACCESS_KEY);
        }
        command
    }

    /// Runs `canopy ARGS` with no standard input.
    pub fn canopy(&self, args: &[&str]) -> Output {
        self.run(args, None, true)
    }

    /// Runs `canopy ARGS` with `stdin` on standard input.
    pub fn canopy_stdin(&self, args: &[&str], stdin: &str) -> Output {
        self.run(args, Some(stdin), true)
    }

    /// Runs `canopy ARGS` and fails the test unless it exits 0.
    pub fn ok(&self, args: &[&str]) -> Output {
        let output = self.canopy(args);
        assert_eq!(
            output.code,
            0,
            "`canopy {}` failed:\n{}",
            args.join(" "),
            output.all()
        );
        output
    }

    pub fn run(&self, args: &[&str], stdin: Option<&str>, own_identity: bool) -> Output {
        let mut command = self.command(args, own_identity);
        command
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("canopy starts");
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().expect("piped stdin");
            pipe.write_all(text.as_bytes()).expect("stdin is written");
        }
        let output = child.wait_with_output().expect("canopy runs");
        let output = Output {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code().unwrap_or(-1),
        };
        self.runs
            .lock()
            .unwrap()
            .push((args.join(" "), output.clone()));
        output
    }

    /// Every run so far: its arguments and output.
    pub fn runs(&self) -> Vec<(String, Output)> {
        self.runs.lock().unwrap().clone()
    }

    /// Creates workspace `main` and returns its token.
    pub fn workspace(&self) -> String {
        self.ok(&["workspace", "create", "main"]);
        self.ok(&["workspace", "token"]).stdout.trim().to_string()
    }

    /// Creates a secret named `name` from a JSON value on standard input.
    pub fn secret(&self, name: &str, value: &Value) -> Output {
        let output = self.canopy_stdin(&["secret", "create", name], &value.to_string());
        assert_eq!(
            output.code,
            0,
            "`canopy secret create {name}` failed:\n{}",
            output.all()
        );
        output
    }

    /// Creates the change set, an AWS Credential component `aws` for `secret`, and a
    /// Region component `region` for us-east-1.
    pub fn change_set_with_links(&self, change_set: &str, secret: &str) {
        self.ok(&["change-set", "create", change_set]);
        let credential = json!({"Secret": secret}).to_string();
        self.ok(&[
            "component",
            "create",
            "-c",
            change_set,
            "AWS Credential",
            "aws",
            "--domain",
            &credential,
        ]);
        let region = json!({"Region": REGION}).to_string();
        self.ok(&[
            "component",
            "create",
            "-c",
            change_set,
            "Region",
            "region",
            "--domain",
            &region,
        ]);
    }

    /// Sets up workspace `main` with a secret `customer` holding the customer account's
    /// static keys, and change set `change_set` linked to it.
    pub fn static_setup(&self, change_set: &str) {
        self.workspace();
        self.secret("customer", &customer_keys(&self.endpoint()));
        self.change_set_with_links(change_set, "customer");
    }

    /// Creates a component with a domain and fails the test unless that works.
    pub fn component(&self, change_set: &str, schema: &str, name: &str, domain: &Value) -> Output {
        self.ok(&[
            "component",
            "create",
            "-c",
            change_set,
            schema,
            name,
            "--domain",
            &domain.to_string(),
        ])
    }

    /// Reads `component show --output json` from a change set.
    pub fn show(&self, change_set: &str, name: &str) -> Value {
        self.ok(&[
            "component",
            "show",
            "-c",
            change_set,
            name,
            "--output",
            "json",
        ])
        .json()
    }

    /// Reads `plan --output json`.
    pub fn plan_json(&self, change_set: &str) -> Value {
        self.ok(&["plan", change_set, "--output", "json"]).json()
    }

    /// Lists the identifiers of one type in the customer account.
    pub fn identifiers(&self, type_name: &str) -> Vec<String> {
        self.handle().list_identifiers(CUSTOMER, REGION, type_name)
    }

    /// Returns the single resource of a type in the customer account, failing the test
    /// when there is not exactly one.
    pub fn only(&self, type_name: &str) -> (String, Value) {
        let ids = self.identifiers(type_name);
        assert_eq!(
            ids.len(),
            1,
            "expected exactly one {type_name} in the emulator, found {ids:?}"
        );
        let model = self
            .handle()
            .find_resource(CUSTOMER, REGION, type_name, &ids[0])
            .expect("the model");
        (ids[0].clone(), model)
    }
}

/// The customer account's static keys, for a secret on standard input.
pub fn customer_keys(endpoint: &str) -> Value {
    json!({
        "AccessKeyId": CUSTOMER_ADMIN_ACCESS_KEY_ID,
        "SecretAccessKey": CUSTOMER_ADMIN_SECRET_ACCESS_KEY,
        "Endpoint": endpoint,
    })
}

/// A trust policy that lets canopy's account assume a role with `external_id`.
pub fn trust_policy(external_id: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{DEFAULT_ACCOUNT_ID}:root")},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": external_id}}
        }]
    })
}

/// Creates, as the customer would in their own account through Cloud Control, a role
/// trusting canopy's account under `external_id`. Returns its ARN.
pub async fn create_customer_role(endpoint: &str, name: &str, external_id: &str) -> String {
    let customer = AwsCredentialSecret {
        access_key_id: Some(CUSTOMER_ADMIN_ACCESS_KEY_ID.into()),
        secret_access_key: Some(CUSTOMER_ADMIN_SECRET_ACCESS_KEY.into()),
        endpoint: Some(endpoint.into()),
        ..Default::default()
    };
    let session = connect(&customer, REGION, &OwnIdentity::default(), "", "unused")
        .await
        .expect("a customer session");
    let cloud_control = session.cloud_control();
    let desired = json!({"RoleName": name, "AssumeRolePolicyDocument": trust_policy(external_id)});
    let event = cloud_control
        .create_resource("AWS::IAM::Role", &desired, &new_client_token())
        .await
        .expect("CreateResource of the role is accepted");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    cloud_control
        .wait_for_request(&event.request_token, deadline, |_| {})
        .await
        .expect("the role is created");
    format!("arn:aws:iam::{CUSTOMER}:role/{name}")
}

/// Reads every file of a directory as bytes, for plain-text scans.
pub fn read_all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the directory is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_file() {
            let bytes = std::fs::read(&path).expect("the file is readable");
            files.push((path, bytes));
        }
    }
    files
}

/// True when `needle` occurs in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}
