//! Errors that the emulator's public API returns to the program embedding it.
//!
//! Errors sent to AWS clients over the wire are a different thing: each protocol module
//! builds those in its own shape (`sts::StsError`, `cloudcontrol::ApiError`). None of
//! these messages may contain a secret key, session token or external id.

use std::net::SocketAddr;

/// Result alias for the emulator's public API.
pub type EmulatorResult<T> = Result<T, EmulatorError>;

/// A failure of the embedding API: configuration, start-up or a test-handle call.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The TOML text is not a valid emulator configuration.
    ///
    /// Only the parser's message and line are kept, because the raw parser error quotes
    /// the offending line, which could hold a secret access key.
    #[error("invalid emulator config at line {line}: {message}")]
    ParseConfig { line: usize, message: String },

    /// The configuration parsed but is inconsistent.
    #[error("invalid emulator config: {0}")]
    InvalidConfig(String),

    /// The listener could not be bound.
    #[error("failed to listen on {addr}: {source}; pick a free port or use port 0")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },

    /// A test-handle call named a resource that is not stored.
    #[error("resource {type_name} {identifier:?} not found in account {account} region {region}")]
    ResourceNotFound {
        account: String,
        region: String,
        type_name: String,
        identifier: String,
    },

    /// A test-handle call named a resource type that the schema registry does not have.
    #[error("resource type {0:?} is not in the bundled schema registry")]
    TypeNotFound(String),

    /// A test-handle call passed properties that are not a JSON object.
    #[error("resource properties for {type_name} must be a JSON object, got {found}")]
    PropertiesNotObject { type_name: String, found: String },
}
