//! End to end over a real socket: `serve` on 127.0.0.1:0 with an injected shutdown signal, a
//! real HTTP client, on SQLite and on PostgreSQL (`RADICULO_TEST_DATABASE_URL`; see `postgres`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use radiculo_server::{AppState, Config};
use radiculo_store::Store;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::common::*;
use crate::postgres::postgres_url;

/// A server on an ephemeral port.
struct Server {
    base: String,
    address: std::net::SocketAddr,
    store: Store,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<Result<(), radiculo_server::Error>>,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    async fn start(database_url: &str, dir: Option<tempfile::TempDir>, config: Config) -> Server {
        logs();
        let store = Store::connect(database_url).await.unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (shutdown, signal) = oneshot::channel::<()>();
        let state = AppState::new(engine(), store.clone(), &config).expect("the state");
        let task = tokio::spawn(radiculo_server::serve(listener, state, async move {
            let _ = signal.await;
        }));
        Server {
            base: format!("http://{address}"),
            address,
            store,
            shutdown,
            task,
            _dir: dir,
        }
    }

    async fn sqlite(tweak: impl FnOnce(&mut Config)) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("radiculo.db").display());
        let mut config = Config::with_database_url(url.clone());
        tweak(&mut config);
        Server::start(&url, Some(dir), config).await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signals shutdown and waits for the server to finish.
    async fn stop(self) {
        self.shutdown.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
        self.store.close().await;
    }
}

/// A suffix that keeps this run's tenants apart from earlier runs on a shared database.
fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{}-{nanos}", std::process::id())
}

/// The whole API over HTTP: assess, store, read back, list, isolate tenants, erase.
async fn scenario(server: &Server) {
    let client = reqwest::Client::new();
    let health: Value = client
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let ready = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);

    let assessed = client
        .post(server.url("/v1/assess"))
        .header("content-type", "application/json")
        .header("x-request-id", "e2e-assess")
        .body(EXAMPLE_CASE)
        .send()
        .await
        .unwrap();
    assert_eq!(assessed.status(), StatusCode::OK);
    assert_eq!(assessed.headers()["x-request-id"], "e2e-assess");
    let assessment: Value = assessed.json().await.unwrap();
    assert!(assessment["triage"]["level"].is_string());

    let suffix = unique();
    let a = new_key(&server.store, &format!("e2e-a-{suffix}")).await.1;
    let b = new_key(&server.store, &format!("e2e-b-{suffix}")).await.1;

    let created = client
        .post(server.url("/v1/assessments"))
        .bearer_auth(&a)
        .header("content-type", "application/json")
        .body(EXAMPLE_CASE)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let location = created.headers()["location"].to_str().unwrap().to_owned();
    let created_body = created.bytes().await.unwrap();
    let record: Value = serde_json::from_slice(&created_body).unwrap();
    assert_eq!(record["assessment"], assessment);

    let read = client
        .get(server.url(&location))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(read.bytes().await.unwrap(), created_body);

    let page: Value = client
        .get(server.url("/v1/assessments?limit=10"))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["id"], record["id"]);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    let foreign = client
        .get(server.url(&location))
        .bearer_auth(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    assert_eq!(foreign.headers()["content-type"], PROBLEM_JSON);

    let erased = client
        .delete(server.url(&location))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), StatusCode::NO_CONTENT);
    let gone = client
        .get(server.url(&location))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);

    let too_large = client
        .post(server.url("/v1/assess"))
        .header("content-type", "application/json")
        .body(vec![b' '; radiculo_server::MAX_BODY_BYTES + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.headers()["content-type"], PROBLEM_JSON);

    let metrics = client
        .get(server.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("radiculo_assessments_stored_total 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("radiculo_assessments_deleted_total 1\n"),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_api_over_a_socket_on_sqlite() {
    let server = Server::sqlite(|_| {}).await;
    scenario(&server).await;
    server.stop().await;
}

#[tokio::test]
async fn the_api_over_a_socket_on_postgresql() {
    let Some(url) = postgres_url("the PostgreSQL end-to-end test of radiculo-server") else {
        return;
    };
    let server = Server::start(&url, None, Config::with_database_url(url.clone())).await;
    scenario(&server).await;
    server.stop().await;
}

/// PostgreSQL stops under a running server and comes back: meanwhile every request that needs
/// the store is a 503 with `Retry-After` (a key check included: an outage is not a 401), the
/// readiness probe fails, and assessment without a key goes on; afterwards the same process
/// serves stored records again by itself, and nothing acknowledged before is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_is_503_and_the_server_recovers_by_itself() {
    let Some(cluster) =
        crate::postgres::Cluster::start("the PostgreSQL outage test of radiculo-server")
    else {
        return;
    };
    let server = Server::start(
        &cluster.url,
        None,
        Config::with_database_url(cluster.url.clone()),
    )
    .await;
    let client = reqwest::Client::new();
    let key = new_key(&server.store, "outage").await.1;
    let store = |key: &str| {
        client
            .post(server.url("/v1/assessments"))
            .bearer_auth(key)
            .header("content-type", "application/json")
            .body(EXAMPLE_CASE)
            .send()
    };
    let created = store(&key).await.unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let before: Value = created.json().await.unwrap();
    let before_url = server.url(&format!(
        "/v1/assessments/{}",
        before["id"].as_str().unwrap()
    ));

    cluster.pause();
    let outage = [
        ("store", store(&key).await.unwrap()),
        (
            "read",
            client
                .get(&before_url)
                .bearer_auth(&key)
                .send()
                .await
                .unwrap(),
        ),
        (
            "list",
            client
                .get(server.url("/v1/assessments"))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap(),
        ),
        (
            "readyz",
            client.get(server.url("/readyz")).send().await.unwrap(),
        ),
    ];
    for (what, reply) in outage {
        assert_eq!(reply.status(), StatusCode::SERVICE_UNAVAILABLE, "{what}");
        assert_eq!(reply.headers()["retry-after"], "5", "{what}");
        assert_eq!(reply.headers()["content-type"], PROBLEM_JSON, "{what}");
        let problem: Value = reply.json().await.unwrap();
        assert_eq!(problem["status"], 503, "{what}");
        assert!(
            problem["type"].as_str().unwrap().ends_with("/unavailable"),
            "{what}: {problem}"
        );
    }
    let assessed = client
        .post(server.url("/v1/assess"))
        .header("content-type", "application/json")
        .body(EXAMPLE_CASE)
        .send()
        .await
        .unwrap();
    assert_eq!(
        assessed.status(),
        StatusCode::OK,
        "stateless assessment needs no store"
    );
    let healthz = client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(healthz.status(), StatusCode::OK, "the process is alive");
    assert!(!server.task.is_finished(), "the server stays up");

    cluster.resume();
    let ready = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(
        ready.status(),
        StatusCode::OK,
        "ready again without a restart"
    );
    assert_eq!(store(&key).await.unwrap().status(), StatusCode::CREATED);
    let read = client
        .get(&before_url)
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        read.status(),
        StatusCode::OK,
        "the record from before the outage"
    );
    server.stop().await;
}

/// The head of a `POST /v1/assess` whose body is `length` bytes long.
fn head(length: usize) -> String {
    format!(
        "POST /v1/assess HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n"
    )
}

#[tokio::test]
async fn a_request_in_flight_completes_after_the_shutdown_signal() {
    let server = Server::sqlite(|_| {}).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let body = EXAMPLE_CASE.as_bytes();
    let (first, rest) = body.split_at(body.len() / 2);
    stream.write_all(head(body.len()).as_bytes()).await.unwrap();
    stream.write_all(first).await.unwrap();
    // Let the server take the request in, then ask it to stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let Server {
        shutdown,
        task,
        address,
        store,
        ..
    } = server;
    shutdown.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !task.is_finished(),
        "the server waits for the request in flight"
    );

    stream.write_all(rest).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#""triage""#), "{response}");

    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the server stops once the request is answered")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(address).await.is_err(),
        "no new connections after shutdown"
    );
    store.close().await;
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_503() {
    let server = Server::sqlite(|c| c.request_timeout_secs = 1).await;
    let mut stream = TcpStream::connect(server.address).await.unwrap();
    let body = EXAMPLE_CASE.as_bytes();
    stream.write_all(head(body.len()).as_bytes()).await.unwrap();
    // Half the body, then nothing: the request cannot finish in time.
    stream.write_all(&body[..body.len() / 2]).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .expect("the server answers within its timeout")
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 503"), "{response}");
    assert!(
        response
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{response}"
    );
    assert!(
        response.contains("https://radiculo.invalid/problems/timeout"),
        "{response}"
    );
    server.stop().await;
}
