//! Qualifications that depend on what Cloud Control can do with a type.

mod common;

use std::time::Duration;

use canopy_emulator::EmulatorConfig;
use common::{Fixture, fast_config};
use serde_json::json;

#[tokio::test]
async fn type_without_create_handler_fails() {
    let emulator = EmulatorConfig::default().with_request_delay(Duration::ZERO);
    let fixture = Fixture::start(emulator, fast_config()).await;
    fixture.change_set("cs").await;

    let view = fixture
        .component("cs", "AWS::CloudFormation::WaitConditionHandle", "handle", json!({}))
        .await;

    let provisionable = view
        .qualifications
        .iter()
        .find(|q| q.name == "provisionable")
        .expect("a type without a create handler gets a provisionable qualification");
    assert_eq!(provisionable.status, "failure");
    assert!(provisionable.message.contains("no create handler"), "{}", provisionable.message);

    let vpc = fixture.component("cs", "AWS::EC2::VPC", "vpc", json!({"CidrBlock": "10.0.0.0/16"})).await;
    assert!(
        vpc.qualifications.iter().all(|q| q.name != "provisionable"),
        "a creatable type has no such qualification: {:?}",
        vpc.qualifications
    );
}
