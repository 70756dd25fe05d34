//! Import and discovery of existing resources, against the emulator.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use canopy_core::ChangeKind;
use canopy_emulator::EmulatorConfig;
use canopy_engine::{ActionKind, DiscoverRequest, EngineError, ImportError, ImportRequest};
use common::{CUSTOMER, Fixture, REGION, WORKSPACE, fast_config};
use serde_json::{Value, json};

const BUCKET: &str = "AWS::S3::Bucket";
const DATA_SET: &str = "AWS::QuickSight::DataSet";
const CLUSTER: &str = "AWS::EKS::Cluster";
const NODEGROUP: &str = "AWS::EKS::Nodegroup";

async fn fixture() -> Fixture {
    let emulator = EmulatorConfig::default().with_request_delay(Duration::ZERO);
    Fixture::start(emulator, fast_config()).await
}

fn seed(fixture: &Fixture, type_name: &str, model: Value) -> String {
    fixture
        .handle()
        .insert_resource(CUSTOMER, REGION, type_name, model)
        .expect("the emulator stores the resource")
}

fn import_request(type_name: &str, name: &str, identifier: &str) -> ImportRequest {
    ImportRequest {
        type_name: type_name.to_string(),
        name: name.to_string(),
        identifier: identifier.to_string(),
        region: None,
        credential: None,
    }
}

fn discover_request(type_name: &str, model: Option<Value>) -> DiscoverRequest {
    DiscoverRequest {
        type_name: type_name.to_string(),
        model,
        region: None,
        credential: None,
    }
}

/// Counts the Cloud Control calls of one operation the emulator received.
fn calls(fixture: &Fixture, operation: &str) -> usize {
    fixture
        .handle()
        .calls()
        .iter()
        .filter(|c| c.service == "cloudcontrolapi" && c.operation == operation)
        .count()
}

fn cloud_control_calls(fixture: &Fixture) -> usize {
    fixture
        .handle()
        .calls()
        .iter()
        .filter(|c| c.service == "cloudcontrolapi")
        .count()
}

fn bucket(name: &str) -> Value {
    json!({
        "BucketName": name,
        "Arn": format!("arn:aws:s3:::{name}"),
        "DomainName": format!("{name}.s3.amazonaws.com"),
        "Tags": [{"Key": "team", "Value": "web"}],
    })
}

fn nodegroup(cluster: &str, name: &str) -> Value {
    json!({
        "Id": format!("{cluster}/{name}"),
        "ClusterName": cluster,
        "NodegroupName": name,
        "NodeRole": format!("arn:aws:iam::{CUSTOMER}:role/node"),
        "Subnets": ["subnet-1"],
    })
}

async fn assert_plan_empty(fixture: &Fixture, change_set: &str) {
    let plan = fixture
        .engine
        .plan(WORKSPACE, change_set)
        .await
        .expect("the plan");
    assert!(
        plan.actions.is_empty(),
        "plan of {change_set} is not empty: {:#?}",
        plan.actions
    );
}

#[tokio::test]
async fn import_composite_identifier() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    let identifier = seed(
        &fixture,
        DATA_SET,
        json!({
            "AwsAccountId": CUSTOMER,
            "DataSetId": "abc",
            "Name": "sales",
            "ImportMode": "SPICE",
            "Arn": format!("arn:aws:quicksight:{REGION}:{CUSTOMER}:dataset/abc"),
        }),
    );
    assert_eq!(identifier, format!("{CUSTOMER}|abc"));

    let view = fixture
        .engine
        .import_resource(
            WORKSPACE,
            "cs",
            import_request(DATA_SET, "sales", &format!("{CUSTOMER}|abc")),
        )
        .await
        .expect("the import succeeds");

    let resource = view
        .resource
        .as_ref()
        .expect("the component owns a resource");
    assert_eq!(resource.identifier.as_deref(), Some(identifier.as_str()));
    assert_eq!(resource.status, "ok");
    assert_eq!(
        view.domain,
        json!({"AwsAccountId": CUSTOMER, "DataSetId": "abc", "Name": "sales", "ImportMode": "SPICE"})
    );
    for path in ["/FieldFolders", "/IngestionWaitPolicy", "/FolderArns"] {
        assert!(
            view.unknown_write_only.contains(&path.to_string()),
            "{path} missing from {:?}",
            view.unknown_write_only
        );
    }
    assert_plan_empty(&fixture, "cs").await;

    let report = fixture.apply("cs").await;
    assert!(report.success(), "{report:#?}");
    assert!(report.actions.is_empty(), "{:#?}", report.actions);
    assert_plan_empty(&fixture, "HEAD").await;
    assert_eq!(calls(&fixture, "CreateResource"), 0);
    assert_eq!(calls(&fixture, "UpdateResource"), 0);
    let head = fixture.show("sales").await;
    assert_eq!(head.resource.and_then(|r| r.identifier), Some(identifier));
}

#[tokio::test]
async fn import_identifier_as_json_object() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    seed(
        &fixture,
        DATA_SET,
        json!({"AwsAccountId": CUSTOMER, "DataSetId": "abc", "Name": "sales"}),
    );
    let identifier = json!({"DataSetId": "abc", "AwsAccountId": CUSTOMER}).to_string();

    let view = fixture
        .engine
        .import_resource(
            WORKSPACE,
            "cs",
            import_request(DATA_SET, "sales", &identifier),
        )
        .await
        .expect("the import succeeds");

    let resource = view.resource.expect("a resource");
    assert_eq!(resource.identifier, Some(format!("{CUSTOMER}|abc")));
}

#[tokio::test]
async fn import_malformed_identifier_makes_no_call() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    let before = cloud_control_calls(&fixture);

    let error = fixture
        .engine
        .import_resource(WORKSPACE, "cs", import_request(DATA_SET, "sales", "abc"))
        .await
        .unwrap_err();

    let message = error.to_string();
    assert!(message.contains("<AwsAccountId>|<DataSetId>"), "{message}");
    assert!(message.contains("\"abc\""), "{message}");
    assert_eq!(cloud_control_calls(&fixture), before);
    let components = fixture
        .engine
        .list_components(WORKSPACE, "cs")
        .await
        .unwrap();
    assert!(components.iter().all(|c| c.name != "sales"));
}

#[tokio::test]
async fn import_missing_resource_fails() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;

    let error = fixture
        .engine
        .import_resource(
            WORKSPACE,
            "cs",
            import_request(BUCKET, "logs", "no-such-bucket"),
        )
        .await
        .unwrap_err();

    assert!(
        matches!(error, EngineError::Import(ImportError::NotFound { .. })),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains(BUCKET), "{message}");
    assert!(message.contains("no-such-bucket"), "{message}");
    assert!(message.contains(REGION), "{message}");
    let workspace = fixture.workspace().await;
    assert!(
        fixture
            .store()
            .list_resources(&workspace.id)
            .await
            .unwrap()
            .is_empty()
    );
    let components = fixture
        .engine
        .list_components(WORKSPACE, "cs")
        .await
        .unwrap();
    assert!(components.iter().all(|c| c.name != "logs"));
}

#[tokio::test]
async fn import_of_owned_resource_rejected() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    fixture.change_set("other").await;
    seed(&fixture, BUCKET, bucket("logs"));
    fixture
        .engine
        .import_resource(WORKSPACE, "cs", import_request(BUCKET, "logs", "logs"))
        .await
        .expect("the first import succeeds");
    let gets = calls(&fixture, "GetResource");

    let same = fixture
        .engine
        .import_resource(
            WORKSPACE,
            "cs",
            import_request(BUCKET, "logs-again", "logs"),
        )
        .await
        .unwrap_err();
    let elsewhere = fixture
        .engine
        .import_resource(WORKSPACE, "other", import_request(BUCKET, "logs", "logs"))
        .await
        .unwrap_err();

    assert!(
        matches!(same, EngineError::Import(ImportError::AlreadyOwned { .. })),
        "{same:?}"
    );
    assert!(same.to_string().contains("component \"logs\""), "{same}");
    assert!(
        elsewhere.to_string().contains("component \"logs\""),
        "{elsewhere}"
    );
    assert!(
        elsewhere.to_string().contains("change set \"cs\""),
        "{elsewhere}"
    );
    assert_eq!(calls(&fixture, "GetResource"), gets);
}

#[tokio::test]
async fn imported_domain_drops_read_only() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    seed(&fixture, BUCKET, bucket("logs"));

    let view = fixture
        .engine
        .import_resource(WORKSPACE, "cs", import_request(BUCKET, "logs", "logs"))
        .await
        .unwrap();

    assert_eq!(
        view.domain,
        json!({"BucketName": "logs", "Tags": [{"Key": "team", "Value": "web"}]})
    );
    let properties = view
        .resource
        .and_then(|r| r.properties)
        .expect("the model read");
    assert_eq!(properties["Arn"], json!("arn:aws:s3:::logs"));
    assert!(
        view.unknown_write_only
            .contains(&"/AccessControl".to_string()),
        "{:?}",
        view.unknown_write_only
    );
    assert!(
        !view
            .unknown_write_only
            .iter()
            .any(|p| p.starts_with("/LifecycleConfiguration")),
        "the bucket has no lifecycle rules: {:?}",
        view.unknown_write_only
    );
    let failing: Vec<_> = view
        .qualifications
        .iter()
        .filter(|q| q.status == "failure")
        .collect();
    assert!(failing.is_empty(), "{failing:?}");
}

#[tokio::test]
async fn created_component_has_no_unknown_write_only() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    fixture
        .component(
            "cs",
            BUCKET,
            "made",
            json!({"BucketName": "made-by-canopy"}),
        )
        .await;
    assert!(fixture.apply("cs").await.success());

    let view = fixture.show("made").await;

    assert!(view.resource.is_some());
    assert!(
        view.unknown_write_only.is_empty(),
        "{:?}",
        view.unknown_write_only
    );
}

#[tokio::test]
async fn removing_imported_property_plans_remove() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    seed(&fixture, BUCKET, bucket("logs"));
    fixture
        .engine
        .import_resource(WORKSPACE, "cs", import_request(BUCKET, "logs", "logs"))
        .await
        .unwrap();

    fixture
        .engine
        .unset_property(WORKSPACE, "cs", "logs", "/Tags")
        .await
        .unwrap();
    let plan = fixture.engine.plan(WORKSPACE, "cs").await.unwrap();

    assert_eq!(plan.actions.len(), 1, "{:#?}", plan.actions);
    let action = &plan.actions[0];
    assert_eq!(action.kind, ActionKind::Update);
    assert_eq!(action.identifier.as_deref(), Some("logs"));
    let removal = action
        .changes
        .iter()
        .find(|c| c.path == "/Tags")
        .expect("a change of /Tags");
    assert_eq!(removal.kind, ChangeKind::Remove);
    let patch = serde_json::to_value(&action.patch).unwrap();
    assert_eq!(patch, json!([{"op": "remove", "path": "/Tags"}]));
}

#[tokio::test]
async fn removal_applies_after_import() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    seed(&fixture, BUCKET, bucket("logs"));
    fixture
        .engine
        .import_resource(WORKSPACE, "cs", import_request(BUCKET, "logs", "logs"))
        .await
        .unwrap();
    assert!(fixture.apply("cs").await.success());
    let workspace = fixture.workspace().await;
    fixture
        .store()
        .create_change_set(&workspace.id, "untag")
        .await
        .unwrap();

    fixture
        .engine
        .unset_property(WORKSPACE, "untag", "logs", "/Tags")
        .await
        .unwrap();
    let report = fixture.apply("untag").await;

    assert!(report.success(), "{report:#?}");
    let model = fixture
        .handle()
        .find_resource(CUSTOMER, REGION, BUCKET, "logs")
        .unwrap();
    assert!(model.get("Tags").is_none(), "{model}");
    assert_plan_empty(&fixture, "HEAD").await;
}

#[tokio::test]
async fn abandon_forgets_imported_resources() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    seed(&fixture, BUCKET, bucket("logs"));
    fixture
        .engine
        .import_resource(WORKSPACE, "cs", import_request(BUCKET, "logs", "logs"))
        .await
        .unwrap();

    fixture.engine.abandon(WORKSPACE, "cs").await.unwrap();

    let workspace = fixture.workspace().await;
    assert!(
        fixture
            .store()
            .list_resources(&workspace.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        fixture
            .handle()
            .find_resource(CUSTOMER, REGION, BUCKET, "logs")
            .is_some()
    );
    assert_plan_empty(&fixture, "HEAD").await;
    fixture.change_set("again").await;
    let view = fixture
        .engine
        .import_resource(WORKSPACE, "again", import_request(BUCKET, "logs", "logs"))
        .await
        .expect("the resource can be imported again");
    assert!(view.resource.is_some());
    assert_eq!(calls(&fixture, "DeleteResource"), 0);
}

#[tokio::test]
async fn deleting_imported_component_forgets_resource() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    seed(&fixture, BUCKET, bucket("logs"));
    fixture
        .engine
        .import_resource(WORKSPACE, "cs", import_request(BUCKET, "logs", "logs"))
        .await
        .unwrap();

    fixture
        .engine
        .delete_component(WORKSPACE, "cs", "logs")
        .await
        .unwrap();

    let workspace = fixture.workspace().await;
    assert!(
        fixture
            .store()
            .list_resources(&workspace.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_plan_empty(&fixture, "cs").await;
    fixture
        .engine
        .import_resource(WORKSPACE, "cs", import_request(BUCKET, "logs-2", "logs"))
        .await
        .expect("the resource can be imported again");
}

#[tokio::test]
async fn discover_child_needs_parent() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    seed(
        &fixture,
        CLUSTER,
        json!({
            "Name": "prod",
            "RoleArn": format!("arn:aws:iam::{CUSTOMER}:role/eks"),
            "ResourcesVpcConfig": {"SubnetIds": ["subnet-1"]},
        }),
    );
    fixture
        .engine
        .import_resource(
            WORKSPACE,
            "cs",
            import_request(CLUSTER, "prod-cluster", "prod"),
        )
        .await
        .unwrap();
    seed(&fixture, NODEGROUP, nodegroup("prod", "ng-1"));
    seed(&fixture, NODEGROUP, nodegroup("prod", "ng-2"));
    seed(&fixture, NODEGROUP, nodegroup("dev", "ng-3"));

    let without = fixture
        .engine
        .discover(WORKSPACE, "cs", discover_request(NODEGROUP, None))
        .await
        .unwrap_err();

    assert!(
        matches!(
            without,
            EngineError::Import(ImportError::ParentRequired { .. })
        ),
        "{without:?}"
    );
    let message = without.to_string();
    assert!(message.contains("ClusterName"), "{message}");
    assert!(
        message.contains(r#"--model '{"ClusterName":"prod"}'"#),
        "{message}"
    );
    assert!(message.contains("prod-cluster"), "{message}");
    assert_eq!(calls(&fixture, "ListResources"), 0);

    let report = fixture
        .engine
        .discover(
            WORKSPACE,
            "cs",
            discover_request(NODEGROUP, Some(json!({"ClusterName": "prod"}))),
        )
        .await
        .expect("discovery with the parent succeeds");

    assert_eq!(report.found, 2);
    let identifiers: Vec<&str> = report
        .imported
        .iter()
        .map(|r| r.identifier.as_str())
        .collect();
    assert_eq!(identifiers, vec!["prod/ng-1", "prod/ng-2"]);
    let view = fixture
        .engine
        .show_component(WORKSPACE, "cs", "prod/ng-1")
        .await
        .unwrap();
    assert_eq!(view.schema, NODEGROUP);
    assert!(
        view.domain.get("Id").is_none(),
        "Id is read-only: {}",
        view.domain
    );
    assert_eq!(view.domain["ClusterName"], json!("prod"));
    assert_plan_empty(&fixture, "cs").await;
}

#[tokio::test]
async fn discover_parent_hint_without_candidates() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;

    let error = fixture
        .engine
        .discover(
            WORKSPACE,
            "cs",
            discover_request(NODEGROUP, Some(json!({}))),
        )
        .await
        .unwrap_err();

    let message = error.to_string();
    assert!(message.contains("ClusterName"), "{message}");
    assert!(
        message.contains("no component of the change set is a candidate parent"),
        "{message}"
    );
}

#[tokio::test]
async fn discover_rejects_model_property_not_in_handler() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;

    let nodegroup = fixture
        .engine
        .discover(
            WORKSPACE,
            "cs",
            discover_request(NODEGROUP, Some(json!({"ClusterName": "prod", "Nope": 1}))),
        )
        .await
        .unwrap_err();
    let bucket = fixture
        .engine
        .discover(
            WORKSPACE,
            "cs",
            discover_request(BUCKET, Some(json!({"BucketName": "x"}))),
        )
        .await
        .unwrap_err();

    assert!(nodegroup.to_string().contains("\"Nope\""), "{nodegroup}");
    assert!(bucket.to_string().contains("remove --model"), "{bucket}");
    assert_eq!(cloud_control_calls(&fixture), 0);
}

#[tokio::test]
async fn discover_follows_every_page() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    let seeded: HashSet<String> = (0..250)
        .map(|i| seed(&fixture, BUCKET, bucket(&format!("bucket-{i:03}"))))
        .collect();

    let report = fixture
        .engine
        .discover(WORKSPACE, "cs", discover_request(BUCKET, None))
        .await
        .expect("discovery succeeds");

    assert_eq!(report.found, 250);
    assert_eq!(report.imported.len(), 250);
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    // The emulator rejects MaxResults above 100 and returns 20 a page without it, so
    // three pages for 250 resources means 100 a page with every NextToken followed.
    assert_eq!(report.pages, 3);
    assert_eq!(calls(&fixture, "ListResources"), 3);
    assert_eq!(calls(&fixture, "GetResource"), 250);
    let components = fixture
        .engine
        .list_components(WORKSPACE, "cs")
        .await
        .unwrap();
    let owned: Vec<String> = components
        .iter()
        .filter(|c| c.schema == BUCKET)
        .filter_map(|c| c.resource.as_ref().and_then(|r| r.identifier.clone()))
        .collect();
    assert_eq!(owned.len(), 250);
    assert_eq!(owned.iter().cloned().collect::<HashSet<_>>(), seeded);
    assert_plan_empty(&fixture, "cs").await;
}

#[tokio::test]
async fn discover_skips_owned_resources() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    seed(&fixture, BUCKET, bucket("a"));
    seed(&fixture, BUCKET, bucket("b"));
    fixture
        .engine
        .import_resource(WORKSPACE, "cs", import_request(BUCKET, "mine", "a"))
        .await
        .unwrap();

    let report = fixture
        .engine
        .discover(WORKSPACE, "cs", discover_request(BUCKET, None))
        .await
        .unwrap();
    let again = fixture
        .engine
        .discover(WORKSPACE, "cs", discover_request(BUCKET, None))
        .await
        .unwrap();

    assert_eq!(report.found, 2);
    assert_eq!(report.imported.len(), 1);
    assert_eq!(report.imported[0].identifier, "b");
    assert_eq!(report.imported[0].component, "b");
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].identifier, "a");
    assert!(
        report.skipped[0].reason.contains("\"mine\""),
        "{}",
        report.skipped[0].reason
    );
    assert!(again.imported.is_empty(), "{:?}", again.imported);
    assert_eq!(again.skipped.len(), 2);
}

#[tokio::test]
async fn discovered_names_made_unique() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    fixture
        .component("cs", BUCKET, "logs", json!({"BucketName": "planned-logs"}))
        .await;
    seed(&fixture, BUCKET, bucket("logs"));

    let report = fixture
        .engine
        .discover(WORKSPACE, "cs", discover_request(BUCKET, None))
        .await
        .unwrap();

    assert_eq!(report.imported.len(), 1);
    assert_eq!(report.imported[0].component, "logs-2");
}

#[tokio::test]
async fn discover_type_without_list_handler() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;

    let error = fixture
        .engine
        .discover(
            WORKSPACE,
            "cs",
            discover_request("AWS::EC2::NetworkAclEntry", None),
        )
        .await
        .unwrap_err();

    assert!(
        matches!(error, EngineError::Import(ImportError::NotListable { .. })),
        "{error:?}"
    );
    assert!(error.to_string().contains("not listable"), "{error}");
    assert_eq!(cloud_control_calls(&fixture), 0);
}

#[tokio::test]
async fn discover_nothing_found() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;

    let report = fixture
        .engine
        .discover(WORKSPACE, "cs", discover_request("AWS::EC2::VPC", None))
        .await
        .expect("an empty result is not an error");

    assert_eq!(report.found, 0);
    assert!(report.imported.is_empty());
    assert_eq!(report.pages, 1);
}

#[tokio::test]
async fn discovered_components_apply_cleanly() {
    let fixture = fixture().await;
    fixture.change_set("cs").await;
    seed(&fixture, BUCKET, bucket("bucket-a"));
    seed(&fixture, BUCKET, bucket("bucket-b"));
    fixture
        .engine
        .discover(WORKSPACE, "cs", discover_request(BUCKET, None))
        .await
        .unwrap();

    let report = fixture.apply("cs").await;

    assert!(report.success(), "{report:#?}");
    assert!(report.actions.is_empty(), "{:#?}", report.actions);
    assert_plan_empty(&fixture, "HEAD").await;
    assert_eq!(
        fixture.identifiers(BUCKET),
        vec!["bucket-a".to_string(), "bucket-b".to_string()]
    );
    let workspace = fixture.workspace().await;
    assert_eq!(
        fixture
            .store()
            .list_resources(&workspace.id)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn realistic_reads_plan_nothing_after_discovery() {
    // Reads that add defaults, reorder unordered arrays, rewrite JSON strings and
    // respell numbers, as AWS does.
    let emulator = EmulatorConfig::default()
        .with_request_delay(Duration::ZERO)
        .with_realistic(true);
    let fixture = Fixture::start(emulator, fast_config()).await;
    fixture.change_set("cs").await;
    seed(
        &fixture,
        "AWS::EC2::VPC",
        json!({
            "VpcId": "vpc-0a1b2c3d4e5f60718",
            "CidrBlock": "10.0.0.0/16",
            "Tags": [{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}],
        }),
    );
    seed(
        &fixture,
        "AWS::IAM::Role",
        json!({
            "RoleName": "app",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
            },
            "MaxSessionDuration": 3600,
        }),
    );

    for type_name in ["AWS::EC2::VPC", "AWS::IAM::Role"] {
        let report = fixture
            .engine
            .discover(WORKSPACE, "cs", discover_request(type_name, None))
            .await
            .expect("discovery succeeds");
        assert_eq!(report.imported.len(), 1, "{type_name}: {report:#?}");
    }
    let vpc = fixture
        .engine
        .show_component(WORKSPACE, "cs", "vpc-0a1b2c3d4e5f60718")
        .await
        .expect("the discovered VPC");
    assert_eq!(
        vpc.domain["Tags"][0]["Key"], "a",
        "the realistic read returns the unordered tags in another order: {}",
        vpc.domain
    );
    assert_plan_empty(&fixture, "cs").await;

    let report = fixture.apply("cs").await;
    assert!(report.success(), "{report:#?}");
    assert!(report.actions.is_empty(), "{:#?}", report.actions);
    assert_plan_empty(&fixture, "HEAD").await;
    assert_eq!(calls(&fixture, "UpdateResource"), 0);
}
