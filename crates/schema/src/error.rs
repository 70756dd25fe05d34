//! Errors from loading schemas and reading identifiers.

/// Failure to find, parse or use a resource schema.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error(
        "unknown resource type {type_name:?}: run `canopy schema list --search {hint}` to find the exact name"
    )]
    UnknownType { type_name: String, hint: String },

    #[error(
        "unknown region {region:?}: expected one of the regions in the schema bundle, such as us-east-1 or eu-west-1"
    )]
    UnknownRegion { region: String },

    #[error("the schema bundle is damaged: {0}")]
    Bundle(String),

    #[error("the schema of {type_name} is invalid: {message}")]
    InvalidSchema { type_name: String, message: String },

    #[error("invalid property path {path:?}: {reason}")]
    InvalidPath { path: String, reason: String },

    #[error("invalid identifier {identifier:?} for {type_name}: expected {expected}")]
    InvalidIdentifier {
        type_name: String,
        identifier: String,
        expected: String,
    },
}
