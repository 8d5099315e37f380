//! The PostgreSQL database that the PostgreSQL tests of every crate run on, and the one rule for
//! when there is none. The test binaries of `radiculo-store`, `radiculo-server` and `radiculo`
//! include this file as a module (`#[path = ".../tests/support/postgres.rs"] mod postgres;`),
//! so that the rule is written once; it is a file rather than a crate because it is a few
//! functions with nothing to depend on.
//!
//! It also holds [`Cluster`], a cluster of one test's own that the test can stop and start (the
//! fault tests), and [`cannot_run`], the same rule for a test that lacks something else.
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
#[allow(
    dead_code,
    reason = "the fault tests start clusters of their own instead"
)]
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

/// A throwaway PostgreSQL cluster of one test's own (`scripts/pg-cluster.sh`), for a test that
/// stops and restarts the database under a running server, which it cannot do to the cluster
/// that the other tests share. Stopped and removed when dropped.
#[allow(
    dead_code,
    reason = "only the fault tests of some test binaries use it"
)]
pub struct Cluster {
    dir: String,
    /// The cluster's database URL.
    pub url: String,
}

#[allow(
    dead_code,
    reason = "only the fault tests of some test binaries use it"
)]
impl Cluster {
    /// Starts a cluster. Where none can start, it panics under CI and in a local run says that
    /// `what` did not run and returns `None`, as [`postgres_url`] does.
    pub fn start(what: &str) -> Option<Cluster> {
        let output = script(&["start"]);
        if !output.status.success() {
            assert!(
                !in_ci(),
                "{what} must run on PostgreSQL in CI, and scripts/pg-cluster.sh start failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            announce_skip(what);
            return None;
        }
        let text = String::from_utf8(output.stdout).expect("pg-cluster.sh prints UTF-8");
        let value = |name: &str| {
            text.split_whitespace()
                .find_map(|word| word.strip_prefix(&format!("{name}='")))
                .and_then(|rest| rest.strip_suffix('\''))
                .unwrap_or_else(|| panic!("pg-cluster.sh start printed no {name}: {text}"))
                .to_owned()
        };
        Some(Cluster {
            dir: value("PG_CLUSTER_DIR"),
            url: value(VAR),
        })
    }

    /// Stops the server (a fast shutdown: open connections are cut), keeping its data.
    pub fn pause(&self) {
        let output = script(&["pause", &self.dir]);
        assert!(output.status.success(), "pg-cluster.sh pause: {output:?}");
    }

    /// Starts the server again on the same port, with the same data.
    pub fn resume(&self) {
        let output = script(&["resume", &self.dir]);
        assert!(output.status.success(), "pg-cluster.sh resume: {output:?}");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = script(&["stop", &self.dir]);
    }
}

/// Runs `scripts/pg-cluster.sh` with `args`.
fn script(args: &[&str]) -> std::process::Output {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/pg-cluster.sh");
    std::process::Command::new(script)
        .args(args)
        .output()
        .expect("scripts/pg-cluster.sh runs")
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

/// For a test that cannot run here for a reason other than PostgreSQL (`why`: a tmpfs mount
/// refused, say): under CI a failure; in a local run a skip, announced on standard error.
#[allow(
    dead_code,
    reason = "only the fault tests of some test binaries use it"
)]
pub fn cannot_run(what: &str, why: &str) {
    assert!(!in_ci(), "{what} must run in CI, and cannot here: {why}");
    let _ = writeln!(
        std::io::stderr(),
        "\n!!! SKIPPED (a local run only; under CI this fails): {what} did NOT run: {why} !!!\n"
    );
}
