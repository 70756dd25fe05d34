//! canopy's model and planner: what a component wants, how that compares with what AWS
//! holds, and which Cloud Control requests close the gap. Nothing here does I/O, so every
//! rule is tested with plain JSON and the bundled registry schemas.
//!
//! - [`equality`] decides when a desired value and a value read back from Cloud Control
//!   mean the same thing (numbers, JSON inside strings, empty against absent, unordered
//!   arrays).
//! - [`diff`] compares one resource and builds the RFC 6902 `PatchDocument` for
//!   UpdateResource, or reports that only a replacement can reach the desired state.
//! - [`pointer`] and [`subscription`] edit values at JSON pointers and fill in values that
//!   come from other components.
//! - [`graph`] orders components by their subscriptions, so producers are created first
//!   and deleted last.

pub mod diff;
pub mod equality;
mod error;
pub mod graph;
mod ordering;
pub mod pointer;
pub mod subscription;

pub use diff::{
    ChangeEffect, ChangeKind, DiffAction, DiffInput, PatchOperation, PropertyChange, ResourceDiff,
    diff_resource,
};
pub use equality::{values_equal, values_equal_or_absent};
pub use error::{CoreError, Result};
pub use graph::DependencyGraph;
pub use pointer::{get_at_pointer, remove_at_pointer, set_at_pointer};
pub use subscription::{Resolved, Subscription, resolve_subscriptions};
