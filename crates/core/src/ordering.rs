//! Which arrays are compared as multisets.
//!
//! A schema marks an array whose order carries no meaning with `insertionOrder: false`;
//! the registry's default is ordered. Many schemas leave the keyword out on arrays that
//! AWS returns sorted its own way, so a plan built on the schema alone would show a change
//! on every read. Two kinds of array are treated as unordered whatever the schema declares:
//! the tag array the schema's `tagging.tagProperty` names (tags are a set of keys), and
//! the arrays listed in [`KNOWN_UNORDERED`], each with the reason.

use canopy_schema::{ResourceSchema, Segment, format_pointer};
use serde_json::Value;

/// Arrays that AWS returns in its own order although the schema omits
/// `insertionOrder: false`: (type name, model path with `*` for any index, reason).
const KNOWN_UNORDERED: &[(&str, &str, &str)] = &[
    (
        "AWS::Lambda::Function",
        "/VpcConfig/SubnetIds",
        "Lambda stores the subnets of a VPC configuration as a set",
    ),
    (
        "AWS::Lambda::Function",
        "/VpcConfig/SecurityGroupIds",
        "Lambda stores the security groups of a VPC configuration as a set",
    ),
];

/// True when the array at `path` compares as a multiset.
pub(crate) fn is_unordered(schema: &ResourceSchema, path: &[Segment]) -> bool {
    schema.is_unordered_array(path) || is_tag_property(schema, path) || is_known(schema, path)
}

fn is_tag_property(schema: &ResourceSchema, path: &[Segment]) -> bool {
    let tag_property = schema
        .tagging
        .as_ref()
        .and_then(|tagging| tagging.get("tagProperty"))
        .and_then(Value::as_str);
    tag_property
        .and_then(|pointer| pointer.strip_prefix("/properties"))
        .is_some_and(|pointer| pointer == format_pointer(path))
}

fn is_known(schema: &ResourceSchema, path: &[Segment]) -> bool {
    let pattern = wildcard_pointer(path);
    KNOWN_UNORDERED
        .iter()
        .any(|(type_name, known, _)| *type_name == schema.type_name && *known == pattern)
}

/// Formats a model path with every index written as `*`.
fn wildcard_pointer(path: &[Segment]) -> String {
    path.iter()
        .map(|segment| match segment {
            Segment::Index(_) => "/*".to_string(),
            Segment::Key(_) => format_pointer(std::slice::from_ref(segment)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use canopy_schema::{Registry, parse_pointer};

    use super::*;

    #[test]
    fn tag_property_is_unordered_without_keyword() {
        let schema = Registry::bundled().get("AWS::CloudWatch::Alarm").unwrap();
        assert!(!schema.is_unordered_array(&parse_pointer("/Tags").unwrap()));
        assert!(is_unordered(&schema, &parse_pointer("/Tags").unwrap()));
        assert!(!is_unordered(&schema, &parse_pointer("/Metrics").unwrap()));
    }

    #[test]
    fn known_lambda_subnets_are_unordered() {
        let schema = Registry::bundled().get("AWS::Lambda::Function").unwrap();
        assert!(is_unordered(
            &schema,
            &parse_pointer("/VpcConfig/SubnetIds").unwrap()
        ));
        assert!(!is_unordered(&schema, &parse_pointer("/Layers").unwrap()));
    }
}
