//! The emulated resources: one JSON model per account, region, type and primary
//! identifier.
//!
//! Stored models are complete, write-only properties included, because a later update
//! is validated against the whole model. Every read that leaves the emulator goes
//! through [`read_view`], which drops write-only properties as Cloud Control does.

use std::collections::BTreeMap;

use canopy_schema::{ResourceSchema, Segment};
use serde_json::Value;

/// The location and name of a resource: account, region, type and identifier.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ResourceKey {
    pub account: String,
    pub region: String,
    pub type_name: String,
    pub identifier: String,
}

/// All emulated resources, ordered by key so that listings are stable.
#[derive(Debug, Default)]
pub(crate) struct ResourceStore {
    resources: BTreeMap<ResourceKey, Value>,
}

impl ResourceStore {
    pub(crate) fn find(&self, key: &ResourceKey) -> Option<&Value> {
        self.resources.get(key)
    }

    pub(crate) fn find_mut(&mut self, key: &ResourceKey) -> Option<&mut Value> {
        self.resources.get_mut(key)
    }

    pub(crate) fn contains(&self, key: &ResourceKey) -> bool {
        self.resources.contains_key(key)
    }

    pub(crate) fn insert(&mut self, key: ResourceKey, model: Value) {
        self.resources.insert(key, model);
    }

    pub(crate) fn remove(&mut self, key: &ResourceKey) -> Option<Value> {
        self.resources.remove(key)
    }

    /// Lists one type's resources in an account and region, ordered by identifier.
    pub(crate) fn list<'a>(
        &'a self,
        account: &'a str,
        region: &'a str,
        type_name: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
        self.resources
            .iter()
            .filter(move |(key, _)| {
                key.account == account && key.region == region && key.type_name == type_name
            })
            .map(|(key, model)| (key.identifier.as_str(), model))
    }

    /// Finds an `AWS::IAM::Role` by name in any region of the account, since IAM is
    /// global while Cloud Control calls are regional.
    pub(crate) fn find_iam_role(&self, account: &str, role_name: &str) -> Option<&Value> {
        self.resources
            .iter()
            .find(|(key, model)| {
                key.account == account
                    && key.type_name == "AWS::IAM::Role"
                    && model.get("RoleName").and_then(Value::as_str) == Some(role_name)
            })
            .map(|(_, model)| model)
    }
}

/// Returns the model as Cloud Control reads it back: without write-only properties.
pub(crate) fn read_view(schema: &ResourceSchema, model: &Value) -> Value {
    let mut view = model.clone();
    strip(&mut view, &mut Vec::new(), &|path| {
        schema.is_write_only(path)
    });
    view
}

/// Returns the model without read-only properties: the part a caller can write.
pub(crate) fn writable_view(schema: &ResourceSchema, model: &Value) -> Value {
    let mut view = model.clone();
    strip(&mut view, &mut Vec::new(), &|path| {
        schema.is_read_only(path)
    });
    view
}

/// Removes every object member whose path satisfies `remove`, at any depth.
fn strip(value: &mut Value, path: &mut Vec<Segment>, remove: &dyn Fn(&[Segment]) -> bool) {
    match value {
        Value::Object(object) => {
            object.retain(|key, _| {
                path.push(Segment::Key(key.clone()));
                let keep = !remove(path);
                path.pop();
                keep
            });
            for (key, child) in object.iter_mut() {
                path.push(Segment::Key(key.clone()));
                strip(child, path, remove);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter_mut().enumerate() {
                path.push(Segment::Index(index));
                strip(child, path, remove);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use canopy_schema::Registry;
    use serde_json::json;

    use super::*;

    #[test]
    fn read_view_drops_write_only_properties() {
        let schema = Registry::bundled().get("AWS::S3::Bucket").unwrap();
        let model = json!({
            "BucketName": "b",
            "AccessControl": "Private",
            "Tags": [{"Key": "k", "Value": "v"}]
        });

        let view = read_view(&schema, &model);

        assert!(schema.is_write_only(&[Segment::key("AccessControl")]));
        assert!(view.get("AccessControl").is_none());
        assert_eq!(view["BucketName"], "b");
        assert_eq!(view["Tags"][0]["Key"], "k");
    }

    #[test]
    fn list_filters_by_account_region_and_type() {
        let mut store = ResourceStore::default();
        let key = |account: &str, type_name: &str, id: &str| ResourceKey {
            account: account.into(),
            region: "us-east-1".into(),
            type_name: type_name.into(),
            identifier: id.into(),
        };
        store.insert(key("111111111111", "AWS::EC2::VPC", "vpc-2"), json!({}));
        store.insert(key("111111111111", "AWS::EC2::VPC", "vpc-1"), json!({}));
        store.insert(key("222222222222", "AWS::EC2::VPC", "vpc-3"), json!({}));
        store.insert(key("111111111111", "AWS::S3::Bucket", "b"), json!({}));

        let ids: Vec<&str> = store
            .list("111111111111", "us-east-1", "AWS::EC2::VPC")
            .map(|(id, _)| id)
            .collect();

        assert_eq!(ids, vec!["vpc-1", "vpc-2"]);
    }
}
