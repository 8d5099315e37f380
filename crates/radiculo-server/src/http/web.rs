//! The web pages: the patient questionnaire at `/` and the clinician page at `/clinician`,
//! with their scripts, styles and strings under `/assets/`.
//!
//! Every file is compiled into the binary (`include_str!`), so the pages work with no files
//! beside the binary and no internet: nothing is loaded from anywhere but this origin. The
//! pages are static; everything clinical comes from the API (`/v1/interview`, `/v1/assess`,
//! `/v1/findings`, `/v1/kb`, and `/v1/episodes/{id}` for an episode's timeline, read with the
//! API key a clinician types in), so the pages hold no clinical logic either.
//!
//! These routes are added to the router without OpenAPI annotations: they are pages, not API
//! operations, and stay out of `/openapi.json`.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// What a page may load: only this origin's scripts, styles and images, and requests to this
/// origin; no inline scripts or styles, no plugins, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One embedded file: where it is served, its media type and its contents.
pub struct Asset {
    /// The path it is served at.
    pub path: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// Every file the pages are made of.
pub const ASSETS: &[Asset] = &[
    Asset {
        path: "/",
        content_type: HTML,
        body: include_str!("../../web/index.html"),
    },
    Asset {
        path: "/clinician",
        content_type: HTML,
        body: include_str!("../../web/clinician.html"),
    },
    Asset {
        path: "/assets/style.css",
        content_type: CSS,
        body: include_str!("../../web/style.css"),
    },
    Asset {
        path: "/assets/strings.js",
        content_type: JS,
        body: include_str!("../../web/strings.js"),
    },
    Asset {
        path: "/assets/api.js",
        content_type: JS,
        body: include_str!("../../web/api.js"),
    },
    Asset {
        path: "/assets/dom.js",
        content_type: JS,
        body: include_str!("../../web/dom.js"),
    },
    Asset {
        path: "/assets/bodymap.js",
        content_type: JS,
        body: include_str!("../../web/bodymap.js"),
    },
    Asset {
        path: "/assets/results.js",
        content_type: JS,
        body: include_str!("../../web/results.js"),
    },
    Asset {
        path: "/assets/patient.js",
        content_type: JS,
        body: include_str!("../../web/patient.js"),
    },
    Asset {
        path: "/assets/timeline.js",
        content_type: JS,
        body: include_str!("../../web/timeline.js"),
    },
    Asset {
        path: "/assets/clinician.js",
        content_type: JS,
        body: include_str!("../../web/clinician.js"),
    },
    Asset {
        path: "/assets/icon.svg",
        content_type: SVG,
        body: include_str!("../../web/icon.svg"),
    },
];

/// The pages and their assets, for merging into the API router.
pub fn router() -> OpenApiRouter<AppState> {
    ASSETS.iter().fold(OpenApiRouter::new(), |router, asset| {
        router.route(asset.path, get(move || async move { serve(asset) }))
    })
}

/// `asset` with its media type, a cache policy and the security headers.
fn serve(asset: &'static Asset) -> Response {
    // HTML is revalidated on every load so that a new binary's pages are seen at once; the
    // assets have no version in their names, so they are revalidated too, after an hour.
    let cache = if asset.content_type == HTML {
        "no-cache"
    } else {
        "public, max-age=3600, must-revalidate"
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (
                HeaderName::from_static("permissions-policy"),
                HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
            ),
        ],
        asset.body,
    )
        .into_response()
}
