//! The schema migrations, embedded in the binary.
//!
//! sqlx's `migrate!` macro needs sqlx's compile-time macros, which would build a second
//! copy of SQLite for the proc-macro; embedding the files and handing them to sqlx's
//! `Migrator` keeps the same checksums and bookkeeping without that.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// Every migration, in order: (version, description, SQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (
        2,
        "api tokens",
        include_str!("../migrations/0002_api_tokens.sql"),
    ),
    (
        3,
        "positions",
        include_str!("../migrations/0003_positions.sql"),
    ),
];

#[derive(Debug)]
struct Embedded;

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> futures_core::future::BoxFuture<'s, Result<Vec<Migration>, sqlx::error::BoxDynError>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// Returns a migrator over the embedded migrations.
pub(crate) async fn migrator() -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded).await
}
