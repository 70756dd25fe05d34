//! canopy's AWS side: credentials and the Cloud Control API.
//!
//! Everything canopy does against AWS goes through this crate, with the official AWS
//! SDK for Rust, so the same code runs against real AWS and against `canopy emulator`.
//! [`credentials`] turns the decrypted "AWS Credential" secret into an [`AwsSession`]
//! (static keys, temporary keys, or AssumeRole with the workspace token as
//! `sts:ExternalId`) and checks it with STS. [`cloudcontrol`] is a typed client for the
//! resource operations, with retries of throttled calls under the same client token and
//! a deadline-bound wait for resource requests.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use canopy_aws::{AwsCredentialSecret, OwnIdentity, connect, new_client_token};
//!
//! let secret = AwsCredentialSecret {
//!     access_key_id: Some("AKIAIOSFODNN7EXAMPLE".into()),
//!     secret_access_key: Some("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into()),
//!     ..AwsCredentialSecret::default()
//! };
//! let session = connect(&secret, "us-east-1", &OwnIdentity::default(), "", "canopy").await?;
//! println!("acting as {}", session.caller_identity().await?.arn);
//!
//! let cloud_control = session.cloud_control();
//! let desired = serde_json::json!({ "LogGroupName": "app" });
//! let event = cloud_control
//!     .create_resource("AWS::Logs::LogGroup", &desired, &new_client_token())
//!     .await?;
//! let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(600);
//! let outcome = cloud_control
//!     .wait_for_request(&event.request_token, deadline, |e| println!("{:?}", e.status))
//!     .await?;
//! # Ok(())
//! # }
//! ```

pub mod cloudcontrol;
pub mod credentials;

pub use cloudcontrol::{
    CloudControl, CloudControlError, ErrorKind, HandlerErrorCode, ListPage, Operation,
    OperationStatus, ProgressEvent, ResourceDescription, WaitOutcome, new_client_token,
};
pub use credentials::{
    AwsCredentialSecret, AwsSession, CallerIdentity, CredentialError, OwnIdentity, connect,
    credentials_from_profile,
};
