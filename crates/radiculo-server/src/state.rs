//! What every handler shares.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use radiculo_contract::JsonWriter;
use radiculo_engine::Engine;
use radiculo_store::Store;

use crate::http::{fhir, reference};
use crate::limit::RateLimiter;
use crate::metrics::Metrics;
use crate::{Config, Error, openapi};

/// The state shared by every request. Cloned per request, so every field is cheap to clone
/// (an `Arc`, a pool handle, reference-counted bytes).
#[derive(Clone)]
pub struct AppState {
    /// The engine with its knowledge base; assessments run inline (microseconds of CPU).
    pub(crate) engine: Arc<Engine>,
    /// The same engine's assessment writer, with its knowledge-base texts already escaped.
    pub(crate) json: Arc<JsonWriter<Arc<Engine>>>,
    /// Records and keys.
    pub(crate) store: Store,
    /// Whether stateless assessment needs a key too.
    pub(crate) require_key: bool,
    /// The address CDS Hooks cards link to, if configured.
    pub(crate) public_url: Option<String>,
    /// The rate limit, per caller.
    pub(crate) limiter: Arc<RateLimiter>,
    /// Request counters, this server's own.
    pub(crate) metrics: Arc<Metrics>,
    /// How long a request may take.
    pub(crate) request_timeout: Duration,
    /// `GET /v1/findings`, rendered once: the knowledge base does not change while serving.
    pub(crate) findings_json: Bytes,
    /// `GET /v1/kb`, rendered once.
    pub(crate) kb_json: Bytes,
    /// `GET /openapi.json`, rendered once.
    pub(crate) openapi_json: Bytes,
    /// The FHIR definitions under `/fhir`, rendered once.
    pub(crate) fhir: Arc<fhir::Definitions>,
}

impl AppState {
    /// The state for serving `engine` with `store`; of `config`, only the request settings
    /// (`require_key`, the rate limit, the timeout, the public URL) are read.
    ///
    /// # Errors
    /// When the knowledge base cannot be rendered as FHIR definitions.
    pub fn new(engine: Arc<Engine>, store: Store, config: &Config) -> Result<AppState, Error> {
        let started = format!("{:.0}", jiff::Timestamp::now());
        let fhir = Arc::new(fhir::Definitions::new(&engine, &started)?);
        let findings_json = Bytes::from(reference::findings_json(&engine));
        let kb_json = Bytes::from(reference::kb_json(&engine));
        let openapi_json = Bytes::from(
            openapi::openapi(&engine)
                .to_json()
                .expect("an OpenAPI document always serializes"),
        );
        Ok(AppState {
            json: Arc::new(JsonWriter::new(Arc::clone(&engine))),
            engine,
            store,
            require_key: config.require_key,
            public_url: config.public_url.clone(),
            limiter: Arc::new(RateLimiter::new(config.rate_limit_per_minute)),
            metrics: Arc::new(Metrics::default()),
            request_timeout: Duration::from_secs(config.request_timeout_secs),
            findings_json,
            kb_json,
            openapi_json,
            fhir,
        })
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("kb_version", &self.engine.kb().version)
            .field("require_key", &self.require_key)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}
