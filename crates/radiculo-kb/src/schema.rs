//! The raw shape of the knowledge-base files, exactly as written in TOML.
//!
//! Nothing here is validated beyond what serde checks (types, unknown keys); `crate::load`
//! turns these into the checked [`crate::Kb`]. `note` fields are documentation for people who
//! read the TOML (how a number was derived); the loader accepts and ignores them.
#![allow(dead_code)]

use std::collections::BTreeMap;

use indexmap::IndexMap;

use serde::Deserialize;

/// One knowledge-base file; every table is optional so the content can be split across files.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub kb: Option<KbMeta>,
    #[serde(default)]
    pub sources: IndexMap<String, Source>,
    /// Body-map regions, in the order the files give them.
    #[serde(default)]
    pub regions: IndexMap<String, Region>,
    #[serde(default)]
    pub symptom_kinds: IndexMap<String, SymptomKind>,
    #[serde(default)]
    pub finding: Vec<Finding>,
    pub roots: Option<Roots>,
    pub region_model: Option<RegionModel>,
    #[serde(default)]
    pub conditions: IndexMap<String, Condition>,
    #[serde(default)]
    pub lesion: Vec<Lesion>,
    #[serde(default)]
    pub root_finding: Vec<RootFinding>,
    #[serde(default)]
    pub condition_finding: Vec<ConditionFinding>,
    #[serde(default)]
    pub red_flag: Vec<RedFlag>,
    #[serde(default)]
    pub rule: Vec<Rule>,
    pub default_triage: Option<DefaultTriage>,
    #[serde(default)]
    pub advice: Vec<Advice>,
    #[serde(default)]
    pub group: Vec<Group>,
    pub why: Option<Why>,
    /// What each triage level means, by level name.
    #[serde(default)]
    pub level: IndexMap<String, TriageLevel>,
    pub screen: Option<Screen>,
    pub pain_score: Option<NumberQuestion>,
    pub duration_model: Option<DurationModel>,
    #[serde(default)]
    pub likelihood_word: Vec<LikelihoodWord>,
    pub presentation: Option<Presentation>,
    /// The alert rules over a course of assessments (`alerts.toml`).
    pub alert: Option<Alerts>,
    /// When pain is clearly better than at the start of a course.
    pub pain_clearly_better: Option<PainClearlyBetter>,
}

/// A number with the source that supports it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub value: f64,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// Pain is clearly better when it is lower by at least `points` and by at least `fraction` of
/// the first score.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PainClearlyBetter {
    pub points: Threshold,
    pub fraction: Threshold,
}

/// The alert rules, one table per kind: a kind missing or unknown is a parse error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alerts {
    pub new_red_flag: AlertText,
    pub triage_raised: AlertText,
    pub new_deficit: NewDeficit,
    pub not_improving: NotImproving,
    pub persisting_radicular_pain: PersistingRadicularPain,
}

/// An alert's text for clinicians and its source.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertText {
    pub text: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDeficit {
    pub text: String,
    pub source: String,
    /// Patterns of the motor and reflex deficit findings.
    pub findings: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotImproving {
    pub text: String,
    pub source: String,
    pub from_day: Threshold,
    pub pain_score_at_least: Threshold,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersistingRadicularPain {
    pub text: String,
    pub source: String,
    pub from_day: Threshold,
    pub radicular_at_least: Threshold,
    /// Not raised while the pain is clearly better than at the first scored assessment.
    pub unless_pain_clearly_better: bool,
}

/// What a triage level tells the person and the clinician, and the phrases that name it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageLevel {
    /// The level's name for people (`Urgent`).
    pub label: String,
    pub headline: String,
    pub instruction: String,
    pub clinician_headline: String,
    pub clinician_instruction: String,
    /// Phrases (lower case) that name this level or its place of care in any text.
    pub names: Vec<String>,
    pub source: String,
}

/// The red-flag screen: the findings that must all be answered `absent`, below an age, before
/// self-care may be given.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screen {
    pub findings: Vec<String>,
    pub self_care_below_age: u8,
    /// The lowest level otherwise.
    pub level: String,
    pub open: ScreenReason,
    pub age: ScreenReason,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenReason {
    pub id: String,
    pub patient: String,
    pub clinician: String,
    pub source: String,
}

/// A question answered with a whole number (the pain score).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberQuestion {
    /// Asked once this holds.
    pub when: When,
    pub patient: String,
    pub clinician: String,
    pub why: String,
    pub min: u8,
    pub max: u8,
    pub min_label: String,
    pub max_label: String,
}

/// The episode's duration as a child of the hypothesis: a band per case, P(band | condition).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DurationModel {
    /// The first day of every band after the first (the first band starts at day 0).
    pub band_starts: Vec<u32>,
    /// P(band) for every condition without its own row.
    pub default: Vec<f64>,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// What the pages show of an assessment and what they fold away.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Presentation {
    pub condition_shown_at_least: f64,
    pub condition_listed_at_least: f64,
    pub root_shown_at_least: f64,
    pub radicular_at_least: f64,
    pub why_weight_at_least: f64,
    pub clinician_weight_at_least: f64,
    pub help_topics: Vec<String>,
    pub source: String,
}

/// A word for a probability at or above `at_least`, for people who prefer words to numbers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LikelihoodWord {
    pub at_least: f64,
    pub word: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub id: String,
    pub items: Vec<String>,
    /// Asked before the interview may end.
    #[serde(default)]
    pub mandatory: bool,
    /// Asked first, when none of its items is known yet.
    #[serde(default)]
    pub first: bool,
    /// Asked (as a mandatory group) only once this holds.
    #[serde(default)]
    pub when: Option<When>,
    pub patient: String,
    pub clinician: String,
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Why {
    pub triage: String,
    pub condition: String,
    pub root: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KbMeta {
    pub version: String,
    pub title: String,
    pub population: String,
    pub disclaimer: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// A short name for reports ("Suri 2010"); the id when missing.
    #[serde(default)]
    pub short: Option<String>,
    pub citation: String,
    pub kind: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub patient: String,
    pub clinician: String,
    pub describe: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymptomKind {
    pub patient: String,
    pub clinician: String,
    pub question_patient: String,
    pub question_clinician: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Finding {
    pub id: String,
    #[serde(default)]
    pub lateral: bool,
    pub category: String,
    #[serde(default)]
    pub examiner: bool,
    pub patient: String,
    pub clinician: String,
    #[serde(default)]
    pub question_patient: Option<String>,
    pub question_clinician: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roots {
    /// The roots the assessment reports, top to bottom.
    pub reported: Vec<String>,
    /// Roots the model knows but does not report (the sacral roots of the cauda equina).
    pub other: Vec<String>,
}

/// A probability with the source that supports it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sourced {
    pub p: f64,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// How region symptoms arise from a latent "region involved" state.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionModel {
    /// P(symptom kind | state) for the states `neural`, `somatic`, `none`.
    pub emission: BTreeMap<String, Emission>,
    /// P(region involved | root compressed), per region then per root.
    pub coverage: BTreeMap<String, BTreeMap<String, f64>>,
    pub coverage_source: String,
    #[serde(default)]
    pub coverage_note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emission {
    pub pain: f64,
    pub numbness: f64,
    pub tingling: f64,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub name: String,
    pub patient_name: String,
    pub mechanism: String,
    pub icd10: String,
    pub icd10_display: String,
    /// Where the codes were checked.
    pub codes_source: String,
    #[serde(default)]
    pub snomed: Option<String>,
    #[serde(default)]
    pub snomed_display: Option<String>,
    pub prior: Sourced,
    #[serde(default)]
    pub age_factors: Vec<AgeFactor>,
    /// P(sex | condition) for female and male, where it differs from the population's.
    #[serde(default)]
    pub sex: Option<SexShare>,
    /// P(duration band | condition), where it differs from the model's default.
    #[serde(default)]
    pub duration: Option<SourcedList>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SexShare {
    pub female: f64,
    pub male: f64,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourcedList {
    pub p: Vec<f64>,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A multiplier on a prior for an age band, `from` to `to` inclusive.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgeFactor {
    pub from: u8,
    pub to: u8,
    pub factor: f64,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesion {
    pub id: String,
    pub condition: String,
    pub name: String,
    /// This lesion's share of its condition's prior.
    pub share: Sourced,
    /// `left`, `right`, `both` (bilateral) or `none`; the prior is split evenly over them.
    pub sides: Vec<String>,
    #[serde(default)]
    pub levels: Vec<Level>,
    #[serde(default)]
    pub level_source: Option<String>,
    /// Multiplies every root-driven sensitivity for this lesion (less florid root signs).
    #[serde(default)]
    pub root_scale: Option<Sourced>,
    /// P(region involved, somatic) on the hypothesis's side(s).
    #[serde(default)]
    pub somatic: BTreeMap<String, f64>,
    /// P(region involved, neural) on the hypothesis's side(s), for nerve disease outside the roots.
    #[serde(default)]
    pub neural: BTreeMap<String, f64>,
    #[serde(default)]
    pub involvement_source: Option<String>,
    #[serde(default)]
    pub age_factors: Vec<AgeFactor>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub level: String,
    pub roots: Vec<String>,
    pub share: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootFinding {
    /// A lateral finding family (`slr`, `weakness.hip_flexion`).
    pub id: String,
    pub p: BTreeMap<String, f64>,
    pub leak: f64,
    /// Multipliers on `p` by condition or lesion id (lesion wins).
    #[serde(default)]
    pub scale: BTreeMap<String, f64>,
    /// P(finding caused by the lesion itself, not through a root) by condition or lesion id, on
    /// the hypothesis's side(s): a peroneal palsy's foot drop, a cord lesion's weakness.
    #[serde(default)]
    pub other: BTreeMap<String, f64>,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionFinding {
    pub id: String,
    /// P(finding) under every hypothesis not listed in `p` (and, for a lateral family, on the
    /// side the hypothesis does not involve).
    pub default: f64,
    /// P(finding | condition or lesion); a lesion id wins over its condition.
    pub p: BTreeMap<String, f64>,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    #[serde(default)]
    pub any_present: Vec<String>,
    #[serde(default)]
    pub all_of: Vec<Vec<String>>,
    #[serde(default)]
    pub all_present: Vec<String>,
    #[serde(default)]
    pub none_present: Vec<String>,
    #[serde(default)]
    pub bilateral: Vec<String>,
    pub age_at_least: Option<u8>,
    pub age_below: Option<u8>,
    pub duration_days_at_least: Option<u32>,
    pub duration_days_below: Option<u32>,
    pub duration_unknown_or_below: Option<u32>,
    #[serde(default)]
    pub triage_in: Vec<String>,
    #[serde(default)]
    pub condition_at_least: BTreeMap<String, f64>,
    #[serde(default)]
    pub mechanism_at_least: BTreeMap<String, f64>,
    /// The leading condition is one of these (advice only).
    #[serde(default)]
    pub top_condition: Vec<String>,
    /// The leading mechanism is one of these (advice only).
    #[serde(default)]
    pub top_mechanism: Vec<String>,
    /// Every finding matching these patterns is answered present or absent (advice only).
    #[serde(default)]
    pub all_answered: Vec<String>,
    /// Some finding matching these patterns is not answered present or absent (advice only).
    #[serde(default)]
    pub any_unanswered: Vec<String>,
    pub pain_score_at_least: Option<u8>,
    pub pain_score_below: Option<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedFlag {
    pub id: String,
    pub patient: String,
    pub clinician: String,
    /// The red flag is raised when any present finding matches one of these patterns and
    /// `when` (if given) holds; those findings are named.
    pub findings: Vec<String>,
    #[serde(default)]
    pub when: Option<When>,
    /// The lowest triage level a case with this red flag can get.
    pub min_level: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub level: String,
    pub patient: String,
    pub clinician: String,
    pub when: When,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultTriage {
    pub level: String,
    pub patient: String,
    pub clinician: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advice {
    pub id: String,
    pub audience: String,
    pub topic: String,
    pub text: String,
    pub source: String,
    #[serde(default)]
    pub when: Option<When>,
    /// For a text that tells the person what to do if something new happens: the level it
    /// names, and the findings (each inner list one new event) it names it for.
    #[serde(default)]
    pub if_new: Option<IfNew>,
    /// Findings the plan item lists as still to be answered (those unanswered are named).
    #[serde(default)]
    pub lists_unanswered: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IfNew {
    pub level: String,
    pub findings: Vec<Vec<String>>,
}
