//! The test harness: a router on a fresh SQLite file, keys, requests and replies.

use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use radiculo_engine::Engine;
use radiculo_server::{AppState, Config};
use radiculo_store::Store;
use serde_json::Value;
use tower::ServiceExt;
use tracing_subscriber::fmt::MakeWriter;

/// The example case of the contract (`case-format.md`), with an `id`.
pub const EXAMPLE_CASE: &str = include_str!("../../../../examples/contract-example.json");

/// A case that is an emergency (cauda equina red flags with leg pain).
pub const EMERGENCY_CASE: &str = r#"{
  "age": 52,
  "evidence": [
    {"id": "pain.posterior_thigh.left", "state": "present"},
    {"id": "pain.posterior_thigh.right", "state": "present"},
    {"id": "urinary_retention", "state": "present"},
    {"id": "numbness.saddle", "state": "present"}
  ]
}"#;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// The engine, loaded once for every test in the binary.
pub fn engine() -> Arc<Engine> {
    static ENGINE: OnceLock<Arc<Engine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let kb = radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads");
            Arc::new(Engine::new(kb))
        })
        .clone()
}

/// Log output collected in memory.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Every test's logs, at every level. One global subscriber, installed before any server
/// runs: a thread-local one would race with other tests over tracing's per-callsite cache.
pub fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
        captured
    })
}

/// A router over a store in a temporary SQLite file (or on PostgreSQL: [`postgres_harness`]).
pub struct Harness {
    pub app: Router,
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

/// A harness with the default configuration, changed by `tweak`.
pub async fn harness_with(tweak: impl FnOnce(&mut Config)) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("radiculo.db").display());
    harness_on(&url, Some(dir), tweak).await
}

/// A harness on the shared PostgreSQL test database, or `None` where there is none (see
/// `postgres`: under CI that is a failure). Tests on it use tenant names of their own.
pub async fn postgres_harness(what: &str) -> Option<Harness> {
    let url = crate::postgres::postgres_url(what)?;
    Some(harness_on(&url, None, |_| {}).await)
}

async fn harness_on(
    url: &str,
    dir: Option<tempfile::TempDir>,
    tweak: impl FnOnce(&mut Config),
) -> Harness {
    logs();
    let mut config = Config::with_database_url(url.to_owned());
    tweak(&mut config);
    let store = Store::connect(url).await.unwrap();
    let app =
        radiculo_server::app(AppState::new(engine(), store.clone(), &config).expect("the state"));
    Harness {
        app,
        store,
        _dir: dir,
    }
}

pub async fn harness() -> Harness {
    harness_with(|_| {}).await
}

impl Harness {
    /// A new key for `tenant`; returns its secret.
    pub async fn key(&self, tenant: &str) -> String {
        new_key(&self.store, tenant).await.1
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        send(&self.app, request).await
    }
}

/// A new key for `tenant`: (id, secret).
pub async fn new_key(store: &Store, tenant: &str) -> (String, String) {
    let key = store
        .create_key(tenant, "2026-11-25T00:00:00Z")
        .await
        .unwrap();
    (key.id, key.secret)
}

pub async fn send(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

/// A request with an optional bearer key and an optional JSON body.
pub fn request(method: Method, uri: &str, key: Option<&str>, body: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(key) = key {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    match body {
        Some(body) => builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap(),
        None => builder.body(Body::empty()).unwrap(),
    }
}

pub fn post(uri: &str, key: Option<&str>, body: &str) -> Request<Body> {
    request(Method::POST, uri, key, Some(body))
}

/// A POST of FHIR JSON (`application/fhir+json`).
pub fn fhir_post(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/fhir+json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

pub fn get(uri: &str, key: Option<&str>) -> Request<Body> {
    request(Method::GET, uri, key, None)
}

pub fn delete(uri: &str, key: Option<&str>) -> Request<Body> {
    request(Method::DELETE, uri, key, None)
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .map_or("", |v| v.to_str().unwrap())
    }

    /// The body as JSON, after checking that the reply is JSON with `status`.
    pub fn json(&self, status: StatusCode) -> Value {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.content_type(), "application/json");
        serde_json::from_slice(&self.body).unwrap()
    }

    /// The problem report, after checking the status, the media type and the members every
    /// problem has.
    pub fn problem(&self, status: StatusCode) -> Value {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.content_type(), PROBLEM_JSON);
        let problem: Value = serde_json::from_slice(&self.body).unwrap();
        assert_eq!(problem["status"], status.as_u16());
        let kind = problem["type"].as_str().unwrap();
        assert!(
            kind.starts_with("https://radiculo.invalid/problems/"),
            "{kind}"
        );
        assert!(problem["title"].is_string());
        assert!(problem["detail"].is_string());
        problem
    }

    /// The body as a FHIR resource, after checking the status, the media type and its
    /// `resourceType`.
    pub fn fhir(&self, status: StatusCode, resource_type: &str) -> Value {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.content_type(), "application/fhir+json");
        let resource: Value = serde_json::from_slice(&self.body).unwrap();
        assert_eq!(resource["resourceType"], resource_type);
        resource
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}
