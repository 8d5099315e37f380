//! The PostgreSQL database that the PostgreSQL tests of every crate run on, and the one rule for
//! when there is none. The test binaries of `radiculo-store`, `radiculo-server` and `radiculo`
//! include this file as a module (`#[path = ".../tests/support/postgres.rs"] mod postgres;`),
//! so that the rule is written once; it is a file rather than a crate because it is one function
//! with nothing to depend on.
//!
//! `RADICULO_TEST_DATABASE_URL` names the database; `scripts/test.sh` starts a throwaway cluster
//! and sets it. When it is not set, a PostgreSQL test cannot run: under CI that is a failure (a
//! broken PostgreSQL path must not pass as skipped), and in a developer's local run it is a skip,
//! announced on standard error where it cannot be missed.

use std::io::Write as _;
use std::sync::Mutex;

/// The variable that names the test database.
const VAR: &str = "RADICULO_TEST_DATABASE_URL";

/// The URL of the PostgreSQL database to test on. Without one it panics under CI (`CI` set to
/// anything but empty, `0` or `false`, as CI services set it); in a local run it says that `what`
/// did not run and how to run it (once per `what` and test binary), and returns `None`, so the
/// caller skips.
pub fn postgres_url(what: &str) -> Option<String> {
    if let Ok(url) = std::env::var(VAR)
        && !url.is_empty()
    {
        return Some(url);
    }
    assert!(
        !in_ci(),
        "{VAR} is not set, and CI is: {what} must run on PostgreSQL in CI, so this is a \
         failure, not a skip. Run the tests through scripts/test.sh, which starts a throwaway \
         PostgreSQL and sets {VAR} (its first step fails, saying why, when it cannot)."
    );
    announce_skip(what);
    None
}

/// Whether this is a CI run: `CI` is set, and not to an empty string, `0` or `false`.
fn in_ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|v| !matches!(v.to_ascii_lowercase().as_str(), "" | "0" | "false"))
}

/// Says that `what` did not run, once per test binary. It writes to the process's standard error
/// handle rather than through `eprintln!`, which the test harness captures and hides for tests
/// that pass.
fn announce_skip(what: &str) {
    static SAID: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if said.iter().any(|w| w == what) {
        return;
    }
    said.push(what.to_owned());
    let _ = writeln!(
        std::io::stderr(),
        "\n!!! SKIPPED (a local run only; under CI this fails): {what} did NOT run, because \
         {VAR} is not set. To run the PostgreSQL tests: scripts/test.sh (it starts a \
         throwaway PostgreSQL); or eval \"$(scripts/pg-cluster.sh start)\" before cargo test \
         and scripts/pg-cluster.sh stop \"$PG_CLUSTER_DIR\" after; or set {VAR} to a \
         PostgreSQL database of your own. !!!\n"
    );
}
