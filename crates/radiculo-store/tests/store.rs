//! The store against real databases. Every test runs on a fresh SQLite file in a temporary
//! directory and on the PostgreSQL database that `RADICULO_TEST_DATABASE_URL` names (without one,
//! each test fails under CI and skips PostgreSQL, saying so, in a local run: `postgres`). Tests on
//! PostgreSQL share the one database, so each uses tenant names of its own.

use std::path::{Component, Path, PathBuf};

use radiculo_store::{
    Backend, EpisodeInsert, FeedbackOutcome, KeyInfo, MAX_EPISODE_ASSESSMENTS, NewFeedback, Store,
    StoreError, StoredAssessment, StoredFeedback,
};
use sqlx::{AnyPool, Row as _};

#[path = "../../../tests/support/postgres.rs"]
mod postgres;
use postgres::postgres_url;

const NOW: &str = "2026-11-25T12:00:00Z";
const LATER: &str = "2026-11-25T13:00:00Z";
const KB: &str = "kb-2026.11";

/// A database to run a test against.
struct TestDb {
    backend: Backend,
    url: String,
    /// The directory holding the SQLite file, removed when the test ends.
    dir: Option<tempfile::TempDir>,
}

impl TestDb {
    fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("radiculo.db").display());
        TestDb {
            backend: Backend::Sqlite,
            url,
            dir: Some(dir),
        }
    }

    async fn open(&self) -> Store {
        let store = Store::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("{:?}: connect failed: {e}", self.backend));
        assert_eq!(store.backend(), self.backend);
        store
    }

    /// A plain sqlx pool on the same database, to look at what the store wrote.
    async fn raw(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        AnyPool::connect(&self.url).await.unwrap()
    }

    /// Every byte of every file SQLite keeps (the database, its log and the log index).
    fn sqlite_files(&self) -> Vec<u8> {
        let dir = self.dir.as_ref().expect("a SQLite database");
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
        }
        bytes
    }
}

/// The databases every test runs on: a new SQLite file, and PostgreSQL (see `postgres`).
fn databases() -> Vec<TestDb> {
    let mut dbs = vec![TestDb::sqlite()];
    if let Some(url) = postgres_url("the PostgreSQL variants of the radiculo-store tests") {
        dbs.push(TestDb {
            backend: Backend::Postgres,
            url,
            dir: None,
        });
    }
    dbs
}

/// A tenant name no other test (or earlier run) uses.
fn tenant(label: &str) -> String {
    format!("{label}-{}", random_hex())
}

fn random_hex() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn insert(store: &Store, tenant: &str, n: usize) -> StoredAssessment {
    let case = format!(r#"{{"age":{},"findings":{{}}}}"#, 20 + n);
    let assessment = format!(r#"{{"triage":{{"level":"routine"}},"n":{n}}}"#);
    store
        .insert_assessment(tenant, NOW, KB, &case, &assessment)
        .await
        .unwrap()
}

async fn count(raw: &AnyPool, sql: &'static str, value: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(value)
        .fetch_one(raw)
        .await
        .unwrap()
}

/// The path that leads from directory `from` to `to`, both absolute.
fn relative_path(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut path = PathBuf::new();
    for _ in common..from.len() {
        path.push("..");
    }
    for component in &to[common..] {
        path.push(component);
    }
    path
}

#[tokio::test]
async fn connect_creates_the_file_and_its_directory_from_an_absolute_url() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not/yet/there/radiculo.db");
    let url = format!("sqlite://{}", file.display());
    assert!(url.starts_with("sqlite:///"), "{url}");

    let store = Store::connect(&url).await.unwrap();
    assert!(file.is_file());
    assert_eq!(store.backend(), Backend::Sqlite);
    store.ping().await.unwrap();
    // Health data is for the server's user alone: the directories it made, the file and the
    // log SQLite made beside it, whatever the umask.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        insert(&store, "t", 0).await;
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&file.with_extension("db-wal")), 0o600);
        for made in ["not", "not/yet", "not/yet/there"] {
            assert_eq!(mode(&dir.path().join(made)), 0o700, "{made}");
        }
    }
    store.close().await;
    assert!(matches!(
        store.ping().await,
        Err(StoreError::Unavailable(_))
    ));
}

#[tokio::test]
async fn connect_creates_the_file_from_a_url_relative_to_the_current_directory() {
    // Tests run in parallel in one process, so the current directory is left alone: the URL
    // carries a path from it to a temporary directory instead.
    let dir = tempfile::tempdir().unwrap();
    let cwd = std::env::current_dir().unwrap();
    for (form, name) in [
        ("sqlite://", "slashes/radiculo.db"),
        ("sqlite:", "bare/radiculo.db"),
    ] {
        let file = dir.path().join(name);
        let relative = relative_path(&cwd, &file);
        assert!(relative.is_relative(), "{}", relative.display());
        let url = format!("{form}{}", relative.display());

        let store = Store::connect(&url).await.unwrap();
        assert!(file.is_file(), "{url} did not create {}", file.display());
        let record = insert(&store, "t", 1).await;
        store.close().await;

        // The same file, named absolutely, holds the record.
        let store = Store::connect(&format!("sqlite://{}", file.display()))
            .await
            .unwrap();
        assert_eq!(
            store.get_assessment("t", &record.id).await.unwrap(),
            Some(record)
        );
        store.close().await;
    }
}

#[tokio::test]
async fn connect_refuses_unsupported_urls() {
    // None of these reaches a server: each is refused while reading the URL.
    for url in [
        "mysql://u:pw@localhost/db",
        "postgres://u:pw@localhost:notaport/db",
        "sqlite::memory:",
        "sqlite://",
        "radiculo.db",
    ] {
        match Store::connect(url).await {
            Err(StoreError::Url(message)) => assert!(!message.contains("pw"), "{message}"),
            other => panic!("{url}: expected a URL error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn connect_reports_the_backend_and_answers_pings() {
    for db in databases() {
        let store = db.open().await;
        store.ping().await.unwrap();
        // Connecting again runs the migrations again, which must change nothing.
        let again = db.open().await;
        again.ping().await.unwrap();
        again.close().await;
        store.close().await;
    }
}

#[tokio::test]
async fn insert_then_get_keeps_the_json_text_byte_for_byte() {
    // Key order, spacing, escapes, number spellings and non-ASCII text all survive, and so does
    // text bigger than a database page.
    let case = "{ \"sex\":\"female\",\n\t\"age\" : 52, \"findings\":{\"b\":\"present\",\"a\":\"absent\"},\
                \"note\":\"\\u00e9 é 𝄞 \\\"q\\\" \\\\\" , \"x\": 1.0e3, \"y\": -0.0 }  ";
    let assessment = format!(r#"{{"big":"{}","z":null}}"#, "ß".repeat(20_000));
    for db in databases() {
        let store = db.open().await;
        let tenant = tenant("roundtrip");
        let stored = store
            .insert_assessment(&tenant, NOW, KB, case, &assessment)
            .await
            .unwrap();
        assert_eq!(stored.tenant, tenant);
        assert_eq!(stored.created_at, NOW);
        assert_eq!(stored.kb_version, KB);
        assert_eq!(stored.case_json, case);
        assert_eq!(stored.assessment_json, assessment);
        assert_eq!(stored.id.len(), 36, "a hyphenated UUID: {}", stored.id);

        let got = store.get_assessment(&tenant, &stored.id).await.unwrap();
        assert_eq!(got.as_ref(), Some(&stored), "{:?}", db.backend);
        let got = got.unwrap();
        assert_eq!(got.case_json.as_bytes(), case.as_bytes());
        assert_eq!(got.assessment_json.as_bytes(), assessment.as_bytes());

        assert_eq!(
            store.get_assessment(&tenant, "no-such-id").await.unwrap(),
            None
        );
        store.close().await;
    }
}

#[tokio::test]
async fn list_pages_newest_first_with_a_working_cursor() {
    for db in databases() {
        let store = db.open().await;
        let (mine, other) = (tenant("pages"), tenant("pages-other"));
        let mut ids = Vec::new();
        for n in 0..7 {
            ids.push(insert(&store, &mine, n).await.id);
            // Another tenant's records in between must not show up or disturb the cursor.
            insert(&store, &other, n).await;
        }
        ids.reverse(); // newest first

        let mut seen = Vec::new();
        let mut sizes = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = store
                .list_assessments(&mine, 3, cursor.as_deref())
                .await
                .unwrap();
            sizes.push(page.items.len());
            assert!(page.items.iter().all(|r| r.tenant == mine));
            seen.extend(page.items.into_iter().map(|r| r.id));
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(sizes, [3, 3, 1], "{:?}", db.backend);
        assert_eq!(
            seen, ids,
            "{:?}: every record once, newest first",
            db.backend
        );

        // A page that ends exactly at the last record has no next page.
        let all = store.list_assessments(&mine, 7, None).await.unwrap();
        assert_eq!(all.items.len(), 7);
        assert_eq!(all.next, None);

        // A limit of 0 is clamped to 1.
        let one = store.list_assessments(&mine, 0, None).await.unwrap();
        assert_eq!(one.items.len(), 1);
        assert_eq!(one.items[0].id, ids[0]);
        assert!(one.next.is_some());

        // A cursor still works after the record it points at has been deleted.
        let first = store.list_assessments(&mine, 2, None).await.unwrap();
        assert!(store.delete_assessment(&mine, &ids[1]).await.unwrap());
        let second = store
            .list_assessments(&mine, 2, first.next.as_deref())
            .await
            .unwrap();
        let second: Vec<_> = second.items.into_iter().map(|r| r.id).collect();
        assert_eq!(second, ids[2..4]);

        // A tenant with no records gets an empty last page.
        let empty = store
            .list_assessments(&tenant("nobody"), 10, None)
            .await
            .unwrap();
        assert!(empty.items.is_empty() && empty.next.is_none());
        store.close().await;
    }
}

#[tokio::test]
async fn list_clamps_the_page_size_to_100() {
    for db in databases() {
        let store = db.open().await;
        let mine = tenant("clamp");
        for n in 0..101 {
            insert(&store, &mine, n).await;
        }
        let page = store.list_assessments(&mine, 1000, None).await.unwrap();
        assert_eq!(page.items.len(), 100, "{:?}", db.backend);
        let rest = store
            .list_assessments(&mine, u32::MAX, page.next.as_deref())
            .await
            .unwrap();
        assert_eq!(rest.items.len(), 1);
        assert_eq!(rest.next, None);
        store.close().await;
    }
}

#[tokio::test]
async fn list_refuses_cursors_it_did_not_hand_out() {
    for db in databases() {
        let store = db.open().await;
        for cursor in ["", "abc", "-5", "0", "1e3", "99999999999999999999999"] {
            let result = store.list_assessments("t", 10, Some(cursor)).await;
            assert!(
                matches!(result, Err(StoreError::InvalidCursor)),
                "{:?} {cursor:?}: {result:?}",
                db.backend
            );
        }
        store.close().await;
    }
}

#[tokio::test]
async fn tenants_cannot_see_or_delete_each_others_records() {
    for db in databases() {
        let store = db.open().await;
        let (alice, bob) = (tenant("alice"), tenant("bob"));
        let record = insert(&store, &alice, 1).await;

        assert_eq!(store.get_assessment(&bob, &record.id).await.unwrap(), None);
        let page = store.list_assessments(&bob, 100, None).await.unwrap();
        assert!(page.items.is_empty());
        assert!(!store.delete_assessment(&bob, &record.id).await.unwrap());

        // Bob's attempts left Alice's record alone.
        assert_eq!(
            store.get_assessment(&alice, &record.id).await.unwrap(),
            Some(record.clone())
        );
        let page = store.list_assessments(&alice, 100, None).await.unwrap();
        assert_eq!(page.items, [record]);
        store.close().await;
    }
}

#[tokio::test]
async fn delete_removes_the_row() {
    for db in databases() {
        let store = db.open().await;
        let raw = db.raw().await;
        let mine = tenant("delete");
        let record = insert(&store, &mine, 1).await;
        let kept = insert(&store, &mine, 2).await;
        let rows = "SELECT COUNT(*) FROM assessments WHERE id = $1";
        assert_eq!(count(&raw, rows, &record.id).await, 1);

        assert!(store.delete_assessment(&mine, &record.id).await.unwrap());
        assert_eq!(store.get_assessment(&mine, &record.id).await.unwrap(), None);
        assert_eq!(count(&raw, rows, &record.id).await, 0, "{:?}", db.backend);
        assert!(!store.delete_assessment(&mine, &record.id).await.unwrap());
        assert!(!store.delete_assessment(&mine, "no-such-id").await.unwrap());

        let page = store.list_assessments(&mine, 100, None).await.unwrap();
        assert_eq!(page.items, [kept]);
        raw.close().await;
        store.close().await;
    }
}

#[tokio::test]
async fn sqlite_delete_overwrites_the_record_on_disk() {
    let db = TestDb::sqlite();
    let marker = format!("MARKER-{}", random_hex());
    // Big enough to spill into overflow pages.
    let assessment = format!(r#"{{"x":"{}","m":"{marker}"}}"#, "y".repeat(10_000));
    let case = format!(r#"{{"m":"{marker}"}}"#);

    let store = db.open().await;
    let record = store
        .insert_assessment("t", NOW, KB, &case, &assessment)
        .await
        .unwrap();
    // Closing checkpoints the log, so the record is now in the database file itself.
    store.close().await;
    let contains = |bytes: &[u8]| bytes.windows(marker.len()).any(|w| w == marker.as_bytes());
    assert!(
        contains(&db.sqlite_files()),
        "the marker should be on disk before the delete"
    );

    let store = db.open().await;
    assert!(store.delete_assessment("t", &record.id).await.unwrap());
    // Checked while the store is still open: the delete itself must wipe the bytes.
    assert!(
        !contains(&db.sqlite_files()),
        "the deleted record is still on disk"
    );
    store.close().await;
    assert!(!contains(&db.sqlite_files()));
}

#[tokio::test]
async fn keys_authenticate_until_revoked() {
    for db in databases() {
        let store = db.open().await;
        let (mine, other) = (tenant("keys"), tenant("keys-other"));
        let first = store.create_key(&mine, NOW).await.unwrap();
        let second = store.create_key(&mine, NOW).await.unwrap();
        let theirs = store.create_key(&other, NOW).await.unwrap();

        assert_eq!(first.tenant, mine);
        assert!(
            first.id.starts_with("key_") && first.id.len() == 16,
            "{}",
            first.id
        );
        assert!(first.secret.starts_with("rk_") && first.secret.len() == 46);
        assert_ne!(first.id, second.id);
        assert_ne!(first.secret, second.secret);

        let info = |key: &radiculo_store::NewKey| KeyInfo {
            id: key.id.clone(),
            tenant: key.tenant.clone(),
        };
        assert_eq!(
            store.authenticate(&first.secret).await.unwrap(),
            Some(info(&first))
        );
        assert_eq!(
            store.authenticate(&theirs.secret).await.unwrap(),
            Some(info(&theirs))
        );

        assert!(store.revoke_key(&first.id, LATER).await.unwrap());
        assert_eq!(store.authenticate(&first.secret).await.unwrap(), None);
        // Revoking one key leaves the tenant's others working, and is not repeatable.
        assert_eq!(
            store.authenticate(&second.secret).await.unwrap(),
            Some(info(&second))
        );
        assert!(!store.revoke_key(&first.id, LATER).await.unwrap());
        assert!(!store.revoke_key("key_000000000000", LATER).await.unwrap());

        // Secrets that were never issued, well formed or not.
        let forged = format!("rk_{}", "A".repeat(43));
        let truncated = &second.secret[..45];
        for secret in ["", "rk_", truncated, forged.as_str(), "Bearer x"] {
            assert_eq!(
                store.authenticate(secret).await.unwrap(),
                None,
                "{secret:?}"
            );
        }
        store.close().await;
    }
}

#[tokio::test]
async fn tenant_names_are_checked() {
    for db in databases() {
        let store = db.open().await;
        let too_long = "a".repeat(65);
        for bad in ["", "has space", "slash/y", "ümlaut", too_long.as_str()] {
            let key = store.create_key(bad, NOW).await;
            assert!(
                matches!(key, Err(StoreError::InvalidTenant(_))),
                "{bad:?}: {key:?}"
            );
            let record = store.insert_assessment(bad, NOW, KB, "{}", "{}").await;
            assert!(
                matches!(record, Err(StoreError::InvalidTenant(_))),
                "{bad:?}"
            );
            let feedback = store
                .insert_feedback(bad, SERVICE, &[feedback_item(0)], NOW)
                .await;
            assert!(
                matches!(feedback, Err(StoreError::InvalidTenant(_))),
                "{bad:?}"
            );
        }
        let longest = format!("{}-{}", "a".repeat(47), random_hex());
        assert_eq!(longest.len(), 64);
        store.create_key(&longest, NOW).await.unwrap();
        store.close().await;
    }
}

#[tokio::test]
async fn secrets_are_not_stored() {
    for db in databases() {
        let store = db.open().await;
        let mine = tenant("secrets");
        let key = store.create_key(&mine, NOW).await.unwrap();
        store
            .revoke_key(&store.create_key(&mine, NOW).await.unwrap().id, LATER)
            .await
            .unwrap();
        // The random part alone must not appear either.
        let body = &key.secret[3..];

        let raw = db.raw().await;
        let rows = sqlx::query(
            "SELECT id, tenant, secret_sha256, created_at, revoked_at FROM api_keys \
             WHERE tenant = $1",
        )
        .bind(&mine)
        .fetch_all(&raw)
        .await
        .unwrap();
        assert_eq!(rows.len(), 2);
        for row in &rows {
            for column in 0..5 {
                let value: Option<String> = row.try_get(column).unwrap();
                let value = value.unwrap_or_default();
                assert!(!value.contains(body), "{:?}: column {column}", db.backend);
            }
            let hash: String = row.try_get(2).unwrap();
            assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        raw.close().await;
        store.close().await;

        if db.backend == Backend::Sqlite {
            let bytes = db.sqlite_files();
            let found = bytes.windows(body.len()).any(|w| w == body.as_bytes());
            assert!(!found, "the secret is somewhere in the SQLite files");
        }
    }
}

#[tokio::test]
async fn data_survives_closing_and_reopening() {
    for db in databases() {
        let mine = tenant("reopen");
        let store = db.open().await;
        let record = insert(&store, &mine, 1).await;
        let key = store.create_key(&mine, NOW).await.unwrap();
        store.close().await;
        drop(store);

        let store = db.open().await;
        assert_eq!(
            store.get_assessment(&mine, &record.id).await.unwrap(),
            Some(record.clone())
        );
        let page = store.list_assessments(&mine, 10, None).await.unwrap();
        assert_eq!(page.items, [record]);
        let info = store.authenticate(&key.secret).await.unwrap().unwrap();
        assert_eq!((info.id, info.tenant), (key.id, mine));
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_share_the_pool_and_write_concurrently() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<Store>();

    for db in databases() {
        let store = db.open().await;
        let mine = tenant("concurrent");
        let tasks: Vec<_> = (0..4)
            .map(|task| {
                let store = store.clone();
                let mine = mine.clone();
                tokio::spawn(async move {
                    for n in 0..10 {
                        insert(&store, &mine, task * 100 + n).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let page = store.list_assessments(&mine, 100, None).await.unwrap();
        assert_eq!(page.items.len(), 40, "{:?}", db.backend);
        store.close().await;
    }
}

// Group commit (SQLite's writer task)
// ---------------------------------------------------------------------------------------------

/// A record of its own for writer `task`, insert `n`: distinct text in every field that varies.
fn distinct(task: usize, n: usize) -> (String, String) {
    let case = format!(r#"{{"task":{task},"n":{n},"note":"é {task}/{n}"}}"#);
    let assessment = format!(r#"{{"x":"{}","task":{task},"n":{n}}}"#, "z".repeat(n * 97));
    (case, assessment)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_inserts_are_all_stored_exactly() {
    for db in databases() {
        let store = db.open().await;
        let mine = tenant("group");
        let tasks: Vec<_> = (0..16)
            .map(|task| {
                let store = store.clone();
                let mine = mine.clone();
                tokio::spawn(async move {
                    let mut stored = Vec::new();
                    for n in 0..25 {
                        let (case, assessment) = distinct(task, n);
                        let record = store
                            .insert_assessment(&mine, NOW, KB, case.clone(), assessment.clone())
                            .await
                            .unwrap();
                        assert_eq!(
                            (&record.case_json, &record.assessment_json),
                            (&case, &assessment)
                        );
                        stored.push(record);
                    }
                    stored
                })
            })
            .collect();
        let mut stored = Vec::new();
        for task in tasks {
            stored.extend(task.await.unwrap());
        }
        assert_eq!(stored.len(), 400);
        for record in &stored {
            assert_eq!(
                store
                    .get_assessment(&mine, &record.id)
                    .await
                    .unwrap()
                    .as_ref(),
                Some(record),
                "{:?}",
                db.backend
            );
        }
        let mut listed = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = store
                .list_assessments(&mine, 100, cursor.as_deref())
                .await
                .unwrap();
            listed.extend(page.items);
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(listed.len(), 400, "{:?}", db.backend);
        store.close().await;
    }
}

/// Holds SQLite's write lock on a connection of its own (not the store's) until dropped or
/// released, so that the store's writer waits at BEGIN and inserts pile up behind it.
struct WriteLock(sqlx::AnyConnection);

impl WriteLock {
    async fn take(db: &TestDb) -> WriteLock {
        use sqlx::Connection as _;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut conn)
            .await
            .unwrap();
        WriteLock(conn)
    }

    async fn release(mut self) {
        use sqlx::Connection as _;
        sqlx::query("COMMIT").execute(&mut self.0).await.unwrap();
        self.0.close().await.unwrap();
    }
}

/// Lets every task spawned so far run until it waits (here: for its insert to be answered).
/// The runtime has one thread, so a task that yields goes behind all of them.
async fn let_spawned_tasks_run() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_record_that_fails_does_not_fail_the_others_in_its_batch() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    // A record whose case is `"poison"` cannot be stored.
    let raw = db.raw().await;
    sqlx::query(
        "CREATE TRIGGER poison BEFORE INSERT ON assessments WHEN NEW.case_json = '\"poison\"' \
         BEGIN SELECT RAISE(ABORT, 'poisoned record'); END",
    )
    .execute(&raw)
    .await
    .unwrap();
    raw.close().await;

    let lock = WriteLock::take(&db).await;
    let inserts: Vec<_> = (0..12)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let case = if n == 5 {
                    "\"poison\"".to_owned()
                } else {
                    format!("{{\"n\":{n}}}")
                };
                (n, store.insert_assessment("t", NOW, KB, case, "{}").await)
            })
        })
        .collect();
    // Every insert is queued behind the held lock, so most of them make one batch.
    let_spawned_tasks_run().await;
    lock.release().await;

    let mut stored = Vec::new();
    for insert in inserts {
        let (n, result) = insert.await.unwrap();
        if n == 5 {
            let Err(StoreError::Database(message)) = result else {
                panic!("the poisoned record was stored: {result:?}");
            };
            assert!(message.starts_with("insert assessment:"), "{message}");
        } else {
            let record =
                result.unwrap_or_else(|e| panic!("record {n} failed with the poison: {e}"));
            assert_eq!(record.case_json, format!("{{\"n\":{n}}}"));
            stored.push(record);
        }
    }
    assert_eq!(stored.len(), 11);
    for record in &stored {
        assert_eq!(
            store
                .get_assessment("t", &record.id)
                .await
                .unwrap()
                .as_ref(),
            Some(record)
        );
    }
    let page = store.list_assessments("t", 100, None).await.unwrap();
    assert_eq!(page.items.len(), 11);
    store.close().await;
}

#[tokio::test]
async fn close_writes_the_inserts_already_queued() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let lock = WriteLock::take(&db).await;
    let inserts: Vec<_> = (0..40)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let (case, assessment) = distinct(0, n);
                let record = store
                    .insert_assessment("t", NOW, KB, case.clone(), assessment.clone())
                    .await;
                (case, assessment, record)
            })
        })
        .collect();
    let_spawned_tasks_run().await;
    // Closing now: every insert is queued, none is written (the lock is held).
    let closing = tokio::spawn({
        let store = store.clone();
        async move { store.close().await }
    });
    let_spawned_tasks_run().await;
    lock.release().await;
    closing.await.unwrap();

    let mut stored = Vec::new();
    for insert in inserts {
        let (case, assessment, record) = insert.await.unwrap();
        let record = record.expect("a queued insert is written before close returns");
        assert_eq!(
            (&record.case_json, &record.assessment_json),
            (&case, &assessment)
        );
        stored.push(record);
    }
    // Inserts after close are refused, not lost in a queue no one reads.
    assert!(matches!(
        store.insert_assessment("t", NOW, KB, "{}", "{}").await,
        Err(StoreError::Unavailable(_))
    ));
    // A clean close leaves the log empty: everything is in the database file.
    let wal = db.dir.as_ref().unwrap().path().join("radiculo.db-wal");
    assert!(std::fs::metadata(&wal).map_or(true, |m| m.len() == 0));

    let store = db.open().await;
    for record in &stored {
        assert_eq!(
            store
                .get_assessment("t", &record.id)
                .await
                .unwrap()
                .as_ref(),
            Some(record)
        );
    }
    assert_eq!(
        store
            .list_assessments("t", 100, None)
            .await
            .unwrap()
            .items
            .len(),
        40
    );
    store.close().await;
}

// CDS Hooks feedback
// ---------------------------------------------------------------------------------------------

const SERVICE: &str = "radiculo-triage";

/// Feedback item `n`: a card of its own, accepted (with a suggestion) when `n` is even and
/// overridden (with a reason and a comment in more than ASCII) when it is odd.
fn feedback_item(n: usize) -> NewFeedback {
    let card = format!("7c1e1c4a-{n:04}-4b1f-9d52-0d7c3e6f1a2b");
    let outcome_timestamp = format!("2026-11-25T11:{:02}:{:02}.123+01:00", n / 60 % 60, n % 60);
    let (outcome, detail) = if n.is_multiple_of(2) {
        (
            FeedbackOutcome::Accepted,
            format!(r#""acceptedSuggestions": [{{"id": "s-{n}"}}]"#),
        )
    } else {
        (
            FeedbackOutcome::Overridden,
            format!(
                r#""overrideReason":{{"reason":{{"code":"r{n}","system":"http://example.org/reasons"}},
                   "userComment":"déjà vu \"{n}\" \\ 𝄞"}}"#
            ),
        )
    };
    let json = format!(
        r#"{{ "card":"{card}", "outcome" : "{}", {detail}, "outcomeTimestamp":"{outcome_timestamp}" }}"#,
        outcome.as_str()
    );
    NewFeedback {
        card,
        outcome,
        outcome_timestamp,
        json,
    }
}

/// What the store should hold for `item`, stored under `id`.
fn stored(
    id: &str,
    tenant: &str,
    service: &str,
    item: &NewFeedback,
    received_at: &str,
) -> StoredFeedback {
    StoredFeedback {
        id: id.to_owned(),
        tenant: tenant.to_owned(),
        service: service.to_owned(),
        card: item.card.clone(),
        outcome: item.outcome,
        outcome_timestamp: item.outcome_timestamp.clone(),
        received_at: received_at.to_owned(),
        json: item.json.clone(),
    }
}

/// Every feedback item of `tenant` for `service`, newest first, read page by page.
async fn all_feedback(store: &Store, tenant: &str, service: &str) -> Vec<StoredFeedback> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .list_feedback(tenant, service, 100, cursor.as_deref())
            .await
            .unwrap();
        items.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return items,
        }
    }
}

#[tokio::test]
async fn feedback_is_stored_and_listed_back_newest_first() {
    for db in databases() {
        let store = db.open().await;
        let mine = tenant("feedback");
        let first = [feedback_item(0), feedback_item(1)];
        let second = [feedback_item(2)];
        let first_ids = store
            .insert_feedback(&mine, SERVICE, &first, NOW)
            .await
            .unwrap();
        let second_ids = store
            .insert_feedback(&mine, SERVICE, &second, LATER)
            .await
            .unwrap();
        assert_eq!(first_ids.len(), 2);
        assert_eq!(second_ids.len(), 1);
        for id in first_ids.iter().chain(&second_ids) {
            let parsed = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(id, &parsed.hyphenated().to_string(), "a hyphenated UUID");
        }
        assert_ne!(first_ids[0], first_ids[1]);
        // Feedback for another service of the same tenant is listed apart.
        let elsewhere = store
            .insert_feedback(&mine, "other-service", &[feedback_item(3)], NOW)
            .await
            .unwrap();

        // Newest first; the items of one request in reverse order too.
        let expected = [
            stored(&second_ids[0], &mine, SERVICE, &second[0], LATER),
            stored(&first_ids[1], &mine, SERVICE, &first[1], NOW),
            stored(&first_ids[0], &mine, SERVICE, &first[0], NOW),
        ];
        let page = store.list_feedback(&mine, SERVICE, 2, None).await.unwrap();
        assert_eq!(page.items, expected[..2], "{:?}", db.backend);
        let rest = store
            .list_feedback(&mine, SERVICE, 2, page.next.as_deref())
            .await
            .unwrap();
        assert_eq!(rest.items, expected[2..], "{:?}", db.backend);
        assert_eq!(rest.next, None);
        let all = store.list_feedback(&mine, SERVICE, 3, None).await.unwrap();
        assert_eq!((all.items.len(), all.next), (3, None));
        // The JSON text comes back byte for byte.
        assert_eq!(all.items[1].json.as_bytes(), first[1].json.as_bytes());

        assert_eq!(
            all_feedback(&store, &mine, "other-service").await,
            [stored(
                &elsewhere[0],
                &mine,
                "other-service",
                &feedback_item(3),
                NOW
            )]
        );
        assert!(
            all_feedback(&store, &mine, "no-such-service")
                .await
                .is_empty()
        );

        // An empty request stores nothing.
        assert!(
            store
                .insert_feedback(&mine, SERVICE, &[], LATER)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(all_feedback(&store, &mine, SERVICE).await, expected);

        for cursor in ["", "abc", "0", "-1"] {
            let result = store.list_feedback(&mine, SERVICE, 10, Some(cursor)).await;
            assert!(
                matches!(result, Err(StoreError::InvalidCursor)),
                "{cursor:?}"
            );
        }
        store.close().await;
    }
}

/// Makes the database refuse any feedback item whose JSON is `"poison"`, as a constraint would.
async fn poison_feedback(db: &TestDb) {
    let raw = db.raw().await;
    let statements: &[&str] = match db.backend {
        Backend::Sqlite => &[
            "CREATE TRIGGER poison_feedback BEFORE INSERT ON cds_feedback \
             WHEN NEW.feedback_json = '\"poison\"' \
             BEGIN SELECT RAISE(ABORT, 'poisoned feedback'); END",
        ],
        // The database is shared by every test (and every run), so the trigger is made again
        // each time; it fires on the poison alone, which no other test stores.
        Backend::Postgres => &[
            "CREATE OR REPLACE FUNCTION radiculo_test_poison_feedback() RETURNS trigger \
             LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.feedback_json = '\"poison\"' THEN RAISE EXCEPTION 'poisoned feedback'; \
             END IF; RETURN NEW; END $$",
            "DROP TRIGGER IF EXISTS poison_feedback ON cds_feedback",
            "CREATE TRIGGER poison_feedback BEFORE INSERT ON cds_feedback FOR EACH ROW \
             EXECUTE FUNCTION radiculo_test_poison_feedback()",
        ],
    };
    for &statement in statements {
        sqlx::query(statement).execute(&raw).await.unwrap();
    }
    raw.close().await;
}

fn poisoned() -> NewFeedback {
    NewFeedback {
        json: "\"poison\"".to_owned(),
        ..feedback_item(99)
    }
}

#[tokio::test]
async fn a_feedback_request_is_stored_whole_or_not_at_all() {
    for db in databases() {
        let store = db.open().await;
        poison_feedback(&db).await;
        let raw = db.raw().await;
        let rows = "SELECT COUNT(*) FROM cds_feedback WHERE tenant = $1";

        // Alone: the good items before and after the bad one are not stored either.
        let mine = tenant("atomic");
        let request = [feedback_item(0), poisoned(), feedback_item(1)];
        let result = store.insert_feedback(&mine, SERVICE, &request, NOW).await;
        let Err(StoreError::Database(message)) = result else {
            panic!(
                "{:?}: the poisoned request was stored: {result:?}",
                db.backend
            );
        };
        assert!(message.starts_with("insert feedback:"), "{message}");
        assert!(!message.contains(&request[0].card), "{message}");
        assert_eq!(count(&raw, rows, &mine).await, 0, "{:?}", db.backend);
        assert!(all_feedback(&store, &mine, SERVICE).await.is_empty());

        if db.backend == Backend::Postgres {
            // A real constraint of PostgreSQL's: text cannot hold a NUL character (JSON can
            // spell one, `\u0000`, so a card id could carry it).
            let request = [
                feedback_item(2),
                NewFeedback {
                    card: "card\0nul".to_owned(),
                    ..feedback_item(3)
                },
            ];
            let result = store.insert_feedback(&mine, SERVICE, &request, NOW).await;
            assert!(matches!(result, Err(StoreError::Database(_))), "{result:?}");
            assert_eq!(count(&raw, rows, &mine).await, 0);
        }

        // Among other writes (on SQLite in one group commit, queued behind a held write
        // lock): the poisoned request fails whole and alone.
        let lock = match db.backend {
            Backend::Sqlite => Some(WriteLock::take(&db).await),
            Backend::Postgres => None,
        };
        let requests: Vec<_> = (0..10)
            .map(|n| {
                let store = store.clone();
                let mine = mine.clone();
                tokio::spawn(async move {
                    let request = if n == 4 {
                        vec![feedback_item(10 * n), poisoned(), feedback_item(10 * n + 1)]
                    } else {
                        vec![feedback_item(10 * n), feedback_item(10 * n + 1)]
                    };
                    let result = store.insert_feedback(&mine, SERVICE, &request, NOW).await;
                    (n, request, result)
                })
            })
            .collect();
        let assessments: Vec<_> = (0..5)
            .map(|n| {
                let store = store.clone();
                let mine = mine.clone();
                tokio::spawn(async move { insert(&store, &mine, n).await })
            })
            .collect();
        let_spawned_tasks_run().await;
        if let Some(lock) = lock {
            lock.release().await;
        }
        let mut expected = Vec::new();
        for request in requests {
            let (n, items, result) = request.await.unwrap();
            if n == 4 {
                assert!(
                    matches!(&result, Err(StoreError::Database(m)) if m.starts_with("insert feedback:")),
                    "{:?}: {result:?}",
                    db.backend
                );
            } else {
                let ids =
                    result.unwrap_or_else(|e| panic!("request {n} failed with the poison: {e}"));
                for (id, item) in ids.iter().zip(&items) {
                    expected.push(stored(id, &mine, SERVICE, item, NOW));
                }
            }
        }
        for assessment in assessments {
            assessment.await.unwrap();
        }
        let mut listed = all_feedback(&store, &mine, SERVICE).await;
        assert_eq!(listed.len(), 18, "{:?}", db.backend);
        listed.sort_by(|a, b| a.id.cmp(&b.id));
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(listed, expected);
        assert_eq!(count(&raw, rows, &mine).await, 18);
        let page = store.list_assessments(&mine, 100, None).await.unwrap();
        assert_eq!(page.items.len(), 5);
        raw.close().await;
        store.close().await;
    }
}

#[tokio::test]
async fn tenants_cannot_see_each_others_feedback() {
    for db in databases() {
        let store = db.open().await;
        let (alice, bob) = (tenant("fb-alice"), tenant("fb-bob"));
        let theirs: Vec<_> = (0..3).map(feedback_item).collect();
        let ids = store
            .insert_feedback(&alice, SERVICE, &theirs, NOW)
            .await
            .unwrap();
        assert!(all_feedback(&store, &bob, SERVICE).await.is_empty());

        // Bob's own feedback, on the same service and cards, is his alone.
        let his = store
            .insert_feedback(&bob, SERVICE, &theirs[..1], LATER)
            .await
            .unwrap();
        assert_eq!(
            all_feedback(&store, &bob, SERVICE).await,
            [stored(&his[0], &bob, SERVICE, &theirs[0], LATER)]
        );
        let expected: Vec<_> = ids
            .iter()
            .zip(&theirs)
            .rev()
            .map(|(id, item)| stored(id, &alice, SERVICE, item, NOW))
            .collect();
        assert_eq!(all_feedback(&store, &alice, SERVICE).await, expected);

        // A cursor from Alice's pages shows Bob nothing of hers.
        let page = store.list_feedback(&alice, SERVICE, 1, None).await.unwrap();
        let next = page.next.expect("Alice has more than one page");
        let page = store
            .list_feedback(&bob, SERVICE, 100, Some(&next))
            .await
            .unwrap();
        assert!(page.items.iter().all(|item| item.tenant == bob));
        store.close().await;
    }
}

#[tokio::test]
async fn the_outcome_is_accepted_or_overridden_and_nothing_else() {
    for outcome in [FeedbackOutcome::Accepted, FeedbackOutcome::Overridden] {
        assert_eq!(FeedbackOutcome::parse(outcome.as_str()), Some(outcome));
    }
    assert_eq!(FeedbackOutcome::Accepted.as_str(), "accepted");
    assert_eq!(FeedbackOutcome::Overridden.as_str(), "overridden");
    for text in [
        "",
        "Accepted",
        "OVERRIDDEN",
        " accepted",
        "rejected",
        "ignored",
    ] {
        assert_eq!(FeedbackOutcome::parse(text), None, "{text:?}");
    }

    // The database itself refuses any other outcome.
    for db in databases() {
        let store = db.open().await;
        let raw = db.raw().await;
        let mine = tenant("outcome");
        let insert = |id: String, outcome: &'static str| {
            sqlx::query(
                "INSERT INTO cds_feedback (id, tenant, service, card, outcome, \
                 outcome_timestamp, received_at, feedback_json) \
                 VALUES ($1, $2, $3, 'card', $4, 'then', 'now', '{}')",
            )
            .bind(id)
            .bind(mine.clone())
            .bind(SERVICE)
            .bind(outcome)
        };
        for outcome in ["rejected", "Accepted", "", "overridden "] {
            let error = insert(random_hex(), outcome)
                .execute(&raw)
                .await
                .expect_err(outcome);
            let sqlx::Error::Database(error) = error else {
                panic!("{:?} {outcome:?}: {error}", db.backend);
            };
            assert_eq!(
                error.kind(),
                sqlx::error::ErrorKind::CheckViolation,
                "{:?} {outcome:?}",
                db.backend
            );
        }
        for outcome in ["accepted", "overridden"] {
            insert(random_hex(), outcome).execute(&raw).await.unwrap();
        }
        let outcomes: Vec<_> = all_feedback(&store, &mine, SERVICE)
            .await
            .into_iter()
            .map(|item| item.outcome)
            .collect();
        assert_eq!(
            outcomes,
            [FeedbackOutcome::Overridden, FeedbackOutcome::Accepted]
        );
        raw.close().await;
        store.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_concurrent_feedback_requests_are_all_stored() {
    for db in databases() {
        let store = db.open().await;
        let mine = tenant("fb-group");
        let tasks: Vec<_> = (0..16)
            .map(|task| {
                let store = store.clone();
                let mine = mine.clone();
                tokio::spawn(async move {
                    let mut stored_items = Vec::new();
                    for n in 0..20 {
                        // One to three items a request, and assessments in between, so that
                        // SQLite's batches mix both kinds of write.
                        let items: Vec<_> = (0..=n % 3)
                            .map(|k| feedback_item(task * 1000 + n * 10 + k))
                            .collect();
                        let ids = store
                            .insert_feedback(&mine, SERVICE, &items, NOW)
                            .await
                            .unwrap();
                        assert_eq!(ids.len(), items.len());
                        for (id, item) in ids.iter().zip(&items) {
                            stored_items.push(stored(id, &mine, SERVICE, item, NOW));
                        }
                        if n.is_multiple_of(4) {
                            insert(&store, &mine, task * 100 + n).await;
                        }
                    }
                    stored_items
                })
            })
            .collect();
        let mut expected = Vec::new();
        for task in tasks {
            expected.extend(task.await.unwrap());
        }
        // 16 tasks, each 7 requests of 1 item, 7 of 2 and 6 of 3.
        assert_eq!(expected.len(), 16 * (7 + 14 + 18));
        let mut listed = all_feedback(&store, &mine, SERVICE).await;
        assert_eq!(listed.len(), expected.len(), "{:?}", db.backend);
        listed.sort_by(|a, b| a.id.cmp(&b.id));
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(listed, expected, "{:?}", db.backend);
        let page = store.list_assessments(&mine, 100, None).await.unwrap();
        assert_eq!(page.items.len(), 16 * 5);
        store.close().await;
    }
}

#[tokio::test]
async fn close_writes_the_feedback_already_queued() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    let lock = WriteLock::take(&db).await;
    let requests: Vec<_> = (0..30)
        .map(|n| {
            let store = store.clone();
            tokio::spawn(async move {
                let items = vec![feedback_item(2 * n), feedback_item(2 * n + 1)];
                let ids = store.insert_feedback("t", SERVICE, &items, NOW).await;
                (items, ids)
            })
        })
        .collect();
    let_spawned_tasks_run().await;
    // Closing now: every request is queued, none is written (the lock is held).
    let closing = tokio::spawn({
        let store = store.clone();
        async move { store.close().await }
    });
    let_spawned_tasks_run().await;
    lock.release().await;
    closing.await.unwrap();

    let mut expected = Vec::new();
    for request in requests {
        let (items, ids) = request.await.unwrap();
        let ids = ids.expect("a queued request is written before close returns");
        for (id, item) in ids.iter().zip(&items) {
            expected.push(stored(id, "t", SERVICE, item, NOW));
        }
    }
    // Requests after close are refused, not lost in a queue no one reads.
    let refused = store
        .insert_feedback("t", SERVICE, &[feedback_item(0)], NOW)
        .await;
    assert!(
        matches!(&refused, Err(StoreError::Unavailable(m)) if m.starts_with("insert feedback:")),
        "{refused:?}"
    );

    let store = db.open().await;
    let mut listed = all_feedback(&store, "t", SERVICE).await;
    assert_eq!(listed.len(), 60);
    listed.sort_by(|a, b| a.id.cmp(&b.id));
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(listed, expected);
    store.close().await;
}

// Migrating a database made by an earlier version
// ---------------------------------------------------------------------------------------------

/// The migrator of the first release, which knew migration 0001 only.
fn first_release_migrator(backend: Backend) -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr as _;
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    let sql = match backend {
        Backend::Sqlite => include_str!("../migrations/sqlite/0001_initial_schema.sql"),
        Backend::Postgres => include_str!("../migrations/postgres/0001_initial_schema.sql"),
    };
    Migrator::with_migrations(vec![Migration::new(
        1,
        std::borrow::Cow::Borrowed("initial schema"),
        MigrationType::Simple,
        sql.into_sql_str(),
        false,
    )])
}

/// A database of its own to migrate: a new SQLite file, or on PostgreSQL a new schema in the
/// shared database, reached through a URL that puts it first on the search path.
struct EmptyDb {
    db: TestDb,
    /// The PostgreSQL schema, dropped at the end of the test.
    schema: Option<String>,
}

impl EmptyDb {
    async fn new(shared: TestDb) -> EmptyDb {
        match shared.backend {
            Backend::Sqlite => EmptyDb {
                db: TestDb::sqlite(),
                schema: None,
            },
            Backend::Postgres => {
                let schema = format!("migration_{}", random_hex());
                let raw = shared.raw().await;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&raw)
                    .await
                    .unwrap();
                raw.close().await;
                let separator = if shared.url.contains('?') { '&' } else { '?' };
                let url = format!(
                    "{}{separator}options=-c%20search_path%3D{schema}",
                    shared.url
                );
                EmptyDb {
                    db: TestDb { url, ..shared },
                    schema: Some(schema),
                }
            }
        }
    }

    async fn drop_schema(&self) {
        if let Some(schema) = &self.schema {
            let raw = self.db.raw().await;
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&raw)
                .await
                .unwrap();
            raw.close().await;
        }
    }
}

#[tokio::test]
async fn migrating_a_first_release_database_keeps_every_row() {
    use sha2::Digest as _;
    for shared in databases() {
        let empty = EmptyDb::new(shared).await;
        let db = &empty.db;
        let raw = match db.backend {
            // The file does not exist yet.
            Backend::Sqlite => {
                sqlx::any::install_default_drivers();
                AnyPool::connect(&format!("{}?mode=rwc", db.url))
                    .await
                    .unwrap()
            }
            Backend::Postgres => db.raw().await,
        };
        if db.backend == Backend::Sqlite {
            // What `Store::connect` of the first release set before migrating.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&raw)
                .await
                .unwrap();
        }
        first_release_migrator(db.backend).run(&raw).await.unwrap();

        // Rows as the first release wrote them: assessments and a key.
        let mine = tenant("migrated");
        let mut old = Vec::new();
        for n in 0..3 {
            let record = StoredAssessment {
                id: uuid::Uuid::new_v4().hyphenated().to_string(),
                tenant: mine.clone(),
                created_at: NOW.to_owned(),
                kb_version: KB.to_owned(),
                case_json: format!(r#"{{"age":{}, "note":"é"}}"#, 30 + n),
                assessment_json: format!(r#"{{"n":{n}}}"#),
            };
            sqlx::query(
                "INSERT INTO assessments \
                 (id, tenant, created_at, kb_version, case_json, assessment_json) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(record.id.clone())
            .bind(record.tenant.clone())
            .bind(record.created_at.clone())
            .bind(record.kb_version.clone())
            .bind(record.case_json.clone())
            .bind(record.assessment_json.clone())
            .execute(&raw)
            .await
            .unwrap();
            old.push(record);
        }
        let secret = format!("rk_{}", "Q".repeat(43));
        let hash: String = sha2::Sha256::digest(secret.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        sqlx::query(
            "INSERT INTO api_keys (id, tenant, secret_sha256, created_at) \
             VALUES ('key_0123456789ab', $1, $2, $3)",
        )
        .bind(mine.clone())
        .bind(hash)
        .bind(NOW)
        .execute(&raw)
        .await
        .unwrap();
        raw.close().await;

        // This build opens it: migrations 0002 and 0003 are applied, and everything is still there.
        let store = db.open().await;
        let raw = db.raw().await;
        let versions: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
                .fetch_all(&raw)
                .await
                .unwrap();
        assert_eq!(versions, [1, 2, 3], "{:?}", db.backend);
        raw.close().await;
        for record in &old {
            assert_eq!(
                store
                    .get_assessment(&mine, &record.id)
                    .await
                    .unwrap()
                    .as_ref(),
                Some(record),
                "{:?}",
                db.backend
            );
        }
        let key = store.authenticate(&secret).await.unwrap();
        assert_eq!(
            key,
            Some(KeyInfo {
                id: "key_0123456789ab".to_owned(),
                tenant: mine.clone(),
            })
        );
        // New records go after the old ones.
        let new = insert(&store, &mine, 9).await;
        let page = store.list_assessments(&mine, 100, None).await.unwrap();
        let mut expected = old.clone();
        expected.push(new);
        expected.reverse();
        assert_eq!(page.items, expected, "{:?}", db.backend);
        // And the new table works.
        let ids = store
            .insert_feedback(&mine, SERVICE, &[feedback_item(1)], NOW)
            .await
            .unwrap();
        assert_eq!(
            all_feedback(&store, &mine, SERVICE).await,
            [stored(&ids[0], &mine, SERVICE, &feedback_item(1), NOW)]
        );
        store.close().await;

        // Opening it again applies nothing more.
        let store = db.open().await;
        assert_eq!(all_feedback(&store, &mine, SERVICE).await.len(), 1);
        store.close().await;
        empty.drop_schema().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Episodes
// ---------------------------------------------------------------------------------------------

/// Stores `n`'s record in `episode`, expecting it stored.
async fn insert_in(store: &Store, tenant: &str, episode: &str, n: usize) -> StoredAssessment {
    match store
        .insert_episode_assessment(tenant, episode, NOW, KB, format!("{{\"n\":{n}}}"), "{}")
        .await
        .unwrap()
    {
        EpisodeInsert::Stored(record) => record,
        other => panic!("record {n} not stored in {episode}: {other:?}"),
    }
}

#[tokio::test]
async fn an_episode_holds_its_assessments_oldest_first_for_its_tenant_only() {
    for db in databases() {
        let store = db.open().await;
        let (alice, bob) = (tenant("ep-alice"), tenant("ep-bob"));
        let episode = store.create_episode(&alice, "MRN-0001", NOW).await.unwrap();
        assert_eq!(episode.subject, "MRN-0001");
        let records = [
            insert_in(&store, &alice, &episode.id, 0).await,
            insert_in(&store, &alice, &episode.id, 1).await,
            insert_in(&store, &alice, &episode.id, 2).await,
        ];
        // Stored alone: not in the episode.
        insert(&store, &alice, 3).await;

        let (read, held) = store
            .get_episode(&alice, &episode.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read, episode);
        assert_eq!(
            held, records,
            "{:?}: oldest first, nothing else",
            db.backend
        );
        // An episode's assessments are stored assessments too.
        assert_eq!(
            store.get_assessment(&alice, &records[0].id).await.unwrap(),
            Some(records[0].clone())
        );
        assert_eq!(
            store
                .list_assessments(&alice, 100, None)
                .await
                .unwrap()
                .items
                .len(),
            4
        );

        // An operator's tool reads it without naming the tenant.
        assert_eq!(
            store.get_episode_as_operator(&episode.id).await.unwrap(),
            Some((episode.clone(), records.to_vec()))
        );
        // Another tenant can neither see the episode, add to it, nor erase it.
        assert_eq!(store.get_episode(&bob, &episode.id).await.unwrap(), None);
        assert_eq!(
            store
                .insert_episode_assessment(&bob, &episode.id, NOW, KB, "{}", "{}")
                .await
                .unwrap(),
            EpisodeInsert::NoEpisode
        );
        assert!(!store.delete_episode(&bob, &episode.id).await.unwrap());
        assert_eq!(
            store
                .insert_episode_assessment(&alice, "no-such-episode", NOW, KB, "{}", "{}")
                .await
                .unwrap(),
            EpisodeInsert::NoEpisode
        );
        let (_, held) = store
            .get_episode(&alice, &episode.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            held.len(),
            3,
            "{:?}: nothing added by the refusals",
            db.backend
        );
        store.close().await;
    }
}

#[tokio::test]
async fn erasing_an_episode_erases_every_assessment_in_it_and_nothing_else() {
    for db in databases() {
        let store = db.open().await;
        let raw = db.raw().await;
        let mine = tenant("ep-erase");
        let episode = store.create_episode(&mine, "subject-1", NOW).await.unwrap();
        let other = store.create_episode(&mine, "subject-2", NOW).await.unwrap();
        let records = [
            insert_in(&store, &mine, &episode.id, 0).await,
            insert_in(&store, &mine, &episode.id, 1).await,
        ];
        let kept = insert_in(&store, &mine, &other.id, 2).await;
        let alone = insert(&store, &mine, 3).await;

        assert!(store.delete_episode(&mine, &episode.id).await.unwrap());
        assert_eq!(store.get_episode(&mine, &episode.id).await.unwrap(), None);
        for record in &records {
            assert_eq!(store.get_assessment(&mine, &record.id).await.unwrap(), None);
            let rows = "SELECT COUNT(*) FROM assessments WHERE id = $1";
            assert_eq!(count(&raw, rows, &record.id).await, 0, "{:?}", db.backend);
        }
        let episodes = "SELECT COUNT(*) FROM episodes WHERE id = $1";
        assert_eq!(count(&raw, episodes, &episode.id).await, 0);
        assert!(!store.delete_episode(&mine, &episode.id).await.unwrap());
        // The other episode and the assessment stored alone are untouched.
        let (_, held) = store.get_episode(&mine, &other.id).await.unwrap().unwrap();
        assert_eq!(held, [kept]);
        assert_eq!(
            store.get_assessment(&mine, &alone.id).await.unwrap(),
            Some(alone)
        );
        raw.close().await;
        store.close().await;
    }
}

#[tokio::test]
async fn an_episode_holds_at_most_its_bound() {
    for db in databases() {
        let store = db.open().await;
        let mine = tenant("ep-full");
        let episode = store.create_episode(&mine, "subject", NOW).await.unwrap();
        for n in 0..MAX_EPISODE_ASSESSMENTS as usize {
            insert_in(&store, &mine, &episode.id, n).await;
        }
        assert_eq!(
            store
                .insert_episode_assessment(&mine, &episode.id, NOW, KB, "{}", "{}")
                .await
                .unwrap(),
            EpisodeInsert::Full
        );
        let (_, held) = store
            .get_episode(&mine, &episode.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(held.len(), MAX_EPISODE_ASSESSMENTS as usize);
        store.close().await;
    }
}
