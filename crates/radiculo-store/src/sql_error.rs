//! sqlx errors as [`StoreError`]s whose text can go to a log: it says what failed and how,
//! never which values were involved.

use std::fmt::Write as _;

use sqlx::error::ErrorKind;
use sqlx::migrate::MigrateError;

use crate::StoreError;

/// Maps a sqlx error met while doing `operation` (a few words, such as "insert assessment").
pub(crate) fn during(operation: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| failed(operation, &describe(&error))
}

/// The error of `operation`, which failed as `description` (from [`describe`]) says. For one
/// failure that several operations share, such as a transaction holding several callers' writes.
pub(crate) fn failed(operation: &str, description: &str) -> StoreError {
    StoreError::Database(format!("{operation}: {description}"))
}

/// What went wrong, in words that can go to a log.
pub(crate) fn describe(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => {
            let mut text = match db.kind() {
                ErrorKind::UniqueViolation => "unique constraint violated",
                ErrorKind::ForeignKeyViolation => "foreign key constraint violated",
                ErrorKind::NotNullViolation => "not-null constraint violated",
                ErrorKind::CheckViolation => "check constraint violated",
                _ => "the database reported an error",
            }
            .to_owned();
            if let Some(code) = db.code() {
                let _ = write!(text, " (code {code})");
            }
            if let Some(constraint) = db.constraint() {
                let _ = write!(text, " on {constraint}");
            }
            if message_is_safe(&**db) {
                let _ = write!(text, ": {}", db.message());
            }
            text
        }
        sqlx::Error::Io(io) => format!("I/O error ({})", io.kind()),
        sqlx::Error::Tls(_) => "TLS error while connecting".to_owned(),
        sqlx::Error::Configuration(_) => "invalid connection settings".to_owned(),
        sqlx::Error::Protocol(_) => "unexpected data from the database server".to_owned(),
        sqlx::Error::PoolTimedOut => "timed out waiting for a database connection".to_owned(),
        sqlx::Error::PoolClosed => "the store has been closed".to_owned(),
        sqlx::Error::WorkerCrashed => "the database worker thread crashed".to_owned(),
        sqlx::Error::ColumnDecode { index, .. } => format!("could not read column {index}"),
        sqlx::Error::ColumnNotFound(name) => format!("no column {name}"),
        sqlx::Error::Migrate(migrate) => describe_migrate(migrate),
        _ => "unexpected database driver error".to_owned(),
    }
}

/// Whether a database's message can be shown. SQLite's messages name tables and columns but
/// never values. PostgreSQL's can quote a value ("invalid input syntax for type …: \"…\""), so
/// only those of the SQLSTATE classes about connecting, authenticating, the database's existence
/// and the server's state are shown; for the others the code alone tells what happened.
fn message_is_safe(db: &dyn sqlx::error::DatabaseError) -> bool {
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return true;
    }
    if db
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        let class = db
            .code()
            .map(|code| code.chars().take(2).collect::<String>());
        return matches!(
            class.as_deref(),
            Some("08" | "28" | "3D" | "53" | "57" | "58")
        );
    }
    false
}

fn describe_migrate(error: &MigrateError) -> String {
    match error {
        MigrateError::Execute(inner) => format!("migrating: {}", describe(inner)),
        MigrateError::ExecuteMigration(inner, version) => {
            format!("migration {version}: {}", describe(inner))
        }
        MigrateError::VersionMismatch(version) => format!(
            "migration {version} was applied to this database but differs from the one in this \
             build; released migrations must never be edited"
        ),
        MigrateError::VersionMissing(version) => format!(
            "this database has migration {version}, which this build does not know: it was \
             written by a newer radiculo"
        ),
        // The remaining variants carry versions or static text only.
        other => other.to_string(),
    }
}
