//! `GET /v1/findings` and `GET /v1/kb`: the vocabulary with its texts, and what the knowledge
//! base is (version, population, disclaimer, sources). Both are rendered once at start-up.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use radiculo_engine::Engine;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(findings))
        .routes(routes!(kb))
}

/// The finding vocabulary.
#[derive(Serialize, ToSchema)]
pub struct Findings<'a> {
    /// The knowledge-base version.
    kb_version: &'a str,
    /// Every finding id a case may use, with its texts.
    findings: Vec<Finding<'a>>,
}

/// One finding.
#[derive(Serialize, ToSchema)]
pub struct Finding<'a> {
    /// The id to use in a case's `evidence`.
    id: &'a str,
    /// `symptom`, `history`, `exam`, `red_flag` or `modifier`.
    category: &'a str,
    /// Whether only an examiner can establish it.
    examiner: bool,
    /// `left` or `right` for a lateral finding.
    side: Option<&'a str>,
    /// A statement for the person.
    patient: &'a str,
    /// A statement for clinicians.
    clinician: &'a str,
    /// A yes/no question for the person; `null` for examination findings.
    question_patient: Option<&'a str>,
    /// A question or examination prompt for clinicians.
    question_clinician: &'a str,
}

/// What the knowledge base is.
#[derive(Serialize, ToSchema)]
pub struct KbInfo<'a> {
    /// The version recorded with every assessment.
    version: &'a str,
    /// Its title.
    title: &'a str,
    /// The population its numbers describe.
    population: &'a str,
    /// What the tool is and is not.
    disclaimer: &'a str,
    /// Every source cited.
    sources: Vec<Source<'a>>,
}

/// A cited source.
#[derive(Serialize, ToSchema)]
pub struct Source<'a> {
    /// The id that explanations and plans cite.
    id: &'a str,
    /// A short name.
    short: &'a str,
    /// The full citation.
    citation: &'a str,
    /// `guideline`, `systematic_review`, `judgement`, …
    kind: &'a str,
    /// How a number was derived from it, where that needs saying.
    note: Option<&'a str>,
}

/// The body of `GET /v1/findings`.
pub fn findings_json(engine: &Engine) -> Vec<u8> {
    let kb = engine.kb();
    let body = Findings {
        kb_version: &kb.version,
        findings: kb
            .vocab
            .findings
            .iter()
            .map(|f| Finding {
                id: &f.id,
                category: f.category.as_str(),
                examiner: f.examiner,
                side: f.shape.side().map(|s| s.as_str()),
                patient: &f.patient,
                clinician: &f.clinician,
                question_patient: f.question_patient.as_deref(),
                question_clinician: &f.question_clinician,
            })
            .collect(),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The body of `GET /v1/kb`.
pub fn kb_json(engine: &Engine) -> Vec<u8> {
    let kb = engine.kb();
    let body = KbInfo {
        version: &kb.version,
        title: &kb.title,
        population: &kb.population,
        disclaimer: &kb.disclaimer,
        sources: kb
            .sources
            .iter()
            .map(|(id, s)| Source {
                id,
                short: &s.short,
                citation: &s.citation,
                kind: &s.kind,
                note: s.note.as_deref(),
            })
            .collect(),
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

/// The finding vocabulary.
///
/// Every finding id a case may use, with its texts for the person and for clinicians and the
/// question that asks it.
#[utoipa::path(
    get,
    path = "/v1/findings",
    tag = "reference",
    operation_id = "findings",
    responses((status = 200, description = "The vocabulary", body = Findings))
)]
async fn findings(State(state): State<AppState>) -> Response {
    super::json_bytes(StatusCode::OK, state.findings_json.clone())
}

/// The knowledge base.
///
/// Its version, title, population and disclaimer, and every source it cites.
#[utoipa::path(
    get,
    path = "/v1/kb",
    tag = "reference",
    operation_id = "kb",
    responses((status = 200, description = "The knowledge base", body = KbInfo))
)]
async fn kb(State(state): State<AppState>) -> Response {
    super::json_bytes(StatusCode::OK, state.kb_json.clone())
}
