//! radiculo in FHIR R4 (4.0.1) and CDS Hooks 2.0, built from the knowledge base and from the
//! one typed assessment model of `radiculo-contract`, never from text templates.
//!
//! - `types`: the FHIR data types and resources radiculo writes, as serde structs;
//! - `codes`: radiculo's code systems and value sets (findings, conditions, triage levels, red
//!   flags, nerve roots by side) and the standard codes beside them;
//! - `questionnaire`: the intake Questionnaire, with a `linkId` per finding id;
//! - `fill`: a case as a completed QuestionnaireResponse to the intake;
//! - `response`: a QuestionnaireResponse to it read into a case, or every issue with where;
//! - `bundle`: an assessment's results as a `collection` Bundle (Observations, a
//!   RiskAssessment, a ClinicalImpression);
//! - `episode`: an episode as a `collection` Bundle: its EpisodeOfCare, each assessment's
//!   results Bundle, a DetectedIssue per alert of its course;
//! - `operation`: what `$assess` takes, and its OperationDefinition;
//! - `adaptive`: SDC's adaptive questionnaire (`$next-question`): the interview asked through
//!   a QuestionnaireResponse whose contained Questionnaire grows by one question a call;
//! - `observations`: Observations in radiculo's finding code system (a CDS Hooks prefetch,
//!   or a results Bundle's) read back into a case, the latest of each code;
//! - `cds`: the CDS Hooks 2.0 service: discovery, the request and its prefetch, the card
//!   (from the typed assessment model), feedback;
//! - `capability`: the CapabilityStatement of the server's `/fhir`.
//!
//! Invariant: pure, like the engine. No IO and no clock: the time of an assessment and the
//! identifiers of what it writes are given by the caller.

pub mod adaptive;
pub mod bundle;
pub mod capability;
pub mod cds;
pub mod codes;
pub mod episode;
pub mod fill;
pub mod observations;
pub mod operation;
pub mod questionnaire;
pub mod response;
pub mod types;

/// The FHIR version radiculo writes.
pub const FHIR_VERSION: &str = "4.0.1";

/// The media type of FHIR JSON.
pub const MEDIA_TYPE: &str = "application/fhir+json";

/// The base of the canonical URLs of radiculo's FHIR definitions (code systems, value sets,
/// the Questionnaire). A canonical URL is an identifier that must not change from one
/// installation to the next, so it is not the server's address: w3id.org gives permanent
/// identifiers that can be pointed at the project's documentation. Every server also serves
/// the definitions under its own `/fhir`.
pub const CANONICAL: &str = "https://w3id.org/radiculo/fhir";

/// The publisher named in every definition.
pub const PUBLISHER: &str = "radiculo";

/// Why a FHIR rendering could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FhirError {
    /// A question's `when` uses a condition that `enableWhen` cannot say.
    #[error(
        "the question `{question}` is asked only after {what}, which a Questionnaire's enableWhen cannot say"
    )]
    NotExpressible {
        /// The question (a group id or a case field).
        question: String,
        /// What its condition depends on.
        what: &'static str,
    },
    /// The adaptive interview could not go on: the engine asked a question again.
    #[error(transparent)]
    Interview(#[from] radiculo_interview::InterviewError),
}
