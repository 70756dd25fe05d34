//! The fixture shared by the engine tests: an emulator started in this process on
//! 127.0.0.1, and an engine over a store in a temporary directory.
//!
//! The workspace `main` has one secret, `customer`, with the customer account's static
//! keys and the emulator's endpoint, so no test uses canopy's own identity, the default
//! AWS credential chain or any address outside 127.0.0.1.

#![allow(dead_code)]

use std::time::Duration;

use canopy_aws::credentials::{AwsCredentialSecret, AwsSession, OwnIdentity, connect};
use canopy_emulator::{
    CUSTOMER_ACCOUNT_ID, CUSTOMER_ADMIN_ACCESS_KEY_ID, CUSTOMER_ADMIN_SECRET_ACCESS_KEY,
    EmulatorConfig, EmulatorHandle, RunningEmulator,
};
use canopy_engine::{ApplyOptions, ApplyReport, ComponentView, Engine, EngineConfig, NewComponent};
use canopy_store::{Store, Workspace};
use serde_json::{Value, json};
use tempfile::TempDir;

pub const WORKSPACE: &str = "main";
pub const REGION: &str = "us-east-1";
pub const CUSTOMER: &str = CUSTOMER_ACCOUNT_ID;

/// Engine settings that keep tests fast: short retry delays and request deadlines.
pub fn fast_config() -> EngineConfig {
    EngineConfig {
        own_identity: OwnIdentity::default(),
        concurrency: 8,
        request_timeout: Some(Duration::from_secs(5)),
        retry_delay: Duration::from_millis(20),
    }
}

/// An emulator plus an engine with workspace `main`.
pub struct Fixture {
    pub emulator: RunningEmulator,
    pub engine: Engine,
    dir: TempDir,
}

impl Fixture {
    pub async fn start(emulator: EmulatorConfig, config: EngineConfig) -> Fixture {
        let addr = "127.0.0.1:0".parse().expect("loopback address");
        let emulator = canopy_emulator::start(emulator, addr)
            .await
            .expect("the emulator starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open_dir(&dir.path().join("data"))
            .await
            .expect("the store opens");
        store
            .create_workspace(WORKSPACE)
            .await
            .expect("the workspace is created");
        let engine = Engine::new(store, config);
        engine
            .create_aws_secret(WORKSPACE, "customer", &customer_keys(&emulator.endpoint()))
            .await
            .expect("the secret is stored");
        Fixture {
            emulator,
            engine,
            dir,
        }
    }

    pub fn handle(&self) -> EmulatorHandle {
        self.emulator.state()
    }

    pub fn store(&self) -> &Store {
        self.engine.store()
    }

    pub async fn workspace(&self) -> Workspace {
        self.store()
            .get_workspace(WORKSPACE)
            .await
            .expect("the workspace")
    }

    /// Creates a change set with an AWS Credential component `aws` and a Region
    /// component `region`.
    pub async fn change_set(&self, name: &str) {
        let workspace = self.workspace().await;
        self.store()
            .create_change_set(&workspace.id, name)
            .await
            .expect("the change set is created");
        self.component(name, "AWS Credential", "aws", json!({"Secret": "customer"}))
            .await;
        self.component(name, "Region", "region", json!({"Region": REGION}))
            .await;
    }

    pub async fn component(
        &self,
        change_set: &str,
        schema: &str,
        name: &str,
        domain: Value,
    ) -> ComponentView {
        let new = NewComponent {
            schema: schema.to_string(),
            name: name.to_string(),
            domain,
            region: None,
            credential: None,
        };
        self.engine
            .create_component(WORKSPACE, change_set, new)
            .await
            .unwrap_or_else(|e| panic!("component {name} cannot be created: {e}"))
    }

    /// Makes `consumer`'s `path` come from `producer`'s resource value at `source_path`.
    pub async fn subscribe(
        &self,
        change_set: &str,
        consumer: &str,
        path: &str,
        producer: &str,
        source_path: &str,
    ) {
        let subscription = canopy_core::Subscription {
            path: path.to_string(),
            source: producer.to_string(),
            source_path: source_path.to_string(),
        };
        self.engine
            .subscribe(WORKSPACE, change_set, consumer, subscription)
            .await
            .expect("the subscription is accepted");
    }

    pub async fn apply(&self, change_set: &str) -> ApplyReport {
        self.engine
            .apply(WORKSPACE, change_set, &ApplyOptions::default())
            .await
            .unwrap_or_else(|e| panic!("applying {change_set} failed to run: {e}"))
    }

    pub async fn show(&self, name: &str) -> ComponentView {
        self.engine
            .show_component(WORKSPACE, "HEAD", name)
            .await
            .expect("the component")
    }

    pub fn identifiers(&self, type_name: &str) -> Vec<String> {
        self.handle().list_identifiers(CUSTOMER, REGION, type_name)
    }

    /// Counts the CreateResource calls the emulator received.
    pub fn create_calls(&self) -> usize {
        self.handle()
            .calls()
            .iter()
            .filter(|c| c.operation == "CreateResource")
            .count()
    }

    /// Opens a Cloud Control session as the customer, for calls made outside canopy.
    pub async fn customer_session(&self) -> AwsSession {
        connect(
            &customer_keys(&self.emulator.endpoint()),
            REGION,
            &OwnIdentity::default(),
            "",
            "unused",
        )
        .await
        .expect("a customer session")
    }
}

pub fn customer_keys(endpoint: &str) -> AwsCredentialSecret {
    AwsCredentialSecret {
        access_key_id: Some(CUSTOMER_ADMIN_ACCESS_KEY_ID.into()),
        secret_access_key: Some(CUSTOMER_ADMIN_SECRET_ACCESS_KEY.into()),
        endpoint: Some(endpoint.into()),
        ..Default::default()
    }
}

/// Finds the outcome of one component's action in an apply report.
pub fn outcome<'a>(report: &'a ApplyReport, component: &str) -> &'a canopy_engine::ActionOutcome {
    report
        .resumed
        .iter()
        .chain(&report.actions)
        .find(|o| o.component == component)
        .unwrap_or_else(|| panic!("no outcome for {component} in {report:?}"))
}
