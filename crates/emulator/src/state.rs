//! The emulator's mutable state behind one lock: keys, roles, resources, resource
//! requests, recorded calls and faults.
//!
//! One `std::sync::Mutex` guards everything, and no lock is held across an `.await`,
//! so every API call reads and changes a consistent state. Resource requests complete
//! lazily: each time the lock is taken, requests whose delay has passed are completed
//! first, in the order they were accepted. That keeps completion deterministic and
//! needs no background task.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use canopy_schema::Registry;
use rand::{SeedableRng, rngs::StdRng};
use serde_json::Value;
use tokio::time::Instant;

use crate::cloudcontrol::requests::RequestBook;
use crate::config::EmulatorConfig;
use crate::faults::Faults;
use crate::identity::{Credential, Keyring, Principal};
use crate::store::ResourceStore;

/// One API call as received, for tests to inspect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedCall {
    /// `sts` or `cloudcontrolapi`.
    pub service: String,
    /// The operation name, such as `CreateResource` or `AssumeRole`.
    pub operation: String,
    /// The caller's account; empty when authentication failed.
    pub account: String,
    pub region: String,
    pub type_name: Option<String>,
    pub identifier: Option<String>,
    pub client_token: Option<String>,
    /// True when the call was rejected with an injected `ThrottlingException`.
    pub throttled: bool,
}

pub(crate) struct State {
    pub registry: &'static Registry,
    pub keyring: Keyring,
    /// Roles from the configuration, by (account, role name), with their trust policy.
    pub roles: HashMap<(String, String), Value>,
    pub resources: ResourceStore,
    pub requests: RequestBook,
    pub calls: Vec<RecordedCall>,
    pub faults: Faults,
    pub request_delay: Duration,
    pub default_session_duration: u32,
    /// Present read models as AWS does; see [`crate::realistic`].
    pub realistic: bool,
    /// Seeded RNG for generated ids and names.
    pub id_rng: StdRng,
}

impl State {
    pub(crate) fn from_config(config: &EmulatorConfig) -> Self {
        let mut keyring = Keyring::default();
        for user in &config.users {
            keyring.insert(
                user.access_key_id.clone(),
                Credential {
                    secret_access_key: user.secret_access_key.clone(),
                    session_token: None,
                    expiration: None,
                    principal: Principal::user(&user.account, &user.name),
                },
            );
        }
        for session in &config.sessions {
            let principal = match (&session.role, &session.user) {
                (Some(role), _) => Principal::assumed_role(
                    &session.account,
                    role,
                    session.session_name.as_deref().unwrap_or("session"),
                ),
                (None, user) => Principal::user(&session.account, user.as_deref().unwrap_or("")),
            };
            keyring.insert(
                session.access_key_id.clone(),
                Credential {
                    secret_access_key: session.secret_access_key.clone(),
                    session_token: Some(session.session_token.clone()),
                    expiration: Some(session.expiration),
                    principal,
                },
            );
        }

        Self {
            registry: Registry::bundled(),
            keyring,
            roles: config
                .roles
                .iter()
                .map(|r| ((r.account.clone(), r.name.clone()), r.trust_policy.clone()))
                .collect(),
            resources: ResourceStore::default(),
            requests: RequestBook::default(),
            calls: Vec::new(),
            faults: Faults::new(&config.faults),
            request_delay: config.request_delay(),
            default_session_duration: config.default_session_duration_seconds,
            realistic: config.realistic,
            id_rng: StdRng::seed_from_u64(config.faults.seed),
        }
    }

    /// Completes every resource request whose delay has passed.
    pub(crate) fn advance(&mut self) {
        let now = Instant::now();
        crate::cloudcontrol::requests::complete_due(self, now);
    }
}

/// The state shared by the server and the test handle.
pub(crate) struct Shared {
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn new(state: State) -> Self {
        Self {
            state: Mutex::new(state),
        }
    }

    /// Locks the state after completing due resource requests.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held leaves no half-applied change that matters
        // to an emulator, so a poisoned lock is used as it is.
        let mut guard = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        guard.advance();
        guard
    }
}
