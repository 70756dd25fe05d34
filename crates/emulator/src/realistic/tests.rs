use canopy_schema::Registry;
use serde_json::json;

use super::*;

fn schema(type_name: &str) -> std::sync::Arc<ResourceSchema> {
    Registry::bundled().get(type_name).expect("bundled type")
}

#[test]
fn absent_properties_get_schema_defaults() {
    let schema = schema("AWS::Logs::LogGroup");

    let read = present(&schema, json!({"LogGroupName": "app"}));

    assert_eq!(read["LogGroupClass"], "STANDARD");
    assert_eq!(read["DeletionProtectionEnabled"], false);
    assert_eq!(read["LogGroupName"], "app");
}

#[test]
fn given_values_win_over_defaults() {
    let schema = schema("AWS::Logs::LogGroup");

    let read = present(&schema, json!({"LogGroupClass": "INFREQUENT_ACCESS"}));

    assert_eq!(read["LogGroupClass"], "INFREQUENT_ACCESS");
}

#[test]
fn absent_booleans_read_as_false() {
    let schema = schema("AWS::SQS::Queue");

    let read = present(&schema, json!({"QueueName": "jobs"}));

    assert_eq!(read["FifoQueue"], false);
    assert_eq!(read["ContentBasedDeduplication"], false);
}

#[test]
fn unordered_arrays_are_reversed() {
    let schema = schema("AWS::IAM::Role");
    let arns = ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B"];

    let read = present(
        &schema,
        json!({"AssumeRolePolicyDocument": {}, "ManagedPolicyArns": arns}),
    );

    assert_eq!(read["ManagedPolicyArns"], json!([arns[1], arns[0]]));
}

#[test]
fn ordered_arrays_keep_their_order() {
    let schema = schema("AWS::CloudWatch::Alarm");
    let actions = json!(["arn:aws:sns:us-east-1:1:a", "arn:aws:sns:us-east-1:1:b"]);

    let read = present(&schema, json!({"AlarmActions": actions.clone()}));

    assert!(!schema.is_unordered_array(&[Segment::key("AlarmActions")]));
    assert_eq!(read["AlarmActions"], actions);
}

#[test]
fn json_strings_are_rewritten() {
    let schema = schema("AWS::StepFunctions::StateMachine");
    let definition = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#;

    let read = present(
        &schema,
        json!({"RoleArn": "arn:aws:iam::1:role/r", "DefinitionString": definition}),
    );

    let text = read["DefinitionString"].as_str().expect("still a string");
    assert_ne!(text, definition);
    assert!(text.contains('\n'), "{text}");
    assert!(text.find("States") < text.find("StartAt"), "{text}");
    let parsed: Value = serde_json::from_str(text).unwrap();
    assert_eq!(parsed, serde_json::from_str::<Value>(definition).unwrap());
}

#[test]
fn policy_string_reads_as_object() {
    let schema = schema("AWS::IAM::Role");
    let policy = r#"{"Version":"2012-10-17","Statement":[]}"#;

    let read = present(&schema, json!({"AssumeRolePolicyDocument": policy}));

    let document = read["AssumeRolePolicyDocument"]
        .as_object()
        .expect("an object");
    let keys: Vec<&str> = document.keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["Statement", "Version"]);
}

#[test]
fn plain_strings_stay_unchanged() {
    let schema = schema("AWS::StepFunctions::StateMachine");

    let read = present(&schema, json!({"StateMachineName": "{not json"}));

    assert_eq!(read["StateMachineName"], "{not json");
}

#[test]
fn empty_arrays_are_dropped() {
    let schema = schema("AWS::CloudWatch::Alarm");

    let read = present(&schema, json!({"AlarmActions": [], "Dimensions": []}));

    assert!(read.get("AlarmActions").is_none());
    assert!(read.get("Dimensions").is_none());
}

#[test]
fn number_properties_use_float_spelling() {
    let schema = schema("AWS::CloudWatch::Alarm");

    let read = present(&schema, json!({"Threshold": 1, "EvaluationPeriods": 3}));

    assert!(read.to_string().contains("\"Threshold\":1.0"), "{read}");
    assert!(read["Threshold"].is_f64());
    assert!(read["EvaluationPeriods"].is_u64());
    assert_eq!(read["EvaluationPeriods"], 3);
}

#[test]
fn large_integers_stay_exact() {
    let schema = schema("AWS::CloudWatch::Alarm");
    let large = (1u64 << 53) + 1;

    let read = present(&schema, json!({"Threshold": large}));

    assert_eq!(read["Threshold"].as_u64(), Some(large));
}

#[test]
fn reads_repeat_exactly() {
    let schema = schema("AWS::IAM::Role");
    let model = json!({
        "AssumeRolePolicyDocument": "{\"b\":1,\"a\":2}",
        "ManagedPolicyArns": ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B"]
    });

    let first = present(&schema, model.clone());
    let second = present(&schema, model);

    assert_eq!(first.to_string(), second.to_string());
}

#[test]
fn replace_of_server_default_becomes_add() {
    let schema = schema("AWS::Logs::LogGroup");
    let stored = json!({"LogGroupName": "app"});
    let patch: Vec<PatchOperation> = serde_json::from_value(json!([
        {"op": "replace", "path": "/LogGroupClass", "value": "INFREQUENT_ACCESS"},
        {"op": "remove", "path": "/DeletionProtectionEnabled"},
        {"op": "replace", "path": "/LogGroupName", "value": "other"}
    ]))
    .unwrap();

    let adapted = adapt_patch(&schema, &stored, patch);

    let adapted = serde_json::to_value(&adapted).unwrap();
    assert_eq!(
        adapted,
        json!([
            {"op": "add", "path": "/LogGroupClass", "value": "INFREQUENT_ACCESS"},
            {"op": "replace", "path": "/LogGroupName", "value": "other"}
        ])
    );
}
