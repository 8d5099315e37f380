//! SQLite's one writer of assessments and CDS feedback: group commit, and checkpoints off the
//! request path.
//!
//! SQLite lets one connection write at a time, and with `synchronous = FULL` each commit waits
//! for an fsync of the log. Storing each record in a transaction of its own from a pool of
//! connections therefore makes the connections queue on the write lock and pays one fsync per
//! record. Instead one task owns one connection and does every insert: it takes whatever writes
//! are queued (at most [`MAX_BATCH`]), writes them in one transaction, and answers each caller
//! only after COMMIT has returned, that is, after the fsync. An acknowledged record is exactly as
//! durable as before; only the fsync is shared. Nothing waits on a timer to fill a batch: a lone
//! write is done at once, and writes that arrive during a commit form the next batch.
//!
//! A *write* is what one caller asked for, stored whole or not at all: one assessment, or every
//! item of one feedback request. A write that fails (a constraint, say) fails its whole
//! transaction, so the batch is rolled back and each of its writes is retried in a transaction of
//! its own: one bad write never fails the others, and never leaves part of itself stored.
//!
//! Checkpoints (copying the log back into the database file, with an fsync of that file) would
//! otherwise run inside whichever commit crosses SQLite's threshold, in the middle of a request.
//! Every connection has `wal_autocheckpoint = 0`, and a second task runs a passive checkpoint on
//! a connection of its own every [`CHECKPOINT_INTERVAL`]. A passive checkpoint never blocks the
//! writer or a reader. Copying is not enough, though: SQLite starts the log again from its
//! beginning only when a write transaction begins with every page of the log copied, and under
//! a steady stream of writes the writer always appends more while a checkpoint runs, so the log
//! would grow for as long as the writes go on (a GB in 15 s of load). So the checkpointer
//! repeats its checkpoint, each round copying what was appended during the last one, until a
//! round finds little new; then it asks the writer to copy that little itself between two
//! batches, where no write can race it, and the next batch restarts the log.
//!
//! [`Writer::close`] stops taking writes, writes those already queued, stops the checkpoints,
//! then checkpoints and truncates the log and closes both connections.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::{AnyConnection, Connection as _};
use tokio::sync::{mpsc, oneshot, watch};

use crate::sql_error::{Description, describe, during, failed, is_unavailable};
use crate::{StoreError, StoredAssessment, StoredFeedback};

/// The most writes in one transaction. Large enough that the fsync is shared widely under load,
/// small enough that a transaction (at about 26 KB an assessment) stays a few MB.
const MAX_BATCH: usize = 64;

/// How many writes may wait for the writer. Beyond that a caller waits to enqueue, which
/// pushes back on the requests instead of growing memory.
const QUEUE: usize = 1024;

/// How often the log is checkpointed in the background.
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// When fewer log pages than this were appended while a background checkpoint ran, the writer
/// copies the rest itself between two batches: a few MB at most (pages are 4 KB), and it lets
/// the log restart from its beginning.
const CATCH_UP_PAGES: i64 = 1024;

/// The most checkpoints in a row before waiting for the next tick: rounds shrink as long as
/// copying is faster than writing, and when it is not, the next tick tries again.
const MAX_ROUNDS: usize = 8;

/// The columns an insert binds, one parameter each.
const COLUMNS: usize = 6;

/// The statement that inserts `rows` records: one statement for the whole batch, because each
/// statement is a round trip to the connection's thread (two context switches or more).
fn insert_statement(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO assessments \
         (id, tenant, created_at, kb_version, case_json, assessment_json) VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..COLUMNS {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", row * COLUMNS + column + 1));
        }
        sql.push(')');
    }
    sql
}

/// [`insert_statement`] for every batch size from 1 to [`MAX_BATCH`], made once (the
/// connection's statement cache keeps each prepared).
struct Statements(Vec<Arc<str>>);

impl Statements {
    fn new() -> Statements {
        Statements(
            (1..=MAX_BATCH)
                .map(|rows| insert_statement(rows).into())
                .collect(),
        )
    }

    fn insert(&self, rows: usize) -> sqlx::AssertSqlSafe<Arc<str>> {
        // Built from numbers alone: nothing a caller gives reaches the SQL text.
        sqlx::AssertSqlSafe(Arc::clone(&self.0[rows - 1]))
    }
}

/// What errors of an assessment's write name.
const INSERT_ASSESSMENT: &str = "insert assessment";

/// What errors of a feedback request's write name.
const INSERT_FEEDBACK: &str = "insert feedback";

/// Where the writer answers: what was stored, or why it was not.
type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// One caller's write, stored whole or not at all, and where to answer.
enum Write {
    /// One assessment.
    Assessment(StoredAssessment, Reply<StoredAssessment>),
    /// Every item of one feedback request, in order.
    Feedback(Vec<StoredFeedback>, Reply<Vec<StoredFeedback>>),
}

impl Write {
    /// What this write's errors name.
    fn operation(&self) -> &'static str {
        match self {
            Write::Assessment(..) => INSERT_ASSESSMENT,
            Write::Feedback(..) => INSERT_FEEDBACK,
        }
    }

    /// Whether the caller has stopped waiting for the answer.
    fn is_abandoned(&self) -> bool {
        match self {
            Write::Assessment(_, reply) => reply.is_closed(),
            Write::Feedback(_, reply) => reply.is_closed(),
        }
    }

    /// Tells the caller that its write is committed. (A caller that has gone meanwhile is not
    /// told, which is fine: its write is stored.)
    fn stored(self) {
        match self {
            Write::Assessment(record, reply) => {
                let _ = reply.send(Ok(record));
            }
            Write::Feedback(items, reply) => {
                let _ = reply.send(Ok(items));
            }
        }
    }

    /// Tells the caller that its write failed because of `error`: rolled back, or (after a
    /// failed COMMIT) not known to be stored, and in either case not acknowledged.
    fn fail(self, error: StoreError) {
        match self {
            Write::Assessment(_, reply) => {
                let _ = reply.send(Err(error));
            }
            Write::Feedback(_, reply) => {
                let _ = reply.send(Err(error));
            }
        }
    }

    /// [`Write::fail`] with a failure shared by several writes, named as this write's own.
    fn fail_as(self, description: &Description) {
        let error = failed(self.operation(), description);
        self.fail(error);
    }
}

enum Command {
    Write(Write),
    Close,
}

/// The handle on the writer task. Cloning is cheap; every clone feeds the same queue.
#[derive(Clone)]
pub(crate) struct Writer {
    commands: mpsc::Sender<Command>,
    /// Its sender is held by the writer task and dropped when the task has finished.
    finished: watch::Receiver<()>,
}

impl Writer {
    /// Opens the writer's and the checkpointer's connections to the SQLite database at `url`
    /// (set up as every connection is) and starts both tasks on the current Tokio runtime.
    pub(crate) async fn start(url: String) -> Result<Writer, StoreError> {
        let writer_conn = crate::connect_sqlite(&url)
            .await
            .map_err(during("open SQLite database"))?;
        let checkpoint_conn = crate::connect_sqlite(&url)
            .await
            .map_err(during("open SQLite database"))?;
        let (commands, queue) = mpsc::channel(QUEUE);
        let (done, finished) = watch::channel(());
        let (stop_checkpoints, stop) = watch::channel(());
        let catch_up = Arc::new(AtomicBool::new(false));
        let checkpointer = tokio::spawn(checkpoint_loop(
            url.clone(),
            checkpoint_conn,
            stop,
            Arc::clone(&catch_up),
        ));
        tokio::spawn(async move {
            write_loop(&url, Some(writer_conn), queue, &catch_up).await;
            drop(stop_checkpoints);
            // The checkpointer ends at once when told; a panic in it is nothing to wait for.
            let _ = checkpointer.await;
            drop(done);
        });
        Ok(Writer { commands, finished })
    }

    /// Stores `record` and returns it once its transaction has committed (and been synced).
    pub(crate) async fn insert_assessment(
        &self,
        record: StoredAssessment,
    ) -> Result<StoredAssessment, StoreError> {
        self.write(INSERT_ASSESSMENT, |reply| Write::Assessment(record, reply))
            .await
    }

    /// Stores all of `items` in one transaction, or none of them, and returns them once that
    /// transaction has committed (and been synced).
    pub(crate) async fn insert_feedback(
        &self,
        items: Vec<StoredFeedback>,
    ) -> Result<Vec<StoredFeedback>, StoreError> {
        self.write(INSERT_FEEDBACK, |reply| Write::Feedback(items, reply))
            .await
    }

    /// Queues the write that `write` makes with the reply it is given, and waits for the answer.
    async fn write<T>(
        &self,
        operation: &'static str,
        write: impl FnOnce(Reply<T>) -> Write,
    ) -> Result<T, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Write(write(reply)))
            .await
            .map_err(|_| closed(operation))?;
        // A dropped reply means the writer stopped without doing the write.
        answer.await.map_err(|_| closed(operation))?
    }

    /// Writes what is queued, refuses further writes and waits until the log is checkpointed
    /// and the writer's connections are closed. Calling it again just waits.
    pub(crate) async fn close(&self) {
        // A failed send means the writer is already closing or gone.
        let _ = self.commands.send(Command::Close).await;
        let mut finished = self.finished.clone();
        // `changed` fails once the task has dropped its sender, that is, when it has finished.
        while finished.changed().await.is_ok() {}
    }
}

fn closed(operation: &'static str) -> StoreError {
    during(operation)(sqlx::Error::PoolClosed)
}

/// Opens a SQLite connection set up like every other (see the crate documentation).
async fn reopen(url: &str) -> Result<AnyConnection, sqlx::Error> {
    crate::connect_sqlite(url).await
}

async fn write_loop(
    url: &str,
    mut conn: Option<AnyConnection>,
    mut queue: mpsc::Receiver<Command>,
    catch_up: &AtomicBool,
) {
    let mut batch: Vec<Write> = Vec::with_capacity(MAX_BATCH);
    let statements = Statements::new();
    while let Some(first) = queue.recv().await {
        let mut next = Some(first);
        while let Some(command) = next.take() {
            match command {
                Command::Write(write) => batch.push(write),
                // Refuse new commands; the ones already queued are still received and written.
                Command::Close => queue.close(),
            }
            if batch.len() < MAX_BATCH {
                next = queue.try_recv().ok();
            }
        }
        if catch_up.swap(false, Ordering::Relaxed)
            && let Some(conn) = conn.as_mut()
        {
            // Best effort: what this leaves is copied by the next background checkpoint.
            let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_all(&mut *conn)
                .await;
        }
        write_batch(url, &mut conn, &mut batch, &statements).await;
    }
    if let Some(mut conn) = conn {
        // Empty the log into the database file, so that a cleanly closed database is one file.
        // Best effort: the last connection to close checkpoints again in any case.
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_all(&mut conn)
            .await;
        let _ = conn.close().await;
    }
}

/// Writes `batch` (leaving it empty) and answers every caller in it.
async fn write_batch(
    url: &str,
    conn: &mut Option<AnyConnection>,
    batch: &mut Vec<Write>,
    statements: &Statements,
) {
    // A caller that has gone (its request timed out or was dropped) was told nothing, and an
    // unacknowledged write may or may not be stored: it is not written.
    batch.retain(|write| !write.is_abandoned());
    if batch.is_empty() {
        return;
    }
    let connection = match conn {
        Some(connection) => connection,
        None => match reopen(url).await {
            Ok(connection) => conn.insert(connection),
            Err(error) => {
                let error = during("open SQLite database")(error);
                for write in batch.drain(..) {
                    write.fail(error.clone());
                }
                return;
            }
        },
    };
    match insert_all(connection, batch, statements).await {
        Ok(()) => batch.drain(..).for_each(Write::stored),
        Err(Failure::Insert(_)) if batch.len() > 1 => {
            // Nothing of the batch was committed. Each write alone, so that one that cannot be
            // stored fails alone.
            let mut broken: Option<Description> = None;
            for write in batch.drain(..) {
                if let Some(description) = &broken {
                    // The connection failed under an earlier write: the rest get its error.
                    write.fail_as(description);
                    continue;
                }
                match insert_all(connection, std::slice::from_ref(&write), statements).await {
                    Ok(()) => write.stored(),
                    Err(failure) => {
                        let breaks = failure.breaks_connection();
                        let description = failure.describe();
                        write.fail_as(&description);
                        if breaks {
                            broken = Some(description);
                        }
                    }
                }
            }
            if broken.is_some() {
                *conn = None;
            }
        }
        Err(failure) => {
            let broken = failure.breaks_connection();
            let description = failure.describe();
            for write in batch.drain(..) {
                write.fail_as(&description);
            }
            if broken {
                // Opened again for the next batch.
                *conn = None;
            }
        }
    }
}

/// Which step of a transaction failed, and how.
enum Failure {
    /// BEGIN or COMMIT: the writes are not stored (or, after a failed COMMIT, not known to be).
    Transaction(sqlx::Error),
    /// An INSERT: the transaction was rolled back.
    Insert(sqlx::Error),
}

impl Failure {
    /// Whether the connection is no longer to be trusted (rather than the statement failed).
    /// Besides a broken channel to the connection's thread, that is every failure of the
    /// database being unavailable: on a full disk, an I/O error or a lock it could not get,
    /// SQLite may roll the transaction back by itself
    /// (<https://www.sqlite.org/lang_transaction.html>, "Response To Errors Within A
    /// Transaction"), and then the connection's idea of whether it is in a transaction is wrong:
    /// the next BEGIN fails. A fresh connection starts clean (the fault test of a full disk
    /// found this).
    fn breaks_connection(&self) -> bool {
        let (Failure::Transaction(error) | Failure::Insert(error)) = self;
        matches!(
            error,
            sqlx::Error::Io(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::BeginFailed
        ) || is_unavailable(error)
    }

    /// What went wrong, in words that can go to a log (each write adds its own operation).
    fn describe(&self) -> Description {
        let (Failure::Transaction(error) | Failure::Insert(error)) = self;
        describe(error)
    }
}

/// Does `writes` (1 to [`MAX_BATCH`]) in one transaction: all are committed, or none is.
async fn insert_all(
    conn: &mut AnyConnection,
    writes: &[Write],
    statements: &Statements,
) -> Result<(), Failure> {
    // IMMEDIATE takes the write lock at BEGIN, so the transaction cannot fail part-way because
    // another connection (a delete, a new key) wrote first; it waits for it instead.
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(Failure::Transaction)?;
    if let Err(error) = insert_writes(&mut tx, writes, statements).await {
        // Explicitly, rather than on drop, which only schedules the rollback.
        let _ = tx.rollback().await;
        return Err(Failure::Insert(error));
    }
    tx.commit().await.map_err(Failure::Transaction)
}

/// The inserts of `writes`, inside the caller's transaction: the assessments in one statement,
/// then each feedback request's items.
async fn insert_writes(
    conn: &mut AnyConnection,
    writes: &[Write],
    statements: &Statements,
) -> Result<(), sqlx::Error> {
    let assessments: Vec<&StoredAssessment> = writes
        .iter()
        .filter_map(|write| match write {
            Write::Assessment(record, _) => Some(record),
            Write::Feedback(..) => None,
        })
        .collect();
    if !assessments.is_empty() {
        let mut insert = sqlx::query(statements.insert(assessments.len()));
        for record in assessments {
            insert = insert
                .bind(record.id.as_str())
                .bind(record.tenant.as_str())
                .bind(record.created_at.as_str())
                .bind(record.kb_version.as_str())
                .bind(record.case_json.as_str())
                .bind(record.assessment_json.as_str());
        }
        insert.execute(&mut *conn).await?;
    }
    for write in writes {
        if let Write::Feedback(items, _) = write {
            crate::insert_feedback_items(&mut *conn, items).await?;
        }
    }
    Ok(())
}

/// Runs a passive checkpoint every [`CHECKPOINT_INTERVAL`] until `stop` changes or its sender
/// is dropped.
async fn checkpoint_loop(
    url: String,
    conn: AnyConnection,
    mut stop: watch::Receiver<()>,
    catch_up: Arc<AtomicBool>,
) {
    let mut conn = Some(conn);
    let mut ticks = tokio::time::interval(CHECKPOINT_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.changed() => break,
        }
        if conn.is_none() {
            conn = reopen(&url).await.ok();
        }
        let Some(connection) = conn.as_mut() else {
            continue;
        };
        // Pages in the log after the previous round, to tell how many were appended since.
        let mut last_log = None;
        for _ in 0..MAX_ROUNDS {
            // (busy, pages in the log, pages copied). A checkpoint that fails or stops short is
            // retried later; SQLite's own checks make a lost one harmless.
            let result: Result<(i64, i64, i64), sqlx::Error> =
                sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                    .fetch_one(&mut *connection)
                    .await;
            match result {
                // An empty log: nothing to do until the next tick.
                Ok((_, log, _)) if log <= 0 => break,
                Ok((_, log, copied)) => {
                    let appended = match last_log {
                        // A smaller log than last round's: it restarted, and all of it is new.
                        Some(last) if log >= last => log - last,
                        _ => log,
                    };
                    if copied >= log && appended < CATCH_UP_PAGES {
                        catch_up.store(true, Ordering::Relaxed);
                        break;
                    }
                    last_log = Some(log);
                }
                Err(sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::WorkerCrashed) => {
                    conn = None;
                    break;
                }
                Err(_) => break,
            }
        }
    }
    if let Some(conn) = conn {
        let _ = conn.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_statement_numbers_the_parameters_of_every_row() {
        assert!(insert_statement(1).ends_with(" VALUES ($1, $2, $3, $4, $5, $6)"));
        assert!(
            insert_statement(2)
                .ends_with(" VALUES ($1, $2, $3, $4, $5, $6), ($7, $8, $9, $10, $11, $12)")
        );
        let statements = Statements::new();
        let last = statements.insert(MAX_BATCH).0;
        assert_eq!(last.matches('(').count(), MAX_BATCH + 1);
        assert!(last.ends_with(&format!("${})", MAX_BATCH * COLUMNS)));
    }
}
