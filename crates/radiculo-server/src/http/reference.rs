//! `GET /v1/findings` and `GET /v1/kb`: the vocabulary with its texts, and what the knowledge
//! base is (version, population, disclaimer, body-map regions, root territories, what each
//! triage level means, words for probabilities, sources). Both are rendered once at start-up.

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
    /// The body-map regions of `pain.REGION.SIDE`, `numbness.REGION.SIDE` and
    /// `tingling.REGION.SIDE`, in vocabulary order, with their names.
    regions: Vec<Region<'a>>,
    /// Each reported root's territory: the probability that a region is involved when the
    /// root is compressed (the model's coverage table), so that pages can draw it.
    root_territories: Vec<RootTerritory<'a>>,
    /// The source of the territories.
    root_territories_source: &'a str,
    /// What each triage level means, least urgent first: the words every page, report and
    /// plan uses for it.
    levels: Vec<Level<'a>>,
    /// Words for probabilities, highest threshold first: a probability takes the first word
    /// whose `at_least` it reaches.
    likelihood_words: Vec<LikelihoodWord<'a>>,
    /// What the pages show of an assessment and what they fold away.
    presentation: Presentation<'a>,
    /// Every source cited.
    sources: Vec<Source<'a>>,
}

/// What a triage level means.
#[derive(Serialize, ToSchema)]
pub struct Level<'a> {
    /// The contract's level (`urgent`).
    level: &'static str,
    /// The level's name for people (`Urgent`).
    label: &'a str,
    /// What to do, in a few words, for the person.
    headline: &'a str,
    /// Where to go and how fast, for the person.
    instruction: &'a str,
    /// The same, for clinicians.
    clinician_headline: &'a str,
    /// The same, for clinicians.
    clinician_instruction: &'a str,
    /// The guidance behind it.
    source: &'a str,
}

/// What the pages show of an assessment and what they fold away (display choices: they change
/// no triage, probability or plan).
#[derive(Serialize, ToSchema)]
pub struct Presentation<'a> {
    /// A condition at least this probable is shown to the person.
    condition_shown_at_least: f64,
    /// A condition below the shown ones but at least this probable is listed under "more".
    condition_listed_at_least: f64,
    /// A root-side at least this probable is shown to the person.
    root_shown_at_least: f64,
    /// From this probability of radicular pain on, "why" explains the leading root.
    radicular_at_least: f64,
    /// A finding's weight (log odds) shown to the person under "why".
    why_weight_at_least: f64,
    /// A finding's weight (log odds) shown in the clinician's explanation table.
    clinician_weight_at_least: f64,
    /// Plan topics shown under "when to get help" rather than in the plan.
    help_topics: &'a [String],
    /// Why these choices.
    source: &'a str,
}

/// A word for probabilities at or above a threshold.
#[derive(Serialize, ToSchema)]
pub struct LikelihoodWord<'a> {
    /// The lowest probability the word covers.
    at_least: f64,
    /// The word (`likely`).
    word: &'a str,
}

/// A body-map region.
#[derive(Serialize, ToSchema)]
pub struct Region<'a> {
    /// The contract name (`lateral_leg`).
    id: &'a str,
    /// The name a person understands.
    patient: &'a str,
    /// The anatomical name.
    clinician: &'a str,
    /// Where exactly, in plain words.
    describe: &'a str,
}

/// Where a nerve root's symptoms are felt.
#[derive(Serialize, ToSchema)]
pub struct RootTerritory<'a> {
    /// The root (`L5`), as in an assessment's `roots`.
    root: &'a str,
    /// The regions it may involve, most likely first; regions it never involves are left out.
    regions: Vec<RegionCoverage<'a>>,
}

/// How likely a compressed root is to involve a region.
#[derive(Serialize, ToSchema)]
pub struct RegionCoverage<'a> {
    /// The region id.
    region: &'a str,
    /// P(the region is involved | the root is compressed), between 0 and 1.
    coverage: f64,
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
        regions: kb
            .vocab
            .regions
            .iter()
            .map(|r| Region {
                id: &r.id,
                patient: &r.patient,
                clinician: &r.clinician,
                describe: &r.describe,
            })
            .collect(),
        root_territories: root_territories(engine),
        root_territories_source: &kb.model.coverage_source.text,
        levels: kb
            .levels
            .iter()
            .map(|l| Level {
                level: l.level.as_str(),
                label: &l.label,
                headline: &l.headline,
                instruction: &l.instruction,
                clinician_headline: &l.clinician_headline,
                clinician_instruction: &l.clinician_instruction,
                source: &l.source.text,
            })
            .collect(),
        likelihood_words: kb
            .likelihood_words
            .iter()
            .map(|w| LikelihoodWord {
                at_least: w.at_least,
                word: &w.word,
            })
            .collect(),
        presentation: {
            let p = &kb.presentation;
            Presentation {
                condition_shown_at_least: p.condition_shown_at_least,
                condition_listed_at_least: p.condition_listed_at_least,
                root_shown_at_least: p.root_shown_at_least,
                radicular_at_least: p.radicular_at_least,
                why_weight_at_least: p.why_weight_at_least,
                clinician_weight_at_least: p.clinician_weight_at_least,
                help_topics: &p.help_topics,
                source: &p.source.text,
            }
        },
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

/// The territory of each reported root, from the model's coverage table.
fn root_territories(engine: &Engine) -> Vec<RootTerritory<'_>> {
    let kb = engine.kb();
    let model = &kb.model;
    model.roots[..model.reported_roots]
        .iter()
        .enumerate()
        .map(|(root_index, root)| {
            let mut regions: Vec<RegionCoverage<'_>> = kb
                .vocab
                .regions
                .iter()
                .zip(&model.coverage)
                .filter(|(_, row)| row[root_index] > 0.0)
                .map(|(region, row)| RegionCoverage {
                    region: &region.id,
                    coverage: row[root_index],
                })
                .collect();
            regions.sort_by(|a, b| b.coverage.total_cmp(&a.coverage));
            RootTerritory { root, regions }
        })
        .collect()
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
/// Its version, title, population and disclaimer, the body-map regions, the territory of
/// each nerve root, and every source it cites.
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
