use std::sync::Arc;

use canopy_schema::{Registry, ResourceSchema, parse_pointer};
use serde_json::{Value, json};

use super::*;

fn schema(type_name: &str) -> Arc<ResourceSchema> {
    Registry::bundled().get(type_name).unwrap()
}

fn equal(type_name: &str, pointer: &str, desired: Value, remote: Value) -> bool {
    values_equal(
        &schema(type_name),
        &parse_pointer(pointer).unwrap(),
        &desired,
        &remote,
    )
}

fn equal_to_absent(type_name: &str, pointer: &str, desired: Value) -> bool {
    values_equal_or_absent(
        &schema(type_name),
        &parse_pointer(pointer).unwrap(),
        &desired,
        None,
    )
}

const BATCH: &str = "AWS::Batch::SchedulingPolicy";
const WEIGHT: &str = "/FairsharePolicy/ShareDistribution/0/WeightFactor";

#[test]
fn numbers_compare_by_value() {
    assert!(equal(BATCH, WEIGHT, json!(0.5), json!(0.5)));
    assert!(!equal(BATCH, WEIGHT, json!(0.5), json!(1)));
    assert!(equal(BATCH, WEIGHT, json!(1), json!(1.0)));
    assert!(equal(BATCH, WEIGHT, json!(1.0), json!(1)));
    assert!(!equal(BATCH, WEIGHT, json!(1), json!(1.5)));
}

#[test]
fn large_integers_stay_exact() {
    let above = 9_007_199_254_740_993_u64; // 2^53 + 1, which f64 rounds to 2^53
    assert!(equal(BATCH, WEIGHT, json!(above), json!(above)));
    assert!(!equal(BATCH, WEIGHT, json!(above), json!(above - 1)));
    assert!(!equal(
        BATCH,
        WEIGHT,
        json!(above),
        json!(9_007_199_254_740_992.0)
    ));
    // An integer that does not fit 32 bits keeps its high bits.
    assert!(!equal(BATCH, WEIGHT, json!(4_294_967_297_u64), json!(1)));
    assert!(equal(BATCH, WEIGHT, json!(i64::MIN), json!(i64::MIN)));
    assert!(equal(BATCH, WEIGHT, json!(u64::MAX), json!(u64::MAX)));
    assert!(!equal(BATCH, WEIGHT, json!(u64::MAX), json!(-1)));
}

#[test]
fn numeric_string_equals_number_when_typed() {
    assert!(equal(BATCH, WEIGHT, json!(1), json!("1")));
    assert!(equal(BATCH, WEIGHT, json!("0.5"), json!(0.5)));
    assert!(!equal(BATCH, WEIGHT, json!(2), json!("1")));
    // ShareIdentifier is a string: "1" and 1 are different values there.
    assert!(!equal(
        BATCH,
        "/FairsharePolicy/ShareDistribution/0/ShareIdentifier",
        json!("1"),
        json!(1)
    ));
}

#[test]
fn policy_string_equals_reformatted_object() {
    let role = "AWS::IAM::Role";
    let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let object = json!({"Statement": [{"Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}, "Effect": "Allow"}], "Version": "2012-10-17"});
    let pretty = serde_json::to_string_pretty(&object).unwrap();
    assert!(equal(
        role,
        "/AssumeRolePolicyDocument",
        json!(text),
        object.clone()
    ));
    assert!(equal(
        role,
        "/AssumeRolePolicyDocument",
        object.clone(),
        json!(text)
    ));
    assert!(equal(
        role,
        "/AssumeRolePolicyDocument",
        json!(text),
        json!(pretty)
    ));

    let denied = text.replace("Allow", "Deny");
    assert!(!equal(
        role,
        "/AssumeRolePolicyDocument",
        json!(denied),
        object
    ));
}

#[test]
fn policy_key_only_remote_has_differs() {
    // A policy document belongs to the user whole: a condition the user deleted is a change.
    let desired = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]});
    let remote = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]});
    assert!(!equal(
        "AWS::IAM::Role",
        "/AssumeRolePolicyDocument",
        desired.clone(),
        remote.clone()
    ));
    assert!(!equal(
        "AWS::IAM::Role",
        "/AssumeRolePolicyDocument",
        desired.clone(),
        json!(remote.to_string())
    ));
}

#[test]
fn empty_values_equal_absent() {
    let clean_rooms = "AWS::CleanRooms::Collaboration";
    assert!(equal_to_absent(
        clean_rooms,
        "/CreatorMemberAbilities",
        json!([])
    ));
    assert!(equal_to_absent(
        "AWS::Lambda::Function",
        "/VpcConfig",
        json!({})
    ));
    assert!(equal_to_absent(
        "AWS::Lambda::Function",
        "/VpcConfig",
        json!({"SubnetIds": []})
    ));
    assert!(!equal_to_absent(
        clean_rooms,
        "/CreatorMemberAbilities",
        json!(["CAN_QUERY"])
    ));
    assert!(!equal_to_absent(
        "AWS::Lambda::Function",
        "/Timeout",
        json!(0)
    ));
}

#[test]
fn keys_only_remote_sets_are_ignored() {
    let desired = json!({"CidrBlock": "10.0.0.0/16"});
    let remote =
        json!({"CidrBlock": "10.0.0.0/16", "EnableDnsSupport": true, "InstanceTenancy": "default"});
    assert!(equal("AWS::EC2::VPC", "", desired, remote));
}

#[test]
fn read_only_and_write_only_paths_are_skipped() {
    let desired = json!({"CidrBlock": "10.0.0.0/16", "VpcId": "vpc-1", "Ipv4NetmaskLength": 16});
    let remote = json!({"CidrBlock": "10.0.0.0/16", "VpcId": "vpc-2"});
    assert!(equal("AWS::EC2::VPC", "", desired, remote));
}

#[test]
fn unordered_arrays_compare_as_multisets() {
    let tags = "/AllowedAccessControlTags";
    let profile = "AWS::Connect::SecurityProfile";
    let desired =
        json!([{"Key": "a", "Value": "1"}, {"Key": "c", "Value": "3"}, {"Key": "d", "Value": "4"}]);
    let reordered =
        json!([{"Key": "a", "Value": "1"}, {"Key": "d", "Value": "4"}, {"Key": "c", "Value": "3"}]);
    assert!(equal(profile, tags, desired.clone(), reordered));

    let duplicated =
        json!([{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "1"}, {"Key": "d", "Value": "4"}]);
    assert!(!equal(profile, tags, desired.clone(), duplicated));
    let shorter = json!([{"Key": "a", "Value": "1"}, {"Key": "c", "Value": "3"}]);
    assert!(!equal(profile, tags, desired, shorter));
}

#[test]
fn multiset_finds_matching_greedy_would_miss() {
    // The first desired element matches both remote ones, and a greedy match would pair it
    // with the first; only the other pairing works.
    let tags = "/AllowedAccessControlTags";
    let profile = "AWS::Connect::SecurityProfile";
    let remote = json!([{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]);
    let desired = json!([{"Key": "a"}, {"Key": "a", "Value": "1"}]);
    assert!(equal(profile, tags, desired, remote.clone()));
    let desired = json!([{"Key": "a"}, {"Key": "a", "Value": "3"}]);
    assert!(!equal(profile, tags, desired, remote));
}

#[test]
fn ordered_arrays_compare_by_index() {
    let lambda = "AWS::Lambda::Function";
    assert!(equal(
        lambda,
        "/Layers",
        json!(["a", "b"]),
        json!(["a", "b"])
    ));
    assert!(!equal(
        lambda,
        "/Layers",
        json!(["a", "b"]),
        json!(["b", "a"])
    ));
    assert!(!equal(lambda, "/Layers", json!(["a"]), json!(["a", "b"])));
}

#[test]
fn float_integer_edges() {
    assert!(float_equals_integer(-3.0, -3));
    assert!(!float_equals_integer(f64::NAN, 0));
    assert!(!float_equals_integer(f64::INFINITY, i128::MAX));
    assert!(!float_equals_integer(1e39, i128::MAX));
}
