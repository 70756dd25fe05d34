//! Shared fixture: an emulator on a free loopback port and SDK clients pointed at it.

#![allow(dead_code)]

use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_cloudcontrol::config::retry::RetryConfig;
use aws_sdk_cloudcontrol::config::{BehaviorVersion, Region};
use aws_sdk_cloudcontrol::types::{OperationStatus, ProgressEvent};
use canopy_emulator::{
    DEFAULT_ADMIN_ACCESS_KEY_ID, DEFAULT_ADMIN_SECRET_ACCESS_KEY, EmulatorConfig, RunningEmulator,
};

pub const REGION: &str = "us-east-1";

/// Starts an emulator on 127.0.0.1 with a short request delay unless the config sets one.
pub async fn start(config: EmulatorConfig) -> RunningEmulator {
    canopy_emulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("emulator starts")
}

/// The default configuration with a 10 ms request delay.
pub fn fast_config() -> EmulatorConfig {
    EmulatorConfig::default().with_request_delay(Duration::from_millis(10))
}

pub fn credentials(access_key_id: &str, secret: &str, token: Option<&str>) -> Credentials {
    Credentials::new(
        access_key_id,
        secret,
        token.map(String::from),
        None,
        "canopy-emulator-test",
    )
}

pub fn admin_credentials() -> Credentials {
    credentials(
        DEFAULT_ADMIN_ACCESS_KEY_ID,
        DEFAULT_ADMIN_SECRET_ACCESS_KEY,
        None,
    )
}

/// An STS client that does not retry, so each error reaches the test.
pub fn sts_client(emulator: &RunningEmulator, credentials: Credentials) -> aws_sdk_sts::Client {
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(emulator.endpoint())
        .credentials_provider(credentials)
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

/// A Cloud Control client that does not retry, so each error reaches the test.
pub fn cloud_control(
    emulator: &RunningEmulator,
    credentials: Credentials,
) -> aws_sdk_cloudcontrol::Client {
    let config = aws_sdk_cloudcontrol::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(emulator.endpoint())
        .credentials_provider(credentials)
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_cloudcontrol::Client::from_conf(config)
}

pub fn admin_cloud_control(emulator: &RunningEmulator) -> aws_sdk_cloudcontrol::Client {
    cloud_control(emulator, admin_credentials())
}

/// Polls GetResourceRequestStatus until the request is terminal, for at most ~10 s.
pub async fn wait_for(client: &aws_sdk_cloudcontrol::Client, request_token: &str) -> ProgressEvent {
    for _ in 0..1000 {
        let output = client
            .get_resource_request_status()
            .request_token(request_token)
            .send()
            .await
            .expect("status call succeeds");
        let event = output.progress_event.expect("event present");
        let terminal = matches!(
            event.operation_status(),
            Some(
                OperationStatus::Success
                    | OperationStatus::Failed
                    | OperationStatus::CancelComplete
            )
        );
        if terminal {
            return event;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("request {request_token} did not finish");
}

/// Creates a resource and waits for SUCCESS, returning its identifier.
pub async fn create(
    client: &aws_sdk_cloudcontrol::Client,
    type_name: &str,
    desired_state: &str,
) -> String {
    let output = client
        .create_resource()
        .type_name(type_name)
        .desired_state(desired_state)
        .send()
        .await
        .expect("create accepted");
    let token = output.progress_event.unwrap().request_token.unwrap();
    let event = wait_for(client, &token).await;
    assert_eq!(
        event.operation_status(),
        Some(&OperationStatus::Success),
        "create of {type_name} failed: {:?}",
        event.status_message()
    );
    event.identifier().expect("identifier").to_string()
}
