//! The `aws` CLI (v1, which has `cloudcontrol`) against the emulator, to prove the wire
//! format works for a second, independent client (botocore).
//!
//! The CLI is taken from `$CANOPY_AWS_CLI` or `aws` on PATH. When it is missing the test
//! fails with install instructions, unless `CANOPY_SKIP_AWS_CLI=1` is set.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use canopy_emulator::{
    DEFAULT_ADMIN_ACCESS_KEY_ID, DEFAULT_ADMIN_SECRET_ACCESS_KEY, RunningEmulator,
};
use serde_json::Value;

/// Finds the CLI, or returns `None` when the test should be skipped.
fn aws_cli() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CANOPY_AWS_CLI") {
        return Some(PathBuf::from(path));
    }
    let found = Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Some(PathBuf::from("aws"));
    }
    if std::env::var("CANOPY_SKIP_AWS_CLI").as_deref() == Ok("1") {
        eprintln!("skipped: aws CLI not found and CANOPY_SKIP_AWS_CLI=1");
        return None;
    }
    panic!(
        "the aws CLI was not found on PATH or at $CANOPY_AWS_CLI; install it with \
         `pip install awscli` (v1 has `cloudcontrol`), or set CANOPY_SKIP_AWS_CLI=1 to skip"
    );
}

/// Runs one `aws cloudcontrol` command with the emulator's keys and returns its JSON.
fn run(
    cli: &PathBuf,
    emulator: &RunningEmulator,
    empty: &tempfile::TempDir,
    args: &[&str],
) -> Value {
    let config_file = empty.path().join("config");
    let credentials_file = empty.path().join("credentials");
    let output = Command::new(cli)
        .arg("cloudcontrol")
        .args(args)
        .args([
            "--endpoint-url",
            &emulator.endpoint(),
            "--region",
            "us-east-1",
        ])
        .args(["--output", "json"])
        .env("AWS_ACCESS_KEY_ID", DEFAULT_ADMIN_ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", DEFAULT_ADMIN_SECRET_ACCESS_KEY)
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", &config_file)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials_file)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .output()
        .expect("aws CLI runs");
    assert!(
        output.status.success(),
        "aws cloudcontrol {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("aws CLI prints JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_creates_and_reads_vpc() {
    let Some(cli) = aws_cli() else { return };
    let emulator = common::start(common::fast_config()).await;
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("config"), "").unwrap();
    std::fs::write(empty.path().join("credentials"), "").unwrap();

    // The CLI blocks, so it runs on a blocking thread while the server keeps serving.
    let result = tokio::task::block_in_place(|| {
        let created = run(
            &cli,
            &emulator,
            &empty,
            &[
                "create-resource",
                "--type-name",
                "AWS::EC2::VPC",
                "--desired-state",
                r#"{"CidrBlock":"10.0.0.0/16"}"#,
            ],
        );
        let token = created["ProgressEvent"]["RequestToken"]
            .as_str()
            .unwrap()
            .to_string();
        let mut status = Value::Null;
        for _ in 0..100 {
            status = run(
                &cli,
                &emulator,
                &empty,
                &["get-resource-request-status", "--request-token", &token],
            );
            if status["ProgressEvent"]["OperationStatus"] != "IN_PROGRESS" {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let identifier = status["ProgressEvent"]["Identifier"]
            .as_str()
            .unwrap()
            .to_string();
        let got = run(
            &cli,
            &emulator,
            &empty,
            &[
                "get-resource",
                "--type-name",
                "AWS::EC2::VPC",
                "--identifier",
                &identifier,
            ],
        );
        (created, status, identifier, got)
    });
    let (created, status, identifier, got) = result;
    let properties: Value =
        serde_json::from_str(got["ResourceDescription"]["Properties"].as_str().unwrap()).unwrap();

    assert_eq!(created["ProgressEvent"]["OperationStatus"], "IN_PROGRESS");
    assert_eq!(created["ProgressEvent"]["Operation"], "CREATE");
    assert_eq!(status["ProgressEvent"]["OperationStatus"], "SUCCESS");
    assert!(identifier.starts_with("vpc-"), "{identifier}");
    assert_eq!(got["ResourceDescription"]["Identifier"], identifier);
    assert_eq!(properties["CidrBlock"], "10.0.0.0/16");
    assert_eq!(properties["VpcId"], identifier);
    emulator.shutdown().await;
}
