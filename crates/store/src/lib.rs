//! canopy's state: workspaces, change sets, components, qualifications, resources,
//! actions and encrypted secrets, in one SQLite file by default.
//!
//! Every query goes through sqlx at run time (no compile-time database), and the schema
//! comes from the migrations in `migrations/`, so a PostgreSQL backend can follow the
//! same shape. Secret values and workspace tokens are sealed with a key kept outside the
//! database (see [`crypto`]).

mod components;
pub mod crypto;
mod error;
mod ids;
mod migrations;
mod positions;
mod records;
mod runs;
mod store;
mod tokens;

pub use crypto::{SecretKey, Sensitive};
pub use error::StoreError;
pub use ids::{ActionId, ChangeSetId, ComponentId, SecretId, WorkspaceId};
pub use positions::ComponentPosition;
pub use records::*;
pub use store::Store;
pub use tokens::{ApiToken, ApiTokenId, TokenRole};

/// Result alias for this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The current time as RFC 3339, the format every timestamp column uses.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
