//! The store under faults of its database: PostgreSQL going down and coming back, a SQLite
//! file on a full disk, a SQLite file that cannot be written. Each fault is a
//! [`StoreError::Unavailable`] (a server answers 503 and stays up), never a
//! [`StoreError::Database`] (500); nothing of the failed write is stored, nothing acknowledged
//! before it is lost, and the store works again by itself once the fault is gone.
//!
//! The PostgreSQL test runs on a cluster of its own (`postgres::Cluster`), which it stops and
//! starts again. The SQLite tests need a small tmpfs and a read-only bind mount, so they run as
//! root (as the test command does); where mounting is refused they fail under CI and skip, saying
//! so, in a local run.
#![cfg(target_os = "linux")]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use radiculo_store::{Store, StoreError};

#[path = "../../../tests/support/postgres.rs"]
mod postgres;
use postgres::{Cluster, cannot_run};

const NOW: &str = "2026-12-05T12:00:00Z";
const KB: &str = "kb-test";

/// An assessment's JSON of about `size` bytes, numbered.
fn record(n: usize, size: usize) -> String {
    format!("{{\"n\":{n},\"pad\":\"{}\"}}", "x".repeat(size))
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL down and back
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_down_is_unavailable_and_the_store_recovers_when_it_returns() {
    let Some(cluster) = Cluster::start("the PostgreSQL outage test of radiculo-store") else {
        return;
    };
    let store = Store::connect(&cluster.url).await.unwrap();
    let before = store
        .insert_assessment("outage", NOW, KB, record(0, 10), "{}")
        .await
        .unwrap();

    cluster.pause();
    let ping = store.ping().await;
    assert!(matches!(ping, Err(StoreError::Unavailable(_))), "{ping:?}");
    let insert = store
        .insert_assessment("outage", NOW, KB, record(1, 10), "{}")
        .await;
    assert!(
        matches!(insert, Err(StoreError::Unavailable(_))),
        "{insert:?}"
    );
    let read = store.get_assessment("outage", &before.id).await;
    assert!(matches!(read, Err(StoreError::Unavailable(_))), "{read:?}");
    let auth = store.authenticate("not-a-key-but-well-formed").await;
    assert!(
        !matches!(auth, Err(StoreError::Database(_))),
        "an outage is never a 500: {auth:?}"
    );

    // The same store, not a new one: its pool replaces the connections the outage cut.
    cluster.resume();
    store.ping().await.unwrap();
    let after = store
        .insert_assessment("outage", NOW, KB, record(2, 10), "{}")
        .await
        .unwrap();
    let page = store.list_assessments("outage", 100, None).await.unwrap();
    let ids: Vec<&str> = page.items.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [after.id.as_str(), before.id.as_str()],
        "only the acknowledged writes"
    );
    store.close().await;
}

// ---------------------------------------------------------------------------------------------
// SQLite: a full disk, a read-only file
// ---------------------------------------------------------------------------------------------

/// A mount made for one test, unmounted when dropped.
struct Mount {
    path: PathBuf,
    /// The directory it is mounted on, kept until after the unmount.
    _dir: tempfile::TempDir,
}

impl Mount {
    /// A tmpfs of `size` (a `mount -o size=` value), or `None` (after [`cannot_run`]) where
    /// mounting is refused.
    fn tmpfs(what: &str, size: &str) -> Option<Mount> {
        Mount::new(
            what,
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"],
        )
    }

    /// `source` again, read-only, or `None` where mounting is refused.
    fn read_only_view(what: &str, source: &Path) -> Option<Mount> {
        let source = source.to_str().expect("a UTF-8 path");
        let mount = Mount::new(what, &["--bind", source])?;
        // A bind mount is made read-only by remounting it: `mount --bind -o ro` ignores `ro` on
        // older kernels.
        run_mount(&["-o", "remount,bind,ro", mount.path.to_str().unwrap()])
            .expect("a fresh bind mount can be made read-only");
        Some(mount)
    }

    fn new(what: &str, args: &[&str]) -> Option<Mount> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_owned();
        let mut all = args.to_vec();
        all.push(path.to_str().expect("a UTF-8 path"));
        if let Err(why) = run_mount(&all) {
            cannot_run(what, &format!("mount {} failed: {why}", all.join(" ")));
            return None;
        }
        Some(Mount { path, _dir: dir })
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn run_mount(args: &[&str]) -> Result<(), String> {
    let output = Command::new("mount")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run mount: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

/// Fills the filesystem holding `dir` with one file, leaving about `spare` bytes free.
fn fill(dir: &Path, spare: usize) -> PathBuf {
    let filler = dir.join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 4096];
    let mut written = 0u64;
    loop {
        match file.write_all(&chunk) {
            Ok(()) => written += chunk.len() as u64,
            Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    file.set_len(written.saturating_sub(spare as u64)).unwrap();
    file.sync_all().unwrap();
    filler
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_unavailable_stores_nothing_half_written_and_recovers() {
    let Some(disk) = Mount::tmpfs("the full-disk test of radiculo-store", "8m") else {
        return;
    };
    let url = format!("sqlite://{}", disk.path.join("radiculo.db").display());
    let store = Store::connect(&url).await.unwrap();
    let filler = fill(&disk.path, 256 * 1024);

    // Records of 16 KiB until the disk is full: a few fit, then one fails.
    let mut stored = Vec::new();
    let failure = loop {
        assert!(stored.len() < 100, "256 KiB never filled up");
        let n = stored.len();
        match store
            .insert_assessment("full", NOW, KB, record(n, 16 * 1024), "{}")
            .await
        {
            Ok(record) => stored.push(record),
            Err(e) => break e,
        }
    };
    let StoreError::Unavailable(message) = &failure else {
        panic!("a full disk is a 503, not a 500: {failure:?}");
    };
    assert!(message.contains("full"), "{message}");
    assert!(
        !message.contains("xxxx"),
        "no record contents in errors: {message}"
    );
    assert!(!stored.is_empty(), "nothing fitted in 256 KiB");
    // Reads go on working, and give back exactly what was acknowledged.
    for record in &stored {
        let back = store.get_assessment("full", &record.id).await.unwrap();
        assert_eq!(back.as_ref(), Some(record));
    }
    let page = store.list_assessments("full", 100, None).await.unwrap();
    assert_eq!(
        page.items.len(),
        stored.len(),
        "the failed write is not stored"
    );

    // Space again: the same store writes again, by itself.
    std::fs::remove_file(&filler).unwrap();
    let again = store
        .insert_assessment("full", NOW, KB, record(999, 16 * 1024), "{}")
        .await
        .unwrap();
    stored.push(again);
    store.close().await;

    // Reopened: every acknowledged record, and an intact database.
    let store = Store::connect(&url).await.unwrap();
    let page = store.list_assessments("full", 100, None).await.unwrap();
    assert_eq!(page.items.len(), stored.len());
    store.close().await;
    sqlx::any::install_default_drivers();
    let raw = sqlx::AnyPool::connect(&url).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    raw.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_is_refused_at_connect_with_a_clear_error_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("radiculo.db").display());
    let store = Store::connect(&url).await.unwrap();
    let record = store
        .insert_assessment("ro", NOW, KB, record(0, 10), "{}")
        .await
        .unwrap();
    store.close().await;
    let files_before = files(dir.path());

    let Some(view) = Mount::read_only_view("the read-only test of radiculo-store", dir.path())
    else {
        return;
    };
    let read_only_url = format!("sqlite://{}", view.path.join("radiculo.db").display());
    let refused = Store::connect(&read_only_url).await;
    let Err(StoreError::Unavailable(message)) = &refused else {
        panic!("a read-only database is refused as unavailable: {refused:?}");
    };
    assert!(
        message.contains("read") || message.contains("open"),
        "the error says what is wrong: {message}"
    );
    drop(view);
    assert_eq!(files(dir.path()), files_before, "nothing was written");

    // Writable again, it is the same database.
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(
        store.get_assessment("ro", &record.id).await.unwrap(),
        Some(record)
    );
    store.close().await;
}

/// Every file in `dir` with its bytes, sorted by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}
