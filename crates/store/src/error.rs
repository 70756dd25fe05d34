//! Errors from the store.

/// Failure to read or write canopy's state.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {path}: {source}")]
    Open { path: String, source: sqlx::Error },

    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),

    #[error("{kind} {name:?} not found{hint}")]
    NotFound {
        kind: &'static str,
        name: String,
        hint: String,
    },

    #[error("{kind} {name:?} already exists; choose another name")]
    AlreadyExists { kind: &'static str, name: String },

    #[error("stored {what} is not valid JSON: {source}")]
    Corrupt {
        what: String,
        source: serde_json::Error,
    },

    #[error("secret key: {0}")]
    Key(String),

    #[error(
        "cannot decrypt {what}: the secret key does not match the one it was sealed with (check CANOPY_SECRET_KEY or the key file)"
    )]
    Decrypt { what: String },
}

impl StoreError {
    pub(crate) fn not_found(kind: &'static str, name: impl Into<String>) -> Self {
        StoreError::NotFound {
            kind,
            name: name.into(),
            hint: String::new(),
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> impl FnOnce(serde_json::Error) -> Self {
        let what = what.into();
        move |source| StoreError::Corrupt { what, source }
    }
}
