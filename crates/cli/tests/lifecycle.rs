//! The whole life of a small network through the `canopy` binary: create, update,
//! replace, refresh after changes and deletes made outside canopy, and delete.

mod common;

use std::time::Duration;

use common::{CUSTOMER, Fixture, REGION, create_customer_role};
use serde_json::{Value, json};

const VPC: &str = "AWS::EC2::VPC";
const SUBNET: &str = "AWS::EC2::Subnet";
const BUCKET: &str = "AWS::S3::Bucket";
const BUCKET_NAME: &str = "canopy-lifecycle-assets";

fn actions(plan: &Value) -> Vec<Value> {
    plan["actions"].as_array().expect("plan actions").clone()
}

fn action_for<'a>(actions: &'a [Value], component: &str) -> &'a Value {
    actions
        .iter()
        .find(|a| a["component"] == component)
        .unwrap_or_else(|| panic!("no action for {component} in {actions:?}"))
}

fn count_calls(fixture: &Fixture, operation: &str) -> usize {
    fixture
        .handle()
        .calls()
        .iter()
        .filter(|c| c.operation == operation)
        .count()
}

fn drift_paths(view: &Value) -> Vec<String> {
    view["drift"]
        .as_array()
        .expect("drift list")
        .iter()
        .map(|d| d["path"].as_str().expect("drift path").to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_lifecycle_through_cli() {
    let fixture = Fixture::start(Duration::from_millis(30)).await;
    let token = fixture.workspace();
    let role_arn = create_customer_role(&fixture.endpoint(), "canopy-deployer", &token).await;
    let endpoint = fixture.endpoint();
    fixture.ok(&[
        "secret",
        "create",
        "customer",
        "--assume-role",
        &role_arn,
        "--endpoint",
        &endpoint,
        "--no-keys",
    ]);
    fixture.change_set_with_links("network", "customer");

    let credential = fixture.show("network", "aws");
    let message = credential["qualifications"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("valid")
            && message.contains(
                &role_arn
                    .replace(":iam::", ":sts::")
                    .replace(":role/", ":assumed-role/")
            ),
        "the AssumeRole credential should qualify as the assumed role, got {credential}"
    );

    // Create a VPC, a subnet subscribed to its id, and a bucket.
    let vpc = json!({"CidrBlock": "10.0.0.0/16", "EnableDnsHostnames": true, "Tags": [{"Key": "Name", "Value": "net"}]});
    fixture.component("network", VPC, "vpc", &vpc);
    let subnet = json!({"CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1a"});
    fixture.component("network", SUBNET, "subnet", &subnet);
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
    fixture.component(
        "network",
        BUCKET,
        "assets",
        &json!({"BucketName": BUCKET_NAME}),
    );

    let plan = fixture.ok(&["plan", "network"]).stdout;
    for name in ["vpc", "subnet", "assets"] {
        assert!(
            plan.contains(&format!("create {name} ")),
            "the plan should create {name}:\n{plan}"
        );
    }
    assert!(
        plan.contains("Plan: 3 to create, 0 to update, 0 to replace, 0 to delete"),
        "plan summary:\n{plan}"
    );

    let applied = fixture.canopy(&["change-set", "apply", "network"]);
    assert_eq!(
        applied.code,
        0,
        "the first apply should succeed:\n{}",
        applied.all()
    );
    let (vpc_id, _) = fixture.only(VPC);
    let (subnet_id, subnet_model) = fixture.only(SUBNET);
    let (bucket_id, _) = fixture.only(BUCKET);
    assert_eq!(
        subnet_model["VpcId"],
        vpc_id.as_str(),
        "the subnet should be in the new VPC"
    );
    assert_eq!(
        bucket_id, BUCKET_NAME,
        "the bucket should have the chosen name"
    );
    assert_eq!(
        count_calls(&fixture, "CreateResource"),
        4,
        "one role and three resources should be created"
    );

    let after_create = fixture.ok(&["plan", "HEAD"]).stdout;
    assert!(
        after_create.contains("No changes"),
        "the plan after apply should be empty:\n{after_create}"
    );

    // Update a tag: an update whose patch touches only that tag.
    fixture.ok(&["change-set", "create", "retag"]);
    fixture.ok(&[
        "component",
        "set",
        "-c",
        "retag",
        "vpc",
        "/Tags/0/Value",
        "net-v2",
    ]);
    let plan_text = fixture.ok(&["plan", "retag"]).stdout;
    assert!(
        plan_text.contains("update vpc"),
        "changing a tag should plan an update:\n{plan_text}"
    );
    let plan = fixture.plan_json("retag");
    let plan_actions = actions(&plan);
    assert_eq!(
        plan_actions.len(),
        1,
        "only the VPC should change: {plan_actions:?}"
    );
    let update = action_for(&plan_actions, "vpc");
    assert_eq!(
        update["kind"], "update",
        "the tag change should be an update: {update}"
    );
    let patch = update["patch"].as_array().expect("an update has a patch");
    assert!(!patch.is_empty(), "the update patch should not be empty");
    for operation in patch {
        let path = operation["path"].as_str().unwrap_or_default();
        assert!(
            path.starts_with("/Tags"),
            "the patch should touch only /Tags, found {operation}"
        );
    }
    let updates_before = count_calls(&fixture, "UpdateResource");
    let applied = fixture.canopy(&["change-set", "apply", "retag"]);
    assert_eq!(
        applied.code,
        0,
        "the tag update should apply:\n{}",
        applied.all()
    );
    assert_eq!(
        count_calls(&fixture, "UpdateResource"),
        updates_before + 1,
        "exactly one UpdateResource call"
    );
    let (vpc_after, vpc_model) = fixture.only(VPC);
    assert_eq!(vpc_after, vpc_id, "an update must keep the VPC");
    assert_eq!(
        vpc_model["Tags"][0]["Value"], "net-v2",
        "the emulator's VPC should carry the new tag"
    );
    let after_update = fixture.ok(&["plan", "HEAD"]).stdout;
    assert!(
        after_update.contains("No changes"),
        "the plan after the update should be empty:\n{after_update}"
    );

    // The CIDR block of a subnet is create-only, so changing it plans a replacement.
    fixture.ok(&["change-set", "create", "resize"]);
    fixture.ok(&[
        "component",
        "set",
        "-c",
        "resize",
        "subnet",
        "/CidrBlock",
        "10.0.2.0/24",
    ]);
    let plan_text = fixture.ok(&["plan", "resize"]).stdout;
    assert!(
        plan_text.contains("replace subnet"),
        "a new CIDR block should replace the subnet:\n{plan_text}"
    );
    let applied = fixture.canopy(&["change-set", "apply", "resize"]);
    assert_eq!(
        applied.code,
        0,
        "the replacement should apply:\n{}",
        applied.all()
    );
    let (new_subnet_id, new_subnet) = fixture.only(SUBNET);
    assert_ne!(
        new_subnet_id, subnet_id,
        "the replacement should be a new subnet"
    );
    assert_eq!(
        new_subnet["CidrBlock"], "10.0.2.0/24",
        "the new subnet should have the new CIDR block"
    );
    let subnet_view = fixture.show("HEAD", "subnet");
    assert_eq!(
        subnet_view["resource"]["identifier"],
        new_subnet_id.as_str(),
        "canopy should record the new subnet"
    );
    let after_replace = fixture.ok(&["plan", "HEAD"]).stdout;
    assert!(
        after_replace.contains("No changes"),
        "the plan after the replacement should be empty:\n{after_replace}"
    );

    // A change made outside canopy: a managed property drifts, an unmanaged one does not.
    let mut changed = fixture
        .handle()
        .find_resource(CUSTOMER, REGION, VPC, &vpc_id)
        .expect("the VPC");
    changed["EnableDnsHostnames"] = json!(false);
    changed["EnableDnsSupport"] = json!(false);
    fixture
        .handle()
        .set_resource_properties(CUSTOMER, REGION, VPC, &vpc_id, changed)
        .expect("the VPC changes out of band");
    fixture.ok(&["refresh"]);
    let drift = drift_paths(&fixture.show("HEAD", "vpc"));
    assert!(
        drift.contains(&"/EnableDnsHostnames".to_string()),
        "the managed property should drift: {drift:?}"
    );
    assert!(
        !drift.contains(&"/EnableDnsSupport".to_string()),
        "an unmanaged value should not drift: {drift:?}"
    );
    let plan = fixture.plan_json("HEAD");
    let plan_actions = actions(&plan);
    assert_eq!(
        plan_actions.len(),
        1,
        "only the VPC should need an update: {plan_actions:?}"
    );
    let repair = action_for(&plan_actions, "vpc");
    assert_eq!(
        repair["kind"], "update",
        "drift should be repaired by an update: {repair}"
    );
    let changed_paths: Vec<&str> = repair["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["path"].as_str())
        .collect();
    assert_eq!(
        changed_paths,
        ["/EnableDnsHostnames"],
        "the plan should change only the managed property"
    );
    fixture.ok(&["change-set", "apply", "HEAD"]);
    let (_, vpc_model) = fixture.only(VPC);
    assert_eq!(
        vpc_model["EnableDnsHostnames"], true,
        "apply should restore the managed property"
    );

    // After a delete outside canopy, refresh drops the resource record and the plan creates it again.
    fixture
        .handle()
        .delete_resource(CUSTOMER, REGION, BUCKET, BUCKET_NAME)
        .expect("the bucket is deleted out of band");
    fixture.ok(&["refresh"]);
    let bucket_view = fixture.show("HEAD", "assets");
    assert!(
        bucket_view["resource"].is_null(),
        "refresh should forget the deleted bucket: {bucket_view}"
    );
    let plan = fixture.plan_json("HEAD");
    let plan_actions = actions(&plan);
    assert_eq!(
        plan_actions.len(),
        1,
        "only the bucket should be planned: {plan_actions:?}"
    );
    assert_eq!(
        action_for(&plan_actions, "assets")["kind"],
        "create",
        "the deleted bucket should be created again"
    );
    fixture.ok(&["change-set", "apply", "HEAD"]);
    fixture.only(BUCKET);

    // Delete everything: the subnet, a consumer of the VPC, goes first.
    fixture.ok(&["change-set", "create", "teardown"]);
    for name in ["subnet", "assets", "vpc"] {
        fixture.ok(&["component", "delete", "-c", "teardown", name]);
    }
    let plan = fixture.plan_json("teardown");
    let plan_actions = actions(&plan);
    assert_eq!(plan_actions.len(), 3, "three deletes: {plan_actions:?}");
    assert!(
        plan_actions.iter().all(|a| a["kind"] == "delete"),
        "every action should be a delete: {plan_actions:?}"
    );
    let depends: Vec<&str> = action_for(&plan_actions, "vpc")["depends_on"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        depends,
        ["subnet"],
        "the VPC delete should wait for the subnet delete"
    );
    let applied = fixture.canopy(&["change-set", "apply", "teardown"]);
    assert_eq!(
        applied.code,
        0,
        "the teardown should apply:\n{}",
        applied.all()
    );
    let deletes: Vec<String> = fixture
        .handle()
        .calls()
        .iter()
        .filter(|c| c.operation == "DeleteResource")
        .filter_map(|c| c.type_name.clone())
        .collect();
    let subnet_at = deletes
        .iter()
        .position(|t| t == SUBNET)
        .expect("the subnet was deleted");
    let vpc_at = deletes
        .iter()
        .position(|t| t == VPC)
        .expect("the VPC was deleted");
    assert!(
        subnet_at < vpc_at,
        "the subnet should be deleted before the VPC: {deletes:?}"
    );
    for type_name in [VPC, SUBNET, BUCKET] {
        assert!(
            fixture.identifiers(type_name).is_empty(),
            "no {type_name} should be left"
        );
    }
    let after = fixture.ok(&["plan", "HEAD"]).stdout;
    assert!(
        after.contains("No changes"),
        "nothing should be left to do:\n{after}"
    );
}
