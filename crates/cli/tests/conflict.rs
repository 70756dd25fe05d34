//! Merging change sets into HEAD through `canopy change-set apply`: the same property
//! changed twice is a conflict (exit 4); different properties merge.

mod common;

use std::time::Duration;

use common::{CUSTOMER, Fixture, REGION};
use serde_json::json;

const VPC: &str = "AWS::EC2::VPC";

async fn applied_vpc() -> Fixture {
    let fixture = Fixture::start(Duration::from_millis(20)).await;
    fixture.static_setup("base");
    let vpc = json!({"CidrBlock": "10.0.0.0/16", "EnableDnsHostnames": true, "Tags": [{"Key": "Name", "Value": "base"}]});
    fixture.component("base", VPC, "vpc", &vpc);
    fixture.ok(&["change-set", "apply", "base"]);
    fixture
}

fn updates(fixture: &Fixture) -> usize {
    fixture
        .handle()
        .calls()
        .iter()
        .filter(|c| c.operation == "UpdateResource")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_property_twice_conflicts() {
    let fixture = applied_vpc().await;
    fixture.ok(&["change-set", "create", "first"]);
    fixture.ok(&["change-set", "create", "second"]);
    fixture.ok(&[
        "component",
        "set",
        "-c",
        "first",
        "vpc",
        "/EnableDnsSupport",
        "true",
    ]);
    fixture.ok(&[
        "component",
        "set",
        "-c",
        "second",
        "vpc",
        "/EnableDnsSupport",
        "false",
    ]);
    fixture.ok(&["change-set", "apply", "first"]);
    let updates_before = updates(&fixture);

    let second = fixture.canopy(&["change-set", "apply", "second"]);

    assert_eq!(
        second.code,
        4,
        "a conflicting apply should exit 4:\n{}",
        second.all()
    );
    assert!(
        second.stderr.contains("\"vpc\""),
        "the message should name the component:\n{}",
        second.stderr
    );
    assert!(
        second.stderr.contains("/domain/EnableDnsSupport"),
        "the message should name the property:\n{}",
        second.stderr
    );
    assert_eq!(
        updates(&fixture),
        updates_before,
        "a conflicting apply must send nothing"
    );
    let (id, model) = fixture.only(VPC);
    assert_eq!(
        model["EnableDnsSupport"], true,
        "the first change set's value should stay on {id}"
    );
    let head = fixture.show("HEAD", "vpc");
    assert_eq!(
        head["domain"]["EnableDnsSupport"], true,
        "HEAD should keep the first change set's value"
    );
    let change_sets = fixture.ok(&["change-set", "list"]).stdout;
    let second_line = change_sets
        .lines()
        .find(|l| l.starts_with("second"))
        .unwrap_or_default();
    assert!(
        second_line.contains("open"),
        "the conflicting change set should stay open:\n{change_sets}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn different_properties_both_merge() {
    let fixture = applied_vpc().await;
    fixture.ok(&["change-set", "create", "dns"]);
    fixture.ok(&["change-set", "create", "retag"]);
    fixture.ok(&[
        "component",
        "set",
        "-c",
        "dns",
        "vpc",
        "/EnableDnsHostnames",
        "false",
    ]);
    fixture.ok(&[
        "component",
        "set",
        "-c",
        "retag",
        "vpc",
        "/Tags/0/Value",
        "retagged",
    ]);

    let dns = fixture.canopy(&["change-set", "apply", "dns"]);
    let retag = fixture.canopy(&["change-set", "apply", "retag"]);

    assert_eq!(
        dns.code,
        0,
        "the first apply should succeed:\n{}",
        dns.all()
    );
    assert_eq!(
        retag.code,
        0,
        "the second apply should merge and succeed:\n{}",
        retag.all()
    );
    let head = fixture.show("HEAD", "vpc");
    assert_eq!(
        head["domain"]["EnableDnsHostnames"], false,
        "HEAD should keep the first change: {head}"
    );
    assert_eq!(
        head["domain"]["Tags"][0]["Value"], "retagged",
        "HEAD should take the second change: {head}"
    );
    let (id, _) = fixture.only(VPC);
    let model = fixture
        .handle()
        .find_resource(CUSTOMER, REGION, VPC, &id)
        .expect("the VPC");
    assert_eq!(
        model["EnableDnsHostnames"], false,
        "AWS should have the first change"
    );
    assert_eq!(
        model["Tags"][0]["Value"], "retagged",
        "AWS should have the second change"
    );
    let plan = fixture.ok(&["plan", "HEAD"]).stdout;
    assert!(
        plan.contains("No changes"),
        "nothing should be left to do:\n{plan}"
    );
}
