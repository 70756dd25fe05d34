//! The JSON form of `canopy component show`, which scripts and the future web client
//! read: domain, subscriptions, qualifications and resource.

mod common;

use std::time::Duration;

use common::Fixture;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn component_show_json_fields() {
    let fixture = Fixture::start(Duration::from_millis(20)).await;
    fixture.static_setup("network");
    fixture.component(
        "network",
        "AWS::EC2::VPC",
        "vpc",
        &json!({"CidrBlock": "10.0.0.0/16"}),
    );
    let subnet = json!({"CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1a"});
    fixture.component("network", "AWS::EC2::Subnet", "subnet", &subnet);
    fixture.ok(&[
        "component",
        "subscribe",
        "-c",
        "network",
        "subnet",
        "/VpcId",
        "--from",
        "vpc",
        "/resource/VpcId",
    ]);
    fixture.ok(&["change-set", "apply", "network"]);
    let (vpc_id, _) = fixture.only("AWS::EC2::VPC");
    let (subnet_id, _) = fixture.only("AWS::EC2::Subnet");

    let view = fixture.show("HEAD", "subnet");

    assert_eq!(view["name"], "subnet", "name: {view}");
    assert_eq!(view["schema"], "AWS::EC2::Subnet", "schema: {view}");
    assert_eq!(
        view["domain"], subnet,
        "the domain should be what the user set, without the subscribed value"
    );
    assert_eq!(
        view["subscriptions"],
        json!([{"path": "/VpcId", "source": "vpc", "source_path": "/resource/VpcId"}]),
        "subscriptions: {view}"
    );

    let qualifications = view["qualifications"]
        .as_array()
        .expect("qualifications is a list");
    let names: Vec<&str> = qualifications
        .iter()
        .filter_map(|q| q["name"].as_str())
        .collect();
    for expected in ["schema", "read-only", "region", "credential"] {
        assert!(
            names.contains(&expected),
            "qualification {expected} is missing from {names:?}"
        );
    }
    for qualification in qualifications {
        assert_eq!(
            qualification["status"], "success",
            "every qualification should pass: {qualification}"
        );
        let message = qualification["message"].as_str().unwrap_or_default();
        assert!(
            !message.is_empty(),
            "each qualification should have a message: {qualification}"
        );
    }

    let resource = &view["resource"];
    assert_eq!(
        resource["identifier"],
        subnet_id.as_str(),
        "resource identifier: {resource}"
    );
    assert_eq!(resource["status"], "ok", "resource status: {resource}");
    assert_eq!(
        resource["properties"]["CidrBlock"], "10.0.1.0/24",
        "resource properties: {resource}"
    );
    assert_eq!(
        resource["properties"]["VpcId"],
        vpc_id.as_str(),
        "the resource properties should hold the subscribed VPC id"
    );
    assert_eq!(
        view["drift"],
        json!([]),
        "a fresh resource has no drift: {view}"
    );
}
