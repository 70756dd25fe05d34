//! The API's handlers, one module per resource.

pub mod change_sets;
pub mod components;
pub mod positions;
pub mod schemas;
pub mod workspaces;
