//! radiculo as a CDS Hooks 2.0 service: the discovery document, the request and its
//! prefetch read into a case, the card, and the feedback a client sends about it. CDS Hooks is
//! not FHIR, so its documents have their own serde types here; the FHIR inside (the prefetched
//! Patient and Observations) is read by `observations`.
//!
//! One service, `radiculo-triage`, on the `patient-view` hook. It never calls the client's FHIR
//! server (it makes no network calls at all), so both prefetch templates are required: a
//! request without one is [`CdsError::MissingPrefetch`] (HTTP 412, as CDS Hooks asks of a
//! service that cannot get the data it needs). A key sent as `null` (the client has no data)
//! is fine: a person with no radiculo findings gets no card.
//!
//! The answer is one card per assessment, built from the contract's typed model of it: the
//! indicator from the triage level (`critical` for an emergency, `warning` for urgent and soon,
//! `info` otherwise), the summary the level's clinician headline, the detail in Markdown (the
//! clinician instruction, why, the red flags raised, the leading nerve roots and conditions
//! with their probabilities and ICD-10-CM codes, and the disclaimer), the knowledge-base
//! version as the source with the level as its topic, and a link to the full assessment on
//! radiculo's clinician page. The case travels in the link's fragment (`#case=`), which a
//! browser never sends to a server, so the health data stays out of every server log. Cards
//! are informational: no suggestions, no actions, nothing written to the record.
//!
//! Findings that are well formed but cannot be assessed (no age, or an age radiculo does not
//! assess) give an `info` card that says what is missing, not an error: CDS Hooks has no way
//! to show a client's user a 422, and a clinician opening a record must not see a failure.

use std::borrow::Borrow;
use std::collections::BTreeMap;

use base64::Engine as _;
use radiculo_contract::JsonWriter;
use radiculo_contract::model::{AssessmentJson, text};
use radiculo_engine::{Assessment, Case, Engine, Options, Sex};
use radiculo_kb::{FindingId, Kb, TriageLevel};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::CANONICAL;
use crate::codes::System;
use crate::observations;
use crate::response::Rejected;

/// The service's id: its URL is `{base}/cds-services/radiculo-triage`.
pub const SERVICE_ID: &str = "radiculo-triage";
/// The hook it answers.
pub const HOOK: &str = "patient-view";
/// The prefetch key of the Patient.
pub const PATIENT: &str = "patient";
/// The prefetch key of the Observations.
pub const FINDINGS: &str = "findings";
/// The longest summary: CDS Hooks asks for "<140" characters.
pub const MAX_SUMMARY_CHARS: usize = 139;
/// The path of the clinician page, which reads the case from the link's fragment.
pub const CLINICIAN_PAGE: &str = "/clinician";

/// Why a request cannot be answered with cards.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CdsError {
    /// The request is not a CDS Hooks request this service takes (HTTP 400); `field` is the
    /// JSON path of the problem.
    #[error("invalid at {field}: {message}")]
    Invalid {
        /// Where (`context.patientId`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A prefetch key the service needs was not sent, or its data could not be fetched by the
    /// client (HTTP 412).
    #[error("prefetch `{key}` is missing: {message}")]
    MissingPrefetch {
        /// The prefetch key.
        key: &'static str,
        /// Why it does not do.
        message: String,
    },
    /// The prefetched FHIR data breaks the rules of `observations` (HTTP 400), every issue with
    /// its FHIRPath inside the prefetch key's resource.
    #[error("the prefetched `{key}` cannot be read")]
    Prefetch {
        /// The prefetch key whose resource has the issues.
        key: &'static str,
        /// The issues.
        rejected: Rejected,
    },
}

impl CdsError {
    /// The JSON path in the request of the (first) problem: `context.patientId`, or for
    /// prefetched data its FHIRPath with the resource's type replaced by the prefetch key
    /// (`prefetch.findings.entry[3].resource.code.coding[0].code`).
    pub fn field(&self) -> String {
        match self {
            CdsError::Invalid { field, .. } => field.clone(),
            CdsError::MissingPrefetch { key, .. } => format!("prefetch.{key}"),
            CdsError::Prefetch { key, rejected } => rejected
                .outcome
                .issue
                .first()
                .and_then(|i| i.expression.first())
                .map_or_else(|| format!("prefetch.{key}"), |e| in_request(e)),
        }
    }

    /// What is wrong, for the client: for prefetched data, every issue with its path.
    pub fn detail(&self) -> String {
        match self {
            CdsError::Invalid { message, .. } | CdsError::MissingPrefetch { message, .. } => {
                message.clone()
            }
            CdsError::Prefetch { rejected, .. } => rejected
                .outcome
                .issue
                .iter()
                .map(|i| match i.expression.first() {
                    Some(e) => format!("{}: {}", in_request(e), i.diagnostics),
                    None => i.diagnostics.clone(),
                })
                .collect::<Vec<_>>()
                .join("; "),
        }
    }
}

/// A FHIRPath of `observations` (rooted at `Patient` or `Bundle`) as a JSON path in the
/// request.
fn in_request(expression: &str) -> String {
    for (root, key) in [("Patient", PATIENT), ("Bundle", FINDINGS)] {
        if let Some(rest) = expression.strip_prefix(root) {
            return format!("prefetch.{key}{rest}");
        }
    }
    expression.to_string()
}

/// The discovery response (`GET /cds-services`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    /// The services.
    pub services: Vec<Service>,
}

/// A CDS service, as discovery describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// The hook it is called on.
    pub hook: String,
    /// Its name for people.
    pub title: String,
    /// What it does.
    pub description: String,
    /// The `{id}` of `{base}/cds-services/{id}`.
    pub id: String,
    /// The prefetch templates, by key.
    pub prefetch: BTreeMap<String, String>,
    /// What a client must do to use it.
    pub usage_requirements: String,
}

/// A service request (`POST /cds-services/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    /// The hook that fired.
    pub hook: String,
    /// This call's UUID.
    pub hook_instance: String,
    /// The client's FHIR server (radiculo does not call it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fhir_server: Option<String>,
    /// An access token to it (radiculo ignores it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fhir_authorization: Option<Value>,
    /// The hook's context.
    pub context: Context,
    /// The prefetched data, by key: a FHIR resource or `null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefetch: Option<Map<String, Value>>,
}

/// The context of `patient-view`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Context {
    /// Who opened the record (`Practitioner/123`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The FHIR id of the patient whose record was opened.
    pub patient_id: String,
    /// The encounter, if there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encounter_id: Option<String>,
}

/// A service response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// The cards: one, or none for a person with no radiculo findings.
    pub cards: Vec<Card>,
}

/// A card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Card {
    /// A UUID made from the request's `hookInstance` and the card's place, so that a retried
    /// call gives the same card (and the feedback about it one id).
    pub uuid: String,
    /// One sentence, under 140 characters.
    pub summary: String,
    /// GitHub Flavored Markdown.
    pub detail: String,
    /// How urgent.
    pub indicator: Indicator,
    /// Where the guidance comes from.
    pub source: Source,
    /// The full assessment, on radiculo's clinician page.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
}

/// A card's urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Indicator {
    /// Information.
    Info,
    /// Act soon.
    Warning,
    /// Act now.
    Critical,
}

impl Indicator {
    /// The indicator of a triage level.
    pub fn of(level: TriageLevel) -> Indicator {
        match level {
            TriageLevel::Emergency => Indicator::Critical,
            TriageLevel::Urgent | TriageLevel::Soon => Indicator::Warning,
            TriageLevel::Routine | TriageLevel::SelfCare => Indicator::Info,
        }
    }
}

/// A card's source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// radiculo and its knowledge-base version.
    pub label: String,
    /// The knowledge base this server serves, when its address is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The triage level, coded in radiculo's triage-level code system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<Coding>,
}

/// A CDS Hooks `Coding` (not FHIR's: no version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coding {
    /// The code system.
    pub system: String,
    /// The code.
    pub code: String,
    /// Its name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// A card's link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// Its text.
    pub label: String,
    /// Where it goes.
    pub url: String,
    /// `absolute` (radiculo's links are not SMART launches).
    #[serde(rename = "type")]
    pub kind: LinkType,
}

/// How a client opens a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkType {
    /// As it is.
    Absolute,
    /// As a SMART app launch.
    Smart,
}

/// A feedback request (`POST /cds-services/{id}/feedback`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackRequest {
    /// What the user did with each card.
    pub feedback: Vec<Feedback>,
}

/// What a user did with one card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Feedback {
    /// The card's `uuid`.
    pub card: String,
    /// Accepted or overridden.
    pub outcome: Outcome,
    /// The suggestions accepted (radiculo's cards have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_suggestions: Option<Vec<AcceptedSuggestion>>,
    /// Why it was overridden.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_reason: Option<OverrideReason>,
    /// When (RFC 3339, UTC).
    pub outcome_timestamp: String,
}

/// The outcome of a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The user followed it.
    Accepted,
    /// The user chose not to.
    Overridden,
}

/// An accepted suggestion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceptedSuggestion {
    /// The suggestion's `uuid`.
    pub id: String,
}

/// Why a card was overridden.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverrideReason {
    /// A coded reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Coding>,
    /// The user's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_comment: Option<String>,
}

/// The prefetch template of each key.
pub fn prefetch_templates() -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            PATIENT.to_string(),
            "Patient/{{context.patientId}}".to_string(),
        ),
        (
            FINDINGS.to_string(),
            format!(
                "Observation?patient={{{{context.patientId}}}}&code={}|&_count=1000",
                System::Finding.url()
            ),
        ),
    ])
}

/// The discovery response: radiculo's one service.
pub fn discovery(kb: &Kb) -> Discovery {
    Discovery {
        services: vec![Service {
            hook: HOOK.to_string(),
            title: "radiculo: triage of back-related leg pain".to_string(),
            description: format!(
                "When a patient's record is opened, assesses the findings recorded for them in \
                 radiculo's finding code system ({}) with knowledge base {}: one card with the \
                 triage level (indicator critical for an emergency, warning for urgent or soon, \
                 info otherwise), why, the red flags raised, the likely nerve roots and \
                 conditions with ICD-10-CM codes, and a link to the full assessment. \
                 Informational only: no suggestions and no actions; nothing is written to the \
                 record. No card when the patient has no radiculo findings.",
                System::Finding.url(),
                kb.version
            ),
            id: SERVICE_ID.to_string(),
            prefetch: prefetch_templates(),
            usage_requirements: "Both prefetch keys are required: radiculo never calls the FHIR \
                 server, so a request without `patient` or `findings` (or with an \
                 OperationOutcome in their place, or a findings search of several pages) is \
                 answered 412; send null for a key with no data. Authenticate with a radiculo \
                 API key as the bearer token (radiculo does not verify CDS Hooks JWTs); feedback \
                 always needs one."
                .to_string(),
        }],
    }
}

/// Reads a service request from its JSON, naming the path of the first problem.
///
/// # Errors
/// [`CdsError::Invalid`].
pub fn parse_request(value: &Value) -> Result<Request, CdsError> {
    let invalid = |field: &str, message: &str| CdsError::Invalid {
        field: field.to_string(),
        message: message.to_string(),
    };
    let root = value
        .as_object()
        .ok_or_else(|| invalid("", "a CDS Hooks request is a JSON object"))?;
    let string = |field: &str| match root.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.as_str())),
        None => Ok(None),
        Some(_) => Err(invalid(field, &format!("`{field}` is a non-empty string"))),
    };
    match string("hook")? {
        Some(HOOK) => {}
        Some(other) => {
            return Err(invalid(
                "hook",
                &format!("this service answers the `{HOOK}` hook, not `{other}`"),
            ));
        }
        None => return Err(invalid("hook", "`hook` is required")),
    }
    if string("hookInstance")?.is_none() {
        return Err(invalid("hookInstance", "`hookInstance` is required"));
    }
    string("fhirServer")?;
    let context = match root.get("context") {
        Some(Value::Object(context)) => context,
        Some(_) => return Err(invalid("context", "`context` is an object")),
        None => return Err(invalid("context", "`context` is required")),
    };
    for field in ["userId", "patientId", "encounterId"] {
        match context.get(field) {
            Some(Value::String(s)) if !s.is_empty() => {}
            None if field != "patientId" => {}
            None => {
                return Err(invalid(
                    "context.patientId",
                    "`context.patientId` is required by patient-view",
                ));
            }
            Some(_) => {
                return Err(invalid(
                    &format!("context.{field}"),
                    &format!("`{field}` is a non-empty string"),
                ));
            }
        }
    }
    match root.get("prefetch") {
        None | Some(Value::Object(_)) => {}
        Some(_) => return Err(invalid("prefetch", "`prefetch` is an object")),
    }
    if root
        .get("fhirAuthorization")
        .is_some_and(|a| !a.is_object())
    {
        return Err(invalid(
            "fhirAuthorization",
            "`fhirAuthorization` is an object",
        ));
    }
    serde_json::from_value(value.clone()).map_err(|e| invalid("", &e.to_string()))
}

/// The cards for `request`. `link_base` is the address of this server as the client's users
/// reach it (`https://radiculo.example.org`), for the card's link and source; without it the
/// card has neither. `today` (`YYYY-MM-DD`) is the date ages are worked out at.
///
/// # Errors
/// [`CdsError`]: a missing prefetch key (412) or unreadable prefetched data (400).
pub fn respond<E: Borrow<Engine>>(
    writer: &JsonWriter<E>,
    request: &Request,
    link_base: Option<&str>,
    today: &str,
) -> Result<Response, CdsError> {
    let kb = writer.engine().kb();
    let empty = Map::new();
    let prefetch = request.prefetch.as_ref().unwrap_or(&empty);
    let patient = prefetched(prefetch, PATIENT, "Patient")?;
    let findings = prefetched(prefetch, FINDINGS, "Bundle")?;
    if let Some(id) = patient.and_then(|p| p.get("id")).and_then(Value::as_str)
        && id != request.context.patient_id
    {
        return Err(CdsError::Invalid {
            field: format!("prefetch.{PATIENT}.id"),
            message: format!(
                "the prefetched Patient is `{id}`, not the patient in context (`{}`)",
                request.context.patient_id
            ),
        });
    }
    let Some(findings) = findings.filter(|f| observations::recorded(f)) else {
        return Ok(Response { cards: Vec::new() });
    };
    if observations::paged(findings) {
        return Err(CdsError::MissingPrefetch {
            key: FINDINGS,
            message: "the findings Bundle is one page of a search with more (it has a `next` link); radiculo does not call the FHIR server, so send every page's Observations in one Bundle".into(),
        });
    }
    let hook_instance = &request.hook_instance;
    match observations::read(kb, patient, findings, today) {
        Ok(case) => {
            let assessment = writer.engine().assess(&case, Options::default());
            Ok(Response {
                cards: vec![card(writer, &case, &assessment, hook_instance, link_base)],
            })
        }
        Err(rejected) if rejected.well_formed => Ok(Response {
            cards: vec![not_assessed(kb, &rejected, hook_instance, link_base)],
        }),
        Err(rejected) => {
            // The issues are in the Patient or in the Bundle: say which key, by the first.
            let key = match rejected.outcome.issue.first() {
                Some(i) if i.expression.iter().any(|e| e.starts_with("Patient")) => PATIENT,
                _ => FINDINGS,
            };
            Err(CdsError::Prefetch { key, rejected })
        }
    }
}

/// The resource under `key`: `None` for `null` (the client has no data).
fn prefetched<'a>(
    prefetch: &'a Map<String, Value>,
    key: &'static str,
    resource_type: &str,
) -> Result<Option<&'a Value>, CdsError> {
    let missing = |message: String| CdsError::MissingPrefetch { key, message };
    match prefetch.get(key) {
        None => Err(missing(format!(
            "radiculo does not call the FHIR server, so the `{key}` prefetch ({}) is required; send null if there is no data",
            prefetch_templates()[key]
        ))),
        Some(Value::Null) => Ok(None),
        Some(value) => match value.get("resourceType").and_then(Value::as_str) {
            Some(t) if t == resource_type => Ok(Some(value)),
            Some("OperationOutcome") => Err(missing(format!(
                "the client could not fetch `{key}` (it sent an OperationOutcome), and radiculo does not call the FHIR server"
            ))),
            _ => Err(CdsError::Invalid {
                field: format!("prefetch.{key}"),
                message: format!("`{key}` is a {resource_type} resource or null"),
            }),
        },
    }
}

/// The card of an assessment.
pub fn card<E: Borrow<Engine>>(
    writer: &JsonWriter<E>,
    case: &Case,
    assessment: &Assessment<'_>,
    hook_instance: &str,
    link_base: Option<&str>,
) -> Card {
    let kb = writer.engine().kb();
    let model = writer.model(case, assessment);
    let level =
        TriageLevel::parse(&text(model.triage.level)).expect("the model's level is a triage level");
    let def = kb.level(level);
    Card {
        uuid: card_uuid(hook_instance, 0),
        summary: summary(&text(model.triage.clinician_headline)),
        detail: detail(kb, case, &model),
        indicator: Indicator::of(level),
        source: source(kb, link_base, Some(level_topic(level, &def.label))),
        links: link_base
            .map(|base| Link {
                label: "Open the full assessment in radiculo".to_string(),
                url: clinician_link(base, kb, case),
                kind: LinkType::Absolute,
            })
            .into_iter()
            .collect(),
    }
}

/// The card for findings that cannot be assessed: what is missing, as information.
fn not_assessed(
    kb: &Kb,
    rejected: &Rejected,
    hook_instance: &str,
    link_base: Option<&str>,
) -> Card {
    let first = rejected
        .outcome
        .issue
        .first()
        .map_or_else(String::new, |i| i.diagnostics.clone());
    let mut detail =
        String::from("**radiculo did not assess the findings recorded for this patient.**\n\n");
    for issue in &rejected.outcome.issue {
        detail.push_str(&format!("- {}\n", markdown(&issue.diagnostics)));
    }
    detail.push_str(&format!("\n_{}_\n", markdown(&kb.disclaimer)));
    Card {
        uuid: card_uuid(hook_instance, 0),
        summary: summary(&format!("Not assessed: {first}")),
        detail,
        indicator: Indicator::Info,
        source: source(kb, link_base, None),
        links: Vec::new(),
    }
}

fn source(kb: &Kb, link_base: Option<&str>, topic: Option<Coding>) -> Source {
    Source {
        label: format!("radiculo, knowledge base {}", kb.version),
        url: link_base.map(|base| format!("{}/v1/kb", base.trim_end_matches('/'))),
        topic,
    }
}

fn level_topic(level: TriageLevel, label: &str) -> Coding {
    Coding {
        system: System::TriageLevel.url(),
        code: level.as_str().to_string(),
        display: Some(label.to_string()),
    }
}

/// The UUID of the card at `index` of the answer to `hook_instance` (version 5, so the same
/// call gives the same ids).
pub fn card_uuid(hook_instance: &str, index: usize) -> String {
    let namespace = Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("{CANONICAL}/cds-services/{SERVICE_ID}").as_bytes(),
    );
    Uuid::new_v5(
        &namespace,
        format!("{hook_instance}#card/{index}").as_bytes(),
    )
    .to_string()
}

/// `text` as a summary: at most [`MAX_SUMMARY_CHARS`] characters, cut at a character boundary
/// with "…" when longer.
pub fn summary(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= MAX_SUMMARY_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_SUMMARY_CHARS - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// A probability as clinicians' pages show it: a tenth of a percent, the ends bounded.
fn percent(p: f64) -> String {
    if p < 0.0005 {
        "<0.1%".to_string()
    } else if p > 0.9995 {
        ">99.9%".to_string()
    } else {
        format!("{:.1}%", p * 100.0)
    }
}

/// The card's Markdown: every knowledge-base text escaped, so that none is read as Markdown.
fn detail(kb: &Kb, case: &Case, model: &AssessmentJson<'_>) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!(
        "**{}.** {}",
        markdown(&text(model.triage.clinician_headline)),
        markdown(&text(model.triage.clinician_instruction))
    ));
    line(String::new());
    let sex = match case.sex {
        Some(Sex::Female) => ", female",
        Some(Sex::Male) => ", male",
        Some(Sex::Other) => ", sex other",
        None => "",
    };
    line(format!(
        "Assessed from {} recorded findings (the latest of each); age {}{sex}.",
        case.asked_set().iter().count(),
        case.age,
    ));
    let red_flags: Vec<String> = model
        .red_flags
        .iter()
        .map(|f| text(f.clinician_text))
        .collect();
    let reasons: Vec<String> = model
        .triage
        .reasons
        .iter()
        .filter(|r| !red_flags.contains(&text(r.clinician_text)))
        .map(|r| {
            let findings = finding_names(kb, r.findings.ids());
            let reason = markdown(&text(r.clinician_text));
            if findings.is_empty() {
                reason
            } else {
                format!("{reason} ({findings})")
            }
        })
        .collect();
    if !reasons.is_empty() {
        line(String::new());
        line("**Why this level**".to_string());
        line(String::new());
        for reason in reasons {
            line(format!("- {reason}"));
        }
    }
    if !model.red_flags.is_empty() {
        line(String::new());
        line("**Red flags raised**".to_string());
        line(String::new());
        for flag in &model.red_flags {
            let findings = finding_names(kb, flag.findings.ids());
            line(format!(
                "- {} ({findings})",
                markdown(&text(flag.clinician_text))
            ));
        }
    }
    let shown = &kb.presentation;
    let roots: Vec<String> = model
        .roots
        .iter()
        .filter(|r| r.probability >= shown.root_shown_at_least)
        .map(|r| {
            format!(
                "- {}, {}: {}",
                markdown(&text(r.root)),
                markdown(&text(r.side)),
                percent(r.probability)
            )
        })
        .collect();
    line(String::new());
    line(format!(
        "**Nerve roots** (from {})",
        percent(shown.root_shown_at_least)
    ));
    line(String::new());
    if roots.is_empty() {
        line("- None this likely".to_string());
    }
    for root in roots {
        line(root);
    }
    let conditions: Vec<String> = model
        .conditions
        .iter()
        .filter(|c| c.probability >= shown.condition_shown_at_least)
        .map(|c| {
            format!(
                "- {}: {}, ICD-10-CM {} ({})",
                markdown(&text(c.name)),
                percent(c.probability),
                markdown(&text(c.icd10)),
                markdown(&text(c.icd10_display))
            )
        })
        .collect();
    line(String::new());
    line(format!(
        "**Conditions** (from {})",
        percent(shown.condition_shown_at_least)
    ));
    line(String::new());
    if conditions.is_empty() {
        line("- None this likely".to_string());
    }
    for condition in conditions {
        line(condition);
    }
    line(String::new());
    line(format!("_{}_", markdown(&text(model.disclaimer))));
    out
}

/// The clinician texts of findings, escaped, joined with semicolons.
fn finding_names(kb: &Kb, ids: &[FindingId]) -> String {
    ids.iter()
        .map(|&f| markdown(&kb.vocab.def(f).clinician))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `text` as literal GitHub Flavored Markdown inline text: whitespace (newlines included)
/// collapsed, every character that starts inline markup (emphasis, code, links, images,
/// autolinks and HTML, strikethrough, tables, entity references, escapes) backslash-escaped,
/// and a start that would begin a block (heading, quote, list item) escaped too, since the
/// text may open a list item's line.
pub fn markdown(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    // A block marker at the start: `#`, `+`, `-`, `=`, or an ordered list's `1.` / `1)`.
    let digits = out.chars().take_while(char::is_ascii_digit).count();
    match out[digits..].chars().next() {
        Some('.' | ')') if digits > 0 => out.insert(digits, '\\'),
        Some('#' | '+' | '-' | '=') if digits == 0 => out.insert(0, '\\'),
        _ => {}
    }
    out
}

/// The contract case of the link (the clinician page reads it back from the fragment).
#[derive(Serialize)]
struct LinkedCase<'a> {
    age: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    sex: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    symptom_duration_days: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pain_score: Option<u8>,
    mode: &'static str,
    evidence: Vec<LinkedEvidence<'a>>,
}

#[derive(Serialize)]
struct LinkedEvidence<'a> {
    id: &'a str,
    state: &'static str,
}

/// `case` as contract JSON (clinician mode, with every answered finding), as the link
/// carries it.
pub fn case_json(kb: &Kb, case: &Case) -> String {
    let linked = LinkedCase {
        age: case.age,
        sex: case.sex.map(Sex::as_str),
        symptom_duration_days: case.duration_days,
        pain_score: case.pain_score,
        mode: "clinician",
        evidence: case
            .asked_set()
            .iter()
            .map(|f| LinkedEvidence {
                id: &kb.vocab.def(f).id,
                state: match case.state(f) {
                    Some(true) => "present",
                    Some(false) => "absent",
                    None => "unknown",
                },
            })
            .collect(),
    };
    serde_json::to_string(&linked).expect("a case always serializes")
}

/// The clinician page with `case` in the fragment: `{base}/clinician#case=` and the case's
/// contract JSON in unpadded base64url. A fragment is never sent to a server, so the case
/// reaches no server log; the page reads it and assesses it.
pub fn clinician_link(base: &str, kb: &Kb, case: &Case) -> String {
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(case_json(kb, case));
    format!(
        "{}{CLINICIAN_PAGE}#case={encoded}",
        base.trim_end_matches('/')
    )
}

/// The items of a feedback request, or the path of the first problem. Radiculo's cards have no suggestions, so `accepted` is taken without
/// `acceptedSuggestions` (which CDS Hooks requires with it): a client should not have to
/// invent one.
///
/// # Errors
/// [`CdsError::Invalid`].
pub fn parse_feedback(value: &Value) -> Result<Vec<Feedback>, CdsError> {
    let invalid = |field: String, message: &str| CdsError::Invalid {
        field,
        message: message.to_string(),
    };
    let items = match value.get("feedback") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        Some(Value::Array(_)) => {
            return Err(invalid(
                "feedback".into(),
                "`feedback` lists at least one item",
            ));
        }
        _ if !value.is_object() => {
            return Err(invalid(
                String::new(),
                "a feedback request is a JSON object",
            ));
        }
        _ => return Err(invalid("feedback".into(), "`feedback` is a list of items")),
    };
    let mut read = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = |field: &str| format!("feedback[{i}].{field}");
        let Some(object) = item.as_object() else {
            return Err(invalid(
                format!("feedback[{i}]"),
                "an item is a JSON object",
            ));
        };
        let string = |field: &str| match object.get(field) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.as_str()),
            _ => Err(invalid(
                at(field),
                &format!("`{field}` is a non-empty string"),
            )),
        };
        string("card")?;
        let outcome = string("outcome")?;
        if !matches!(outcome, "accepted" | "overridden") {
            return Err(invalid(
                at("outcome"),
                "`outcome` is `accepted` or `overridden`",
            ));
        }
        let timestamp = string("outcomeTimestamp")?;
        let utc = timestamp.ends_with(['Z', 'z']) || timestamp.ends_with("+00:00");
        if timestamp.parse::<jiff::Timestamp>().is_err() || !utc {
            return Err(invalid(
                at("outcomeTimestamp"),
                "`outcomeTimestamp` is an RFC 3339 date and time in UTC (`2026-12-05T10:00:00Z`)",
            ));
        }
        let feedback: Feedback = serde_json::from_value(item.clone())
            .map_err(|e| invalid(format!("feedback[{i}]"), &e.to_string()))?;
        if let Some(reason) = &feedback.override_reason
            && reason.reason.is_none()
            && reason.user_comment.is_none()
        {
            return Err(invalid(
                at("overrideReason"),
                "`overrideReason` has a `reason` or a `userComment`",
            ));
        }
        if let Some(suggestions) = &feedback.accepted_suggestions
            && (suggestions.is_empty() || suggestions.iter().any(|s| s.id.is_empty()))
        {
            return Err(invalid(
                at("acceptedSuggestions"),
                "`acceptedSuggestions` lists suggestions by non-empty `id`",
            ));
        }
        read.push(feedback);
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_specials_are_escaped_and_blocks_cannot_start() {
        assert_eq!(markdown("plain, text: 50% (L5)."), "plain, text: 50% (L5).");
        assert_eq!(markdown("a *b* _c_ `d`"), r"a \*b\* \_c\_ \`d\`");
        assert_eq!(markdown("[x](y) ![i](j)"), r"\[x\](y) \!\[i\](j)");
        assert_eq!(markdown("<b>&amp; | ~s~"), r"\<b\>\&amp; \| \~s\~");
        assert_eq!(markdown("# head"), r"\# head");
        assert_eq!(markdown("- item"), r"\- item");
        assert_eq!(markdown("12. item"), r"12\. item");
        assert_eq!(markdown("3) item"), r"3\) item");
        assert_eq!(markdown("L5 1. not a list"), "L5 1. not a list");
        assert_eq!(markdown("two\n\nlines  here"), "two lines here");
        assert_eq!(markdown(r"back\slash"), r"back\\slash");
    }

    #[test]
    fn summaries_are_cut_at_a_character_boundary() {
        assert_eq!(summary("short"), "short");
        let long = "é".repeat(200);
        let cut = summary(&long);
        assert_eq!(cut.chars().count(), MAX_SUMMARY_CHARS);
        assert!(cut.ends_with('…'));
        let exact = "x".repeat(MAX_SUMMARY_CHARS);
        assert_eq!(summary(&exact), exact);
    }

    #[test]
    fn indicators_follow_the_level() {
        assert_eq!(Indicator::of(TriageLevel::Emergency), Indicator::Critical);
        assert_eq!(Indicator::of(TriageLevel::Urgent), Indicator::Warning);
        assert_eq!(Indicator::of(TriageLevel::Soon), Indicator::Warning);
        assert_eq!(Indicator::of(TriageLevel::Routine), Indicator::Info);
        assert_eq!(Indicator::of(TriageLevel::SelfCare), Indicator::Info);
    }

    #[test]
    fn card_uuids_are_stable_per_call_and_differ_between_calls() {
        let a = card_uuid("d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", 0);
        assert_eq!(a, card_uuid("d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", 0));
        assert_ne!(a, card_uuid("d1577c69-dfbe-44ad-ba6d-3e05e953b2eb", 0));
        assert_ne!(a, card_uuid("d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", 1));
        assert_eq!(Uuid::parse_str(&a).unwrap().get_version_num(), 5);
    }
}
