//! The schema migrations, one list per backend, embedded in the binary.
//!
//! The SQL lives in `migrations/<backend>/NNNN_description.sql`. Each file is listed here by
//! hand rather than through `sqlx::migrate!`, which would pull in sqlx's macro crate and its
//! drivers a second time at build time; a test checks that the lists and the directories agree.
//! sqlx records a checksum of every applied migration and refuses to start if an applied file
//! changed, so a released file is never edited: a change is a new, higher-numbered file.

use std::borrow::Cow;

use sqlx::SqlSafeStr as _;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::Backend;

/// One migration file, embedded.
struct Embedded {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

const SQLITE: &[Embedded] = &[
    Embedded {
        version: 1,
        description: "initial schema",
        sql: include_str!("../migrations/sqlite/0001_initial_schema.sql"),
    },
    Embedded {
        version: 2,
        description: "cds feedback",
        sql: include_str!("../migrations/sqlite/0002_cds_feedback.sql"),
    },
    Embedded {
        version: 3,
        description: "episodes",
        sql: include_str!("../migrations/sqlite/0003_episodes.sql"),
    },
];

const POSTGRES: &[Embedded] = &[
    Embedded {
        version: 1,
        description: "initial schema",
        sql: include_str!("../migrations/postgres/0001_initial_schema.sql"),
    },
    Embedded {
        version: 2,
        description: "cds feedback",
        sql: include_str!("../migrations/postgres/0002_cds_feedback.sql"),
    },
    Embedded {
        version: 3,
        description: "episodes",
        sql: include_str!("../migrations/postgres/0003_episodes.sql"),
    },
];

fn embedded(backend: Backend) -> &'static [Embedded] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

/// The migrator for a backend. Each migration runs in its own transaction.
pub(crate) fn migrator(backend: Backend) -> Migrator {
    Migrator::with_migrations(
        embedded(backend)
            .iter()
            .map(|m| {
                Migration::new(
                    m.version,
                    Cow::Borrowed(m.description),
                    MigrationType::Simple,
                    m.sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::path::Path;

    /// The SHA-256 of every released migration file. A failure here means a released migration
    /// was edited, which databases that already applied it would refuse at startup: restore the
    /// file and put the change in a new migration, then add that file's hash here.
    const RELEASED: &[(&str, &str)] = &[
        (
            "sqlite/0001_initial_schema.sql",
            "ef4ddf518f5578e14aaac6f14dab5b78a31d00d155ffb82cb8b97d72cb361ffd",
        ),
        (
            "postgres/0001_initial_schema.sql",
            "90037cb4ca1d9fbfafe81ba505baf027ae9da6dea4b7ae5d8a7d759990977efb",
        ),
        (
            "sqlite/0002_cds_feedback.sql",
            "98462be2c94dce45642a40f6b12dfe2c1088670e5b12d3bcdaeb2f6dbc52c08d",
        ),
        (
            "postgres/0002_cds_feedback.sql",
            "e458a36c957b15dacb09907de36aa9a4f740960e3d844f38e2c38f7aee10a711",
        ),
    ];

    fn dir() -> &'static Path {
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
    }

    #[test]
    fn embedded_lists_match_the_directories() {
        for (backend, name) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
            let mut files: Vec<_> = std::fs::read_dir(dir().join(name))
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .collect();
            files.sort();
            let list = embedded(backend);
            assert_eq!(files.len(), list.len(), "{name}: a file is not embedded");
            for (file, m) in files.iter().zip(list) {
                let stem = file.file_stem().unwrap().to_str().unwrap();
                let (version, description) = stem.split_once('_').unwrap();
                assert_eq!(version.parse::<i64>().unwrap(), m.version, "{stem}");
                assert_eq!(description.replace('_', " "), m.description, "{stem}");
                assert_eq!(std::fs::read_to_string(file).unwrap(), m.sql, "{stem}");
            }
        }
    }

    #[test]
    fn released_migrations_are_unchanged() {
        for (file, expected) in RELEASED {
            let text = std::fs::read(dir().join(file)).unwrap();
            let actual: String = Sha256::digest(&text)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(&actual, expected, "{file} was edited after its release");
        }
    }
}
