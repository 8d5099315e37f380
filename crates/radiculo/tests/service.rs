//! `radiculo serve` as a process, over real sockets: what only a whole process can show.
//!
//! - durability: a server killed with SIGKILL part-way through a stream of writes loses no
//!   acknowledged record, changes none, and keeps no record that was never acknowledged beyond
//!   the one in flight (on SQLite, and on PostgreSQL, `RADICULO_TEST_DATABASE_URL`: `postgres`);
//! - two server processes sharing one PostgreSQL database see each other's writes and erasures;
//! - tenant isolation and key revocation (`radiculo keys revoke`) against a running server;
//! - SIGTERM: a request in flight is answered, then the process exits 0 and the SQLite file
//!   reopens with every record; under load, every request in flight is answered and every
//!   acknowledged record kept.
//!
//! Each test has its own temporary directory, port and tenants (random suffixes, so that runs
//! sharing a PostgreSQL database do not meet). Servers log to a file in that directory, printed
//! when a test fails. The only waits are bounded polls (startup, exit, a log line), never
//! assertions about how long something took.
#![cfg(unix)]

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

#[path = "../../../tests/support/postgres.rs"]
mod postgres;
use postgres::postgres_url;

/// The longest wait for a server to answer `/healthz`, or for a process to exit.
const PATIENCE: Duration = Duration::from_secs(20);

/// Read and write timeout of one HTTP exchange.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// Writes in the durability stream, and after how many acknowledgements the server is killed.
const STREAM: usize = 200;
const KILL_AFTER: usize = 100;

/// The binary under test.
fn radiculo() -> PathBuf {
    assert_cmd::cargo::cargo_bin("radiculo")
}

/// A name no other test or run uses: `prefix-<pid>-<time>-<counter>` (at most 64 characters,
/// the tenant limit, for a short prefix).
fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_nanos();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{:x}-{nanos:x}-{n}", std::process::id())
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("radiculo.db").display())
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/// A `radiculo serve` process on a port of its own, logging to a file.
struct Server {
    child: Arc<Mutex<Child>>,
    pid: u32,
    address: SocketAddr,
    log: PathBuf,
}

impl Server {
    /// Starts a server on `database_url` with the extra `flags`, logging to a new file in
    /// `dir`, and waits until it answers `/healthz`. A port taken between choosing and binding
    /// it is retried with another.
    fn start(database_url: &str, dir: &Path, flags: &[&str]) -> Server {
        Server::start_with_log_filter(database_url, dir, flags, "info")
    }

    fn start_with_log_filter(
        database_url: &str,
        dir: &Path,
        flags: &[&str],
        log_filter: &str,
    ) -> Server {
        let mut failures = Vec::new();
        for _ in 0..5 {
            let port = free_port();
            let address = SocketAddr::from(([127, 0, 0, 1], port));
            let log = dir.join(format!("{}.log", unique("server")));
            let log_file = std::fs::File::create(&log).expect("a log file");
            let child = Command::new(radiculo())
                .arg("serve")
                .arg("--listen")
                .arg(address.to_string())
                .arg("--database-url")
                .arg(database_url)
                .args(flags)
                .env("RADICULO_LOG", log_filter)
                .env_remove("RADICULO_REQUIRE_KEY")
                .env_remove("RADICULO_RATE_LIMIT_PER_MINUTE")
                .env_remove("RADICULO_REQUEST_TIMEOUT_SECS")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file)
                .spawn()
                .expect("radiculo serve starts");
            let server = Server {
                pid: child.id(),
                child: Arc::new(Mutex::new(child)),
                address,
                log,
            };
            match server.wait_until_healthy() {
                Ok(()) => return server,
                Err(why) => failures.push(format!("{why}\n{}", server.log_text())),
            }
        }
        panic!(
            "radiculo serve did not become healthy:\n{}",
            failures.join("\n---\n")
        );
    }

    /// Polls `/healthz` until it answers 200, for at most [`PATIENCE`]; fails at once if the
    /// process exits.
    fn wait_until_healthy(&self) -> Result<(), String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.try_wait() {
                return Err(format!("the server exited before it was healthy: {status}"));
            }
            if let Ok(reply) = http(self.address, "GET", "/healthz", None, None)
                && reply.status == 200
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("no healthy answer within {PATIENCE:?}"));
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn try_wait(&self) -> Option<ExitStatus> {
        self.child
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .try_wait()
            .expect("the server's status can be read")
    }

    /// Waits for the process to exit, for at most [`PATIENCE`].
    fn wait_for_exit(&self) -> ExitStatus {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.try_wait() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit within {PATIENCE:?}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM (with `kill`, the way a service manager would).
    fn sigterm(&self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM {} failed: {status}", self.pid);
    }

    /// SIGTERM, then the exit status, which must be 0.
    fn stop(&self) {
        self.sigterm();
        let status = self.wait_for_exit();
        assert!(
            status.success(),
            "SIGTERM should end the server with exit code 0, not {status}"
        );
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Polls the log until `needle` is in it, for at most [`PATIENCE`].
    fn wait_for_log(&self, needle: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.log_text().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "`{needle}` did not appear in the server's log within {PATIENCE:?}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn get(&self, path: &str, key: &Key) -> Reply {
        self.call("GET", path, Some(key), None)
    }

    fn delete(&self, path: &str, key: &Key) -> Reply {
        self.call("DELETE", path, Some(key), None)
    }

    fn post(&self, path: &str, key: &Key, body: &str) -> Reply {
        self.call("POST", path, Some(key), Some(body))
    }

    fn call(&self, method: &str, path: &str, key: Option<&Key>, body: Option<&str>) -> Reply {
        http(
            self.address,
            method,
            path,
            key.map(|k| k.secret.as_str()),
            body,
        )
        .unwrap_or_else(|e| panic!("{method} {path} on {}: {e}", self.address))
    }

    /// Stores `case` and returns the record's id and the 201 body.
    fn store(&self, key: &Key, case: &str) -> (String, Vec<u8>) {
        let reply = self.post("/v1/assessments", key, case);
        assert_eq!(reply.status, 201, "POST /v1/assessments: {}", reply.text());
        let id = record_id(&reply);
        (id, reply.body)
    }

    /// Every record of `key`'s tenant, newest first, through every page of the list.
    fn list_all(&self, key: &Key) -> Vec<Value> {
        let mut items = Vec::new();
        let mut path = "/v1/assessments?limit=100".to_owned();
        loop {
            let reply = self.get(&path, key);
            assert_eq!(reply.status, 200, "GET {path}: {}", reply.text());
            let page = reply.json();
            items.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next"].as_str() {
                Some(next) => path = format!("/v1/assessments?limit=100&cursor={next}"),
                None => return items,
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let mut child = self
            .child
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = child.kill();
        let _ = child.wait();
        if thread::panicking() {
            eprintln!(
                "--- log of the server on {} ({}) ---\n{}--- end of log ---",
                self.address,
                self.log.display(),
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
    }
}

/// A port that was free a moment ago: bind port 0, read the port, let it go.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("an ephemeral port")
        .port()
}

/// An API key made by `radiculo keys create`.
#[derive(Debug, Clone)]
struct Key {
    id: String,
    tenant: String,
    secret: String,
}

impl Key {
    fn create(database_url: &str, tenant: &str) -> Key {
        let output = Command::new(radiculo())
            .args([
                "keys",
                "create",
                "--tenant",
                tenant,
                "--database-url",
                database_url,
            ])
            .env_remove("RADICULO_DATABASE_URL")
            .output()
            .expect("radiculo keys create runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "keys create: {}\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        let field = |name: &str| {
            stdout
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .map(|rest| rest.trim().to_owned())
                .unwrap_or_else(|| panic!("no `{name}` line in:\n{stdout}"))
        };
        let key = Key {
            id: field("key id:"),
            tenant: field("tenant:"),
            secret: field("secret:"),
        };
        assert_eq!(key.tenant, tenant);
        key
    }

    fn revoke(&self, database_url: &str) {
        let output = Command::new(radiculo())
            .args(["keys", "revoke", &self.id, "--database-url", database_url])
            .env_remove("RADICULO_DATABASE_URL")
            .output()
            .expect("radiculo keys revoke runs");
        assert!(
            output.status.success(),
            "keys revoke: {}\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP through reqwest's blocking client, one connection per request (no idle connections
// kept), so that a request after a kill or a restart never reuses a socket of the old process.
// ---------------------------------------------------------------------------------------------

/// A reply, read whole.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn read(response: reqwest::blocking::Response) -> reqwest::Result<Reply> {
        Ok(Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.bytes()?.to_vec(),
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}): {}", self.text()))
    }
}

/// The tests' one client.
fn client() -> &'static reqwest::blocking::Client {
    static CLIENT: OnceLock<reqwest::blocking::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::blocking::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(IO_TIMEOUT)
            .build()
            .expect("an HTTP client")
    })
}

/// A request to the server at `address`, with the key's secret as a bearer token.
fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    secret: Option<&str>,
) -> reqwest::blocking::RequestBuilder {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    let request = client().request(method, format!("http://{address}{path}"));
    match secret {
        Some(secret) => request.bearer_auth(secret),
        None => request,
    }
}

/// One request; an error if the connection fails or the reply is cut short.
fn http(
    address: SocketAddr,
    method: &str,
    path: &str,
    secret: Option<&str>,
    body: Option<&str>,
) -> reqwest::Result<Reply> {
    let mut request = request(address, method, path, secret);
    if let Some(body) = body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned());
    }
    Reply::read(request.send()?)
}

/// A request body given in parts, each after the first only once `resume` says so.
struct PausedBody {
    parts: std::collections::VecDeque<Vec<u8>>,
    resume: mpsc::Receiver<()>,
    /// A part has been given whole: the next read waits for `resume`.
    paused: bool,
}

impl Read for PausedBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.paused {
            self.resume
                .recv()
                .map_err(|_| std::io::Error::other("the test stopped waiting"))?;
            self.paused = false;
        }
        let Some(part) = self.parts.front_mut() else {
            return Ok(0);
        };
        let n = buf.len().min(part.len());
        buf[..n].copy_from_slice(&part[..n]);
        part.drain(..n);
        if part.is_empty() {
            self.parts.pop_front();
            self.paused = !self.parts.is_empty();
        }
        Ok(n)
    }
}

/// The id of the record a 201 reply created, checked against its `Location`.
fn record_id(reply: &Reply) -> String {
    let id = reply.json()["id"]
        .as_str()
        .expect("a record has an id")
        .to_owned();
    assert_eq!(
        reply.header("location"),
        Some(format!("/v1/assessments/{id}").as_str()),
        "Location of the new record"
    );
    id
}

/// A valid case, different for each `n` (its `id`, age and duration).
fn case(label: &str, n: usize) -> String {
    serde_json::json!({
        "id": format!("{label}-{n}"),
        "age": 20 + n % 70,
        "sex": if n.is_multiple_of(2) { "female" } else { "male" },
        "symptom_duration_days": 1 + n,
        "evidence": [
            {"id": "pain.lateral_leg.left", "state": "present"},
            {"id": "numbness.dorsum_foot.left", "state": if n.is_multiple_of(3) { "present" } else { "unknown" }},
            {"id": "weakness.great_toe_extension.left", "state": "present"},
            {"id": "slr.left", "state": if n.is_multiple_of(5) { "absent" } else { "present" }},
            {"id": "urinary_retention", "state": "absent"}
        ]
    })
    .to_string()
}

fn case_id(record: &Value) -> &str {
    record["case"]["id"]
        .as_str()
        .expect("the stored case has its id")
}

// ---------------------------------------------------------------------------------------------
// Durability under SIGKILL
// ---------------------------------------------------------------------------------------------

/// Streams writes at a server, kills it with SIGKILL from another thread after
/// [`KILL_AFTER`] acknowledgements, restarts it on the same database and checks that every
/// acknowledged record is there byte for byte, and nothing else but the one in flight.
fn survives_sigkill(database_url: &str, dir: &Path) {
    let server = Server::start(database_url, dir, &["--rate-limit-per-minute", "0"]);
    let key = Key::create(database_url, &unique("durable"));
    let label = unique("stream");

    let (kill_now, kill_signal) = mpsc::channel::<()>();
    let child = Arc::clone(&server.child);
    let killer = thread::spawn(move || {
        // Woken by the writer after enough acknowledgements (or when it gives up), then a
        // pause of up to 3 ms so that the kill falls at varying points of the next writes
        // (between them, before the commit, during it, after it).
        let _ = kill_signal.recv();
        let jitter = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |t| u64::from(t.subsec_nanos()) % 3_000);
        thread::sleep(Duration::from_micros(jitter));
        let mut child = child
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        child.kill().expect("SIGKILL is sent");
        child.wait().expect("the killed server is reaped")
    });

    // Acknowledged records by id: the 201 body, and their order.
    let mut acked: HashMap<String, Vec<u8>> = HashMap::new();
    let mut order = Vec::new();
    let mut cut_at = None;
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut n = 0;
    // The stream is STREAM writes long, and goes on past that should the kill land later (the
    // killer thread is woken at KILL_AFTER; a server that outlives many more writes than that
    // would be a scheduling fluke): the point is that the kill falls inside the stream.
    while Instant::now() < deadline {
        match http(
            server.address,
            "POST",
            "/v1/assessments",
            Some(&key.secret),
            Some(&case(&label, n)),
        ) {
            Ok(reply) => {
                assert_eq!(reply.status, 201, "write {n}: {}", reply.text());
                let id = record_id(&reply);
                assert!(
                    acked.insert(id.clone(), reply.body).is_none(),
                    "id {id} reused"
                );
                order.push(id);
                if order.len() == KILL_AFTER {
                    kill_now.send(()).expect("the killer waits");
                }
            }
            Err(_) => {
                // The server is gone: this write may or may not have been stored.
                cut_at = Some(n);
                break;
            }
        }
        n += 1;
    }
    drop(kill_now);
    let status = killer.join().expect("the killer thread");
    assert_eq!(
        status.signal(),
        Some(9),
        "the server died of SIGKILL: {status}"
    );
    let cut_at = cut_at.expect("the kill should cut the stream short");
    assert!(
        order.len() >= KILL_AFTER,
        "{} writes acknowledged",
        order.len()
    );
    eprintln!(
        "durability ({}): {} writes acknowledged, killed during write {cut_at} (stream of {STREAM})",
        database_url.split(':').next().unwrap_or_default(),
        order.len()
    );

    let again = Server::start(database_url, dir, &["--rate-limit-per-minute", "0"]);
    for id in &order {
        let reply = again.get(&format!("/v1/assessments/{id}"), &key);
        assert_eq!(
            reply.status,
            200,
            "acknowledged record {id} lost: {}",
            reply.text()
        );
        assert!(
            reply.body == acked[id],
            "record {id} changed:\nacknowledged {}\nread back    {}",
            String::from_utf8_lossy(&acked[id]),
            reply.text()
        );
    }
    let listed = again.list_all(&key);
    let mut seen = HashSet::new();
    let mut unacknowledged = Vec::new();
    for record in &listed {
        let id = record["id"].as_str().expect("id").to_owned();
        assert!(seen.insert(id.clone()), "record {id} listed twice");
        match acked.get(&id) {
            Some(body) => {
                let acknowledged: Value = serde_json::from_slice(body).expect("JSON");
                assert_eq!(record, &acknowledged, "record {id} in the list");
            }
            None => unacknowledged.push(record),
        }
    }
    assert_eq!(
        seen.len() - unacknowledged.len(),
        order.len(),
        "every acknowledged record is listed"
    );
    // Newest first: the acknowledged ones in reverse order of writing.
    let listed_acked: Vec<&str> = listed
        .iter()
        .filter_map(|r| r["id"].as_str())
        .filter(|id| acked.contains_key(*id))
        .collect();
    let expected: Vec<&str> = order.iter().rev().map(String::as_str).collect();
    assert_eq!(listed_acked, expected, "the list is newest first");
    assert!(
        unacknowledged.len() <= 1,
        "records never acknowledged: {unacknowledged:?}"
    );
    if let Some(record) = unacknowledged.first() {
        // Only the write in flight may have been committed without its answer arriving.
        assert_eq!(case_id(record), format!("{label}-{cut_at}"));
    }
    eprintln!(
        "durability ({}): the write in flight was {}",
        database_url.split(':').next().unwrap_or_default(),
        if unacknowledged.is_empty() {
            "not stored"
        } else {
            "stored"
        }
    );
    again.stop();
}

#[test]
fn acknowledged_writes_survive_sigkill_on_sqlite() {
    let dir = temp_dir();
    survives_sigkill(&sqlite_url(dir.path()), dir.path());
}

#[test]
fn acknowledged_writes_survive_sigkill_on_postgres() {
    let Some(url) = postgres_url("service test `acknowledged_writes_survive_sigkill_on_postgres`")
    else {
        return;
    };
    let dir = temp_dir();
    survives_sigkill(&url, dir.path());
}

// ---------------------------------------------------------------------------------------------
// Two servers, one PostgreSQL database
// ---------------------------------------------------------------------------------------------

#[test]
fn two_servers_share_one_postgres_database() {
    let Some(url) = postgres_url("service test `two_servers_share_one_postgres_database`") else {
        return;
    };
    let dir = temp_dir();
    let a = Server::start(&url, dir.path(), &[]);
    let b = Server::start(&url, dir.path(), &[]);
    let key = Key::create(&url, &unique("shared"));

    // Stored through A: read, listed and erased through B; then gone for A too.
    let (id, body) = a.store(&key, &case("shared", 1));
    let path = format!("/v1/assessments/{id}");
    let read = b.get(&path, &key);
    assert_eq!(read.status, 200, "{}", read.text());
    assert!(
        read.body == body,
        "B reads the record A stored, byte for byte"
    );
    let listed = b.list_all(&key);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(b.delete(&path, &key).status, 204);
    for (name, server) in [("A", &a), ("B", &b)] {
        let gone = server.get(&path, &key);
        assert_eq!(
            gone.status,
            404,
            "{name} after the erasure: {}",
            gone.text()
        );
        assert_eq!(
            gone.header("content-type"),
            Some("application/problem+json")
        );
    }
    assert_eq!(a.delete(&path, &key).status, 404, "erased once only");
    assert!(a.list_all(&key).is_empty());

    // And the other way round, interleaved.
    let (first, _) = b.store(&key, &case("shared", 2));
    let (second, _) = a.store(&key, &case("shared", 3));
    let ids: Vec<String> = a
        .list_all(&key)
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(
        ids,
        [second.clone(), first.clone()],
        "newest first across servers"
    );
    assert_eq!(
        a.delete(&format!("/v1/assessments/{first}"), &key).status,
        204
    );
    assert_eq!(b.get(&format!("/v1/assessments/{first}"), &key).status, 404);
    assert_eq!(
        b.get(&format!("/v1/assessments/{second}"), &key).status,
        200
    );
    a.stop();
    b.stop();
}

// ---------------------------------------------------------------------------------------------
// Tenants and revoked keys
// ---------------------------------------------------------------------------------------------

fn tenants_are_isolated_and_revocation_is_immediate(database_url: &str, dir: &Path) {
    let server = Server::start(database_url, dir, &[]);
    let alice = unique("alice");
    let mine = Key::create(database_url, &alice);
    let also_mine = Key::create(database_url, &alice);
    let theirs = Key::create(database_url, &unique("bob"));

    let (id, body) = server.store(&mine, &case("tenant", 1));
    let path = format!("/v1/assessments/{id}");
    assert_eq!(
        server.get(&path, &also_mine).body,
        body,
        "same tenant, other key"
    );

    // Another tenant: not found (never forbidden), not listed, not erasable.
    let read = server.get(&path, &theirs);
    assert_eq!(read.status, 404, "{}", read.text());
    assert_eq!(read.json()["status"], 404);
    assert_eq!(server.delete(&path, &theirs).status, 404);
    assert!(server.list_all(&theirs).is_empty());
    assert_eq!(server.get(&path, &mine).status, 200, "still there");

    // No key, an unknown key: 401 with a challenge.
    for (name, secret) in [("none", None), ("unknown", Some("rk_not-a-key"))] {
        let reply = http(server.address, "GET", &path, secret, None).expect("reply");
        assert_eq!(reply.status, 401, "{name}: {}", reply.text());
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer realm=\"radiculo\"")
        );
    }

    // Revoked through the CLI while the server runs: the very next request is 401.
    mine.revoke(database_url);
    for (method, path) in [
        ("GET", path.as_str()),
        ("GET", "/v1/assessments"),
        ("DELETE", path.as_str()),
    ] {
        let reply = server.call(method, path, Some(&mine), None);
        assert_eq!(
            reply.status,
            401,
            "{method} {path} with a revoked key: {}",
            reply.text()
        );
    }
    let reply = server.post("/v1/assessments", &mine, &case("tenant", 2));
    assert_eq!(reply.status, 401, "a revoked key stores nothing");
    // A revoked key is refused even where no key is needed: a key that is sent must be valid.
    let reply = server.post("/v1/assess", &mine, &case("tenant", 3));
    assert_eq!(reply.status, 401, "{}", reply.text());
    // The tenant's other key, and its record, are untouched.
    let read = server.get(&path, &also_mine);
    assert_eq!(read.status, 200);
    assert!(read.body == body);
    assert_eq!(server.list_all(&also_mine).len(), 1);
    server.stop();
}

#[test]
fn tenants_are_isolated_and_revocation_is_immediate_on_sqlite() {
    let dir = temp_dir();
    tenants_are_isolated_and_revocation_is_immediate(&sqlite_url(dir.path()), dir.path());
}

#[test]
fn tenants_are_isolated_and_revocation_is_immediate_on_postgres() {
    let Some(url) =
        postgres_url("service test `tenants_are_isolated_and_revocation_is_immediate_on_postgres`")
    else {
        return;
    };
    let dir = temp_dir();
    tenants_are_isolated_and_revocation_is_immediate(&url, dir.path());
}

// ---------------------------------------------------------------------------------------------
// SIGTERM
// ---------------------------------------------------------------------------------------------

/// SIGTERM arrives while a request is in flight (its head read and its key checked, its body
/// half sent): the listener closes, the request is still answered, the process exits 0, and
/// the SQLite file reopens with every record, the last one included.
#[test]
fn sigterm_finishes_the_request_in_flight_and_exits_cleanly() {
    let dir = temp_dir();
    let url = sqlite_url(dir.path());
    // sqlx's statement log shows when the request's key has been checked, that is, when the
    // request is in the handler and waiting for its body.
    let server = Server::start_with_log_filter(
        &url,
        dir.path(),
        &["--request-timeout-secs", "300"],
        "info,sqlx::query=debug",
    );
    let key = Key::create(&url, &unique("graceful"));
    let mut stored: Vec<(String, Vec<u8>)> = (0..20)
        .map(|n| server.store(&key, &case("graceful", n)))
        .collect();

    let (send_rest, in_flight) = half_sent(&server, &key, "/v1/assessments", &case("graceful", 20));

    server.sigterm();
    server.wait_for_log("SIGTERM received");
    // No new connections...
    let deadline = Instant::now() + PATIENCE;
    while TcpStream::connect_timeout(&server.address, IO_TIMEOUT).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the server still accepts connections after SIGTERM"
        );
        thread::sleep(Duration::from_millis(20));
    }
    assert!(
        server.try_wait().is_none(),
        "the server exited with a request in flight"
    );
    assert!(
        !in_flight.is_finished(),
        "the request was answered before its whole body was sent"
    );
    // ... but the request in flight is finished.
    send_rest
        .send(())
        .expect("the body waits for its second half");
    let reply = in_flight
        .join()
        .expect("the request thread")
        .expect("the request in flight is answered");
    assert_eq!(reply.status, 201, "{}", reply.text());
    stored.push((record_id(&reply), reply.body));

    let status = server.wait_for_exit();
    assert!(status.success(), "exit status after SIGTERM: {status}");
    assert!(
        server
            .log_text()
            .contains("requests in flight finished; closing the store"),
        "the store was closed"
    );
    // A clean close checkpoints the write-ahead log into the database file.
    let wal = dir.path().join("radiculo.db-wal");
    assert!(
        std::fs::metadata(&wal).map_or(true, |m| m.len() == 0),
        "the write-ahead log is left with content after a clean shutdown"
    );
    drop(server);

    let again = Server::start(&url, dir.path(), &[]);
    let ready = http(again.address, "GET", "/readyz", None, None).expect("readyz");
    assert_eq!(ready.status, 200, "{}", ready.text());
    for (id, body) in &stored {
        let reply = again.get(&format!("/v1/assessments/{id}"), &key);
        assert_eq!(reply.status, 200, "record {id}: {}", reply.text());
        assert!(&reply.body == body, "record {id} changed");
    }
    assert_eq!(again.list_all(&key).len(), stored.len());
    again.stop();
}

/// A request whose head and first half of its body are sent, and whose key has been checked
/// (it is in its handler, waiting for the rest): the second half follows when the returned
/// sender says so. The server must log at `sqlx::query=debug`, whose statement log shows the
/// key check.
fn half_sent(
    server: &Server,
    key: &Key,
    path: &str,
    body: &str,
) -> (mpsc::Sender<()>, thread::JoinHandle<reqwest::Result<Reply>>) {
    let request_id = unique("in-flight");
    let (first_half, second_half) = body.split_at(body.len() / 2);
    let (send_rest, rest_wanted) = mpsc::channel::<()>();
    let halves = PausedBody {
        parts: [first_half, second_half]
            .map(|half| half.as_bytes().to_vec())
            .into(),
        resume: rest_wanted,
        paused: false,
    };
    let request = request(server.address, "POST", path, Some(&key.secret))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("x-request-id", &request_id)
        .body(reqwest::blocking::Body::sized(halves, body.len() as u64));
    let in_flight = thread::spawn(move || request.send().and_then(Reply::read));
    server.wait_for_log(&format!("request_id=\"{request_id}\""));
    (send_rest, in_flight)
}

/// SIGTERM under load: while clients keep sending stored and stateless requests, a dozen
/// requests are in flight (half their body sent). Every one of those is answered in full, no
/// client ever gets an error status (only, after the signal, a refused or closed connection),
/// the process exits 0, and every record acknowledged, by the load or in flight, is in the
/// database afterwards.
#[test]
fn sigterm_under_load_answers_every_request_in_flight() {
    let dir = temp_dir();
    let url = sqlite_url(dir.path());
    let server = Server::start_with_log_filter(
        &url,
        dir.path(),
        &[
            "--request-timeout-secs",
            "300",
            "--rate-limit-per-minute",
            "0",
        ],
        "info,sqlx::query=debug",
    );
    let key = Key::create(&url, &unique("load"));

    // The load: two clients storing, one assessing, until the server stops taking requests.
    let signalled = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = [
        ("/v1/assessments", 201),
        ("/v1/assessments", 201),
        ("/v1/assess", 200),
    ]
    .into_iter()
    .enumerate()
    .map(|(client, (path, expected))| {
        let (address, secret, signalled) =
            (server.address, key.secret.clone(), Arc::clone(&signalled));
        thread::spawn(move || {
            let mut stored = Vec::new();
            for n in 0.. {
                let body = case(&format!("load{client}"), n);
                match http(address, "POST", path, Some(&secret), Some(&body)) {
                    Ok(reply) => {
                        assert_eq!(reply.status, expected, "{path}: {}", reply.text());
                        if expected == 201 {
                            stored.push((record_id(&reply), reply.body));
                        }
                    }
                    Err(e) => {
                        assert!(
                            signalled.load(Ordering::SeqCst),
                            "{path} failed before SIGTERM: {e}"
                        );
                        return (n, stored);
                    }
                }
            }
            unreachable!("the loop ends when the server stops")
        })
    })
    .collect();

    let in_flight: Vec<_> = (0..12)
        .map(|n| {
            let path = if n % 3 == 2 {
                "/v1/assess"
            } else {
                "/v1/assessments"
            };
            half_sent(&server, &key, path, &case("in-flight", n))
        })
        .collect();
    signalled.store(true, Ordering::SeqCst);
    server.sigterm();
    server.wait_for_log("SIGTERM received");
    assert!(
        server.try_wait().is_none(),
        "the server exited with requests in flight"
    );

    let mut stored = Vec::new();
    for (n, (send_rest, request)) in in_flight.into_iter().enumerate() {
        send_rest
            .send(())
            .expect("the body waits for its second half");
        let reply = request
            .join()
            .expect("the request thread")
            .unwrap_or_else(|e| panic!("in-flight request {n} was not answered: {e}"));
        if n % 3 == 2 {
            assert_eq!(reply.status, 200, "{}", reply.text());
        } else {
            assert_eq!(reply.status, 201, "{}", reply.text());
            stored.push((record_id(&reply), reply.body));
        }
    }
    let mut sent = 0;
    for client in load {
        let (n, acknowledged) = client.join().expect("a load client");
        sent += n;
        stored.extend(acknowledged);
    }
    assert!(sent > 0, "the load sent nothing before SIGTERM");
    let status = server.wait_for_exit();
    assert!(status.success(), "exit status after SIGTERM: {status}");
    drop(server);

    let again = Server::start(&url, dir.path(), &[]);
    for (id, body) in &stored {
        let reply = again.get(&format!("/v1/assessments/{id}"), &key);
        assert_eq!(reply.status, 200, "record {id}: {}", reply.text());
        assert!(&reply.body == body, "record {id} changed");
    }
    again.stop();
}

/// SIGTERM to an idle server: prompt exit 0, and the file reopens with its records.
#[test]
fn sigterm_on_an_idle_server_exits_zero() {
    let dir = temp_dir();
    let url = sqlite_url(dir.path());
    let server = Server::start(&url, dir.path(), &[]);
    let key = Key::create(&url, &unique("idle"));
    let (id, body) = server.store(&key, &case("idle", 1));
    server.stop();
    drop(server);
    let again = Server::start(&url, dir.path(), &[]);
    let reply = again.get(&format!("/v1/assessments/{id}"), &key);
    assert_eq!(reply.status, 200);
    assert!(reply.body == body);
    again.stop();
}

// ---------------------------------------------------------------------------------------------
// Episodes
// ---------------------------------------------------------------------------------------------

/// `radiculo episode show` prints the timeline of an episode stored through the service: a row
/// per assessment, the alerts under the one that raised them, as `GET /v1/episodes/{id}` has
/// them; an unknown id is an error naming it.
fn episode_show_prints_the_timeline(database_url: &str, dir: &Path) {
    let server = Server::start(database_url, dir, &[]);
    let key = Key::create(database_url, &unique("episode"));
    let created = server.post("/v1/episodes", &key, r#"{"subject": "mrn-000123"}"#);
    assert_eq!(created.status, 201, "{}", created.text());
    let episode = created.json()["id"].as_str().unwrap().to_owned();
    let course = [
        "1-day10.json",
        "2-day20-weaker.json",
        "3-day30-bladder.json",
        "4-day50.json",
    ];
    for file in course {
        let case = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../examples/course")
                .join(file),
        )
        .expect("the example course");
        let reply = server.post(&format!("/v1/episodes/{episode}/assessments"), &key, &case);
        assert_eq!(reply.status, 201, "{file}: {}", reply.text());
    }
    let read = server.get(&format!("/v1/episodes/{episode}"), &key).json();
    server.stop();

    let show = |id: &str| {
        Command::new(radiculo())
            .args(["episode", "show", id, "--database-url", database_url])
            .env_remove("RADICULO_DATABASE_URL")
            .output()
            .expect("radiculo episode show runs")
    };
    let output = show(&episode);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("subject mrn-000123"), "{text}");
    assert!(text.contains("4 assessments"), "{text}");
    for (n, row) in ["  1  ", "  2  ", "  3  ", "  4  "].iter().enumerate() {
        assert!(
            text.lines().any(|l| l.starts_with(row)),
            "row {}: {text}",
            n + 1
        );
    }
    assert!(
        text.contains("emergency"),
        "the third visit's triage: {text}"
    );
    let alerts = read["alerts"].as_array().unwrap();
    assert!(!alerts.is_empty(), "the course raises alerts: {read}");
    for alert in alerts {
        let kind = alert["kind"].as_str().unwrap();
        let line = format!("! {kind}: {}", alert["text"].as_str().unwrap());
        assert!(text.contains(&line), "{line} not in:\n{text}");
    }
    assert!(text.contains("does not diagnose"), "{text}");

    let missing = show("no-such-episode");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-episode"));
}

#[test]
fn episode_show_prints_the_timeline_on_sqlite() {
    let dir = temp_dir();
    episode_show_prints_the_timeline(&sqlite_url(dir.path()), dir.path());
}

#[test]
fn episode_show_prints_the_timeline_on_postgres() {
    let Some(url) = postgres_url("radiculo's `episode show` test on PostgreSQL") else {
        return;
    };
    let dir = temp_dir();
    episode_show_prints_the_timeline(&url, dir.path());
}
