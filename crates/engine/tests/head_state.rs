//! What HEAD carries from earlier applies must not trap later change sets: a component
//! that failed in HEAD does not block an unrelated change set, and a request still in
//! flight holds back only the components that depend on it.

mod common;

use std::time::Duration;

use canopy_emulator::{EmulatorConfig, HangRule, Operation};
use canopy_engine::ApplyOptions;
use common::{Fixture, WORKSPACE, fast_config};
use serde_json::json;

const VPC: &str = "AWS::EC2::VPC";
const SUBNET: &str = "AWS::EC2::Subnet";
const BUCKET: &str = "AWS::S3::Bucket";

/// Creates a change set over HEAD, which already contains the credential and region.
async fn next_change_set(fixture: &Fixture, name: &str) {
    let workspace = fixture.workspace().await;
    fixture
        .store()
        .create_change_set(&workspace.id, name)
        .await
        .expect("the change set is created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_head_component_does_not_block() {
    let emulator = EmulatorConfig::default().with_request_delay(Duration::ZERO);
    let fixture = Fixture::start(emulator, fast_config()).await;
    fixture.change_set("broken").await;
    // A misspelled property fails the schema qualification, and the create fails.
    fixture
        .component("broken", VPC, "bad", json!({"CidrBlok": "10.0.0.0/16"}))
        .await;
    let forced = fixture
        .engine
        .apply(WORKSPACE, "broken", &ApplyOptions { force: true })
        .await
        .expect("a forced apply runs");
    assert!(
        !forced.success(),
        "the invalid VPC cannot be created: {forced:#?}"
    );

    next_change_set(&fixture, "unrelated").await;
    fixture
        .component(
            "unrelated",
            BUCKET,
            "assets",
            json!({"BucketName": "head-state-assets"}),
        )
        .await;
    let report = fixture
        .engine
        .apply(WORKSPACE, "unrelated", &ApplyOptions::default())
        .await
        .expect("the broken HEAD component must not fail this change set's qualifications");

    let bucket = report
        .actions
        .iter()
        .find(|a| a.component == "assets")
        .expect("the bucket action");
    assert!(bucket.succeeded(), "the bucket is created: {bucket:?}");
    assert_eq!(
        fixture.identifiers(BUCKET),
        vec!["head-state-assets".to_string()]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_producer_holds_back_consumers_only() {
    let emulator = EmulatorConfig::default()
        .with_request_delay(Duration::ZERO)
        .with_hang(HangRule {
            type_name: VPC.into(),
            operation: Some(Operation::Create),
        });
    let mut config = fast_config();
    config.request_timeout = Some(Duration::from_millis(500));
    let fixture = Fixture::start(emulator, config).await;
    fixture.change_set("network").await;
    fixture
        .component("network", VPC, "vpc", json!({"CidrBlock": "10.0.0.0/16"}))
        .await;
    let first = fixture.apply("network").await;
    assert!(
        !first.success(),
        "the hung VPC create has an unknown outcome"
    );

    next_change_set(&fixture, "more").await;
    fixture
        .component(
            "more",
            SUBNET,
            "subnet",
            json!({"CidrBlock": "10.0.1.0/24"}),
        )
        .await;
    fixture
        .subscribe("more", "subnet", "/VpcId", "vpc", "/resource/VpcId")
        .await;
    fixture
        .component(
            "more",
            BUCKET,
            "logs",
            json!({"BucketName": "head-state-logs"}),
        )
        .await;

    let plan = fixture
        .engine
        .plan(WORKSPACE, "more")
        .await
        .expect("the plan");
    assert_eq!(
        plan.waiting,
        vec!["subnet".to_string()],
        "the subnet waits for the VPC"
    );
    assert!(
        plan.actions.iter().all(|a| a.component != "subnet"),
        "no action on the subnet while its VPC is in flight: {:?}",
        plan.actions
    );

    let report = fixture.apply("more").await;
    let logs = report
        .actions
        .iter()
        .find(|a| a.component == "logs")
        .expect("the bucket action");
    assert!(
        logs.succeeded(),
        "the unrelated bucket is created: {logs:?}"
    );
    assert!(
        fixture.identifiers(SUBNET).is_empty(),
        "no subnet is created without its VPC"
    );
    let subnet_creates = fixture
        .handle()
        .calls()
        .iter()
        .filter(|c| c.operation == "CreateResource" && c.type_name.as_deref() == Some(SUBNET))
        .count();
    assert_eq!(subnet_creates, 0, "no CreateResource call for the subnet");
}
