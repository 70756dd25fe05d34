//! Errors from the model and the planner.
//!
//! The planner itself cannot fail on well-formed JSON: a diff always returns a result. The
//! errors here come from the edges where a caller hands in text to interpret, such as a
//! JSON pointer in a subscription, or a graph that cannot be ordered.

/// A failure to edit a value at a JSON pointer or to order components.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    #[error(
        "invalid JSON pointer {pointer:?}: a pointer is empty or starts with '/', as in /VpcId"
    )]
    InvalidPointer { pointer: String },

    #[error("cannot set {pointer:?}: the value at {parent:?} is not an object or array")]
    NotAContainer { pointer: String, parent: String },

    #[error("cannot set {pointer:?}: array index {index} is past the end (length {length})")]
    IndexOutOfRange {
        pointer: String,
        index: usize,
        length: usize,
    },

    #[error("the root of a document cannot be removed; remove a path below it, such as /VpcId")]
    RemoveRoot,

    #[error("dependency cycle: {}; remove one of these subscriptions", members.join(" -> "))]
    DependencyCycle { members: Vec<String> },
}

/// Result alias for this crate.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
