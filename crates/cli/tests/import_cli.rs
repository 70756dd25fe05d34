//! `canopy component import` and `canopy discover`, run as the real binary against the
//! emulator.

mod common;

use std::time::Duration;

use common::{CUSTOMER, Fixture, REGION};
use serde_json::{Value, json};

const BUCKET: &str = "AWS::S3::Bucket";
const DATA_SET: &str = "AWS::QuickSight::DataSet";
const NODEGROUP: &str = "AWS::EKS::Nodegroup";

async fn setup() -> Fixture {
    let fixture = Fixture::start(Duration::ZERO).await;
    fixture.static_setup("cs");
    fixture
}

fn seed(fixture: &Fixture, type_name: &str, model: Value) -> String {
    fixture
        .handle()
        .insert_resource(CUSTOMER, REGION, type_name, model)
        .expect("the emulator stores the resource")
}

fn cloud_control_calls(fixture: &Fixture, operation: &str) -> usize {
    fixture
        .handle()
        .calls()
        .iter()
        .filter(|c| c.service == "cloudcontrolapi" && c.operation == operation)
        .count()
}

fn bucket(name: &str) -> Value {
    json!({"BucketName": name, "Arn": format!("arn:aws:s3:::{name}"), "Tags": [{"Key": "team", "Value": "web"}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_composite_then_plan_empty() {
    let fixture = setup().await;
    seed(
        &fixture,
        DATA_SET,
        json!({"AwsAccountId": CUSTOMER, "DataSetId": "abc", "Name": "sales"}),
    );
    let identifier = format!("{CUSTOMER}|abc");

    let import = fixture.ok(&[
        "component",
        "import",
        "-c",
        "cs",
        DATA_SET,
        "sales",
        &identifier,
    ]);

    assert!(
        import
            .stdout
            .contains(&format!("resource: ok {identifier} in {REGION}")),
        "{}",
        import.stdout
    );
    assert!(
        import.stdout.contains("unknown write-only properties"),
        "{}",
        import.stdout
    );
    assert!(import.stdout.contains("/FieldFolders"), "{}", import.stdout);
    let component = fixture.show("cs", "sales");
    assert_eq!(
        component["domain"],
        json!({"AwsAccountId": CUSTOMER, "DataSetId": "abc", "Name": "sales"})
    );
    assert!(
        component["unknown_write_only"]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "{component}"
    );
    let plan = fixture.ok(&["plan", "cs"]);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);

    fixture.ok(&["change-set", "apply", "cs"]);

    let head = fixture.ok(&["plan", "HEAD"]);
    assert!(head.stdout.contains("No changes."), "{}", head.stdout);
    assert_eq!(cloud_control_calls(&fixture, "CreateResource"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_malformed_identifier_fails_early() {
    let fixture = setup().await;

    let output = fixture.canopy(&["component", "import", "-c", "cs", DATA_SET, "sales", "abc"]);

    assert_eq!(output.code, 1, "{}", output.all());
    assert!(
        output.stderr.contains("<AwsAccountId>|<DataSetId>"),
        "{}",
        output.stderr
    );
    let calls = fixture.handle().calls();
    assert!(
        calls.iter().all(|c| c.service != "cloudcontrolapi"),
        "{calls:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_missing_resource_names_it() {
    let fixture = setup().await;

    let output = fixture.canopy(&[
        "component",
        "import",
        "-c",
        "cs",
        BUCKET,
        "logs",
        "no-such-bucket",
    ]);

    assert_eq!(output.code, 1, "{}", output.all());
    assert!(output.stderr.contains(BUCKET), "{}", output.stderr);
    assert!(
        output
            .stderr
            .contains("\"no-such-bucket\" not found in region us-east-1"),
        "{}",
        output.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unset_imported_property_plans_remove() {
    let fixture = setup().await;
    seed(&fixture, BUCKET, bucket("logs"));
    fixture.ok(&["component", "import", "-c", "cs", BUCKET, "logs", "logs"]);

    fixture.ok(&["component", "unset", "-c", "cs", "logs", "/Tags"]);
    let plan = fixture.ok(&["plan", "cs"]);

    assert!(
        plan.stdout.contains("~ update logs (AWS::S3::Bucket logs)"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("- /Tags = "), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("removed from the domain"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("1 to update"), "{}", plan.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandon_keeps_imported_resource() {
    let fixture = setup().await;
    seed(&fixture, BUCKET, bucket("logs"));
    fixture.ok(&["component", "import", "-c", "cs", BUCKET, "logs", "logs"]);

    fixture.ok(&["change-set", "abandon", "cs"]);
    let head = fixture.ok(&["plan", "HEAD"]);

    assert!(head.stdout.contains("No changes."), "{}", head.stdout);
    assert_eq!(fixture.identifiers(BUCKET), vec!["logs".to_string()]);
    fixture.change_set_with_links("again", "customer");
    fixture.ok(&["component", "import", "-c", "again", BUCKET, "logs", "logs"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_nodegroup_needs_model() {
    let fixture = setup().await;
    for (cluster, name) in [("prod", "ng-1"), ("dev", "ng-2")] {
        let model = json!({
            "Id": format!("{cluster}/{name}"),
            "ClusterName": cluster,
            "NodegroupName": name,
            "NodeRole": format!("arn:aws:iam::{CUSTOMER}:role/node"),
            "Subnets": ["subnet-1"],
        });
        seed(&fixture, NODEGROUP, model);
    }

    let without = fixture.canopy(&["discover", NODEGROUP, "-c", "cs"]);
    let with = fixture.ok(&[
        "discover",
        NODEGROUP,
        "-c",
        "cs",
        "--model",
        r#"{"ClusterName": "prod"}"#,
    ]);

    assert_eq!(without.code, 1, "{}", without.all());
    assert!(
        without.stderr.contains("needs ClusterName in --model"),
        "{}",
        without.stderr
    );
    assert!(
        with.stdout.contains("found 1, imported 1"),
        "{}",
        with.stdout
    );
    assert!(
        with.stdout.contains("+ prod/ng-1 <- prod/ng-1"),
        "{}",
        with.stdout
    );
    let plan = fixture.ok(&["plan", "cs"]);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_pages_and_skips_owned() {
    let fixture = setup().await;
    for index in 0..120 {
        seed(&fixture, BUCKET, bucket(&format!("bucket-{index:03}")));
    }
    fixture.ok(&[
        "component",
        "import",
        "-c",
        "cs",
        BUCKET,
        "mine",
        "bucket-000",
    ]);

    let report = fixture
        .ok(&["discover", BUCKET, "-c", "cs", "--output", "json"])
        .json();

    assert_eq!(report["found"], json!(120));
    assert_eq!(report["pages"], json!(2));
    assert_eq!(report["imported"].as_array().map(Vec::len), Some(119));
    assert_eq!(report["skipped"][0]["identifier"], json!("bucket-000"));
    assert_eq!(cloud_control_calls(&fixture, "ListResources"), 2);
    let components = fixture
        .ok(&["component", "list", "-c", "cs", "--output", "json"])
        .json();
    let buckets = components
        .as_array()
        .expect("a list")
        .iter()
        .filter(|c| c["schema"] == BUCKET)
        .count();
    assert_eq!(buckets, 120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discover_empty_and_unlistable() {
    let fixture = setup().await;

    let empty = fixture.ok(&["discover", "AWS::EC2::VPC", "-c", "cs"]);
    let unlistable = fixture.canopy(&["discover", "AWS::EC2::NetworkAclEntry", "-c", "cs"]);

    assert!(empty.stdout.contains("found 0"), "{}", empty.stdout);
    assert_eq!(unlistable.code, 1, "{}", unlistable.all());
    assert!(
        unlistable.stderr.contains("not listable"),
        "{}",
        unlistable.stderr
    );
}
