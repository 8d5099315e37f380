//! Durable storage for radiculo: stored assessments, episodes, CDS Hooks feedback and API keys,
//! on SQLite (embedded, the default) or PostgreSQL (shared by several stateless servers),
//! through one code path.
//!
//! [`Store`] is the whole interface. It keeps four things: API keys (a public id, the tenant it
//! belongs to and the SHA-256 of its secret; the secret itself is shown once and never stored),
//! assessments (the case and the assessment as the JSON text it is given, byte for byte, with
//! the tenant, the time and the knowledge-base version), episodes (one person's assessments
//! over time under the client's opaque reference for them; erasing an episode erases its
//! assessments in the same statement) and CDS Hooks feedback (each item of a
//! `POST /cds-services/{id}/feedback` as the JSON text it is given, with the tenant, the service,
//! the card, the outcome and both times; the items of one request are stored together or not at
//! all). Every read and delete is scoped to a tenant: another tenant's record looks absent.
//!
//! This crate knows nothing about HTTP, the engine or the case format: it never parses the JSON
//! it stores, reads no clock (the caller passes every time) and reads no environment or
//! configuration beyond the URL it is given. It logs nothing, and no error it returns contains a
//! record's contents, a key's secret or a database password: health data stays in the database.
//!
//! # One code path, two databases
//! Queries go through sqlx's `Any` driver with the same `$1, $2` SQL on both backends, built at
//! run time (no compile-time query checking, so no database is needed to build). Ids, times and
//! JSON are `TEXT`, the types the `Any` driver reads the same way everywhere. The schema is a
//! list of numbered migrations per backend under `migrations/`, applied by [`Store::connect`]
//! and never edited once released (see `migrations.rs`).
//!
//! # SQLite durability
//! Every SQLite connection is set up with:
//! - `journal_mode = WAL`: readers do not block the writer, so a server can answer reads while
//!   it stores; a commit is one append to the log.
//! - `synchronous = FULL`: each commit syncs the log to disk before it returns, so a write that
//!   was acknowledged survives a crash of the process (`kill -9`) or of the machine. (`NORMAL`,
//!   the usual WAL choice, may lose the last commits on power loss: not acceptable for records a
//!   clinician was told were saved.)
//! - `foreign_keys = ON` and `busy_timeout = 5000` ms: constraints are enforced, and a writer
//!   waits for another instead of failing at once.
//! - `secure_delete = ON`: a deleted record's bytes are overwritten with zeros rather than left
//!   in free pages. After a delete the log is checkpointed and truncated, so the old page images
//!   it held go too (if a reader holds the log open, this happens at a later checkpoint).
//! - `wal_autocheckpoint = 0`: no commit copies the log back into the database file on its
//!   way out; a background task does that (see below).
//!
//! Assessments and feedback are inserted by one writer task with a connection of its own, which
//! commits the inserts queued at that moment in one transaction and answers each caller only
//! after that commit (and so its fsync) has returned: group commit, with the durability of one
//! commit per record and a fraction of the fsyncs and none of the lock queueing. A second task
//! checkpoints the log every second with a passive checkpoint, which blocks neither the writer
//! nor readers. Reads, keys, episodes and deletes use a pool of connections. [`Store::close`] writes the
//! queued inserts before it returns. (`writer.rs` says more.) On PostgreSQL every insert (an
//! assessment, or a feedback request's items) is its own transaction on the pool: the server
//! commits concurrent transactions together by itself.
//!
//! The database is always a file (a missing file and its directory are created): an in-memory
//! SQLite database would give each pooled connection a database of its own. On PostgreSQL a
//! deleted row's bytes stay in the table file until vacuum reuses the space; durability follows
//! the server's settings.
//!
//! # Layout
//! - `lib.rs`: [`Store`] and the types it takes and returns.
//! - `location.rs`: database URLs (which backend; which SQLite file).
//! - `migrations.rs`: the embedded migration lists.
//! - `secret.rs`: key secrets, their hashes, ids and tenant names.
//! - `sql_error.rs`: sqlx errors as loggable [`StoreError`]s.
//! - `writer.rs`: SQLite's writer task (group commit) and checkpointer.
//!
//! # Feedback
//! [`Store::insert_feedback`] and [`Store::list_feedback`] keep what CDS Hooks clients report of
//! the cards they were shown. The store does not read the CDS request: the caller checks it and
//! hands over each item's fields and its JSON text; the database checks only that the outcome is
//! `accepted` or `overridden`. Rows are listed in the order they were received (newest first),
//! by the sequence number the database gives them, as assessments are; `received_at` is the
//! caller's time and is only kept.
#![deny(missing_docs)]

mod location;
mod migrations;
mod secret;
mod sql_error;
mod writer;

use std::fmt;
use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, Connection as _, Row as _};

use crate::location::Location;
use crate::sql_error::during;
use crate::writer::Writer;

/// Settings applied to every new SQLite connection, in order (see the crate documentation).
/// `journal_mode` comes first and is checked separately, since SQLite answers with the mode it
/// actually chose instead of failing.
const SQLITE_SETTINGS: &[&str] = &[
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA secure_delete = ON",
    "PRAGMA wal_autocheckpoint = 0",
];

/// How long a caller waits for a pooled connection before the store reports an error.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The most records one page holds.
const MAX_PAGE: u32 = 100;

/// The columns of a stored assessment, in the order [`assessment_from_row`] reads them.
const ASSESSMENT_COLUMNS: &str = "id, tenant, created_at, kb_version, case_json, assessment_json";

/// The columns of a stored feedback item, in the order [`feedback_from_columns`] reads them.
const FEEDBACK_COLUMNS: &str =
    "id, tenant, service, card, outcome, outcome_timestamp, received_at, feedback_json";

/// The statement that inserts one feedback item, its parameters in [`FEEDBACK_COLUMNS`]' order.
const INSERT_FEEDBACK: &str = "INSERT INTO cds_feedback \
     (id, tenant, service, card, outcome, outcome_timestamp, received_at, feedback_json) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// The storage: a pool of connections to one database (and on SQLite its writer task).
/// Cloning is cheap and shares both.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// SQLite's writer of assessments and feedback; `None` on PostgreSQL.
    writer: Option<Writer>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pool's options are left out: they are no one's business in a log.
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database at `url` and brings its schema up to date.
    ///
    /// Accepts `sqlite:///abs/path.db`, `sqlite://rel/path.db` and `sqlite:rel/path.db`
    /// (relative to the current directory, resolved now), and `postgres://…` or
    /// `postgresql://…`. A missing SQLite file is created, with its directory.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (pool, backend, sqlite_url) = match location::parse(url)? {
            Location::Sqlite(path) => {
                let (pool, url) = open_sqlite(&path).await?;
                (pool, Backend::Sqlite, Some(url))
            }
            Location::Postgres(url) => (open_postgres(&url).await?, Backend::Postgres, None),
        };
        migrations::migrator(backend)
            .run(&pool)
            .await
            .map_err(|error| during("migrate")(sqlx::Error::Migrate(Box::new(error))))?;
        // Started after the migrations, so the writer never sees an older schema.
        let writer = match sqlite_url {
            Some(url) => match Writer::start(url).await {
                Ok(writer) => Some(writer),
                Err(error) => {
                    pool.close().await;
                    return Err(error);
                }
            },
            None => None,
        };
        Ok(Store {
            pool,
            backend,
            writer,
        })
    }

    /// Which database is behind the store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks that the database answers (for a readiness probe).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(during("ping"))?;
        Ok(())
    }

    /// Closes every connection, waiting for those in use to be returned. On SQLite the inserts
    /// already queued are written (and their callers answered) first, and the log is emptied
    /// into the database file. Later calls fail.
    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }

    /// Creates an API key for `tenant` at time `now` (RFC 3339). The secret in the result is the
    /// only copy: the store keeps its SHA-256.
    pub async fn create_key(&self, tenant: &str, now: &str) -> Result<NewKey, StoreError> {
        secret::check_tenant(tenant)?;
        let id = secret::new_key_id()?;
        let secret = secret::new_secret()?;
        sqlx::query(
            "INSERT INTO api_keys (id, tenant, secret_sha256, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id.as_str())
        .bind(tenant)
        .bind(secret::secret_sha256(&secret))
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(during("create key"))?;
        Ok(NewKey {
            id,
            tenant: tenant.to_owned(),
            secret,
        })
    }

    /// Revokes the key with public id `key_id` at time `now`. Returns whether an active key was
    /// revoked (false for an unknown or already revoked key).
    pub async fn revoke_key(&self, key_id: &str, now: &str) -> Result<bool, StoreError> {
        let done =
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(key_id)
                .execute(&self.pool)
                .await
                .map_err(during("revoke key"))?;
        Ok(done.rows_affected() > 0)
    }

    /// The active key whose secret is `secret`, if any. The key is found by the secret's hash
    /// (a secret carries no key id to look it up by), and the hash the database gives back is
    /// compared with the secret's again in constant time (`SECURITY.md` says why the lookup
    /// itself is no timing oracle).
    pub async fn authenticate(&self, secret: &str) -> Result<Option<KeyInfo>, StoreError> {
        if !secret::looks_like_secret(secret) {
            return Ok(None);
        }
        let presented = secret::secret_sha256(secret);
        let row = sqlx::query(
            "SELECT id, tenant, secret_sha256 FROM api_keys \
             WHERE secret_sha256 = $1 AND revoked_at IS NULL",
        )
        .bind(presented.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(during("authenticate"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let stored: String = row.try_get(2).map_err(during("authenticate"))?;
        if !secret::hashes_match(&stored, &presented) {
            return Ok(None);
        }
        Ok(Some(KeyInfo {
            id: row.try_get(0).map_err(during("authenticate"))?,
            tenant: row.try_get(1).map_err(during("authenticate"))?,
        }))
    }

    /// Stores an assessment for `tenant` under a new random id. It is committed (and on SQLite
    /// synced to disk) before this returns. The JSON texts are taken as `String`s or `&str`s:
    /// given owned, they are stored and returned without a copy.
    pub async fn insert_assessment(
        &self,
        tenant: &str,
        created_at: &str,
        kb_version: &str,
        case_json: impl Into<String>,
        assessment_json: impl Into<String>,
    ) -> Result<StoredAssessment, StoreError> {
        secret::check_tenant(tenant)?;
        let record = StoredAssessment {
            id: secret::new_record_id()?,
            tenant: tenant.to_owned(),
            created_at: created_at.to_owned(),
            kb_version: kb_version.to_owned(),
            case_json: case_json.into(),
            assessment_json: assessment_json.into(),
        };
        if let Some(writer) = &self.writer {
            return writer.insert_assessment(record).await;
        }
        sqlx::query(
            "INSERT INTO assessments \
             (id, tenant, created_at, kb_version, case_json, assessment_json) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(record.id.as_str())
        .bind(record.tenant.as_str())
        .bind(record.created_at.as_str())
        .bind(record.kb_version.as_str())
        .bind(record.case_json.as_str())
        .bind(record.assessment_json.as_str())
        .execute(&self.pool)
        .await
        .map_err(during("insert assessment"))?;
        Ok(record)
    }

    /// The tenant's assessment with this id; `None` if there is none or it is another tenant's.
    pub async fn get_assessment(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<StoredAssessment>, StoreError> {
        let sql =
            format!("SELECT {ASSESSMENT_COLUMNS} FROM assessments WHERE id = $1 AND tenant = $2");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(tenant)
            .fetch_optional(&self.pool)
            .await
            .and_then(|row| row.as_ref().map(assessment_from_row).transpose())
            .map_err(during("get assessment"))
    }

    /// One page of the tenant's assessments, newest first: at most `limit` (clamped to 1..=100)
    /// records stored before the one `cursor` points at, or the newest when `cursor` is `None`.
    /// `Page::next` is the cursor of the following page.
    pub async fn list_assessments(
        &self,
        tenant: &str,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        let before = before(cursor)?;
        let limit = limit.clamp(1, MAX_PAGE);
        // One more than the page, to learn whether another page follows.
        let sql = format!(
            "SELECT seq, {ASSESSMENT_COLUMNS} FROM assessments \
             WHERE tenant = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant)
            .bind(before)
            .bind(i64::from(limit) + 1)
            .fetch_all(&self.pool)
            .await
            .and_then(|rows| page_of(rows, limit, assessment_from_columns))
            .map_err(during("list assessments"))
    }

    /// Deletes the tenant's assessment with this id for good. Returns false if there is none or
    /// it is another tenant's.
    pub async fn delete_assessment(&self, tenant: &str, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM assessments WHERE id = $1 AND tenant = $2")
            .bind(id)
            .bind(tenant)
            .execute(&self.pool)
            .await
            .map_err(during("delete assessment"))?;
        let deleted = done.rows_affected() > 0;
        if deleted {
            self.checkpoint_after_delete().await;
        }
        Ok(deleted)
    }

    /// Creates an episode for `tenant` about `subject` (the client's opaque reference for the
    /// person, which the store keeps as given) at time `now`, under a new random id.
    pub async fn create_episode(
        &self,
        tenant: &str,
        subject: &str,
        now: &str,
    ) -> Result<Episode, StoreError> {
        secret::check_tenant(tenant)?;
        let episode = Episode {
            id: secret::new_record_id()?,
            tenant: tenant.to_owned(),
            subject: subject.to_owned(),
            created_at: now.to_owned(),
        };
        sqlx::query(
            "INSERT INTO episodes (id, tenant, subject, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(episode.id.as_str())
        .bind(episode.tenant.as_str())
        .bind(episode.subject.as_str())
        .bind(episode.created_at.as_str())
        .execute(&self.pool)
        .await
        .map_err(during("create episode"))?;
        Ok(episode)
    }

    /// The tenant's episode with this id and its assessments, oldest first; `None` if there is
    /// none or it is another tenant's.
    pub async fn get_episode(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<(Episode, Vec<StoredAssessment>)>, StoreError> {
        self.read_episode(id, Some(tenant)).await
    }

    /// The episode with this id, whichever tenant's it is, and its assessments, oldest first:
    /// for an operator's tools (`radiculo episode show`), which hold the database URL and so
    /// every tenant's records anyway. Never for a request: those use [`Store::get_episode`].
    pub async fn get_episode_as_operator(
        &self,
        id: &str,
    ) -> Result<Option<(Episode, Vec<StoredAssessment>)>, StoreError> {
        self.read_episode(id, None).await
    }

    async fn read_episode(
        &self,
        id: &str,
        tenant: Option<&str>,
    ) -> Result<Option<(Episode, Vec<StoredAssessment>)>, StoreError> {
        // One transaction, so that the episode and its assessments are read as of one moment
        // (an erasure between two reads would otherwise show an episode with no assessments).
        let mut tx = self.pool.begin().await.map_err(during("get episode"))?;
        let columns = "SELECT id, tenant, subject, created_at FROM episodes WHERE id = $1";
        let query = match tenant {
            Some(tenant) => sqlx::query(sqlx::AssertSqlSafe(format!("{columns} AND tenant = $2")))
                .bind(id)
                .bind(tenant),
            None => sqlx::query(columns).bind(id),
        };
        let episode = query
            .fetch_optional(&mut *tx)
            .await
            .and_then(|row| {
                row.map(|row| {
                    Ok(Episode {
                        id: row.try_get(0)?,
                        tenant: row.try_get(1)?,
                        subject: row.try_get(2)?,
                        created_at: row.try_get(3)?,
                    })
                })
                .transpose()
            })
            .map_err(during("get episode"))?;
        let Some(episode) = episode else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT {ASSESSMENT_COLUMNS} FROM assessments \
             WHERE episode_id = $1 AND tenant = $2 ORDER BY seq"
        );
        let assessments = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(episode.tenant.as_str())
            .fetch_all(&mut *tx)
            .await
            .and_then(|rows| rows.iter().map(assessment_from_row).collect())
            .map_err(during("get episode"))?;
        tx.commit().await.map_err(during("get episode"))?;
        Ok(Some((episode, assessments)))
    }

    /// Stores an assessment in the tenant's episode `episode_id`, under a new random id,
    /// committed before this returns, unless the episode is not the tenant's (or does not exist)
    /// or already holds [`MAX_EPISODE_ASSESSMENTS`]. The check and the insert are one
    /// statement, so an episode erased meanwhile never gains an orphan.
    pub async fn insert_episode_assessment(
        &self,
        tenant: &str,
        episode_id: &str,
        created_at: &str,
        kb_version: &str,
        case_json: impl Into<String>,
        assessment_json: impl Into<String>,
    ) -> Result<EpisodeInsert, StoreError> {
        secret::check_tenant(tenant)?;
        let record = StoredAssessment {
            id: secret::new_record_id()?,
            tenant: tenant.to_owned(),
            created_at: created_at.to_owned(),
            kb_version: kb_version.to_owned(),
            case_json: case_json.into(),
            assessment_json: assessment_json.into(),
        };
        let done = sqlx::query(
            "INSERT INTO assessments \
             (id, tenant, created_at, kb_version, case_json, assessment_json, episode_id) \
             SELECT $1, $2, $3, $4, $5, $6, $7 \
             WHERE EXISTS (SELECT 1 FROM episodes WHERE id = $7 AND tenant = $2) \
             AND (SELECT COUNT(*) FROM assessments WHERE episode_id = $7) < $8",
        )
        .bind(record.id.as_str())
        .bind(record.tenant.as_str())
        .bind(record.created_at.as_str())
        .bind(record.kb_version.as_str())
        .bind(record.case_json.as_str())
        .bind(record.assessment_json.as_str())
        .bind(episode_id)
        .bind(i64::from(MAX_EPISODE_ASSESSMENTS))
        .execute(&self.pool)
        .await
        .map_err(during("insert episode assessment"))?;
        if done.rows_affected() > 0 {
            return Ok(EpisodeInsert::Stored(record));
        }
        let exists = sqlx::query("SELECT 1 FROM episodes WHERE id = $1 AND tenant = $2")
            .bind(episode_id)
            .bind(tenant)
            .fetch_optional(&self.pool)
            .await
            .map_err(during("insert episode assessment"))?
            .is_some();
        Ok(if exists {
            EpisodeInsert::Full
        } else {
            EpisodeInsert::NoEpisode
        })
    }

    /// Erases the tenant's episode with this id and every assessment in it, for good, in one
    /// statement (the foreign key cascades). Returns false if there is none or it is another
    /// tenant's.
    pub async fn delete_episode(&self, tenant: &str, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM episodes WHERE id = $1 AND tenant = $2")
            .bind(id)
            .bind(tenant)
            .execute(&self.pool)
            .await
            .map_err(during("delete episode"))?;
        let deleted = done.rows_affected() > 0;
        if deleted {
            self.checkpoint_after_delete().await;
        }
        Ok(deleted)
    }

    /// On SQLite, after a delete: copies the zeroed pages into the database file and empties
    /// the log, so the deleted records' old page images do not linger in the log. This is best
    /// effort: with a reader holding the log open the checkpoint stops short (without an
    /// error), and a later one finishes the job. The records are already deleted either way.
    async fn checkpoint_after_delete(&self) {
        if self.backend == Backend::Sqlite {
            let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_all(&self.pool)
                .await;
        }
    }

    /// Stores the items of one CDS Hooks feedback request that `tenant` sent to CDS service
    /// `service`, received at `now` (RFC 3339, the caller's clock), each under a new random id.
    /// All of them are committed (and on SQLite synced to disk) in one transaction before this
    /// returns, or none is. Returns their ids in the order of `items`.
    ///
    /// Only the tenant name is checked here; the request itself is the caller's to check. An
    /// empty `items` stores nothing.
    pub async fn insert_feedback(
        &self,
        tenant: &str,
        service: &str,
        items: &[NewFeedback],
        now: &str,
    ) -> Result<Vec<String>, StoreError> {
        secret::check_tenant(tenant)?;
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let records = items
            .iter()
            .map(|item| {
                Ok(StoredFeedback {
                    id: secret::new_record_id()?,
                    tenant: tenant.to_owned(),
                    service: service.to_owned(),
                    card: item.card.clone(),
                    outcome: item.outcome,
                    outcome_timestamp: item.outcome_timestamp.clone(),
                    received_at: now.to_owned(),
                    json: item.json.clone(),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let records = match &self.writer {
            Some(writer) => writer.insert_feedback(records).await?,
            None => {
                let mut tx = self.pool.begin().await.map_err(during("insert feedback"))?;
                if let Err(error) = insert_feedback_items(&mut tx, &records).await {
                    // Explicitly, rather than on drop, which only schedules the rollback.
                    let _ = tx.rollback().await;
                    return Err(during("insert feedback")(error));
                }
                tx.commit().await.map_err(during("insert feedback"))?;
                records
            }
        };
        Ok(records.into_iter().map(|record| record.id).collect())
    }

    /// One page of the feedback `tenant` sent to CDS service `service`, newest first, paged as
    /// [`Store::list_assessments`] pages: at most `limit` (clamped to 1..=100) items stored
    /// before the one `cursor` points at, or the newest when `cursor` is `None`. Items of one
    /// request come last first.
    pub async fn list_feedback(
        &self,
        tenant: &str,
        service: &str,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<Page<StoredFeedback>, StoreError> {
        let before = before(cursor)?;
        let limit = limit.clamp(1, MAX_PAGE);
        // One more than the page, to learn whether another page follows.
        let sql = format!(
            "SELECT seq, {FEEDBACK_COLUMNS} FROM cds_feedback \
             WHERE tenant = $1 AND service = $2 AND seq < $3 ORDER BY seq DESC LIMIT $4"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(tenant)
            .bind(service)
            .bind(before)
            .bind(i64::from(limit) + 1)
            .fetch_all(&self.pool)
            .await
            .and_then(|rows| page_of(rows, limit, feedback_from_columns))
            .map_err(during("list feedback"))
    }
}

/// Inserts `items`, one statement each, on `conn` (inside the caller's transaction, on either
/// backend). Feedback comes one or a few items at a time, so one statement a row costs little
/// and keeps a single prepared statement.
pub(crate) async fn insert_feedback_items(
    conn: &mut AnyConnection,
    items: &[StoredFeedback],
) -> Result<(), sqlx::Error> {
    for item in items {
        sqlx::query(INSERT_FEEDBACK)
            .bind(item.id.as_str())
            .bind(item.tenant.as_str())
            .bind(item.service.as_str())
            .bind(item.card.as_str())
            .bind(item.outcome.as_str())
            .bind(item.outcome_timestamp.as_str())
            .bind(item.received_at.as_str())
            .bind(item.json.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The pool settings shared by both backends. A caller waits at most [`ACQUIRE_TIMEOUT`] for a
/// connection, so that requests (and readiness probes) fail soon when the database is gone rather
/// than after sqlx's default 30 seconds.
fn pool_options() -> AnyPoolOptions {
    AnyPoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT)
}

async fn open_postgres(url: &str) -> Result<AnyPool, StoreError> {
    let options: AnyConnectOptions = url
        .parse()
        .map_err(|_| StoreError::Url("malformed PostgreSQL URL".to_owned()))?;
    // One connection by hand first: a pool retries a failing connection until its acquire
    // timeout and then reports only the timeout, whereas this reports the cause (refused,
    // unknown database, authentication) at once.
    AnyConnection::connect_with(&options)
        .await
        .map_err(during("connect to PostgreSQL"))?
        .close()
        .await
        .map_err(during("connect to PostgreSQL"))?;
    pool_options()
        .connect_with(options)
        .await
        .map_err(during("connect to PostgreSQL"))
}

/// Opens (creating when missing) the SQLite file at `path` with the settings described in the
/// crate documentation. Returns the pool and the URL it was opened with.
async fn open_sqlite(path: &Path) -> Result<(AnyPool, String), StoreError> {
    let path = std::path::absolute(path).map_err(|error| {
        StoreError::Database(format!(
            "cannot resolve the SQLite path against the current directory ({})",
            error.kind()
        ))
    })?;
    if let Some(parent) = path.parent() {
        create_private(parent, true).map_err(|error| {
            StoreError::Database(format!(
                "cannot create the directory {} ({})",
                parent.display(),
                error.kind()
            ))
        })?;
    }
    create_private(&path, false).map_err(|error| {
        StoreError::Database(format!(
            "cannot create the database file {} ({})",
            path.display(),
            error.kind()
        ))
    })?;
    let url = location::sqlx_sqlite_url(&path);
    let pool = pool_options()
        // A connection to a local file does not go stale, so checking each before it is
        // handed out (a round trip to the connection's thread) buys nothing.
        .test_before_acquire(false)
        .after_connect(|conn, _| Box::pin(configure_sqlite(conn)))
        .connect(&url)
        .await
        .map_err(during("open SQLite database"))?;
    Ok((pool, url))
}

/// Creates the directory (with its parents) or the empty file at `path` where it is missing,
/// readable by its owner only on Unix (0700, 0600): the file holds health data, and SQLite
/// gives its log and log index the file's permissions. What exists already is left as it is (an
/// operator may have chosen a group).
fn create_private(path: &Path, directory: bool) -> std::io::Result<()> {
    #[cfg(unix)]
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
    if directory {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        builder.mode(0o700);
        return builder.create(path);
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    match options.open(path) {
        Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => Err(error),
        _ => Ok(()),
    }
}

/// One SQLite connection outside the pool (for the writer and the checkpointer), set up like
/// the pool's.
pub(crate) async fn connect_sqlite(url: &str) -> Result<AnyConnection, sqlx::Error> {
    let mut conn = AnyConnection::connect(url).await?;
    configure_sqlite(&mut conn).await?;
    Ok(conn)
}

async fn configure_sqlite(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode = WAL")
        .fetch_one(&mut *conn)
        .await?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(sqlx::Error::Configuration(
            format!("SQLite kept journal mode {mode} instead of WAL").into(),
        ));
    }
    for &setting in SQLITE_SETTINGS {
        sqlx::query(setting).execute(&mut *conn).await?;
    }
    Ok(())
}

/// The sequence number a page starts below: the cursor's, or above every row without one.
fn before(cursor: Option<&str>) -> Result<i64, StoreError> {
    match cursor {
        None => Ok(i64::MAX),
        Some(cursor) => parse_cursor(cursor),
    }
}

/// Reads a cursor handed out by [`Store::list_assessments`] or [`Store::list_feedback`]: a
/// positive sequence number.
fn parse_cursor(cursor: &str) -> Result<i64, StoreError> {
    if cursor.is_empty() || !cursor.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StoreError::InvalidCursor);
    }
    match cursor.parse::<i64>() {
        Ok(seq) if seq > 0 => Ok(seq),
        _ => Err(StoreError::InvalidCursor),
    }
}

/// A page made of `rows`, which were fetched newest first with one row more than `limit` (to
/// tell whether another page follows), each with its sequence number in column 0 and the record,
/// read by `read`, from column 1 on.
fn page_of<T>(
    mut rows: Vec<AnyRow>,
    limit: u32,
    read: fn(&AnyRow, usize) -> Result<T, sqlx::Error>,
) -> Result<Page<T>, sqlx::Error> {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next = match (more, rows.last()) {
        (true, Some(last)) => Some(last.try_get::<i64, _>(0)?.to_string()),
        _ => None,
    };
    let items = rows
        .iter()
        .map(|row| read(row, 1))
        .collect::<Result<_, _>>()?;
    Ok(Page { items, next })
}

fn assessment_from_row(row: &AnyRow) -> Result<StoredAssessment, sqlx::Error> {
    assessment_from_columns(row, 0)
}

/// Reads [`ASSESSMENT_COLUMNS`] from `row`, starting at column `first`.
fn assessment_from_columns(row: &AnyRow, first: usize) -> Result<StoredAssessment, sqlx::Error> {
    Ok(StoredAssessment {
        id: row.try_get(first)?,
        tenant: row.try_get(first + 1)?,
        created_at: row.try_get(first + 2)?,
        kb_version: row.try_get(first + 3)?,
        case_json: row.try_get(first + 4)?,
        assessment_json: row.try_get(first + 5)?,
    })
}

/// Reads [`FEEDBACK_COLUMNS`] from `row`, starting at column `first`.
fn feedback_from_columns(row: &AnyRow, first: usize) -> Result<StoredFeedback, sqlx::Error> {
    let outcome: String = row.try_get(first + 4)?;
    // The database's check allows nothing else; the value stays out of the error all the same.
    let outcome = FeedbackOutcome::parse(&outcome).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: (first + 4).to_string(),
        source: "not a feedback outcome".into(),
    })?;
    Ok(StoredFeedback {
        id: row.try_get(first)?,
        tenant: row.try_get(first + 1)?,
        service: row.try_get(first + 2)?,
        card: row.try_get(first + 3)?,
        outcome,
        outcome_timestamp: row.try_get(first + 5)?,
        received_at: row.try_get(first + 6)?,
        json: row.try_get(first + 7)?,
    })
}

/// A storage error. Messages never contain record contents or keys.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not `sqlite://…` or `postgres://…`, or is malformed.
    #[error("unsupported or malformed database URL: {0}")]
    Url(String),
    /// The database cannot be used for now, though nothing is wrong with the request or the
    /// store: it cannot be reached (refused, reset, shutting down, not yet accepting
    /// connections), no connection came free within the wait, or it cannot write (the disk is
    /// full, the file or the server is read-only, the operating system failed an I/O). Nothing
    /// of the operation was stored. Retrying later can succeed; a server answers 503 and stays up.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database failed in a way that retrying does not mend (a constraint, a migration that
    /// does not match this build, data it cannot read), or the operating system could not
    /// supply random bytes for a new key or id: a bug or a misconfiguration.
    #[error("database error: {0}")]
    Database(String),
    /// A tenant name is not 1 to 64 characters of `A-Z a-z 0-9 _ . -`. The text says why.
    #[error("invalid tenant name: {0}")]
    InvalidTenant(String),
    /// A page cursor is not one this store handed out.
    #[error("invalid page cursor")]
    InvalidCursor,
}

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (WAL mode, full sync on commit).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// An API key as created: the secret is shown once and never stored.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// The key's public id (for revocation and logs).
    pub id: String,
    /// The tenant it belongs to.
    pub tenant: String,
    /// The secret to give to the client (`Authorization: Bearer …`).
    pub secret: String,
}

/// An authenticated key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key's public id.
    pub id: String,
    /// The tenant it belongs to.
    pub tenant: String,
}

/// An episode: one person's assessments over time, under the client's reference for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Episode {
    /// The episode id (a UUID).
    pub id: String,
    /// The tenant that owns it.
    pub tenant: String,
    /// The client's opaque reference for the person, as given.
    pub subject: String,
    /// When it was created, RFC 3339 UTC, as given by the caller.
    pub created_at: String,
}

/// What [`Store::insert_episode_assessment`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EpisodeInsert {
    /// Stored, as this record.
    Stored(StoredAssessment),
    /// Not stored: the tenant has no episode with that id.
    NoEpisode,
    /// Not stored: the episode already holds [`MAX_EPISODE_ASSESSMENTS`] assessments.
    Full,
}

/// The most assessments one episode holds: an episode is read whole, so it is bounded. (A
/// course reviewed weekly for a year is 52.)
pub const MAX_EPISODE_ASSESSMENTS: u32 = 200;

/// A stored assessment, exactly as it was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAssessment {
    /// The record id (a UUID).
    pub id: String,
    /// The tenant that owns it.
    pub tenant: String,
    /// When it was stored, RFC 3339 UTC, as given by the caller.
    pub created_at: String,
    /// The knowledge-base version that made the assessment.
    pub kb_version: String,
    /// The case, as JSON text.
    pub case_json: String,
    /// The assessment, as JSON text.
    pub assessment_json: String,
}

/// One item of a CDS Hooks feedback request, as the caller read it, to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeedback {
    /// The card the feedback is about (the card's `uuid`).
    pub card: String,
    /// What the user did with the card.
    pub outcome: FeedbackOutcome,
    /// When the user did it (`outcomeTimestamp`), as sent.
    pub outcome_timestamp: String,
    /// The whole feedback item, as the JSON text that was sent.
    pub json: String,
}

/// A stored CDS Hooks feedback item, exactly as it was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFeedback {
    /// The item's id (a UUID).
    pub id: String,
    /// The tenant that sent it.
    pub tenant: String,
    /// The CDS service it was sent to (the `{id}` of `/cds-services/{id}/feedback`).
    pub service: String,
    /// The card it is about.
    pub card: String,
    /// What the user did with the card.
    pub outcome: FeedbackOutcome,
    /// When the user did it, as sent.
    pub outcome_timestamp: String,
    /// When it was received, as given by the caller that stored it.
    pub received_at: String,
    /// The whole feedback item, as JSON text.
    pub json: String,
}

/// What a user did with a CDS Hooks card (`outcome` in the feedback).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeedbackOutcome {
    /// `accepted`: the user took the card's advice (possibly some of its suggestions).
    Accepted,
    /// `overridden`: the user chose not to follow it.
    Overridden,
}

impl FeedbackOutcome {
    /// The outcome as CDS Hooks writes it, and as it is stored.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackOutcome::Accepted => "accepted",
            FeedbackOutcome::Overridden => "overridden",
        }
    }

    /// The outcome CDS Hooks writes as `text` (exactly, case included), if any.
    pub fn parse(text: &str) -> Option<FeedbackOutcome> {
        match text {
            "accepted" => Some(FeedbackOutcome::Accepted),
            "overridden" => Some(FeedbackOutcome::Overridden),
            _ => None,
        }
    }
}

/// One page of a tenant's records (assessments unless said otherwise), newest first.
#[derive(Debug, Clone)]
pub struct Page<T = StoredAssessment> {
    /// The records.
    pub items: Vec<T>,
    /// An opaque cursor for the next page, if there is one.
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sqlite_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("r.db").display());
        let store = Store::connect(&url).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn every_sqlite_connection_gets_the_durability_settings() {
        let (dir, store) = sqlite_store().await;
        // Hold several connections at once, so that more than one is set up.
        let mut conns = Vec::new();
        for _ in 0..3 {
            conns.push(store.pool.acquire().await.unwrap().detach());
        }
        // And one as the writer and the checkpointer open theirs.
        let url = location::sqlx_sqlite_url(&dir.path().join("r.db"));
        conns.push(connect_sqlite(&url).await.unwrap());
        for conn in &mut conns {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(mode, "wal");
            for (pragma, expected) in [
                ("synchronous", 2), // FULL
                ("foreign_keys", 1),
                ("busy_timeout", 5000),
                ("secure_delete", 1),
                ("wal_autocheckpoint", 0),
            ] {
                let value: i64 =
                    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("PRAGMA {pragma}")))
                        .fetch_one(&mut *conn)
                        .await
                        .unwrap();
                assert_eq!(value, expected, "PRAGMA {pragma}");
            }
        }
    }

    #[tokio::test]
    async fn database_errors_name_the_constraint_not_the_values() {
        let (_dir, store) = sqlite_store().await;
        let insert = "INSERT INTO assessments \
                      (id, tenant, created_at, kb_version, case_json, assessment_json) \
                      VALUES ('dup-id-7f3a', 't', 'now', 'kb', 'case-marker', 'assessment-marker')";
        sqlx::query(insert).execute(&store.pool).await.unwrap();
        let error = sqlx::query(insert)
            .execute(&store.pool)
            .await
            .map_err(during("insert assessment"))
            .unwrap_err();
        let StoreError::Database(message) = &error else {
            panic!("expected a database error, got {error:?}");
        };
        assert!(
            message.starts_with("insert assessment: unique constraint violated"),
            "{message}"
        );
        for value in ["dup-id-7f3a", "case-marker", "assessment-marker"] {
            assert!(!message.contains(value), "{message}");
        }
    }

    #[test]
    fn cursors_are_positive_sequence_numbers() {
        assert_eq!(parse_cursor("1").unwrap(), 1);
        assert_eq!(parse_cursor("9223372036854775807").unwrap(), i64::MAX);
        for bad in [
            "",
            "0",
            "-1",
            "+1",
            " 1",
            "1.0",
            "abc",
            "9223372036854775808",
        ] {
            assert!(
                matches!(parse_cursor(bad), Err(StoreError::InvalidCursor)),
                "{bad:?}"
            );
        }
    }
}
