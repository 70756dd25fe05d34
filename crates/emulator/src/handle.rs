//! [`EmulatorHandle`]: inspection and control of a running emulator from tests.
//!
//! Through the handle a test counts and reads stored resources, changes or deletes them
//! out of band (to simulate drift or a resource deleted in the console), lists the
//! calls and resource requests the emulator received, and adds or clears faults while
//! the server runs. Reads of models here include write-only properties, unlike the API.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::error::{EmulatorError, EmulatorResult};
use crate::faults::{FailureRule, HangRule, ThrottleRule};
use crate::progress::ProgressEvent;
use crate::state::{RecordedCall, Shared};
use crate::store::ResourceKey;

/// A cheap, cloneable handle on a running emulator's state.
#[derive(Clone)]
pub struct EmulatorHandle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmulatorHandle")
    }
}

impl EmulatorHandle {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// Counts stored resources of one type in an account and region.
    pub fn count_resources(&self, account: &str, region: &str, type_name: &str) -> usize {
        self.shared
            .lock()
            .resources
            .list(account, region, type_name)
            .count()
    }

    /// Lists the identifiers of one type's stored resources, in order.
    pub fn list_identifiers(&self, account: &str, region: &str, type_name: &str) -> Vec<String> {
        self.shared
            .lock()
            .resources
            .list(account, region, type_name)
            .map(|(identifier, _)| identifier.to_string())
            .collect()
    }

    /// Returns a stored model, write-only properties included, or `None`.
    pub fn find_resource(
        &self,
        account: &str,
        region: &str,
        type_name: &str,
        identifier: &str,
    ) -> Option<Value> {
        let key = key(account, region, type_name, identifier);
        self.shared.lock().resources.find(&key).cloned()
    }

    /// Replaces a stored model's properties out of band, as a change made outside
    /// canopy would. The primary identifier stays the same.
    ///
    /// # Errors
    /// [`EmulatorError::ResourceNotFound`] when no such resource is stored, and
    /// [`EmulatorError::PropertiesNotObject`] when `properties` is not an object.
    pub fn set_resource_properties(
        &self,
        account: &str,
        region: &str,
        type_name: &str,
        identifier: &str,
        properties: Value,
    ) -> EmulatorResult<()> {
        if !properties.is_object() {
            return Err(EmulatorError::PropertiesNotObject {
                type_name: type_name.to_string(),
                found: properties.to_string(),
            });
        }
        let key = key(account, region, type_name, identifier);
        let mut state = self.shared.lock();
        let model = state
            .resources
            .find_mut(&key)
            .ok_or_else(|| not_found(&key))?;
        *model = properties;
        Ok(())
    }

    /// Deletes a stored resource out of band.
    ///
    /// # Errors
    /// [`EmulatorError::ResourceNotFound`] when no such resource is stored.
    pub fn delete_resource(
        &self,
        account: &str,
        region: &str,
        type_name: &str,
        identifier: &str,
    ) -> EmulatorResult<()> {
        let key = key(account, region, type_name, identifier);
        let mut state = self.shared.lock();
        state
            .resources
            .remove(&key)
            .map(|_| ())
            .ok_or_else(|| not_found(&key))
    }

    /// Stores a resource directly, as if it had been created outside canopy. Returns its
    /// primary identifier, computed from the schema.
    ///
    /// # Errors
    /// [`EmulatorError::TypeNotFound`] for an unknown type, and
    /// [`EmulatorError::PropertiesNotObject`] when the model lacks an identifier part.
    pub fn insert_resource(
        &self,
        account: &str,
        region: &str,
        type_name: &str,
        properties: Value,
    ) -> EmulatorResult<String> {
        let mut state = self.shared.lock();
        let schema = state
            .registry
            .get(type_name)
            .map_err(|_| EmulatorError::TypeNotFound(type_name.to_string()))?;
        let identifier = schema.identifier_of(&properties).ok_or_else(|| {
            EmulatorError::PropertiesNotObject {
                type_name: type_name.to_string(),
                found: format!("a model without {}", schema.identifier_shape()),
            }
        })?;
        let key = key(account, region, type_name, &identifier);
        state.resources.insert(key, properties);
        Ok(identifier)
    }

    /// Lists every API call received so far, in order.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.shared.lock().calls.clone()
    }

    /// Lists the latest event of every resource request, in acceptance order.
    pub fn resource_requests(&self) -> Vec<ProgressEvent> {
        let state = self.shared.lock();
        state
            .requests
            .list_all()
            .into_iter()
            .map(|request| request.event.clone())
            .collect()
    }

    /// Adds a throttling rule.
    pub fn add_throttle(&self, rule: ThrottleRule) {
        self.shared.lock().faults.add_throttle(rule);
    }

    /// Adds a FAILED-request rule.
    pub fn add_failure(&self, rule: FailureRule) {
        self.shared.lock().faults.add_failure(rule);
    }

    /// Adds a hang rule. It applies to requests accepted from now on.
    pub fn add_hang(&self, rule: HangRule) {
        self.shared.lock().faults.add_hang(rule);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Sets the delay for requests accepted from now on.
    pub fn set_request_delay(&self, delay: Duration) {
        self.shared.lock().request_delay = delay;
    }
}

fn key(account: &str, region: &str, type_name: &str, identifier: &str) -> ResourceKey {
    ResourceKey {
        account: account.to_string(),
        region: region.to_string(),
        type_name: type_name.to_string(),
        identifier: identifier.to_string(),
    }
}

fn not_found(key: &ResourceKey) -> EmulatorError {
    EmulatorError::ResourceNotFound {
        account: key.account.clone(),
        region: key.region.clone(),
        type_name: key.type_name.clone(),
        identifier: key.identifier.clone(),
    }
}
