//! Values that AWS fills in on create: read-only properties and missing names.
//!
//! Read-only properties listed in the schema get plausible values that follow the
//! property's schema type: EC2-style ids (`vpc-0a1b...`) for `*Id` names, ARNs
//! (`arn:aws:<service>:<region>:<account>:...`) for `*Arn` names, and a value of the
//! right JSON type otherwise. A primary identifier part that is not read-only and was
//! not given gets a generated name, as AWS does for an S3 bucket without `BucketName`.
//! Values come from the emulator's seeded RNG, so a run repeats exactly.

use canopy_schema::{PropertyPath, ResourceSchema, Segment, parse_pointer};
use rand::{Rng, rngs::StdRng};
use serde_json::{Map, Value, json};

/// The account and region a resource is created in.
pub(crate) struct Placement<'a> {
    pub account: &'a str,
    pub region: &'a str,
}

/// EC2 resource id prefixes for read-only id properties, by property name.
const ID_PREFIXES: &[(&str, &str)] = &[
    ("VpcId", "vpc"),
    ("SubnetId", "subnet"),
    ("GroupId", "sg"),
    ("DefaultSecurityGroup", "sg"),
    ("DefaultNetworkAcl", "acl"),
    ("NetworkAclId", "acl"),
    ("InternetGatewayId", "igw"),
    ("EgressOnlyInternetGatewayId", "eigw"),
    ("RouteTableId", "rtb"),
    ("NatGatewayId", "nat"),
    ("InstanceId", "i"),
    ("AllocationId", "eipalloc"),
    ("AssociationId", "eipassoc"),
    ("VolumeId", "vol"),
    ("ImageId", "ami"),
    ("KeyPairId", "key"),
    ("LaunchTemplateId", "lt"),
    ("TransitGatewayId", "tgw"),
    ("NetworkInterfaceId", "eni"),
    ("VpcEndpointId", "vpce"),
    ("DhcpOptionsId", "dopt"),
    ("PrefixListId", "pl"),
    ("VpcPeeringConnectionId", "pcx"),
];

/// IAM unique id prefixes, by property name.
const IAM_ID_PREFIXES: &[(&str, &str)] = &[
    ("RoleId", "AROA"),
    ("UserId", "AIDA"),
    ("GroupId", "AGPA"),
    ("InstanceProfileId", "AIPA"),
    ("PolicyId", "ANPA"),
];

/// Adds read-only values and missing identifier names to a desired state.
pub(crate) fn complete_model(
    schema: &ResourceSchema,
    desired: &Value,
    placement: &Placement<'_>,
    rng: &mut StdRng,
) -> Value {
    let mut model = desired.clone();

    // Names first, so that ARNs and domain names generated below can contain them.
    for path in &schema.primary_identifier {
        let Some(segments) = key_segments(path) else {
            continue;
        };
        if schema.is_read_only(&segments) || lookup(&model, &segments).is_some() {
            continue;
        }
        let name = identifier_value(schema, &model, &segments, rng);
        insert_at(&mut model, &segments, name);
    }

    // Shorter paths first, so an object exists before its read-only children are set.
    let mut read_only: Vec<Vec<Segment>> =
        schema.read_only.iter().filter_map(key_segments).collect();
    read_only.sort_by_key(Vec::len);

    for segments in read_only {
        if lookup(&model, &segments).is_some() {
            continue;
        }
        // A nested read-only value exists only inside an object the caller set, since
        // services do not create the enclosing configuration on their own.
        let parent = &segments[..segments.len().saturating_sub(1)];
        if !parent.is_empty() && lookup(&model, parent).is_none() {
            continue;
        }
        let value = generated_value(schema, &segments, &model, placement, rng);
        insert_at(&mut model, &segments, value);
    }
    model
}

/// Turns a metadata path into model segments.
///
/// NOTE: paths through arrays (`/properties/Tags/*/Key`) give `None` and are not
/// generated, because no array element exists yet to hold them.
fn key_segments(path: &PropertyPath) -> Option<Vec<Segment>> {
    let pointer = path.to_string();
    if pointer.split('/').any(|part| part == "*") {
        return None;
    }
    let segments = parse_pointer(&pointer).ok()?;
    // A property named with digits only would parse as an index; keep it a key.
    let keys = segments
        .into_iter()
        .map(|segment| match segment {
            Segment::Index(index) => Segment::Key(index.to_string()),
            key => key,
        })
        .collect();
    Some(keys)
}

fn lookup<'a>(model: &'a Value, segments: &[Segment]) -> Option<&'a Value> {
    segments
        .iter()
        .try_fold(model, |value, segment| match segment {
            Segment::Key(key) => value.get(key),
            Segment::Index(index) => value.get(index),
        })
}

/// Sets a value at a path of object keys, creating missing objects on the way.
fn insert_at(model: &mut Value, segments: &[Segment], value: Value) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut current = model;
    for segment in parents {
        let Segment::Key(key) = segment else { return };
        let Value::Object(object) = current else {
            return;
        };
        current = object
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if let (Value::Object(object), Segment::Key(key)) = (current, last) {
        object.insert(key.clone(), value);
    }
}

/// Picks a value for an identifier part the caller left out: a generated name when the
/// property's schema accepts one, else a lower-case random string, else the schema's
/// own sample (an enumerated value, or a string built from the pattern).
fn identifier_value(
    schema: &ResourceSchema,
    model: &Value,
    segments: &[Segment],
    rng: &mut StdRng,
) -> Value {
    let mut candidates = vec![
        json!(generated_name(&schema.type_name, rng)),
        json!(random_chars(rng, 12, LOWER)),
    ];
    if let Some(sample) = canopy_schema::sample_property(schema, segments) {
        candidates.push(sample);
    }
    let pointer = canopy_schema::format_pointer(segments);
    let fits = |candidate: &Value| {
        let mut trial = model.clone();
        insert_at(&mut trial, segments, candidate.clone());
        !schema
            .validate(&trial)
            .iter()
            .any(|issue| issue.path == pointer || issue.path.starts_with(&format!("{pointer}/")))
    };
    let fallback = candidates[0].clone();
    candidates.into_iter().find(fits).unwrap_or(fallback)
}

/// Generates a name like the ones CloudFormation generates: the type's last part and a random
/// suffix, in lower case so that it also satisfies S3 bucket naming rules.
fn generated_name(type_name: &str, rng: &mut StdRng) -> String {
    let kind = type_name.rsplit("::").next().unwrap_or("resource");
    format!(
        "canopy-{}-{}",
        kind.to_ascii_lowercase(),
        random_chars(rng, 12, LOWER)
    )
}

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const HEX: &[u8] = b"0123456789abcdef";

fn random_chars(rng: &mut StdRng, count: usize, alphabet: &[u8]) -> String {
    (0..count)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

fn generated_value(
    schema: &ResourceSchema,
    segments: &[Segment],
    model: &Value,
    placement: &Placement<'_>,
    rng: &mut StdRng,
) -> Value {
    let name = match segments.last() {
        Some(Segment::Key(key)) => key.as_str(),
        _ => "",
    };
    let property = schema.property(segments);
    let json_type = property
        .and_then(|p| p.get("type"))
        .map(|t| match t {
            Value::Array(types) => types.first().and_then(Value::as_str).unwrap_or("string"),
            other => other.as_str().unwrap_or("string"),
        })
        .unwrap_or(if property.is_some_and(|p| p.get("properties").is_some()) {
            "object"
        } else {
            "string"
        });

    match json_type {
        "integer" | "number" => json!(1),
        "boolean" => json!(false),
        "array" => json!([]),
        "object" => generated_object(schema, segments, model, placement, rng),
        _ => json!(generated_string(schema, name, model, placement, rng)),
    }
}

/// Builds an object with generated values for its string-typed children, one level deep.
fn generated_object(
    schema: &ResourceSchema,
    segments: &[Segment],
    model: &Value,
    placement: &Placement<'_>,
    rng: &mut StdRng,
) -> Value {
    let mut object = Map::new();
    let children = schema
        .property(segments)
        .and_then(|p| p.get("properties"))
        .and_then(Value::as_object);
    for (child, child_schema) in children.into_iter().flatten() {
        let child_schema = schema.resolve(child_schema).unwrap_or(child_schema);
        if child_schema.get("type").and_then(Value::as_str) == Some("string") {
            let value = generated_string(schema, child, model, placement, rng);
            object.insert(child.clone(), json!(value));
        }
    }
    Value::Object(object)
}

fn generated_string(
    schema: &ResourceSchema,
    name: &str,
    model: &Value,
    placement: &Placement<'_>,
    rng: &mut StdRng,
) -> String {
    let (service, resource) = service_and_resource(&schema.type_name);
    let service = service.as_str();
    let identifier = schema
        .identifier_of(model)
        .unwrap_or_else(|| random_chars(rng, 12, LOWER));

    if name.ends_with("Arn") {
        return arn(service, &resource, &identifier, placement);
    }
    let iam_prefix = IAM_ID_PREFIXES.iter().find(|(n, _)| *n == name);
    if let Some((_, prefix)) = iam_prefix.filter(|_| service == "iam") {
        return format!("{prefix}{}", random_chars(rng, 17, UPPER));
    }
    if let Some((_, prefix)) = ID_PREFIXES.iter().find(|(n, _)| *n == name) {
        return format!("{prefix}-0{}", random_chars(rng, 16, HEX));
    }
    if name.ends_with("DomainName") {
        return format!("{identifier}.{service}.{}.amazonaws.com", placement.region);
    }
    if name.ends_with("URL") || name.ends_with("Url") {
        return format!(
            "https://{identifier}.{service}.{}.amazonaws.com",
            placement.region
        );
    }
    if name.ends_with("Id") && service == "ec2" {
        // A bare `Id` (AWS::EC2::SecurityGroup) takes its prefix from the type.
        let prefix = match name.trim_end_matches("Id") {
            "" if resource == "securitygroup" => "sg".to_string(),
            "" => resource.clone(),
            stem => stem.to_ascii_lowercase(),
        };
        return format!("{prefix}-0{}", random_chars(rng, 16, HEX));
    }
    if name.ends_with("Id") {
        return random_chars(rng, 20, LOWER);
    }
    random_chars(rng, 12, LOWER)
}

/// Splits `AWS::EC2::VPC` into the ARN service (`ec2`) and resource word (`vpc`).
fn service_and_resource(type_name: &str) -> (String, String) {
    let mut parts = type_name.split("::").skip(1);
    let service = parts.next().unwrap_or("aws").to_ascii_lowercase();
    let resource = parts.next().unwrap_or("resource").to_ascii_lowercase();
    (service, resource)
}

fn arn(service: &str, resource: &str, identifier: &str, placement: &Placement<'_>) -> String {
    let account = placement.account;
    match service {
        // S3 bucket ARNs carry neither region nor account.
        "s3" => format!("arn:aws:s3:::{identifier}"),
        // IAM is global: no region in its ARNs.
        "iam" => format!("arn:aws:iam::{account}:{resource}/{identifier}"),
        _ => format!(
            "arn:aws:{service}:{}:{account}:{resource}/{identifier}",
            placement.region
        ),
    }
}

#[cfg(test)]
mod tests {
    use canopy_schema::Registry;
    use rand::SeedableRng;

    use super::*;

    fn placement() -> Placement<'static> {
        Placement {
            account: "123456789012",
            region: "us-east-1",
        }
    }

    #[test]
    fn vpc_gets_vpc_id_and_keeps_input() {
        let schema = Registry::bundled().get("AWS::EC2::VPC").unwrap();
        let mut rng = StdRng::seed_from_u64(1);

        let model = complete_model(
            &schema,
            &json!({"CidrBlock": "10.0.0.0/16"}),
            &placement(),
            &mut rng,
        );

        let vpc_id = model["VpcId"].as_str().expect("VpcId generated");
        assert!(vpc_id.starts_with("vpc-0"), "{vpc_id}");
        assert_eq!(vpc_id.len(), 21);
        assert_eq!(model["CidrBlock"], "10.0.0.0/16");
        assert_eq!(schema.identifier_of(&model).as_deref(), Some(vpc_id));
    }

    #[test]
    fn bucket_without_name_gets_one() {
        let schema = Registry::bundled().get("AWS::S3::Bucket").unwrap();
        let mut rng = StdRng::seed_from_u64(1);

        let model = complete_model(&schema, &json!({}), &placement(), &mut rng);

        let name = model["BucketName"].as_str().expect("name generated");
        assert!(name.starts_with("canopy-bucket-"), "{name}");
        assert_eq!(model["Arn"], format!("arn:aws:s3:::{name}"));
    }

    #[test]
    fn nested_read_only_needs_its_parent() {
        let schema = Registry::bundled()
            .get("AWS::CustomerProfiles::Domain")
            .unwrap();
        let mut rng = StdRng::seed_from_u64(1);

        let without = complete_model(&schema, &json!({"DomainName": "d"}), &placement(), &mut rng);
        let with = complete_model(
            &schema,
            &json!({"DomainName": "d", "RuleBasedMatching": {"Enabled": true}}),
            &placement(),
            &mut rng,
        );

        assert!(without.get("RuleBasedMatching").is_none(), "{without}");
        assert!(with["RuleBasedMatching"].get("Status").is_some(), "{with}");
    }

    #[test]
    fn generated_identifier_follows_enum() {
        let schema = Registry::bundled()
            .get("AWS::ApplicationAutoScaling::ScalingPolicy")
            .unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        let segments = [Segment::key("ScalableDimension")];

        let value = identifier_value(&schema, &json!({}), &segments, &mut rng);

        let allowed = schema.property(&segments).unwrap()["enum"]
            .as_array()
            .unwrap();
        assert!(allowed.contains(&value), "{value}");
    }

    #[test]
    fn iam_role_gets_global_arn_and_role_id() {
        let schema = Registry::bundled().get("AWS::IAM::Role").unwrap();
        let mut rng = StdRng::seed_from_u64(1);
        let desired = json!({"RoleName": "deployer", "AssumeRolePolicyDocument": {}});

        let model = complete_model(&schema, &desired, &placement(), &mut rng);

        assert_eq!(model["Arn"], "arn:aws:iam::123456789012:role/deployer");
        assert!(model["RoleId"].as_str().unwrap().starts_with("AROA"));
    }
}
