//! Cloud Control through the AWS SDK: the resource lifecycle, schema rules, idempotency,
//! concurrency, paging and injected faults.

mod common;

use std::time::Duration;

use aws_sdk_cloudcontrol::error::ProvideErrorMetadata;
use aws_sdk_cloudcontrol::types::{HandlerErrorCode, OperationStatus};
use canopy_emulator::{EmulatorConfig, FailureRule, HangRule, Operation, ThrottleRule};
use common::{REGION, admin_cloud_control, wait_for};
use serde_json::{Value, json};

const ACCOUNT: &str = "123456789012";
const VPC: &str = "AWS::EC2::VPC";

fn properties(text: &str) -> Value {
    serde_json::from_str(text).expect("properties are JSON")
}

#[tokio::test]
async fn vpc_lifecycle() {
    let emulator = common::start(common::fast_config()).await;
    let client = admin_cloud_control(&emulator);

    let created = client
        .create_resource()
        .type_name(VPC)
        .desired_state(r#"{"CidrBlock":"10.0.0.0/16"}"#)
        .send()
        .await
        .expect("create accepted");
    let first = created.progress_event.unwrap();
    let done = wait_for(&client, first.request_token().unwrap()).await;
    let vpc_id = done.identifier().unwrap().to_string();
    let got = client
        .get_resource()
        .type_name(VPC)
        .identifier(&vpc_id)
        .send()
        .await
        .expect("get");
    let model = properties(got.resource_description().unwrap().properties().unwrap());

    assert_eq!(first.operation_status(), Some(&OperationStatus::InProgress));
    assert_eq!(first.identifier(), Some(vpc_id.as_str()));
    assert_eq!(done.operation_status(), Some(&OperationStatus::Success));
    assert!(vpc_id.starts_with("vpc-"), "{vpc_id}");
    assert_eq!(model["VpcId"], vpc_id);
    assert_eq!(model["CidrBlock"], "10.0.0.0/16");

    let patch = r#"[{"op":"add","path":"/Tags","value":[{"Key":"env","Value":"dev"}]}]"#;
    let updated = client
        .update_resource()
        .type_name(VPC)
        .identifier(&vpc_id)
        .patch_document(patch)
        .send()
        .await
        .expect("update accepted");
    let update = wait_for(
        &client,
        updated.progress_event.unwrap().request_token().unwrap(),
    )
    .await;
    let stored = emulator
        .state()
        .find_resource(ACCOUNT, REGION, VPC, &vpc_id)
        .unwrap();

    assert_eq!(update.operation_status(), Some(&OperationStatus::Success));
    assert_eq!(stored["Tags"][0]["Value"], "dev");

    let deleted = client
        .delete_resource()
        .type_name(VPC)
        .identifier(&vpc_id)
        .send()
        .await
        .expect("delete accepted");
    let delete = wait_for(
        &client,
        deleted.progress_event.unwrap().request_token().unwrap(),
    )
    .await;
    let missing = client
        .get_resource()
        .type_name(VPC)
        .identifier(&vpc_id)
        .send()
        .await
        .unwrap_err();

    assert_eq!(delete.operation_status(), Some(&OperationStatus::Success));
    assert_eq!(missing.code(), Some("ResourceNotFoundException"));
    assert_eq!(emulator.state().count_resources(ACCOUNT, REGION, VPC), 0);
}

#[tokio::test]
async fn create_only_patch_is_not_updatable() {
    let emulator = common::start(common::fast_config()).await;
    let client = admin_cloud_control(&emulator);
    let vpc_id = common::create(&client, VPC, r#"{"CidrBlock":"10.0.0.0/16"}"#).await;

    // The value is unchanged; Cloud Control rejects the path all the same.
    let error = client
        .update_resource()
        .type_name(VPC)
        .identifier(&vpc_id)
        .patch_document(r#"[{"op":"replace","path":"/CidrBlock","value":"10.0.0.0/16"}]"#)
        .send()
        .await
        .unwrap_err();

    assert_eq!(error.code(), Some("NotUpdatableException"));
    assert!(error.message().unwrap().contains("/properties/CidrBlock"));
}

#[tokio::test]
async fn replace_of_missing_path_fails() {
    let emulator = common::start(common::fast_config()).await;
    let client = admin_cloud_control(&emulator);
    let vpc_id = common::create(&client, VPC, r#"{"CidrBlock":"10.0.0.0/16"}"#).await;

    let output = client
        .update_resource()
        .type_name(VPC)
        .identifier(&vpc_id)
        .patch_document(r#"[{"op":"replace","path":"/Tags","value":[]}]"#)
        .send()
        .await
        .expect("update accepted");
    let event = wait_for(
        &client,
        output.progress_event.unwrap().request_token().unwrap(),
    )
    .await;

    assert_eq!(event.operation_status(), Some(&OperationStatus::Failed));
    assert_eq!(event.error_code(), Some(&HandlerErrorCode::InvalidRequest));
    assert!(event.status_message().unwrap().contains("noSuchPath"));
}

#[tokio::test]
async fn invalid_desired_state_fails_request() {
    let emulator = common::start(common::fast_config()).await;
    let client = admin_cloud_control(&emulator);

    let output = client
        .create_resource()
        .type_name(VPC)
        .desired_state(r#"{"CidrBlock":"10.0.0.0/16","NoSuchProperty":1}"#)
        .send()
        .await
        .expect("create accepted");
    let event = wait_for(
        &client,
        output.progress_event.unwrap().request_token().unwrap(),
    )
    .await;

    assert_eq!(event.operation_status(), Some(&OperationStatus::Failed));
    assert_eq!(event.error_code(), Some(&HandlerErrorCode::InvalidRequest));
    assert_eq!(emulator.state().count_resources(ACCOUNT, REGION, VPC), 0);
}

#[tokio::test]
async fn unknown_type_is_type_not_found() {
    let emulator = common::start(common::fast_config()).await;
    let client = admin_cloud_control(&emulator);

    let error = client
        .create_resource()
        .type_name("AWS::Nope::Thing")
        .desired_state("{}")
        .send()
        .await
        .unwrap_err();

    assert_eq!(error.code(), Some("TypeNotFoundException"));
}

#[tokio::test]
async fn bucket_write_only_property_not_read() {
    let emulator = common::start(common::fast_config()).await;
    let client = admin_cloud_control(&emulator);
    let desired = r#"{"BucketName":"canopy-logs","AccessControl":"Private"}"#;
    let name = common::create(&client, "AWS::S3::Bucket", desired).await;

    let got = client
        .get_resource()
        .type_name("AWS::S3::Bucket")
        .identifier(&name)
        .send()
        .await
        .expect("get");
    let listed = client
        .list_resources()
        .type_name("AWS::S3::Bucket")
        .send()
        .await
        .expect("list");
    let read = properties(got.resource_description().unwrap().properties().unwrap());
    let list_read = properties(listed.resource_descriptions()[0].properties().unwrap());
    let stored = emulator
        .state()
        .find_resource(ACCOUNT, REGION, "AWS::S3::Bucket", &name)
        .unwrap();

    assert_eq!(name, "canopy-logs");
    assert!(read.get("AccessControl").is_none(), "{read}");
    assert!(list_read.get("AccessControl").is_none(), "{list_read}");
    assert_eq!(read["Arn"], "arn:aws:s3:::canopy-logs");
    assert_eq!(stored["AccessControl"], "Private");
}

#[tokio::test]
async fn client_token_reuse_creates_once() {
    let emulator = common::start(common::fast_config()).await;
    let client = admin_cloud_control(&emulator);
    let send = |desired: &'static str| {
        client
            .create_resource()
            .type_name(VPC)
            .desired_state(desired)
            .client_token("token-1")
            .send()
    };

    let first = send(r#"{"CidrBlock":"10.0.0.0/16"}"#).await.expect("first");
    let second = send(r#"{"CidrBlock":"10.0.0.0/16"}"#)
        .await
        .expect("replay");
    let conflict = send(r#"{"CidrBlock":"10.1.0.0/16"}"#).await.unwrap_err();
    let first_token = first.progress_event.unwrap().request_token.unwrap();
    wait_for(&client, &first_token).await;

    assert_eq!(
        second.progress_event.unwrap().request_token.unwrap(),
        first_token
    );
    assert_eq!(conflict.code(), Some("ClientTokenConflictException"));
    assert_eq!(emulator.state().count_resources(ACCOUNT, REGION, VPC), 1);
}

#[tokio::test]
async fn second_request_on_busy_resource_is_rejected() {
    let emulator = common::start(common::fast_config()).await;
    let client = admin_cloud_control(&emulator);
    let vpc_id = common::create(&client, VPC, r#"{"CidrBlock":"10.0.0.0/16"}"#).await;
    emulator
        .state()
        .set_request_delay(Duration::from_secs(3600));
    let update = |value: &'static str| {
        client
            .update_resource()
            .type_name(VPC)
            .identifier(&vpc_id)
            .patch_document(value)
    };

    let first = update(r#"[{"op":"add","path":"/Tags","value":[]}]"#)
        .send()
        .await
        .unwrap();
    let second = update(r#"[{"op":"add","path":"/Tags","value":[]}]"#)
        .send()
        .await
        .unwrap_err();
    let token = first.progress_event.unwrap().request_token.unwrap();
    let cancelled = client
        .cancel_resource_request()
        .request_token(&token)
        .send()
        .await
        .unwrap();
    let third = update(r#"[{"op":"add","path":"/Tags","value":[]}]"#)
        .send()
        .await;

    assert_eq!(second.code(), Some("ConcurrentOperationException"));
    assert_eq!(
        cancelled.progress_event.unwrap().operation_status(),
        Some(&OperationStatus::CancelComplete)
    );
    assert!(third.is_ok(), "resource is free after cancel: {third:?}");
    let stored = emulator
        .state()
        .find_resource(ACCOUNT, REGION, VPC, &vpc_id)
        .unwrap();
    assert!(
        stored.get("Tags").is_none(),
        "cancelled update changed nothing"
    );
}

#[tokio::test]
async fn list_pages_over_many_resources() {
    let emulator = common::start(common::fast_config()).await;
    let client = admin_cloud_control(&emulator);
    for index in 0..25 {
        let vpc = json!({"VpcId": format!("vpc-{index:04}"), "CidrBlock": "10.0.0.0/16"});
        emulator
            .state()
            .insert_resource(ACCOUNT, REGION, VPC, vpc)
            .unwrap();
    }

    let mut identifiers = Vec::new();
    let mut page_sizes = Vec::new();
    let mut next_token = None;
    loop {
        let page = client
            .list_resources()
            .type_name(VPC)
            .max_results(10)
            .set_next_token(next_token.clone())
            .send()
            .await
            .expect("list page");
        page_sizes.push(page.resource_descriptions().len());
        identifiers.extend(
            page.resource_descriptions()
                .iter()
                .map(|d| d.identifier().unwrap().to_string()),
        );
        next_token = page.next_token().map(String::from);
        if next_token.is_none() {
            break;
        }
    }

    assert_eq!(page_sizes, vec![10, 10, 5]);
    assert_eq!(identifiers.len(), 25);
    assert_eq!(identifiers.first().map(String::as_str), Some("vpc-0000"));
    assert_eq!(identifiers.last().map(String::as_str), Some("vpc-0024"));
}

#[tokio::test]
async fn child_list_needs_parent_model() {
    let emulator = common::start(common::fast_config()).await;
    let client = admin_cloud_control(&emulator);
    let nodegroup = json!({"Id": "prod/ng-1", "ClusterName": "prod", "NodegroupName": "ng-1",
        "NodeRole": "arn:aws:iam::123456789012:role/node", "Subnets": ["subnet-1"]});
    let other = json!({"Id": "dev/ng-2", "ClusterName": "dev", "NodegroupName": "ng-2",
        "NodeRole": "arn:aws:iam::123456789012:role/node", "Subnets": ["subnet-1"]});
    let state = emulator.state();
    state
        .insert_resource(ACCOUNT, REGION, "AWS::EKS::Nodegroup", nodegroup)
        .unwrap();
    state
        .insert_resource(ACCOUNT, REGION, "AWS::EKS::Nodegroup", other)
        .unwrap();

    let without = client
        .list_resources()
        .type_name("AWS::EKS::Nodegroup")
        .send()
        .await
        .unwrap_err();
    let with = client
        .list_resources()
        .type_name("AWS::EKS::Nodegroup")
        .resource_model(r#"{"ClusterName":"prod"}"#)
        .send()
        .await
        .expect("list with parent");

    assert_eq!(without.code(), Some("InvalidRequestException"));
    assert!(without.message().unwrap().contains("ClusterName"));
    assert_eq!(with.resource_descriptions().len(), 1);
    assert_eq!(
        with.resource_descriptions()[0].identifier(),
        Some("prod/ng-1")
    );
}

#[tokio::test]
async fn injected_throttling_is_synchronous() {
    let config = common::fast_config().with_throttle(ThrottleRule {
        operation: Some("GetResource".into()),
        first: Some(1),
        rate: None,
    });
    let emulator = common::start(config).await;
    let client = admin_cloud_control(&emulator);

    let throttled = client
        .get_resource()
        .type_name(VPC)
        .identifier("vpc-1")
        .send()
        .await;
    let next = client
        .get_resource()
        .type_name(VPC)
        .identifier("vpc-1")
        .send()
        .await;

    assert_eq!(throttled.unwrap_err().code(), Some("ThrottlingException"));
    assert_eq!(next.unwrap_err().code(), Some("ResourceNotFoundException"));
    let calls = emulator.state().calls();
    assert_eq!(calls.iter().filter(|c| c.throttled).count(), 1);
}

#[tokio::test]
async fn injected_failure_can_leave_resource() {
    let emulator = common::start(common::fast_config()).await;
    let client = admin_cloud_control(&emulator);
    emulator.state().add_failure(FailureRule {
        type_name: Some(VPC.into()),
        operation: Some(Operation::Create),
        error_code: "ServiceInternalError".into(),
        first: Some(1),
        leave_resource: true,
        ..FailureRule::default()
    });

    let output = client
        .create_resource()
        .type_name(VPC)
        .desired_state(r#"{"CidrBlock":"10.0.0.0/16"}"#)
        .send()
        .await
        .unwrap();
    let event = wait_for(
        &client,
        output.progress_event.unwrap().request_token().unwrap(),
    )
    .await;

    assert_eq!(event.operation_status(), Some(&OperationStatus::Failed));
    assert_eq!(
        event.error_code(),
        Some(&HandlerErrorCode::ServiceInternalError)
    );
    let identifier = event
        .identifier()
        .expect("identifier of the leftover resource");
    let leftover = emulator
        .state()
        .find_resource(ACCOUNT, REGION, VPC, identifier);
    assert!(leftover.is_some());
}

#[tokio::test]
async fn injected_failure_changes_nothing() {
    let emulator = common::start(common::fast_config()).await;
    let client = admin_cloud_control(&emulator);
    emulator.state().add_failure(FailureRule {
        error_code: "Throttling".into(),
        first: Some(1),
        ..FailureRule::default()
    });

    let output = client
        .create_resource()
        .type_name(VPC)
        .desired_state(r#"{"CidrBlock":"10.0.0.0/16"}"#)
        .send()
        .await
        .unwrap();
    let event = wait_for(
        &client,
        output.progress_event.unwrap().request_token().unwrap(),
    )
    .await;
    let retry = common::create(&client, VPC, r#"{"CidrBlock":"10.0.0.0/16"}"#).await;

    assert_eq!(event.error_code(), Some(&HandlerErrorCode::Throttling));
    assert_eq!(
        emulator.state().list_identifiers(ACCOUNT, REGION, VPC),
        vec![retry]
    );
}

#[tokio::test]
async fn hung_request_stays_in_progress() {
    let config = common::fast_config().with_hang(HangRule {
        type_name: VPC.into(),
        operation: None,
    });
    let emulator = common::start(config).await;
    let client = admin_cloud_control(&emulator);

    let output = client
        .create_resource()
        .type_name(VPC)
        .desired_state(r#"{"CidrBlock":"10.0.0.0/16"}"#)
        .send()
        .await
        .unwrap();
    let token = output.progress_event.unwrap().request_token.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let status = client
        .get_resource_request_status()
        .request_token(&token)
        .send()
        .await
        .unwrap();
    let unknown = client
        .get_resource_request_status()
        .request_token("no-such-token")
        .send()
        .await
        .unwrap_err();

    assert_eq!(
        status.progress_event.unwrap().operation_status(),
        Some(&OperationStatus::InProgress)
    );
    assert_eq!(unknown.code(), Some("RequestTokenNotFoundException"));
    assert_eq!(emulator.state().count_resources(ACCOUNT, REGION, VPC), 0);
}

#[tokio::test]
async fn wrong_secret_is_invalid_signature() {
    let emulator = common::start(EmulatorConfig::default()).await;
    let client = common::cloud_control(
        &emulator,
        common::credentials(canopy_emulator::DEFAULT_ADMIN_ACCESS_KEY_ID, "bad", None),
    );
    let unknown = common::cloud_control(
        &emulator,
        common::credentials("AKIANOBODY0000000000", "bad", None),
    );

    let bad_secret = client
        .list_resources()
        .type_name(VPC)
        .send()
        .await
        .unwrap_err();
    let bad_key = unknown
        .list_resources()
        .type_name(VPC)
        .send()
        .await
        .unwrap_err();

    assert_eq!(bad_secret.code(), Some("InvalidSignatureException"));
    assert_eq!(bad_key.code(), Some("UnrecognizedClientException"));
}
