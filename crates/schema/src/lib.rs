//! The CloudFormation registry resource schemas that canopy ships, and what canopy reads
//! from them.
//!
//! The bundle (`bundle/schemas.tar.zst`, made by `scripts/update-schemas.py`) holds every
//! us-east-1 resource schema and, for every region, the list of types available there. It
//! is embedded in the binary and unpacked on first use; a schema is parsed only when a
//! caller asks for its type, so a command that touches three types parses three schemas.
//!
//! Paths follow the registry's conventions: schema metadata such as
//! `readOnlyProperties` lists JSON pointers like `/properties/Tags/*/Key`, which become
//! [`PropertyPath`]s, where `*` matches any array index. Paths into a resource model are
//! slices of [`Segment`].

mod bundle;
mod error;
mod identifier;
mod path;
mod regex_translate;
mod resource;
mod sample;
mod tree;
mod validate;

pub use bundle::{Manifest, Registry, TypeSummary};
pub use error::SchemaError;
pub use path::{PathPart, PropertyPath, Segment, format_pointer, parse_pointer};
pub use resource::{Handler, Handlers, Operation, ReplacementStrategy, ResourceSchema};
pub use sample::{sample_model, sample_property};
pub use tree::{PropertyNode, render_tree};
pub use validate::ValidationIssue;

/// Result alias for this crate.
pub type Result<T, E = SchemaError> = std::result::Result<T, E>;
