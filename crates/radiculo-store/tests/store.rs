//! The store against real databases. Every test runs on a fresh SQLite file in a temporary
//! directory and, when `RADICULO_TEST_DATABASE_URL` names a PostgreSQL database, on that database
//! too. Tests on PostgreSQL share the one database, so each uses tenant names of its own.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::sync::Once;

use radiculo_store::{Backend, KeyInfo, Store, StoreError, StoredAssessment};
use sqlx::{AnyPool, Row as _};

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

/// The databases every test runs on: a new SQLite file, and PostgreSQL when configured.
fn databases() -> Vec<TestDb> {
    let mut dbs = vec![TestDb::sqlite()];
    match std::env::var("RADICULO_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => dbs.push(TestDb {
            backend: Backend::Postgres,
            url,
            dir: None,
        }),
        _ => warn_postgres_skipped(),
    }
    dbs
}

/// Says once per run, where it cannot be missed, that PostgreSQL was not tested. It writes to
/// the process's stderr handle rather than through `eprintln!`, which the test harness captures
/// and hides for tests that pass.
fn warn_postgres_skipped() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! RADICULO_TEST_DATABASE_URL is not set: the PostgreSQL variants of the \
             radiculo-store tests did NOT run; only SQLite was tested. !!!\n"
        );
    });
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
    store.close().await;
    assert!(matches!(store.ping().await, Err(StoreError::Database(_))));
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
        Err(StoreError::Database(_))
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
