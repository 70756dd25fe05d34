//! Editing a component's domain at JSON pointers follows the schema's shapes.

mod common;

use std::time::Duration;

use canopy_emulator::EmulatorConfig;
use common::{Fixture, WORKSPACE, fast_config};
use serde_json::json;

#[tokio::test]
async fn set_index_path_starts_declared_array() {
    let emulator = EmulatorConfig::default().with_request_delay(Duration::ZERO);
    let fixture = Fixture::start(emulator, fast_config()).await;
    fixture.change_set("cs").await;
    fixture
        .component(
            "cs",
            "AWS::EC2::VPC",
            "vpc",
            json!({"CidrBlock": "10.0.0.0/16"}),
        )
        .await;

    let view = fixture
        .engine
        .set_property(WORKSPACE, "cs", "vpc", "/Tags/0/Key", json!("team"))
        .await
        .expect("the first tag is set");
    assert_eq!(
        view.domain["Tags"],
        json!([{"Key": "team"}]),
        "Tags is a list, not an object keyed \"0\""
    );

    let past_end = fixture
        .engine
        .set_property(WORKSPACE, "cs", "vpc", "/Tags/5/Value", json!("x"))
        .await
        .expect_err("an index past the end of the list is rejected");
    assert!(past_end.to_string().contains("/Tags/5/Value"), "{past_end}");
}
