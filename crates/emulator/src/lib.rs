//! A local AWS endpoint for canopy's tests and demos: the Cloud Control API and STS,
//! spoken over their real wire protocols on 127.0.0.1.
//!
//! The AWS SDK for Rust, the `aws` CLI and canopy talk to it unchanged: point their
//! endpoint URL at [`RunningEmulator::endpoint`] and sign with keys from the
//! configuration. Every request is authenticated with SigV4. Cloud Control resources
//! follow the bundled CloudFormation registry schemas (validation, read-only and
//! write-only properties, create-only properties, identifiers, list handler
//! requirements), resource requests progress asynchronously, and faults can be injected
//! to test retries and recovery.
//!
//! ```no_run
//! # async fn demo() -> Result<(), canopy_emulator::EmulatorError> {
//! use canopy_emulator::{EmulatorConfig, start};
//!
//! let emulator = start(EmulatorConfig::default(), "127.0.0.1:0".parse().unwrap()).await?;
//! println!("AWS endpoint: {}", emulator.endpoint());
//! let resources = emulator.state().count_resources("123456789012", "us-east-1", "AWS::EC2::VPC");
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

mod cloudcontrol;
mod config;
mod error;
mod faults;
mod generate;
mod handle;
mod identity;
mod policy;
mod progress;
mod realistic;
mod secret;
mod server;
mod sigv4;
mod state;
mod store;
mod sts;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{
    AccountConfig, CUSTOMER_ACCOUNT_ID, CUSTOMER_ADMIN_ACCESS_KEY_ID,
    CUSTOMER_ADMIN_SECRET_ACCESS_KEY, DEFAULT_ACCOUNT_ID, DEFAULT_ADMIN_ACCESS_KEY_ID,
    DEFAULT_ADMIN_SECRET_ACCESS_KEY, EmulatorConfig, RoleConfig, SessionConfig, UserConfig,
    example_config,
};
pub use error::{EmulatorError, EmulatorResult};
pub use faults::{FailureRule, FaultConfig, HangRule, ThrottleRule};
pub use handle::EmulatorHandle;
pub use progress::{Operation, OperationStatus, ProgressEvent};
pub use secret::Secret;
pub use state::RecordedCall;

/// An emulator serving on a local port until [`RunningEmulator::shutdown`] or drop.
pub struct RunningEmulator {
    addr: SocketAddr,
    handle: EmulatorHandle,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("addr", &self.addr)
            .finish()
    }
}

/// Starts the emulator on `addr`; port 0 picks a free port.
///
/// The listener is bound before this returns, so [`RunningEmulator::endpoint`] accepts
/// connections at once. The server runs on the current tokio runtime.
///
/// # Errors
/// [`EmulatorError::InvalidConfig`] when the configuration is inconsistent, and
/// [`EmulatorError::Bind`] when the address cannot be bound.
pub async fn start(config: EmulatorConfig, addr: SocketAddr) -> EmulatorResult<RunningEmulator> {
    config.validate()?;
    let shared = Arc::new(state::Shared::new(state::State::from_config(&config)));

    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| EmulatorError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| EmulatorError::Bind { addr, source })?;

    let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
    let router = server::router(shared.clone());
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = shutdown_rx.await;
            })
            .await;
        if let Err(error) = served {
            tracing::error!(%error, "emulator server stopped with an error");
        }
    });
    tracing::info!(endpoint = %format!("http://{local}"), "aws emulator listening");

    Ok(RunningEmulator {
        addr: local,
        handle: EmulatorHandle::new(shared),
        shutdown: Some(shutdown_tx),
        task: Some(task),
    })
}

impl RunningEmulator {
    /// Returns the endpoint URL, such as `http://127.0.0.1:43121`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Returns the bound socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns a handle to inspect state and control faults.
    pub fn state(&self) -> EmulatorHandle {
        self.handle.clone()
    }

    /// Stops accepting connections, lets open requests finish and waits for the server.
    pub async fn shutdown(mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        if let Some(task) = self.task.take()
            && let Err(error) = task.await
        {
            tracing::error!(%error, "emulator server task failed");
        }
        tracing::info!(addr = %self.addr, "aws emulator stopped");
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        // Without an explicit shutdown, dropping still stops the server.
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
    }
}
