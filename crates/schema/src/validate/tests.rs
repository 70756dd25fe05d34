use serde_json::{Value, json};

use crate::{Registry, ValidationIssue};

fn validate(type_name: &str, model: Value) -> Vec<ValidationIssue> {
    Registry::bundled().get(type_name).unwrap().validate(&model)
}

fn only_issue(type_name: &str, model: Value) -> ValidationIssue {
    let issues = validate(type_name, model);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    issues.into_iter().next().unwrap()
}

#[test]
fn required_names_property() {
    let issue = only_issue("AWS::EC2::Subnet", json!({}));
    assert_eq!(issue.path, "");
    assert_eq!(issue.message, "missing required property VpcId");
}

#[test]
fn nested_required_names_parent() {
    let model = json!({ "LifecycleConfiguration": { "Rules": [{ "Id": "r1" }] } });
    let issue = only_issue("AWS::S3::Bucket", model);
    assert_eq!(issue.path, "/LifecycleConfiguration/Rules/0");
    assert_eq!(
        issue.message,
        "missing required property Status in LifecycleConfiguration/Rules/0"
    );
}

#[test]
fn type_error_names_path() {
    let issue = only_issue("AWS::EC2::Subnet", json!({ "VpcId": 5 }));
    assert_eq!(issue.path, "/VpcId");
    assert_eq!(issue.message, "VpcId must be a string, got number 5");
}

#[test]
fn multiple_types_listed() {
    let issue = only_issue("AWS::SQS::Queue", json!({ "RedrivePolicy": true }));
    assert_eq!(
        issue.message,
        "RedrivePolicy must be an object or a string, got boolean true"
    );
}

#[test]
fn enum_lists_allowed_values() {
    let issue = only_issue("AWS::EC2::VPC", json!({ "InstanceTenancy": "shared" }));
    assert_eq!(issue.path, "/InstanceTenancy");
    assert_eq!(
        issue.message,
        r#"InstanceTenancy must be one of "dedicated", "default", "host", got "shared""#
    );
}

#[test]
fn long_enum_is_cut() {
    let issue = only_issue("AWS::Logs::LogGroup", json!({ "RetentionInDays": 2 }));
    assert!(
        issue
            .message
            .starts_with("RetentionInDays must be one of 1, 3, 5,")
    );
    assert!(
        issue.message.contains("and 10 more, got 2"),
        "{}",
        issue.message
    );
}

#[test]
fn pattern_shows_published_pattern() {
    let issue = only_issue("AWS::Logs::LogGroup", json!({ "LogGroupName": "bad name" }));
    assert_eq!(issue.path, "/LogGroupName");
    assert_eq!(
        issue.message,
        r#"LogGroupName must match the pattern ^[.\-_/#A-Za-z0-9]{1,512}\Z, got "bad name""#
    );
}

#[test]
fn length_limits_count_characters() {
    let issues = validate("AWS::Logs::LogGroup", json!({ "LogGroupName": "" }));
    let messages: Vec<&str> = issues.iter().map(|issue| issue.message.as_str()).collect();
    assert!(
        messages.contains(&r#"LogGroupName must be at least 1 character long, got 0: """#),
        "{messages:#?}"
    );
}

#[test]
fn number_limits() {
    let high = only_issue("AWS::SQS::Queue", json!({ "DelaySeconds": 901 }));
    assert_eq!(high.message, "DelaySeconds must be at most 900, got 901");

    let low = only_issue("AWS::SQS::Queue", json!({ "MessageRetentionPeriod": 59 }));
    assert_eq!(
        low.message,
        "MessageRetentionPeriod must be at least 60, got 59"
    );
}

#[test]
fn unknown_property_names_type() {
    let issue = only_issue("AWS::S3::Bucket", json!({ "Foo": 1 }));
    assert_eq!(issue.path, "/Foo");
    assert_eq!(
        issue.message,
        "unknown property Foo; the schema of AWS::S3::Bucket has no such property"
    );
}

#[test]
fn unknown_property_suggests_case() {
    let issue = only_issue("AWS::S3::Bucket", json!({ "bucketName": "b" }));
    assert_eq!(
        issue.message,
        "unknown property bucketName; the schema of AWS::S3::Bucket has no such property \
         (did you mean BucketName?)"
    );
}

#[test]
fn nested_unknown_property() {
    let model = json!({ "VersioningConfiguration": { "Status": "Enabled", "Mode": 1 } });
    let issue = only_issue("AWS::S3::Bucket", model);
    assert_eq!(issue.path, "/VersioningConfiguration/Mode");
    assert!(
        issue
            .message
            .starts_with("unknown property Mode in VersioningConfiguration;"),
        "{}",
        issue.message
    );
}

#[test]
fn long_values_are_cut() {
    let name = "x".repeat(5000);
    let issue = only_issue("AWS::EC2::Subnet", json!({ "VpcId": ["a", name] }));
    assert!(issue.message.len() < 150, "{}", issue.message);
    assert!(issue.message.ends_with("..."), "{}", issue.message);
}
