//! Schema metadata read from real bundled types.

use canopy_schema::{Operation, Registry, ReplacementStrategy, Segment, parse_pointer};
use serde_json::json;

fn path(pointer: &str) -> Vec<Segment> {
    parse_pointer(pointer).unwrap()
}

#[test]
fn bucket_identifier_and_write_only() {
    let schema = Registry::bundled().get("AWS::S3::Bucket").unwrap();
    assert_eq!(schema.primary_identifier_names(), vec!["BucketName"]);
    let write_only: Vec<String> = schema.write_only.iter().map(|p| p.to_string()).collect();
    assert!(write_only.contains(&"/LifecycleConfiguration/Rules/*/Transition".to_string()));
    assert!(schema.is_write_only(&path("/LifecycleConfiguration/Rules/3/Transition/Days")));
    assert!(!schema.is_write_only(&path("/LifecycleConfiguration/Rules/3/Id")));
    assert!(schema.has_write_only_below(&path("/LifecycleConfiguration/Rules/3")));
}

#[test]
fn glue_table_composite_identifier() {
    let schema = Registry::bundled().get("AWS::Glue::Table").unwrap();
    let model = json!({ "Name": "orders", "DatabaseName": "sales", "CatalogId": "123456789012" });
    assert_eq!(
        schema.identifier_of(&model).as_deref(),
        Some("123456789012|sales|orders")
    );

    let parts = schema
        .parse_identifier("123456789012|sales|orders")
        .unwrap();
    assert_eq!(parts["DatabaseName"], "sales");
    assert_eq!(parts["Name"], "orders");

    let object = r#"{"CatalogId":"1","DatabaseName":"sales","Name":"orders"}"#;
    assert_eq!(schema.parse_identifier(object).unwrap()["Name"], "orders");

    let error = schema
        .parse_identifier("sales|orders")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("<CatalogId>|<DatabaseName>|<Name>"),
        "{error}"
    );
    assert!(error.contains("got 2"), "{error}");
}

#[test]
fn nodegroup_list_requires_cluster() {
    let schema = Registry::bundled().get("AWS::EKS::Nodegroup").unwrap();
    let list = schema.handlers.get(Operation::List).unwrap();
    let handler_schema = list.handler_schema.as_ref().unwrap();
    assert_eq!(handler_schema["required"], json!(["ClusterName"]));
    let cluster = schema
        .resolve(&handler_schema["properties"]["ClusterName"])
        .unwrap();
    assert_eq!(cluster["type"], "string");
}

#[test]
fn vpc_conditional_create_only() {
    let schema = Registry::bundled().get("AWS::EC2::VPC").unwrap();
    assert!(schema.is_conditional_create_only(&path("/InstanceTenancy")));
    assert!(!schema.is_conditional_create_only(&path("/EnableDnsSupport")));
    assert!(schema.is_unordered_array(&path("/Tags")));
}

#[test]
fn replacement_strategy_read() {
    let registry = Registry::bundled();
    let runtime = registry.get("AWS::BedrockAgentCore::Runtime").unwrap();
    assert_eq!(
        runtime.replacement_strategy,
        ReplacementStrategy::CreateThenDelete
    );
    let bucket = registry.get("AWS::S3::Bucket").unwrap();
    assert_eq!(
        bucket.replacement_strategy,
        ReplacementStrategy::DeleteThenCreate
    );
}

#[test]
fn property_follows_refs_and_items() {
    let schema = Registry::bundled().get("AWS::S3::Bucket").unwrap();
    let days = schema
        .property(&path(
            "/LifecycleConfiguration/Rules/0/Transition/TransitionInDays",
        ))
        .unwrap();
    assert_eq!(days["type"], "integer");
    let rules = schema
        .property(&path("/LifecycleConfiguration/Rules"))
        .unwrap();
    assert_eq!(rules["type"], "array");
    assert!(
        schema
            .property(&path("/LifecycleConfiguration/Nope"))
            .is_none()
    );
}
