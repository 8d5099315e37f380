//! sqlx errors as [`StoreError`]s whose text can go to a log: it says what failed and how,
//! never which values were involved; and whether the failure is the database being unavailable
//! for now ([`StoreError::Unavailable`]: a server answers 503 and the caller retries) or
//! anything else ([`StoreError::Database`]: a bug or a misconfiguration, 500).

use std::fmt::Write as _;

use sqlx::error::ErrorKind;
use sqlx::migrate::MigrateError;

use crate::StoreError;

/// Maps a sqlx error met while doing `operation` (a few words, such as "insert assessment").
pub(crate) fn during(operation: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| failed(operation, &describe(&error))
}

/// A failure in words that can go to a log, and whether it is the database being unavailable.
#[derive(Debug, Clone)]
pub(crate) struct Description {
    text: String,
    unavailable: bool,
}

/// The error of `operation`, which failed as `description` (from [`describe`]) says. For one
/// failure that several operations share, such as a transaction holding several callers' writes.
pub(crate) fn failed(operation: &str, description: &Description) -> StoreError {
    let message = format!("{operation}: {}", description.text);
    if description.unavailable {
        StoreError::Unavailable(message)
    } else {
        StoreError::Database(message)
    }
}

/// What went wrong, and whether it is the database being unavailable.
pub(crate) fn describe(error: &sqlx::Error) -> Description {
    Description {
        text: text(error),
        unavailable: is_unavailable(error),
    }
}

/// Whether `error` says the database cannot be used for now, whatever the request: it cannot
/// be reached, it is shutting down or refusing connections, no connection came free in time, or
/// it cannot write (disk full, read-only, an I/O error). Retrying later can succeed once an
/// operator or the database itself has dealt with it, and nothing was stored. Everything else (a
/// constraint, a migration that does not match, bad SQL, undecodable data) is a bug or a
/// misconfiguration that retrying does not mend.
pub(crate) fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Database(db) => {
            let Some(code) = db.code() else { return false };
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // SQLite gives its extended result code; the primary code is its low byte.
                // https://www.sqlite.org/rescode.html
                let primary = code.parse::<u32>().map_or(0, |code| code & 0xff);
                matches!(
                    primary,
                    5  // SQLITE_BUSY: still locked after busy_timeout
                    | 8 // SQLITE_READONLY: the file or its directory cannot be written
                    | 10 // SQLITE_IOERR: the operating system failed a read or write
                    | 13 // SQLITE_FULL: the disk (or a quota) is full
                    | 14 // SQLITE_CANTOPEN: the file cannot be opened
                )
            } else {
                // PostgreSQL's SQLSTATE (https://www.postgresql.org/docs/15/errcodes-appendix.html):
                // 08 connection exception; 53 insufficient resources (disk full, out of memory,
                // too many connections); 57P01-57P03 the server shutting down or not yet
                // accepting connections; 25006 a read-only transaction (a standby).
                code.starts_with("08")
                    || code.starts_with("53")
                    || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "25006")
            }
        }
        sqlx::Error::Migrate(migrate) => match &**migrate {
            MigrateError::Execute(inner) | MigrateError::ExecuteMigration(inner, _) => {
                is_unavailable(inner)
            }
            _ => false,
        },
        _ => false,
    }
}

/// What went wrong, in words that can go to a log.
fn text(error: &sqlx::Error) -> String {
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
        sqlx::Error::BeginFailed => {
            "a transaction could not begin: the connection was still in another one".to_owned()
        }
        sqlx::Error::InvalidSavePointStatement => "a savepoint statement was refused".to_owned(),
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
        MigrateError::Execute(inner) => format!("migrating: {}", text(inner)),
        MigrateError::ExecuteMigration(inner, version) => {
            format!("migration {version}: {}", text(inner))
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
