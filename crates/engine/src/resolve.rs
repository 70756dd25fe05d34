//! Resolving a component's desired properties: its domain with every subscription
//! filled in from the producer's domain or resource.

use std::collections::HashMap;

use canopy_core::{Resolved, Subscription, resolve_subscriptions};
use canopy_store::{Component, ComponentId, Resource};
use serde_json::Value;

use crate::{EngineError, Result};

/// Deeper subscription chains than this are treated as unresolved; cycles are rejected
/// when subscribing, so this only bounds damaged data.
const MAX_DEPTH: usize = 64;

/// The components of one change set and the workspace's resources.
pub(crate) struct Resolver<'a> {
    pub components: &'a [Component],
    pub resources: &'a HashMap<ComponentId, Resource>,
}

impl Resolver<'_> {
    pub fn find(&self, name: &str) -> Option<&Component> {
        self.components
            .iter()
            .find(|c| c.name() == name && !c.deleted)
    }

    /// Returns the component's domain with subscriptions filled in; values that come from a
    /// resource that does not exist yet are listed as pending.
    pub fn resolve(&self, component: &Component) -> Resolved {
        self.resolve_depth(component, 0)
    }

    fn resolve_depth(&self, component: &Component, depth: usize) -> Resolved {
        let subscriptions = subscriptions_of(component).unwrap_or_default();
        let resolved = resolve_subscriptions(
            &component.snapshot.domain,
            &subscriptions,
            |source, path| {
                if depth >= MAX_DEPTH {
                    return None;
                }
                let producer = self.find(source)?;
                if let Some(rest) = path.strip_prefix("/domain") {
                    let domain = self.resolve_depth(producer, depth + 1).value;
                    return value_at(&domain, rest);
                }
                if let Some(rest) = path.strip_prefix("/resource") {
                    let resource = self.resources.get(&producer.id)?;
                    if resource.identifier.is_none() {
                        return None;
                    }
                    return value_at(resource.properties.as_ref()?, rest);
                }
                None
            },
        );
        // Subscription paths are checked when they are made, so this only happens to
        // damaged data: treat every subscribed value as unknown.
        resolved.unwrap_or_else(|_| Resolved {
            value: component.snapshot.domain.clone(),
            pending: subscriptions,
        })
    }
}

fn value_at(value: &Value, pointer: &str) -> Option<Value> {
    if pointer.is_empty() {
        return Some(value.clone());
    }
    value.pointer(pointer).cloned()
}

/// Reads the subscriptions stored on a component.
pub(crate) fn subscriptions_of(component: &Component) -> Result<Vec<Subscription>> {
    if component.snapshot.subscriptions.is_null() {
        return Ok(Vec::new());
    }
    serde_json::from_value(component.snapshot.subscriptions.clone()).map_err(|e| {
        EngineError::invalid(
            format!("subscriptions of {:?}", component.name()),
            format!("stored subscriptions are damaged: {e}"),
        )
    })
}
