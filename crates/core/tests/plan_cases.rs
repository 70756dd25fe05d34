//! One test per way a Cloud Control planner has gone wrong, on the real bundled schemas.
//! Each patch is also applied to the remote model with the `json-patch` crate, as Cloud
//! Control would apply it, and the result is checked.

use std::sync::Arc;

use canopy_core::{
    ChangeEffect, ChangeKind, DiffAction, DiffInput, PatchOperation, ResourceDiff, diff_resource,
};
use canopy_schema::{Registry, ResourceSchema, parse_pointer};
use serde_json::{Value, json};

fn schema(type_name: &str) -> Arc<ResourceSchema> {
    Registry::bundled().get(type_name).unwrap()
}

fn diff(
    type_name: &str,
    desired: &Value,
    remote: &Value,
    last_applied: Option<&Value>,
) -> ResourceDiff {
    let schema = schema(type_name);
    diff_resource(&DiffInput {
        schema: &schema,
        desired,
        remote,
        last_applied,
    })
}

/// Applies the diff's patch to `remote` as RFC 6902 prescribes; panics when an
/// operation is invalid, as Cloud Control would fail the request.
fn apply(remote: &Value, diff: &ResourceDiff) -> Value {
    let patch: json_patch::Patch = serde_json::from_value(diff.patch_document()).unwrap();
    let mut model = remote.clone();
    json_patch::patch(&mut model, &patch).unwrap();
    model
}

fn paths(diff: &ResourceDiff) -> Vec<&str> {
    diff.patch.iter().map(PatchOperation::path).collect()
}

fn add(path: &str, value: Value) -> PatchOperation {
    PatchOperation::Add {
        path: path.to_string(),
        value,
    }
}

fn replace(path: &str, value: Value) -> PatchOperation {
    PatchOperation::Replace {
        path: path.to_string(),
        value,
    }
}

fn assert_no_change(diff: &ResourceDiff) {
    assert_eq!(diff.action(), DiffAction::NoChange, "{diff:#?}");
    assert!(diff.changes.is_empty(), "{:#?}", diff.changes);
    assert!(diff.patch.is_empty(), "{:#?}", diff.patch);
}

fn tag(key: &str, value: &str) -> Value {
    json!({"Key": key, "Value": value})
}

// Unordered arrays

const CONNECT_PROFILE: &str = "AWS::Connect::SecurityProfile";

fn connect_profile(tags: Value) -> Value {
    json!({
        "InstanceArn": "arn:aws:connect:us-east-1:123456789012:instance/i-1",
        "SecurityProfileName": "agents",
        "AllowedAccessControlTags": tags,
    })
}

#[test]
fn unordered_array_changed_element_replaces_whole_array() {
    let last = connect_profile(json!([tag("a", "1"), tag("c", "3"), tag("d", "4")]));
    let desired = connect_profile(json!([tag("a", "1"), tag("c", "3x"), tag("d", "4")]));
    let mut remote = connect_profile(json!([tag("a", "1"), tag("d", "4"), tag("c", "3")]));
    remote["SecurityProfileArn"] =
        json!("arn:aws:connect:us-east-1:123456789012:instance/i-1/security-profile/p");

    let diff = diff(CONNECT_PROFILE, &desired, &remote, Some(&last));

    assert_eq!(diff.action(), DiffAction::Update);
    assert_eq!(
        diff.patch,
        vec![replace(
            "/AllowedAccessControlTags",
            desired["AllowedAccessControlTags"].clone()
        )]
    );
    let patched = apply(&remote, &diff);
    let mut tags = patched["AllowedAccessControlTags"]
        .as_array()
        .unwrap()
        .clone();
    tags.sort_by_key(|tag| tag["Key"].as_str().unwrap().to_string());
    assert_eq!(tags, vec![tag("a", "1"), tag("c", "3x"), tag("d", "4")]);
    assert_eq!(patched["SecurityProfileName"], json!("agents"));
    assert_no_change(&crate::diff(
        CONNECT_PROFILE,
        &desired,
        &patched,
        Some(&desired),
    ));
}

#[test]
fn unordered_array_reordered_by_remote_plans_nothing() {
    let desired = json!({"AlarmName": "cpu", "Tags": [tag("Zebra", "z"), tag("Apple", "a"), tag("Mango", "m")]});
    let remote = json!({"AlarmName": "cpu", "Arn": "arn:aws:cloudwatch:us-east-1:1:alarm:cpu",
        "Tags": [tag("Apple", "a"), tag("Mango", "m"), tag("Zebra", "z")]});
    assert_no_change(&diff(
        "AWS::CloudWatch::Alarm",
        &desired,
        &remote,
        Some(&desired),
    ));
    assert_no_change(&diff("AWS::CloudWatch::Alarm", &desired, &remote, None));

    let desired = json!({"Role": "arn:aws:iam::1:role/r", "Code": {"ZipFile": "x"},
        "VpcConfig": {"SubnetIds": ["subnet-c", "subnet-a", "subnet-b"], "SecurityGroupIds": ["sg-1"]}});
    let remote = json!({"Role": "arn:aws:iam::1:role/r", "FunctionName": "f",
        "VpcConfig": {"SubnetIds": ["subnet-a", "subnet-b", "subnet-c"], "SecurityGroupIds": ["sg-1"], "Ipv6AllowedForDualStack": false}});
    assert_no_change(&diff(
        "AWS::Lambda::Function",
        &desired,
        &remote,
        Some(&desired),
    ));
}

#[test]
fn unordered_array_with_new_tag_is_update() {
    let desired = json!({"AlarmName": "cpu", "Tags": [tag("Zebra", "z"), tag("Apple", "a")]});
    let remote = json!({"AlarmName": "cpu", "Tags": [tag("Zebra", "z")]});
    let diff = diff("AWS::CloudWatch::Alarm", &desired, &remote, Some(&remote));
    assert_eq!(diff.patch, vec![replace("/Tags", desired["Tags"].clone())]);
    assert_eq!(apply(&remote, &diff), desired);
}

// Ordered arrays

fn actions(count: usize) -> Vec<Value> {
    (0..count)
        .map(|index| json!(format!("arn:aws:sns:us-east-1:123456789012:topic-{index}")))
        .collect()
}

#[test]
fn several_removals_from_ordered_array_leave_desired_exactly() {
    let before = actions(12);
    let mut after = before.clone();
    after.remove(10);
    after.remove(2);
    let remote = json!({"AlarmName": "cpu", "AlarmActions": before});
    let desired = json!({"AlarmName": "cpu", "AlarmActions": after});

    let diff = diff("AWS::CloudWatch::Alarm", &desired, &remote, Some(&remote));

    assert_eq!(diff.action(), DiffAction::Update);
    let patched = apply(&remote, &diff);
    assert_eq!(patched["AlarmActions"], desired["AlarmActions"]);
    assert_no_change(&crate::diff(
        "AWS::CloudWatch::Alarm",
        &desired,
        &patched,
        Some(&desired),
    ));
}

#[test]
fn ordered_array_same_length_patches_one_element() {
    let before = actions(4);
    let mut after = before.clone();
    after[3] = json!("arn:aws:sns:us-east-1:123456789012:pager");
    let remote = json!({"AlarmName": "cpu", "AlarmActions": before});
    let desired = json!({"AlarmName": "cpu", "AlarmActions": after});

    let diff = diff("AWS::CloudWatch::Alarm", &desired, &remote, Some(&remote));

    assert_eq!(
        diff.patch,
        vec![replace(
            "/AlarmActions/3",
            json!("arn:aws:sns:us-east-1:123456789012:pager")
        )]
    );
    assert_eq!(apply(&remote, &diff), desired);
}

#[test]
fn empty_create_only_array_no_change() {
    let desired = json!({"CreatorDisplayName": "me", "Name": "c", "Description": "d",
        "QueryLogStatus": "ENABLED", "CreatorMemberAbilities": []});
    let remote = json!({"CreatorDisplayName": "me", "Name": "c", "Description": "d",
        "QueryLogStatus": "ENABLED", "Arn": "arn:x", "CollaborationIdentifier": "id"});
    for last in [Some(&desired), None] {
        let diff = diff("AWS::CleanRooms::Collaboration", &desired, &remote, last);
        assert!(diff.replacement.is_empty(), "{:#?}", diff.replacement);
        assert_no_change(&diff);
    }
}

// Paths the remote does not hold

fn behavior(criteria: Value) -> Value {
    json!({"Name": "sent", "Metric": "aws:num-messages-sent", "Criteria": criteria})
}

#[test]
fn nested_value_absent_remotely_is_added() {
    let remote = json!({"SecurityProfileName": "p", "SecurityProfileArn": "arn:p",
        "Behaviors": [behavior(json!({"ComparisonOperator": "greater-than", "Value": {"Count": "100"}}))]});
    let desired = json!({"SecurityProfileName": "p",
        "Behaviors": [behavior(json!({"ComparisonOperator": "greater-than", "Value": {"Count": "100"}, "DurationSeconds": 300}))]});

    let diff = diff(
        "AWS::IoT::SecurityProfile",
        &desired,
        &remote,
        Some(&remote),
    );

    assert_eq!(
        diff.patch,
        vec![add("/Behaviors/0/Criteria/DurationSeconds", json!(300))]
    );
    let patched = apply(&remote, &diff);
    assert_eq!(patched["Behaviors"], desired["Behaviors"]);
    assert_no_change(&crate::diff(
        "AWS::IoT::SecurityProfile",
        &desired,
        &patched,
        Some(&desired),
    ));
}

#[test]
fn missing_parent_is_added_at_shallowest_ancestor() {
    let remote = json!({"SecurityProfileName": "p", "Behaviors": [{"Name": "sent", "Metric": "aws:num-messages-sent"}]});
    let criteria = json!({"ComparisonOperator": "greater-than", "DurationSeconds": 300});
    let desired = json!({"SecurityProfileName": "p", "Behaviors": [behavior(criteria.clone())]});

    let diff = diff(
        "AWS::IoT::SecurityProfile",
        &desired,
        &remote,
        Some(&remote),
    );

    assert_eq!(diff.patch, vec![add("/Behaviors/0/Criteria", criteria)]);
    assert_eq!(apply(&remote, &diff)["Behaviors"], desired["Behaviors"]);
}

#[test]
fn unordered_array_of_several_changed_is_replaced() {
    let old = json!({"ComparisonOperator": "greater-than"});
    let new = json!({"ComparisonOperator": "greater-than", "DurationSeconds": 300});
    let second = json!({"Name": "other", "Metric": "aws:num-disconnects"});
    let remote = json!({"SecurityProfileName": "p", "Behaviors": [second.clone(), behavior(old)]});
    let desired = json!({"SecurityProfileName": "p", "Behaviors": [behavior(new), second]});

    let diff = diff(
        "AWS::IoT::SecurityProfile",
        &desired,
        &remote,
        Some(&remote),
    );

    assert_eq!(
        diff.patch,
        vec![replace("/Behaviors", desired["Behaviors"].clone())]
    );
}

const GAME_SERVER_GROUP: &str = "AWS::GameLift::GameServerGroup";

fn game_server_group(min: u64, max: u64) -> Value {
    json!({"GameServerGroupName": "g", "RoleArn": "arn:aws:iam::1:role/r",
        "InstanceDefinitions": [{"InstanceType": "c5.large"}], "MinSize": min, "MaxSize": max})
}

#[test]
fn write_only_change_is_added_and_settles() {
    let last = game_server_group(1, 2);
    let desired = game_server_group(1, 3);
    let remote = json!({"GameServerGroupName": "g", "RoleArn": "arn:aws:iam::1:role/r",
        "InstanceDefinitions": [{"InstanceType": "c5.large"}], "GameServerGroupArn": "arn:g"});

    let diff = diff(GAME_SERVER_GROUP, &desired, &remote, Some(&last));

    assert_eq!(diff.patch, vec![add("/MaxSize", json!(3))]);
    assert_eq!(diff.changes.len(), 1);
    assert_eq!(diff.changes[0].before, Some(json!(2)));
    assert_eq!(apply(&remote, &diff)["MaxSize"], json!(3));
    assert_no_change(&crate::diff(
        GAME_SERVER_GROUP,
        &desired,
        &remote,
        Some(&desired),
    ));
}

#[test]
fn unknown_write_only_value_alone_plans_nothing() {
    let desired = game_server_group(1, 3);
    let remote = json!({"GameServerGroupName": "g", "RoleArn": "arn:aws:iam::1:role/r",
        "InstanceDefinitions": [{"InstanceType": "c5.large"}]});
    assert_no_change(&diff(GAME_SERVER_GROUP, &desired, &remote, None));
}

#[test]
fn unknown_write_only_value_rides_along_with_update() {
    let mut desired = game_server_group(1, 3);
    desired["RoleArn"] = json!("arn:aws:iam::1:role/new");
    let remote = json!({"GameServerGroupName": "g", "RoleArn": "arn:aws:iam::1:role/r",
        "InstanceDefinitions": [{"InstanceType": "c5.large"}]});

    let diff = diff(GAME_SERVER_GROUP, &desired, &remote, None);

    assert_eq!(
        diff.patch,
        vec![
            add("/MaxSize", json!(3)),
            add("/MinSize", json!(1)),
            replace("/RoleArn", json!("arn:aws:iam::1:role/new"))
        ]
    );
    let sent_again: Vec<&str> = diff
        .changes
        .iter()
        .filter(|c| c.reason.contains("never applied"))
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(sent_again, vec!["/MinSize", "/MaxSize"]);
}

#[test]
fn required_write_only_is_sent_with_any_update() {
    let desired = json!({"Name": "c", "ServerProperties": "auto.create.topics.enable=true", "Description": "new"});
    let last = json!({"Name": "c", "ServerProperties": "auto.create.topics.enable=true", "Description": "old"});
    let remote = json!({"Name": "c", "Description": "old", "Arn": "arn:c"});

    let diff = diff("AWS::MSK::Configuration", &desired, &remote, Some(&last));

    assert_eq!(
        diff.patch,
        vec![
            replace("/Description", json!("new")),
            add("/ServerProperties", json!("auto.create.topics.enable=true"))
        ]
    );
    let patched = apply(&remote, &diff);
    assert_no_change(&crate::diff(
        "AWS::MSK::Configuration",
        &desired,
        &patched,
        Some(&desired),
    ));
}

#[test]
fn nested_write_only_settles_and_patches_leaf() {
    let function = |uri: &str| json!({"Role": "arn:aws:iam::1:role/r", "PackageType": "Image", "Code": {"ImageUri": uri}});
    let remote = json!({"Role": "arn:aws:iam::1:role/r", "PackageType": "Image", "FunctionName": "f", "Code": {}});
    let applied = function("repo:1");
    assert_no_change(&diff(
        "AWS::Lambda::Function",
        &applied,
        &remote,
        Some(&applied),
    ));

    let desired = function("repo:2");
    let changed = diff("AWS::Lambda::Function", &desired, &remote, Some(&applied));
    assert_eq!(changed.patch, vec![add("/Code/ImageUri", json!("repo:2"))]);

    // Without the parent in the remote model, only an add of the parent is valid.
    let bare =
        json!({"Role": "arn:aws:iam::1:role/r", "PackageType": "Image", "FunctionName": "f"});
    let changed = diff("AWS::Lambda::Function", &desired, &bare, Some(&applied));
    assert_eq!(
        changed.patch,
        vec![add("/Code", json!({"ImageUri": "repo:2"}))]
    );
    assert_eq!(apply(&bare, &changed)["Code"], desired["Code"]);
}

#[test]
fn wildcard_write_only_settles_and_patches_leaf() {
    let bucket = |days: u64| {
        json!({"BucketName": "b", "LifecycleConfiguration": {"Rules": [
        {"Id": "archive", "Status": "Enabled", "Transition": {"StorageClass": "GLACIER", "TransitionInDays": days}}]}})
    };
    let remote = json!({"BucketName": "b", "Arn": "arn:aws:s3:::b",
        "LifecycleConfiguration": {"Rules": [{"Id": "archive", "Status": "Enabled"}]}});
    let applied = bucket(30);
    assert_no_change(&diff("AWS::S3::Bucket", &applied, &remote, Some(&applied)));

    let desired = bucket(60);
    let changed = diff("AWS::S3::Bucket", &desired, &remote, Some(&applied));
    assert_eq!(
        changed.patch,
        vec![add(
            "/LifecycleConfiguration/Rules/0/Transition",
            desired["LifecycleConfiguration"]["Rules"][0]["Transition"].clone()
        )]
    );
    assert_eq!(
        apply(&remote, &changed)["LifecycleConfiguration"],
        desired["LifecycleConfiguration"]
    );
}

const SCHEDULED_QUERY: &str = "AWS::Timestream::ScheduledQuery";

fn scheduled_query(role: &str) -> Value {
    json!({"QueryString": "SELECT 1", "ScheduleConfiguration": {"ScheduleExpression": "rate(1 hour)"},
        "NotificationConfiguration": {"SnsConfiguration": {"TopicArn": "arn:t"}},
        "ErrorReportConfiguration": {"S3Configuration": {"BucketName": "errors"}},
        "ScheduledQueryExecutionRoleArn": role})
}

#[test]
fn create_only_value_remote_omits_is_no_change() {
    let desired = scheduled_query("arn:aws:iam::1:role/q");
    let mut remote = desired.clone();
    remote
        .as_object_mut()
        .unwrap()
        .remove("ScheduledQueryExecutionRoleArn");
    remote["Arn"] = json!("arn:q");
    assert_no_change(&diff(SCHEDULED_QUERY, &desired, &remote, Some(&desired)));
    assert_no_change(&diff(SCHEDULED_QUERY, &desired, &remote, None));

    let changed = scheduled_query("arn:aws:iam::1:role/other");
    let replaced = diff(SCHEDULED_QUERY, &changed, &remote, Some(&desired));
    assert_eq!(replaced.action(), DiffAction::Replace);
    assert_eq!(replaced.replacement.len(), 1);
    assert_eq!(
        replaced.replacement[0].path,
        "/ScheduledQueryExecutionRoleArn"
    );
    assert!(replaced.patch.is_empty(), "{:#?}", replaced.patch);
}

#[test]
fn unset_optional_create_only_never_replaces() {
    let desired = json!({"BucketName": "b"});
    let remote = json!({"BucketName": "b", "Arn": "arn:aws:s3:::b", "DomainName": "b.s3.amazonaws.com",
        "RegionalDomainName": "b.s3.us-east-1.amazonaws.com"});
    assert_no_change(&diff("AWS::S3::Bucket", &desired, &remote, Some(&desired)));
    assert_no_change(&diff("AWS::S3::Bucket", &desired, &remote, None));

    let renamed = json!({"BucketName": "c"});
    assert_eq!(
        diff("AWS::S3::Bucket", &renamed, &remote, Some(&desired)).action(),
        DiffAction::Replace
    );
}

#[test]
fn server_defaults_plan_nothing() {
    let desired = json!({"CidrBlock": "10.0.0.0/16"});
    let remote = json!({"CidrBlock": "10.0.0.0/16", "VpcId": "vpc-1", "EnableDnsHostnames": false,
        "EnableDnsSupport": true, "InstanceTenancy": "default", "CidrBlockAssociations": ["a"]});
    assert_no_change(&diff("AWS::EC2::VPC", &desired, &remote, Some(&desired)));
    assert_no_change(&diff("AWS::EC2::VPC", &desired, &remote, None));
}

#[test]
fn removed_value_is_removed_plainly() {
    let last = json!({"CidrBlock": "10.0.0.0/16", "EnableDnsHostnames": true});
    let desired = json!({"CidrBlock": "10.0.0.0/16"});
    let remote = json!({"CidrBlock": "10.0.0.0/16", "VpcId": "vpc-1", "EnableDnsHostnames": true,
        "EnableDnsSupport": true});

    let diff = diff("AWS::EC2::VPC", &desired, &remote, Some(&last));

    assert_eq!(
        diff.patch,
        vec![PatchOperation::Remove {
            path: "/EnableDnsHostnames".to_string()
        }]
    );
    assert_eq!(diff.changes.len(), 1);
    let change = &diff.changes[0];
    assert_eq!(change.kind, ChangeKind::Remove);
    assert_eq!(change.before, Some(json!(true)));
    assert!(
        change.reason.contains("reset it to the service default"),
        "{}",
        change.reason
    );
    assert!(apply(&remote, &diff).get("EnableDnsHostnames").is_none());
}

#[test]
fn removed_create_only_value_replaces() {
    let last = json!({"BucketName": "b", "Tags": [tag("a", "1")]});
    let desired = json!({"Tags": [tag("a", "1")]});
    let remote = json!({"BucketName": "b", "Tags": [tag("a", "1")]});
    let diff = diff("AWS::S3::Bucket", &desired, &remote, Some(&last));
    assert_eq!(diff.action(), DiffAction::Replace);
    assert_eq!(diff.replacement[0].kind, ChangeKind::Remove);
}

#[test]
fn conditional_create_only_is_patched_and_may_replace() {
    let desired = json!({"CidrBlock": "10.0.0.0/16", "InstanceTenancy": "default"});
    let remote = json!({"CidrBlock": "10.0.0.0/16", "InstanceTenancy": "dedicated"});
    let diff = diff("AWS::EC2::VPC", &desired, &remote, Some(&remote));
    assert_eq!(diff.action(), DiffAction::Update);
    assert_eq!(
        diff.patch,
        vec![replace("/InstanceTenancy", json!("default"))]
    );
    assert_eq!(diff.changes[0].effect, ChangeEffect::MayReplace);
}

// Create-only and write-only together

const REASONING_POLICY: &str = "AWS::Bedrock::AutomatedReasoningPolicy";

fn reasoning_policy(description: &str, key: &str, force_delete: bool) -> Value {
    json!({"Name": "p", "Description": description, "KmsKeyId": key, "ForceDelete": force_delete})
}

#[test]
fn create_only_write_only_left_out_of_update() {
    let last = reasoning_policy("old", "key-1", true);
    let desired = reasoning_policy("new", "key-1", true);
    let remote =
        json!({"Name": "p", "Description": "old", "PolicyArn": "arn:p", "KmsKeyArn": "arn:key-1"});

    let diff = diff(REASONING_POLICY, &desired, &remote, Some(&last));

    assert_eq!(diff.patch, vec![replace("/Description", json!("new"))]);

    let rekeyed = reasoning_policy("old", "key-2", true);
    let replaced = crate::diff(REASONING_POLICY, &rekeyed, &remote, Some(&last));
    assert_eq!(replaced.action(), DiffAction::Replace);
    assert_eq!(replaced.replacement[0].path, "/KmsKeyId");
    assert!(
        !paths(&replaced).contains(&"/KmsKeyId"),
        "{:#?}",
        replaced.patch
    );

    // The bundled schema lists ForceDelete as write-only but not create-only.
    let forced = reasoning_policy("old", "key-1", false);
    let updated = crate::diff(REASONING_POLICY, &forced, &remote, Some(&last));
    assert_eq!(updated.patch, vec![add("/ForceDelete", json!(false))]);
}

#[test]
fn unknown_create_only_write_only_never_replaces() {
    let desired = reasoning_policy("new", "key-1", true);
    let remote = json!({"Name": "p", "Description": "old"});
    let diff = diff(REASONING_POLICY, &desired, &remote, None);
    assert_eq!(diff.action(), DiffAction::Update);
    assert!(!paths(&diff).contains(&"/KmsKeyId"), "{:#?}", diff.patch);
}

const PIPE: &str = "AWS::Pipes::Pipe";

fn pipe(enrichment: &str, batch_size: u64, topic: &str) -> Value {
    json!({"Name": "p", "RoleArn": "arn:aws:iam::1:role/r", "Source": "smk://broker:9092", "Target": "arn:t",
        "Enrichment": enrichment, "SourceParameters": {"SelfManagedKafkaParameters": {
            "TopicName": topic, "StartingPosition": "TRIM_HORIZON", "BatchSize": batch_size}}})
}

fn pipe_remote(enrichment: &str) -> Value {
    json!({"Name": "p", "RoleArn": "arn:aws:iam::1:role/r", "Source": "smk://broker:9092", "Target": "arn:t",
        "Enrichment": enrichment, "Arn": "arn:p", "CurrentState": "RUNNING"})
}

#[test]
fn nested_create_only_siblings_stay_out_of_patch() {
    let last = pipe("arn:old", 10, "orders");
    let desired = pipe("arn:new", 10, "orders");
    let remote = pipe_remote("arn:old");

    let diff = diff(PIPE, &desired, &remote, Some(&last));

    assert_eq!(diff.patch, vec![replace("/Enrichment", json!("arn:new"))]);
    assert_eq!(apply(&remote, &diff)["Enrichment"], json!("arn:new"));
}

#[test]
fn change_under_parent_with_create_only_leaves_patches_leaf() {
    let last = pipe("arn:old", 10, "orders");
    let desired = pipe("arn:old", 20, "orders");

    // A remote model that holds the parent gets an operation on the changed leaf only.
    let mut remote = pipe_remote("arn:old");
    remote["SourceParameters"] = last["SourceParameters"].clone();
    let diff = diff(PIPE, &desired, &remote, Some(&last));
    assert_eq!(
        diff.patch,
        vec![add(
            "/SourceParameters/SelfManagedKafkaParameters/BatchSize",
            json!(20)
        )]
    );

    // SourceParameters is write-only, so the real remote model lacks it: the parent is
    // added, without its create-only leaves.
    let remote = pipe_remote("arn:old");
    let diff = crate::diff(PIPE, &desired, &remote, Some(&last));
    assert_eq!(
        diff.patch,
        vec![add(
            "/SourceParameters",
            json!({"SelfManagedKafkaParameters": {"BatchSize": 20}})
        )]
    );
    let schema = schema(PIPE);
    for operation in &diff.patch {
        let path = parse_pointer(operation.path()).unwrap();
        assert!(!schema.is_create_only(&path), "{}", operation.path());
    }
    assert_eq!(diff.action(), DiffAction::Update);
}

#[test]
fn nested_create_only_change_replaces() {
    let last = pipe("arn:old", 10, "orders");
    let desired = pipe("arn:old", 10, "payments");
    let diff = diff(PIPE, &desired, &pipe_remote("arn:old"), Some(&last));
    assert_eq!(diff.action(), DiffAction::Replace);
    assert_eq!(
        diff.replacement[0].path,
        "/SourceParameters/SelfManagedKafkaParameters/TopicName"
    );
}

// Values

const SCHEDULING_POLICY: &str = "AWS::Batch::SchedulingPolicy";

fn scheduling_policy(shares: Value) -> Value {
    json!({"Name": "fair", "FairsharePolicy": {"ShareDecaySeconds": 3600, "ShareDistribution": shares}})
}

#[test]
fn numbers_compare_exactly_by_value() {
    let desired = scheduling_policy(json!([{"ShareIdentifier": "a", "WeightFactor": 0.5},
        {"ShareIdentifier": "b", "WeightFactor": 1}]));
    let remote = scheduling_policy(json!([{"ShareIdentifier": "b", "WeightFactor": 1.0},
        {"ShareIdentifier": "a", "WeightFactor": "0.5"}]));
    assert_no_change(&diff(SCHEDULING_POLICY, &desired, &remote, Some(&desired)));

    let huge = scheduling_policy(
        json!([{"ShareIdentifier": "a", "WeightFactor": 9_007_199_254_740_993_u64}]),
    );
    let rounded = scheduling_policy(
        json!([{"ShareIdentifier": "a", "WeightFactor": 9_007_199_254_740_992_u64}]),
    );
    let diff = diff(SCHEDULING_POLICY, &huge, &rounded, Some(&rounded));
    assert_eq!(diff.action(), DiffAction::Update);
    let document = diff.patch_document().to_string();
    assert!(document.contains("9007199254740993"), "{document}");
}

#[test]
fn fractional_weights_sent_unchanged() {
    let desired = scheduling_policy(json!([{"ShareIdentifier": "a", "WeightFactor": 0.5},
        {"ShareIdentifier": "b", "WeightFactor": 0.25}]));
    let remote = scheduling_policy(json!([{"ShareIdentifier": "a", "WeightFactor": 0.5},
        {"ShareIdentifier": "b", "WeightFactor": 1}]));

    let diff = diff(SCHEDULING_POLICY, &desired, &remote, Some(&remote));

    assert_eq!(
        diff.patch,
        vec![replace(
            "/FairsharePolicy/ShareDistribution",
            desired["FairsharePolicy"]["ShareDistribution"].clone()
        )]
    );
    let document = diff.patch_document().to_string();
    assert!(document.contains("\"WeightFactor\":0.5"), "{document}");
    assert!(document.contains("\"WeightFactor\":0.25"), "{document}");
    let large = json!(4_294_967_297_u64);
    let wide = scheduling_policy(json!([{"ShareIdentifier": "a", "WeightFactor": large}]));
    let narrow = scheduling_policy(json!([{"ShareIdentifier": "a", "WeightFactor": 1}]));
    assert_eq!(
        crate::diff(SCHEDULING_POLICY, &wide, &narrow, None).action(),
        DiffAction::Update
    );
}

#[test]
fn policy_document_reformatted_plans_nothing() {
    let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#;
    let desired = json!({"AssumeRolePolicyDocument": text, "RoleName": "r"});
    let remote = json!({"RoleName": "r", "Arn": "arn:r", "RoleId": "id",
        "AssumeRolePolicyDocument": {"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}], "Version": "2012-10-17"}});
    assert_no_change(&diff("AWS::IAM::Role", &desired, &remote, Some(&desired)));

    let denied =
        json!({"AssumeRolePolicyDocument": text.replace("Allow", "Deny"), "RoleName": "r"});
    let diff = diff("AWS::IAM::Role", &denied, &remote, Some(&desired));
    assert_eq!(
        diff.patch,
        vec![replace(
            "/AssumeRolePolicyDocument",
            denied["AssumeRolePolicyDocument"].clone()
        )]
    );
}

#[test]
fn removed_policy_key_is_change() {
    let desired = json!({"RoleName": "r", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}});
    let remote = json!({"RoleName": "r", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}});
    let diff = diff("AWS::IAM::Role", &desired, &remote, Some(&remote));
    assert_eq!(
        diff.patch,
        vec![replace(
            "/AssumeRolePolicyDocument",
            desired["AssumeRolePolicyDocument"].clone()
        )]
    );
    assert_eq!(apply(&remote, &diff), desired);
}

#[test]
fn never_set_value_is_never_removed() {
    let desired = json!({"CidrBlock": "10.0.0.0/16"});
    let remote = json!({"CidrBlock": "10.0.0.0/16", "EnableDnsHostnames": true});
    assert_no_change(&diff("AWS::EC2::VPC", &desired, &remote, Some(&desired)));
}

#[test]
fn removed_write_only_value_shown_not_sent() {
    let last = game_server_group(1, 2);
    let mut desired = last.clone();
    desired.as_object_mut().unwrap().remove("MaxSize");
    let remote = json!({"GameServerGroupName": "g", "RoleArn": "arn:aws:iam::1:role/r",
        "InstanceDefinitions": [{"InstanceType": "c5.large"}]});

    let diff = diff(GAME_SERVER_GROUP, &desired, &remote, Some(&last));

    assert_eq!(diff.action(), DiffAction::NoChange);
    assert!(diff.patch.is_empty());
    assert_eq!(diff.changes.len(), 1);
    assert_eq!(diff.changes[0].effect, ChangeEffect::NotSent);
}
