//! Applies under injected Cloud Control faults: throttling, a FAILED create that left
//! its resource behind, and a failed action among independent ones.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use canopy_emulator::{EmulatorConfig, FailureRule, Operation, OperationStatus, ThrottleRule};
use canopy_engine::EngineConfig;
use common::{Fixture, fast_config, outcome};
use serde_json::json;

const BUCKET: &str = "AWS::S3::Bucket";
const VPC: &str = "AWS::EC2::VPC";
const SUBNET: &str = "AWS::EC2::Subnet";

fn quick_emulator() -> EmulatorConfig {
    EmulatorConfig::default().with_request_delay(Duration::from_millis(20))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_parallel_creates_make_each_once() {
    let emulator = quick_emulator()
        .with_fault_seed(17)
        .with_throttle(ThrottleRule {
            operation: Some("CreateResource".into()),
            first: None,
            rate: Some(0.25),
        })
        .with_failure(FailureRule {
            type_name: Some(BUCKET.into()),
            operation: Some(Operation::Create),
            error_code: "Throttling".into(),
            rate: Some(0.25),
            ..FailureRule::default()
        });
    let config = EngineConfig {
        concurrency: 10,
        ..fast_config()
    };
    let fixture = Fixture::start(emulator, config).await;
    fixture.change_set("buckets").await;
    let names: BTreeSet<String> = (0..50).map(|i| format!("canopy-throttle-{i:02}")).collect();
    for name in &names {
        fixture
            .component("buckets", BUCKET, name, json!({"BucketName": name}))
            .await;
    }

    let report = fixture.apply("buckets").await;

    let succeeded = report.actions.iter().filter(|a| a.succeeded()).count();
    assert_eq!(report.actions.len(), 50, "one action per bucket");
    assert_eq!(
        succeeded, 50,
        "every create should succeed in the end: {:?}",
        report.actions
    );
    assert!(report.success(), "the apply should succeed");
    let created: BTreeSet<String> = fixture.identifiers(BUCKET).into_iter().collect();
    assert_eq!(
        created, names,
        "the emulator should hold exactly the 50 buckets"
    );
    let throttled_calls = fixture
        .handle()
        .calls()
        .iter()
        .filter(|c| c.throttled)
        .count();
    assert!(
        throttled_calls > 0,
        "some CreateResource calls should have been throttled"
    );
    let throttled_requests = fixture
        .handle()
        .resource_requests()
        .iter()
        .filter(|r| {
            r.operation_status == OperationStatus::Failed
                && r.error_code.as_deref() == Some("Throttling")
        })
        .count();
    assert!(
        throttled_requests > 0,
        "some requests should have ended FAILED with Throttling"
    );
    // A throttled call is sent again with its client token; a FAILED request is
    // finished, so the operation is sent again with a new one.
    let client_tokens: BTreeSet<String> = fixture
        .handle()
        .calls()
        .iter()
        .filter(|c| c.operation == "CreateResource")
        .filter_map(|c| c.client_token.clone())
        .collect();
    assert_eq!(
        client_tokens.len(),
        50 + throttled_requests,
        "one client token per bucket plus one per FAILED Throttling request"
    );
    let workspace = fixture.workspace().await;
    let resources = fixture
        .store()
        .list_resources(&workspace.id)
        .await
        .expect("the resources");
    assert_eq!(resources.len(), 50, "canopy should record 50 resources");
    assert!(
        resources.iter().all(|r| r.status == "ok"),
        "every recorded resource should be ok"
    );
    let plan = fixture
        .engine
        .plan(common::WORKSPACE, "HEAD")
        .await
        .expect("the plan");
    assert!(
        plan.is_empty(),
        "nothing should be left to do: {:?}",
        plan.actions
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_create_keeps_left_resource() {
    let emulator = quick_emulator().with_failure(FailureRule {
        type_name: Some(VPC.into()),
        operation: Some(Operation::Create),
        error_code: "GeneralServiceException".into(),
        first: Some(1),
        leave_resource: true,
        ..FailureRule::default()
    });
    let fixture = Fixture::start(emulator, fast_config()).await;
    fixture.change_set("network").await;
    fixture
        .component("network", VPC, "vpc", json!({"CidrBlock": "10.0.0.0/16"}))
        .await;

    let first = fixture.apply("network").await;
    let left = fixture.identifiers(VPC);
    let view = fixture.show("vpc").await;
    let second = fixture.apply("HEAD").await;

    assert!(
        !first.success(),
        "the apply with a failed create should not succeed"
    );
    assert_eq!(
        outcome(&first, "vpc").state,
        "failed",
        "the create should be failed"
    );
    assert_eq!(left.len(), 1, "the failed create left one VPC: {left:?}");
    let resource = view
        .resource
        .expect("canopy should keep the resource it knows about");
    assert_eq!(
        resource.status, "failed",
        "the resource should be marked failed"
    );
    assert_eq!(
        resource.identifier.as_deref(),
        Some(left[0].as_str()),
        "canopy should record the identifier"
    );
    assert!(
        second.actions.iter().all(|a| a.kind != "create"),
        "the next apply must not create the VPC again: {:?}",
        second.actions
    );
    assert_eq!(fixture.identifiers(VPC), left, "still exactly the one VPC");
    assert_eq!(
        fixture.create_calls(),
        1,
        "only the first create should be sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_action_skips_only_dependents() {
    let emulator = quick_emulator().with_failure(FailureRule {
        type_name: Some(VPC.into()),
        operation: Some(Operation::Create),
        error_code: "InvalidRequest".into(),
        first: Some(1),
        ..FailureRule::default()
    });
    let fixture = Fixture::start(emulator, fast_config()).await;
    fixture.change_set("network").await;
    fixture
        .component("network", VPC, "vpc", json!({"CidrBlock": "10.0.0.0/16"}))
        .await;
    let subnet = json!({"CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1a"});
    fixture.component("network", SUBNET, "subnet", subnet).await;
    fixture
        .subscribe("network", "subnet", "/VpcId", "vpc", "/resource/VpcId")
        .await;
    fixture
        .component(
            "network",
            BUCKET,
            "assets",
            json!({"BucketName": "canopy-independent"}),
        )
        .await;

    let report = fixture.apply("network").await;

    assert!(!report.success(), "the apply should not succeed");
    assert_eq!(
        outcome(&report, "vpc").state,
        "failed",
        "the VPC create should fail"
    );
    let subnet = outcome(&report, "subnet");
    assert_eq!(
        subnet.state, "skipped",
        "the subnet depends on the VPC: {subnet:?}"
    );
    assert!(
        subnet
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("vpc"),
        "the skip should name the failed dependency: {subnet:?}"
    );
    assert_eq!(
        outcome(&report, "assets").state,
        "succeeded",
        "the bucket does not depend on the VPC"
    );
    assert!(fixture.identifiers(VPC).is_empty(), "no VPC should exist");
    assert!(
        fixture.identifiers(SUBNET).is_empty(),
        "no subnet should exist"
    );
    assert_eq!(
        fixture.identifiers(BUCKET),
        ["canopy-independent"],
        "the bucket should exist"
    );
    let subnet_creates = fixture
        .handle()
        .calls()
        .iter()
        .filter(|c| c.operation == "CreateResource" && c.type_name.as_deref() == Some(SUBNET))
        .count();
    assert_eq!(
        subnet_creates, 0,
        "no CreateResource should be sent for the skipped subnet"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_throttled_past_sdk_retries() {
    // More throttled calls in a row than the SDK's own attempts.
    let throttled = canopy_aws::cloudcontrol::MAX_ATTEMPTS + 1;
    let emulator = quick_emulator().with_throttle(ThrottleRule {
        operation: Some("CreateResource".into()),
        first: Some(throttled),
        rate: None,
    });
    let fixture = Fixture::start(emulator, fast_config()).await;
    fixture.change_set("assets").await;
    fixture
        .component(
            "assets",
            BUCKET,
            "assets",
            json!({"BucketName": "canopy-throttled"}),
        )
        .await;

    let report = fixture.apply("assets").await;

    let assets = outcome(&report, "assets");
    assert_eq!(
        assets.state, "succeeded",
        "throttling should delay the create, not fail it: {assets:?}"
    );
    assert_eq!(
        fixture.identifiers(BUCKET),
        ["canopy-throttled"],
        "exactly one bucket"
    );
    let tokens: BTreeSet<Option<String>> = fixture
        .handle()
        .calls()
        .iter()
        .filter(|c| c.operation == "CreateResource")
        .map(|c| c.client_token.clone())
        .collect();
    assert_eq!(
        tokens.len(),
        1,
        "every attempt should reuse one client token: {tokens:?}"
    );
    let calls = fixture.create_calls();
    assert_eq!(
        calls,
        throttled as usize + 1,
        "each throttled call is sent again until one passes"
    );
}
