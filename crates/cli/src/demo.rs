//! `canopy demo`: the whole loop against an in-process emulator, as a script of real
//! `canopy` commands that a newcomer can read and repeat.
//!
//! The demo starts the emulator on a free loopback port, keeps its data in a temporary
//! directory, and runs each step as a child `canopy` process with that directory and
//! canopy's own identity (the emulator's `canopy-admin` user) in the environment, so
//! the user's own AWS configuration is never read.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use canopy_aws::cloudcontrol::new_client_token;
use canopy_aws::credentials::{AwsCredentialSecret, OwnIdentity, connect};
use canopy_emulator::{
    CUSTOMER_ACCOUNT_ID, CUSTOMER_ADMIN_ACCESS_KEY_ID, CUSTOMER_ADMIN_SECRET_ACCESS_KEY,
    DEFAULT_ACCOUNT_ID, DEFAULT_ADMIN_ACCESS_KEY_ID, DEFAULT_ADMIN_SECRET_ACCESS_KEY,
    EmulatorConfig, EmulatorHandle,
};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::args::DemoArgs;

const ROLE_NAME: &str = "canopy-demo";
const REGION: &str = "us-east-1";

pub async fn run(args: DemoArgs) -> Result<u8> {
    let temp = tempfile::tempdir().context("cannot create a temporary directory")?;
    let data_dir = match &args.keep {
        Some(dir) => dir.clone(),
        None => temp.path().join("data"),
    };
    // Empty AWS configuration files, so nothing of the user's own is read.
    for name in ["aws-config", "aws-credentials"] {
        std::fs::write(temp.path().join(name), "")
            .context("cannot write the demo's AWS configuration")?;
    }
    let config = EmulatorConfig::default().with_request_delay(Duration::from_millis(300));
    let emulator =
        canopy_emulator::start(config, "127.0.0.1:0".parse().expect("valid address")).await?;
    let endpoint = emulator.endpoint();
    let demo = Demo {
        exe: std::env::current_exe().context("cannot find the canopy executable")?,
        data_dir: data_dir.clone(),
        aws_dir: temp.path().to_path_buf(),
        endpoint: endpoint.clone(),
    };

    heading("A local AWS endpoint");
    println!("canopy emulator is serving Cloud Control and STS at {endpoint}.");
    println!("Account {DEFAULT_ACCOUNT_ID} holds canopy's own identity (user canopy-admin);");
    println!("account {CUSTOMER_ACCOUNT_ID} is the customer's, where resources are made.");

    heading("A workspace and its token");
    demo.canopy(&["workspace", "create", "demo"], None).await?;
    let token = demo.capture(&["workspace", "token"]).await?;
    let role_arn = create_customer_role(&endpoint, token.trim()).await?;
    println!("In the customer account, an IAM role trusts canopy's account with sts:ExternalId");
    println!("set to the workspace token (shown by `canopy workspace token`, never printed here):");
    println!(
        "{}",
        serde_json::to_string_pretty(&trust_policy("<workspace token>"))?
    );
    println!("role: {role_arn}");

    heading("An AWS Credential that assumes the role");
    demo.canopy(
        &[
            "secret",
            "create",
            "customer",
            "--assume-role",
            &role_arn,
            "--endpoint",
            &endpoint,
            "--no-keys",
        ],
        None,
    )
    .await?;
    demo.canopy(&["change-set", "create", "network"], None)
        .await?;
    demo.canopy(
        &[
            "component",
            "create",
            "-c",
            "network",
            "AWS Credential",
            "aws",
            "--domain",
            r#"{"Secret":"customer"}"#,
        ],
        None,
    )
    .await?;
    demo.canopy(
        &[
            "component",
            "create",
            "-c",
            "network",
            "Region",
            "us-east-1",
            "--domain",
            r#"{"Region":"us-east-1"}"#,
        ],
        None,
    )
    .await?;

    heading("Resources, with subnets and a security group subscribed to the VPC's id");
    let vpc = r#"{"CidrBlock":"10.0.0.0/16","EnableDnsHostnames":true,"Tags":[{"Key":"Name","Value":"demo"}]}"#;
    demo.create("network", "AWS::EC2::VPC", "vpc", vpc).await?;
    for (name, cidr, zone) in [
        ("subnet-a", "10.0.1.0/24", "us-east-1a"),
        ("subnet-b", "10.0.2.0/24", "us-east-1b"),
    ] {
        let domain = json!({"CidrBlock": cidr, "AvailabilityZone": zone}).to_string();
        demo.create("network", "AWS::EC2::Subnet", name, &domain)
            .await?;
        demo.canopy(
            &[
                "component",
                "subscribe",
                "-c",
                "network",
                name,
                "/VpcId",
                "--from",
                "vpc",
                "/resource/VpcId",
            ],
            None,
        )
        .await?;
    }
    demo.create(
        "network",
        "AWS::EC2::SecurityGroup",
        "web",
        r#"{"GroupDescription":"web servers"}"#,
    )
    .await?;
    demo.canopy(
        &[
            "component",
            "subscribe",
            "-c",
            "network",
            "web",
            "/VpcId",
            "--from",
            "vpc",
            "/resource/VpcId",
        ],
        None,
    )
    .await?;
    demo.create(
        "network",
        "AWS::S3::Bucket",
        "assets",
        r#"{"BucketName":"canopy-demo-assets"}"#,
    )
    .await?;
    let role = json!({
        "RoleName": "demo-app",
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
        }
    });
    demo.create("network", "AWS::IAM::Role", "app-role", &role.to_string())
        .await?;
    demo.canopy(&["component", "show", "-c", "network", "aws"], None)
        .await?;

    heading("Plan and apply");
    demo.canopy(&["plan", "network"], None).await?;
    demo.canopy(&["change-set", "apply", "network"], None)
        .await?;
    demo.canopy(&["component", "show", "subnet-a"], None)
        .await?;
    demo.canopy(&["plan", "HEAD"], None).await?;

    heading("Update and replace");
    demo.canopy(&["change-set", "create", "grow"], None).await?;
    demo.canopy(
        &[
            "component",
            "set",
            "-c",
            "grow",
            "vpc",
            "/Tags/0/Value",
            "demo-v2",
        ],
        None,
    )
    .await?;
    demo.canopy(
        &[
            "component",
            "set",
            "-c",
            "grow",
            "subnet-b",
            "/CidrBlock",
            "10.0.3.0/24",
        ],
        None,
    )
    .await?;
    demo.canopy(&["plan", "grow"], None).await?;
    demo.canopy(&["change-set", "apply", "grow"], None).await?;

    heading("Refresh after a change made outside canopy");
    change_out_of_band(&emulator.state())?;
    demo.canopy(&["refresh"], None).await?;
    demo.canopy(&["plan", "HEAD"], None).await?;
    demo.canopy(&["change-set", "apply", "HEAD"], None).await?;

    heading("Delete");
    demo.canopy(&["change-set", "create", "teardown"], None)
        .await?;
    for name in ["web", "subnet-a", "subnet-b", "assets", "app-role", "vpc"] {
        demo.canopy(&["component", "delete", "-c", "teardown", name], None)
            .await?;
    }
    demo.canopy(&["plan", "teardown"], None).await?;
    demo.canopy(&["change-set", "apply", "teardown"], None)
        .await?;
    let left = [
        "AWS::EC2::VPC",
        "AWS::EC2::Subnet",
        "AWS::S3::Bucket",
        "AWS::IAM::Role",
        "AWS::EC2::SecurityGroup",
    ]
    .iter()
    .map(|t| {
        emulator
            .state()
            .count_resources(CUSTOMER_ACCOUNT_ID, REGION, t)
    })
    .sum::<usize>();
    // The demo role that canopy assumes is the only IAM role left.
    heading("Done");
    println!("The emulator holds {left} resource(s) (the role canopy assumes), no more.");
    if args.keep.is_some() {
        println!("Data directory kept at {}.", data_dir.display());
    }
    emulator.shutdown().await;
    Ok(0)
}

struct Demo {
    exe: std::path::PathBuf,
    data_dir: std::path::PathBuf,
    aws_dir: std::path::PathBuf,
    endpoint: String,
}

impl Demo {
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(&self.exe);
        command
            .args(args)
            .env("CANOPY_DATA_DIR", &self.data_dir)
            .env_remove("CANOPY_WORKSPACE")
            .env_remove("CANOPY_AWS_PROFILE")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_ACCESS_KEY_ID", DEFAULT_ADMIN_ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", DEFAULT_ADMIN_SECRET_ACCESS_KEY)
            .env("AWS_CONFIG_FILE", self.aws_dir.join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.aws_dir.join("aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_ENDPOINT_URL", &self.endpoint);
        command
    }

    /// Runs `canopy ARGS`, showing the command and its output; fails on a non-zero exit.
    async fn canopy(&self, args: &[&str], stdin: Option<&str>) -> Result<()> {
        println!("\n$ canopy {}", shell_words(args));
        let mut command = self.command(args);
        command.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut child = command.spawn().context("cannot run canopy")?;
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(text.as_bytes()).await?;
        }
        let status = child.wait().await?;
        if !status.success() {
            bail!(
                "the demo step `canopy {}` failed with {status}",
                shell_words(args)
            );
        }
        Ok(())
    }

    /// Runs `canopy ARGS` and returns its standard output without showing it.
    async fn capture(&self, args: &[&str]) -> Result<String> {
        let output = self.command(args).stdin(Stdio::null()).output().await?;
        if !output.status.success() {
            bail!(
                "the demo step `canopy {}` failed: {}",
                shell_words(args),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8(output.stdout)?)
    }

    async fn create(&self, change_set: &str, schema: &str, name: &str, domain: &str) -> Result<()> {
        self.canopy(
            &[
                "component",
                "create",
                "-c",
                change_set,
                schema,
                name,
                "--domain",
                domain,
            ],
            None,
        )
        .await
    }
}

fn heading(text: &str) {
    println!("\n== {text} ==");
}

fn shell_words(args: &[&str]) -> String {
    args.iter()
        .map(|arg| {
            if arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_/.:".contains(c))
            {
                arg.to_string()
            } else {
                format!("'{}'", arg.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn trust_policy(external_id: &str) -> serde_json::Value {
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

/// Creates, as the customer would in their own account, the role canopy assumes.
async fn create_customer_role(endpoint: &str, token: &str) -> Result<String> {
    let customer = AwsCredentialSecret {
        access_key_id: Some(CUSTOMER_ADMIN_ACCESS_KEY_ID.into()),
        secret_access_key: Some(CUSTOMER_ADMIN_SECRET_ACCESS_KEY.into()),
        endpoint: Some(endpoint.into()),
        ..Default::default()
    };
    let session = connect(&customer, REGION, &OwnIdentity::default(), "", "unused").await?;
    let cloud_control = session.cloud_control();
    let desired = json!({"RoleName": ROLE_NAME, "AssumeRolePolicyDocument": trust_policy(token)});
    let event = cloud_control
        .create_resource("AWS::IAM::Role", &desired, &new_client_token())
        .await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    cloud_control
        .wait_for_request(&event.request_token, deadline, |_| {})
        .await?;
    Ok(format!(
        "arn:aws:iam::{CUSTOMER_ACCOUNT_ID}:role/{ROLE_NAME}"
    ))
}

/// Changes the VPC outside canopy, as someone in the console would: one value canopy
/// manages (DNS hostnames) and one it never set (DNS support, left to AWS).
fn change_out_of_band(state: &EmulatorHandle) -> Result<()> {
    let vpc = state
        .list_identifiers(CUSTOMER_ACCOUNT_ID, REGION, "AWS::EC2::VPC")
        .into_iter()
        .next()
        .context("the demo VPC is missing from the emulator")?;
    let mut properties = state
        .find_resource(CUSTOMER_ACCOUNT_ID, REGION, "AWS::EC2::VPC", &vpc)
        .context("the demo VPC is missing from the emulator")?;
    properties["EnableDnsHostnames"] = json!(false);
    properties["EnableDnsSupport"] = json!(false);
    state.set_resource_properties(
        CUSTOMER_ACCOUNT_ID,
        REGION,
        "AWS::EC2::VPC",
        &vpc,
        properties,
    )?;
    println!("\nSomeone turned off DNS hostnames and DNS support on {vpc} in the console.");
    println!(
        "canopy manages EnableDnsHostnames, so that is drift; EnableDnsSupport was never set in canopy."
    );
    Ok(())
}
