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
        .component(
            "cs",
            "AWS::CloudFormation::WaitConditionHandle",
            "handle",
            json!({}),
        )
        .await;

    let provisionable = view
        .qualifications
        .iter()
        .find(|q| q.name == "provisionable")
        .expect("a type without a create handler gets a provisionable qualification");
    assert_eq!(provisionable.status, "failure");
    assert!(
        provisionable.message.contains("no create handler"),
        "{}",
        provisionable.message
    );

    let vpc = fixture
        .component(
            "cs",
            "AWS::EC2::VPC",
            "vpc",
            json!({"CidrBlock": "10.0.0.0/16"}),
        )
        .await;
    assert!(
        vpc.qualifications.iter().all(|q| q.name != "provisionable"),
        "a creatable type has no such qualification: {:?}",
        vpc.qualifications
    );
}

#[tokio::test]
async fn updated_secret_requalifies_credential() {
    let emulator = EmulatorConfig::default().with_request_delay(Duration::ZERO);
    let fixture = Fixture::start(emulator, fast_config()).await;
    let mut wrong = common::customer_keys(&fixture.emulator.endpoint());
    wrong.secret_access_key = Some("not-the-secret-key".into());
    fixture
        .engine
        .create_aws_secret(common::WORKSPACE, "rotating", &wrong)
        .await
        .expect("the secret is stored");
    let workspace = fixture.workspace().await;
    fixture
        .store()
        .create_change_set(&workspace.id, "cs")
        .await
        .unwrap();
    let before = fixture
        .component("cs", "AWS Credential", "aws", json!({"Secret": "rotating"}))
        .await;
    assert_eq!(
        before.qualifications[0].status, "failure",
        "{:?}",
        before.qualifications
    );

    let right = common::customer_keys(&fixture.emulator.endpoint());
    fixture
        .engine
        .update_aws_secret(common::WORKSPACE, "rotating", &right)
        .await
        .expect("the secret is updated");

    let after = fixture
        .engine
        .show_component(common::WORKSPACE, "cs", "aws")
        .await
        .unwrap();
    assert_eq!(
        after.qualifications[0].status, "success",
        "{:?}",
        after.qualifications
    );
    assert!(
        after.qualifications[0].message.contains(common::CUSTOMER),
        "{:?}",
        after.qualifications
    );
}
