//! Subscriptions: values in a component's domain that come from another component.
//!
//! A subnet's `VpcId` subscribes to the VPC's `/resource/VpcId`. The value is known only
//! once the VPC exists, so until then the subscription is pending: the consumer cannot be
//! planned for creation with a made-up value, and the planner orders it after its
//! producer (see [`crate::graph`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Result;
use crate::pointer::{remove_at_pointer, set_at_pointer};

/// One value taken from another component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// JSON pointer into the consumer's domain, such as `/VpcId`.
    pub path: String,
    /// The producer component's name.
    pub source: String,
    /// The value's location in the producer: `/domain/...` for what the user set, or
    /// `/resource/...` for what AWS returned, such as `/resource/VpcId`.
    pub source_path: String,
}

/// A domain with its subscriptions filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub value: Value,
    /// Subscriptions whose source value does not exist yet, such as a resource value of a
    /// producer that has not been created. Their paths are absent from `value`.
    pub pending: Vec<Subscription>,
}

impl Resolved {
    /// True when every subscription has a value.
    pub fn is_complete(&self) -> bool {
        self.pending.is_empty()
    }
}

/// Copies `domain` and writes each subscription's source value at its path, in order,
/// so a later subscription to the same path wins.
///
/// `lookup(source, source_path)` returns the producer's value, or `None` when it does not
/// exist yet. A pending subscription's path is removed from the result rather than left
/// holding a value typed earlier, so nothing stale reaches a plan.
///
/// # Errors
/// Fails when a subscription's path is not a valid JSON pointer or passes through a
/// scalar of the domain.
pub fn resolve_subscriptions(
    domain: &Value,
    subscriptions: &[Subscription],
    lookup: impl Fn(&str, &str) -> Option<Value>,
) -> Result<Resolved> {
    let mut value = domain.clone();
    let mut pending = Vec::new();

    for subscription in subscriptions {
        match lookup(&subscription.source, &subscription.source_path) {
            Some(found) => set_at_pointer(&mut value, &subscription.path, found)?,
            None => {
                remove_at_pointer(&mut value, &subscription.path)?;
                pending.push(subscription.clone());
            }
        }
    }

    Ok(Resolved { value, pending })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn subscribe(path: &str, source: &str, source_path: &str) -> Subscription {
        Subscription {
            path: path.to_string(),
            source: source.to_string(),
            source_path: source_path.to_string(),
        }
    }

    #[test]
    fn resource_value_pending_until_producer_exists() {
        let domain = json!({"CidrBlock": "10.0.1.0/24"});
        let subscriptions = [subscribe("/VpcId", "vpc", "/resource/VpcId")];

        let before = resolve_subscriptions(&domain, &subscriptions, |_, _| None).unwrap();
        assert_eq!(before.value, domain);
        assert_eq!(before.pending, subscriptions.to_vec());
        assert!(!before.is_complete());

        let producer =
            json!({"domain": {"CidrBlock": "10.0.0.0/16"}, "resource": {"VpcId": "vpc-123"}});
        let lookup = |source: &str, path: &str| {
            assert_eq!(source, "vpc");
            producer.pointer(path).cloned()
        };
        let after = resolve_subscriptions(&domain, &subscriptions, lookup).unwrap();
        assert_eq!(
            after.value,
            json!({"CidrBlock": "10.0.1.0/24", "VpcId": "vpc-123"})
        );
        assert!(after.is_complete());
    }

    #[test]
    fn domain_value_resolves_before_creation() {
        let producer = json!({"domain": {"CidrBlock": "10.0.0.0/16"}});
        let subscriptions = [
            subscribe("/VpcCidr", "vpc", "/domain/CidrBlock"),
            subscribe("/VpcId", "vpc", "/resource/VpcId"),
        ];
        let resolved = resolve_subscriptions(&json!({}), &subscriptions, |_, path| {
            producer.pointer(path).cloned()
        })
        .unwrap();
        assert_eq!(resolved.value, json!({"VpcCidr": "10.0.0.0/16"}));
        assert_eq!(resolved.pending, vec![subscriptions[1].clone()]);
    }

    #[test]
    fn pending_subscription_clears_stale_value() {
        let domain = json!({"VpcId": "vpc-typed-by-hand"});
        let subscriptions = [subscribe("/VpcId", "vpc", "/resource/VpcId")];
        let resolved = resolve_subscriptions(&domain, &subscriptions, |_, _| None).unwrap();
        assert_eq!(resolved.value, json!({}));
    }

    #[test]
    fn nested_path_creates_objects() {
        let subscriptions = [subscribe(
            "/VpcConfig/SubnetIds/0",
            "subnet",
            "/resource/SubnetId",
        )];
        let domain = json!({"VpcConfig": {"SubnetIds": []}});
        let resolved =
            resolve_subscriptions(&domain, &subscriptions, |_, _| Some(json!("subnet-1"))).unwrap();
        assert_eq!(
            resolved.value,
            json!({"VpcConfig": {"SubnetIds": ["subnet-1"]}})
        );
    }

    #[test]
    fn invalid_subscription_path_fails() {
        let subscriptions = [subscribe("VpcId", "vpc", "/resource/VpcId")];
        let error =
            resolve_subscriptions(&json!({}), &subscriptions, |_, _| Some(json!("x"))).unwrap_err();
        assert!(error.to_string().contains("\"VpcId\""), "{error}");
    }
}
