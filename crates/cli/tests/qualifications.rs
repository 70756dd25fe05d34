//! Qualifications stop an apply before anything reaches AWS: a missing required
//! property (exit 5 without --force), and a type not offered in the component's region.

mod common;

use std::time::Duration;

use canopy_schema::Registry;
use common::Fixture;
use serde_json::json;

fn cloud_control_calls(fixture: &Fixture) -> usize {
    fixture
        .handle()
        .calls()
        .iter()
        .filter(|c| c.service == "cloudcontrolapi")
        .count()
}

/// Finds a type with no required property that some bundled region does not offer.
/// Returns the type and that region.
fn type_missing_from_a_region() -> (String, String) {
    let registry = Registry::bundled();
    for summary in registry.summaries() {
        let Ok(schema) = registry.get(&summary.type_name) else {
            continue;
        };
        if !schema.validate(&json!({})).is_empty() {
            continue;
        }
        for region in registry.regions() {
            if matches!(registry.is_available(&summary.type_name, region), Ok(false)) {
                return (summary.type_name.clone(), region.clone());
            }
        }
    }
    panic!("the bundled region lists should leave some type out of some region");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_required_property_blocks_apply() {
    let fixture = Fixture::start(Duration::from_millis(20)).await;
    fixture.static_setup("roles");
    fixture.component(
        "roles",
        "AWS::IAM::Role",
        "app-role",
        &json!({"RoleName": "app"}),
    );

    let view = fixture.show("roles", "app-role");
    let schema = view["qualifications"]
        .as_array()
        .expect("qualifications")
        .iter()
        .find(|q| q["name"] == "schema")
        .cloned()
        .expect("a schema qualification");
    let calls_before = cloud_control_calls(&fixture);
    let applied = fixture.canopy(&["change-set", "apply", "roles"]);

    assert_eq!(
        schema["status"], "failure",
        "the schema qualification should fail: {schema}"
    );
    assert!(
        schema["message"]
            .as_str()
            .unwrap_or_default()
            .contains("AssumeRolePolicyDocument"),
        "the qualification should name the missing property: {schema}"
    );
    assert_eq!(
        applied.code,
        5,
        "apply should exit 5 when qualifications fail:\n{}",
        applied.all()
    );
    assert!(
        applied.stderr.contains("AssumeRolePolicyDocument"),
        "the error should name the property:\n{}",
        applied.stderr
    );
    assert!(
        applied.stderr.contains("--force"),
        "the error should mention --force:\n{}",
        applied.stderr
    );
    assert_eq!(
        cloud_control_calls(&fixture),
        calls_before,
        "no Cloud Control call should be made"
    );
    let change_sets = fixture.ok(&["change-set", "list"]).stdout;
    let line = change_sets
        .lines()
        .find(|l| l.starts_with("roles"))
        .unwrap_or_default();
    assert!(
        line.contains("open"),
        "the change set should stay open:\n{change_sets}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn type_missing_from_region_fails_plan() {
    let (type_name, region) = type_missing_from_a_region();
    let fixture = Fixture::start(Duration::from_millis(20)).await;
    fixture.static_setup("far");
    let domain = json!({"Region": region}).to_string();
    fixture.ok(&[
        "component",
        "create",
        "-c",
        "far",
        "Region",
        "far-region",
        "--domain",
        &domain,
    ]);
    fixture.ok(&[
        "component",
        "create",
        "-c",
        "far",
        &type_name,
        "thing",
        "--region",
        "far-region",
        "--credential",
        "aws",
    ]);
    let expected = format!("is not available in region {region}");
    let calls_before = cloud_control_calls(&fixture);

    let view = fixture.show("far", "thing");
    let plan = fixture.canopy(&["plan", "far"]);
    let applied = fixture.canopy(&["change-set", "apply", "far"]);
    let forced = fixture.canopy(&["change-set", "apply", "far", "--force"]);

    let qualification = view["qualifications"]
        .as_array()
        .expect("qualifications")
        .iter()
        .find(|q| q["name"] == "region")
        .cloned()
        .expect("a region qualification");
    assert_eq!(
        qualification["status"], "failure",
        "the region qualification should fail: {qualification}"
    );
    assert!(
        qualification["message"]
            .as_str()
            .unwrap_or_default()
            .contains(&expected),
        "the region qualification should say the type is not available: {qualification}"
    );
    assert_ne!(plan.code, 0, "the plan should fail:\n{}", plan.all());
    assert!(
        plan.stderr.contains(&expected),
        "the plan error should name the region:\n{}",
        plan.stderr
    );
    assert!(
        plan.stderr.contains(&type_name),
        "the plan error should name the type:\n{}",
        plan.stderr
    );
    assert_eq!(
        applied.code,
        5,
        "apply should stop on the region qualification:\n{}",
        applied.all()
    );
    assert_ne!(
        forced.code,
        0,
        "a forced apply should still fail at the plan:\n{}",
        forced.all()
    );
    assert!(
        forced.stderr.contains(&expected),
        "the forced apply should say why:\n{}",
        forced.stderr
    );
    assert_eq!(
        cloud_control_calls(&fixture),
        calls_before,
        "no Cloud Control call should be made"
    );
}
