use serde_json::json;

use super::{sample_model, sample_property};
use crate::Registry;
use crate::Segment;

#[test]
fn required_properties_only() {
    let schema = Registry::bundled().get("AWS::EC2::Subnet").unwrap();
    let sample = sample_model(&schema);
    assert_eq!(sample, json!({ "VpcId": "sample" }));
}

#[test]
fn pattern_and_length_respected() {
    let string = super::string::sample_string(&json!({
        "pattern": "^arn:aws[a-z-]*:iam::\\d{12}:role/.+$",
        "minLength": 40,
    }));
    let pattern = regex::Regex::new(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$").unwrap();
    assert!(pattern.is_match(&string), "{string}");
    assert!(string.chars().count() >= 40, "{string}");
    assert!(string.chars().count() < 50, "{string}");
}

#[test]
fn lookahead_length_satisfied() {
    let string = super::string::sample_string(&json!({
        "pattern": "(?=^.{2,256}$)(?!.*\\s)[0-9a-zA-Z-_.:=+@]*$",
    }));
    assert!(string.chars().count() >= 2, "{string}");
    assert!(!string.contains(' '), "{string}");
}

#[test]
fn bounds_and_enums_respected() {
    let schema = Registry::bundled().get("AWS::SQS::Queue").unwrap();
    let generator = super::Generator { schema: &schema };
    let delay = generator.value(
        &json!({ "type": "integer", "minimum": 60, "maximum": 900 }),
        0,
    );
    assert_eq!(delay, json!(60));
    let capped = generator.value(&json!({ "type": "integer", "maximum": 0 }), 0);
    assert_eq!(capped, json!(0));
    let tenancy = generator.value(
        &json!({ "type": "string", "enum": ["dedicated", "host"] }),
        0,
    );
    assert_eq!(tenancy, json!("dedicated"));
    let list = generator.value(
        &json!({ "type": "array", "minItems": 2, "uniqueItems": true,
        "items": { "type": "string" } }),
        0,
    );
    assert_eq!(list, json!(["sample", "sample1"]));
}

#[test]
fn nested_required_objects_filled() {
    let schema = Registry::bundled().get("AWS::S3::Bucket").unwrap();
    let generator = super::Generator { schema: &schema };
    let rule = generator.value(&json!({ "$ref": "#/definitions/Rule" }), 0);
    assert_eq!(rule["Status"], json!("Enabled"));
    assert!(
        schema
            .validate(&json!({ "LifecycleConfiguration": { "Rules": [rule] } }))
            .is_empty()
    );
}

#[test]
fn property_sample_follows_its_schema() {
    let schema = Registry::bundled().get("AWS::Logs::LogGroup").unwrap();

    let retention = sample_property(&schema, &[Segment::key("RetentionInDays")]);
    let missing = sample_property(&schema, &[Segment::key("NoSuchProperty")]);

    let retention = retention.expect("a value");
    assert!(retention.is_i64(), "{retention}");
    assert!(
        schema
            .validate(&json!({"RetentionInDays": retention}))
            .is_empty()
    );
    assert_eq!(missing, None);
}

#[test]
fn strings_are_non_empty_where_allowed() {
    let open = super::string::sample_string(&json!({"pattern": "^[\\s\\S]*$", "minLength": 0}));
    let closed = super::string::sample_string(&json!({"maxLength": 0}));

    assert!(!open.is_empty());
    assert_eq!(closed, "");
}
