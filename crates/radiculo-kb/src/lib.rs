//! The radiculo knowledge base: what the engine knows, as checked data.
//!
//! The files under `kb/` are embedded at build time ([`embedded`]) and turned into a [`Kb`] by
//! [`load`], which validates everything (dangling ids, probabilities out of range, missing
//! sources, contract coverage) and reports problems as [`Diagnostic`]s with stable codes.
//!
//! This crate does no IO beyond what the compiler embeds, keeps no global state and knows
//! nothing about inference: it turns text into checked tables.
//!
//! Layout:
//! - `schema`: the raw TOML shape;
//! - [`vocab`]: finding ids, their texts and finding sets;
//! - [`contract`]: the ids contract v1.1 promises;
//! - `load`: the loader and linter, producing the types below.
#![deny(missing_docs)]

pub mod contract;
mod load;
mod schema;
pub mod vocab;

use std::fmt;

use indexmap::IndexMap;

pub use load::load;
pub use vocab::{Category, FindingDef, FindingId, FindingSet, Shape, Side, Vocabulary};

/// The knowledge-base files compiled into the binary, as `(file name, text)`.
pub fn embedded() -> &'static [(&'static str, &'static str)] {
    &[
        ("kb.toml", include_str!("../../../kb/kb.toml")),
        ("sources.toml", include_str!("../../../kb/sources.toml")),
        ("findings.toml", include_str!("../../../kb/findings.toml")),
        ("model.toml", include_str!("../../../kb/model.toml")),
        ("triage.toml", include_str!("../../../kb/triage.toml")),
        ("advice.toml", include_str!("../../../kb/advice.toml")),
        ("questions.toml", include_str!("../../../kb/questions.toml")),
        ("alerts.toml", include_str!("../../../kb/alerts.toml")),
    ]
}

/// A loaded, validated knowledge base.
#[derive(Debug, Clone)]
pub struct Kb {
    /// The knowledge-base version, recorded with every assessment.
    pub version: String,
    /// A title for reports.
    pub title: String,
    /// The population the numbers describe.
    pub population: String,
    /// What the tool is and is not, for every page a person reads.
    pub disclaimer: String,
    /// Every source, by id.
    pub sources: IndexMap<String, SourceDef>,
    /// The finding vocabulary.
    pub vocab: Vocabulary,
    /// The probability model.
    pub model: Model,
    /// Red flags, in file order.
    pub red_flags: Vec<RedFlagDef>,
    /// Triage rules, in file order.
    pub rules: Vec<RuleDef>,
    /// The triage level when no rule fires.
    pub default_triage: DefaultTriageDef,
    /// Advice items, in file order.
    pub advice: Vec<AdviceDef>,
    /// Questions asked together, in file order.
    pub groups: Vec<GroupDef>,
    /// Templates for why a question is asked.
    pub why: WhyDef,
    /// What each level means, indexed by [`TriageLevel::index`].
    pub levels: Vec<TriageLevelDef>,
    /// The red-flag screen that self-care needs answered.
    pub screen: ScreenDef,
    /// The pain-score question.
    pub pain_score: NumberQuestionDef,
    /// Words for probabilities, highest threshold first.
    pub likelihood_words: Vec<LikelihoodWordDef>,
    /// What the pages show of an assessment.
    pub presentation: PresentationDef,
    /// The alert rules over a course of assessments.
    pub alerts: AlertRules,
    /// Every finding that raises a red flag on its own (without a further condition): the
    /// findings the "a red flag never lowers the level" guarantee is about.
    pub red_flag_findings: FindingSet,
    /// Problems that do not stop the knowledge base from loading.
    pub warnings: Vec<Diagnostic>,
}

/// A cited source.
#[derive(Debug, Clone)]
pub struct SourceDef {
    /// A short name for reports.
    pub short: String,
    /// The full citation.
    pub citation: String,
    /// `guideline`, `systematic_review`, `judgement`, ...
    pub kind: String,
    /// How a number was derived from it, where that needs saying.
    pub note: Option<String>,
}

/// The source(s) of one number or one piece of text: ids, and their short names for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRef {
    /// Source ids.
    pub ids: Vec<String>,
    /// Short names joined with "; ".
    pub text: String,
}

/// A pain mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mechanism {
    /// From a nerve root.
    Radicular,
    /// Somatic pain referred from the back.
    Referred,
    /// Something else: hip, vessels, nerves elsewhere.
    Other,
}

impl Mechanism {
    /// Every mechanism, in contract order.
    pub const ALL: [Mechanism; 3] = [Mechanism::Radicular, Mechanism::Referred, Mechanism::Other];

    /// The contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::Radicular => "radicular",
            Mechanism::Referred => "referred",
            Mechanism::Other => "other",
        }
    }

    /// Parses a contract name.
    pub fn parse(s: &str) -> Option<Mechanism> {
        Mechanism::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The mechanism's position in [`Mechanism::ALL`] (where its probability is kept).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A triage level, ordered from least to most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TriageLevel {
    /// Look after it at home; seek care if it worsens or lasts.
    SelfCare,
    /// Book a routine appointment.
    Routine,
    /// See a clinician within about two weeks.
    Soon,
    /// See a clinician today.
    Urgent,
    /// Go to an emergency department now.
    Emergency,
}

impl TriageLevel {
    /// Every level, least urgent first.
    pub const ALL: [TriageLevel; 5] = [
        TriageLevel::SelfCare,
        TriageLevel::Routine,
        TriageLevel::Soon,
        TriageLevel::Urgent,
        TriageLevel::Emergency,
    ];

    /// The contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            TriageLevel::SelfCare => "self_care",
            TriageLevel::Routine => "routine",
            TriageLevel::Soon => "soon",
            TriageLevel::Urgent => "urgent",
            TriageLevel::Emergency => "emergency",
        }
    }

    /// Parses a contract name.
    pub fn parse(s: &str) -> Option<TriageLevel> {
        TriageLevel::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The level's position in [`TriageLevel::ALL`] (0 for self-care).
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for TriageLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which side(s) a hypothesis involves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HypSide {
    /// The left only.
    Left,
    /// The right only.
    Right,
    /// Both sides.
    Both,
    /// No side (a whole-body or midline condition).
    None,
}

impl HypSide {
    pub(crate) fn parse(s: &str) -> Option<HypSide> {
        Some(match s {
            "left" => HypSide::Left,
            "right" => HypSide::Right,
            "both" => HypSide::Both,
            "none" => HypSide::None,
            _ => return None,
        })
    }

    /// Whether this involves the given side.
    pub fn covers(self, side: Side) -> bool {
        match self {
            HypSide::Left => side == Side::Left,
            HypSide::Right => side == Side::Right,
            HypSide::Both => true,
            HypSide::None => false,
        }
    }

    /// A name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            HypSide::Left => "left",
            HypSide::Right => "right",
            HypSide::Both => "both",
            HypSide::None => "none",
        }
    }
}

/// The most roots a model may name (reported and other): the engine keeps the roots a
/// hypothesis compresses as one bit per root and side in a `u32`.
pub const MAX_ROOTS: usize = 16;

/// The probability model: everything the engine needs to enumerate hypotheses and compute
/// likelihoods. Per-lesion vectors are indexed like [`Model::lesions`], per-root vectors like
/// [`Model::roots`], per-region vectors like [`Vocabulary::regions`].
#[derive(Debug, Clone)]
pub struct Model {
    /// Every root the model knows; the first `reported_roots` are reported.
    pub roots: Vec<String>,
    /// How many of `roots` the assessment reports (L2 to S1).
    pub reported_roots: usize,
    /// Conditions, in file order.
    pub conditions: Vec<ConditionDef>,
    /// Lesions (hypothesis templates), in file order.
    pub lesions: Vec<LesionDef>,
    /// P(symptom kind present | region state), `[state][kind]`, states neural, somatic, none.
    pub emission: [[f64; 3]; 3],
    /// The sources of the emission rows.
    pub emission_sources: [SourceRef; 3],
    /// P(region involved | root compressed), `[region][root]`.
    pub coverage: Vec<Vec<f64>>,
    /// The source of the coverage table.
    pub coverage_source: SourceRef,
    /// Findings caused by compressed roots (noisy-OR), by family.
    pub root_findings: Vec<RootFindingDef>,
    /// Findings whose probability depends on the condition or lesion, by family.
    pub condition_findings: Vec<ConditionFindingDef>,
    /// The first day of each duration band (the first is 0).
    pub duration_bands: Vec<u32>,
    /// The source of the duration model.
    pub duration_source: SourceRef,
}

impl Model {
    /// The duration band of an episode of `days` days.
    pub fn duration_band(&self, days: u32) -> usize {
        self.duration_bands
            .iter()
            .rposition(|&start| days >= start)
            .unwrap_or(0)
    }
}

/// The region symptom states of the model's latent "region involved" variable.
pub const REGION_STATES: [&str; 3] = ["neural", "somatic", "none"];

/// A condition the assessment reports.
#[derive(Debug, Clone)]
pub struct ConditionDef {
    /// The contract id.
    pub id: String,
    /// The clinical name.
    pub name: String,
    /// A plain-words name.
    pub patient_name: String,
    /// The pain mechanism it causes.
    pub mechanism: Mechanism,
    /// ICD-10-CM code.
    pub icd10: String,
    /// ICD-10-CM display text.
    pub icd10_display: String,
    /// A verified SNOMED CT concept id and its term, when there is one.
    pub snomed: Option<(String, String)>,
    /// P(condition) in the reference population, before age.
    pub prior: f64,
    /// The source of the prior.
    pub prior_source: SourceRef,
    /// Multipliers on the prior by age.
    pub age_factors: Vec<AgeFactorDef>,
    /// P(female | condition), P(male | condition); half and half unless the knowledge base
    /// says otherwise. (Other sexes carry no information: the same for every condition.)
    pub sex: [f64; 2],
    /// P(duration band | condition), by [`Model::duration_bands`].
    pub duration: Vec<f64>,
}

/// A prior multiplier for ages `from..=to`.
#[derive(Debug, Clone)]
pub struct AgeFactorDef {
    /// First age of the band.
    pub from: u8,
    /// Last age of the band.
    pub to: u8,
    /// The multiplier.
    pub factor: f64,
    /// Where it comes from.
    pub source: SourceRef,
}

/// A hypothesis template: a lesion type of one condition, at levels and sides.
#[derive(Debug, Clone)]
pub struct LesionDef {
    /// The lesion id.
    pub id: String,
    /// Index into [`Model::conditions`].
    pub condition: usize,
    /// A clinical name.
    pub name: String,
    /// Share of the condition's prior (normalised over the condition's lesions).
    pub share: f64,
    /// Where the share comes from.
    pub share_source: SourceRef,
    /// The sides it can take; the prior is split evenly.
    pub sides: Vec<HypSide>,
    /// Levels with the roots each compresses; empty for a condition without a root.
    pub levels: Vec<LevelDef>,
    /// Multiplier on root-driven sensitivities.
    pub root_scale: f64,
    /// P(region involved, somatic) per region on the hypothesis's side(s).
    pub somatic: Vec<f64>,
    /// P(region involved, neural) per region on the hypothesis's side(s), outside the roots.
    pub neural: Vec<f64>,
    /// Where the involvement numbers come from.
    pub involvement_source: Option<SourceRef>,
    /// Further prior multipliers by age, for this lesion only.
    pub age_factors: Vec<AgeFactorDef>,
}

/// A spinal level and the roots a lesion there compresses.
#[derive(Debug, Clone)]
pub struct LevelDef {
    /// The level, e.g. `L4-L5`.
    pub level: String,
    /// Indices into [`Model::roots`].
    pub roots: Vec<usize>,
    /// Share of the lesion's prior (normalised over the lesion's levels).
    pub share: f64,
}

/// A finding family caused by compressed roots on its side.
#[derive(Debug, Clone)]
pub struct RootFindingDef {
    /// Index into [`Vocabulary::families`].
    pub family: usize,
    /// P(finding | root compressed), per root.
    pub p: Vec<f64>,
    /// P(finding) from other causes.
    pub leak: f64,
    /// Multiplier on `p`, per lesion.
    pub scale: Vec<f64>,
    /// P(finding caused by the lesion itself) on the hypothesis's side(s), per lesion.
    pub other: Vec<f64>,
    /// Where the numbers come from.
    pub source: SourceRef,
}

/// A finding family whose probability depends on the condition or lesion.
#[derive(Debug, Clone)]
pub struct ConditionFindingDef {
    /// Index into [`Vocabulary::families`].
    pub family: usize,
    /// P(finding) when the lesion gives no value (and on an uninvolved side).
    pub default: f64,
    /// P(finding | lesion), per lesion, where given.
    pub p: Vec<Option<f64>>,
    /// Where the numbers come from.
    pub source: SourceRef,
}

/// A compiled `when` table. See `kb/README.md` for the meaning of each key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Predicate {
    /// Each set must meet the present findings.
    pub all_of: Vec<FindingSet>,
    /// No present finding may be in this set.
    pub none: FindingSet,
    /// Present findings in this set must exist on both sides.
    pub bilateral: Option<FindingSet>,
    /// Age at least.
    pub age_at_least: Option<u8>,
    /// Age below.
    pub age_below: Option<u8>,
    /// Duration known and at least.
    pub duration_days_at_least: Option<u32>,
    /// Duration known and below.
    pub duration_days_below: Option<u32>,
    /// Duration unknown or below.
    pub duration_unknown_or_below: Option<u32>,
    /// The final triage level is one of these.
    pub triage_in: Vec<TriageLevel>,
    /// Condition (index) probability at least.
    pub condition_at_least: Vec<(usize, f64)>,
    /// Mechanism probability at least.
    pub mechanism_at_least: Vec<(Mechanism, f64)>,
    /// The leading condition (index) is one of these.
    pub top_condition: Vec<usize>,
    /// The leading mechanism is one of these.
    pub top_mechanism: Vec<Mechanism>,
    /// Every finding in this set is answered present or absent.
    pub all_answered: FindingSet,
    /// Some finding in this set is not answered present or absent.
    pub any_unanswered: Option<FindingSet>,
    /// Pain score known and at least.
    pub pain_score_at_least: Option<u8>,
    /// Pain score known and below.
    pub pain_score_below: Option<u8>,
}

impl Predicate {
    /// Whether the predicate reads the model (posterior probabilities or the leading
    /// conclusions).
    pub fn reads_model(&self) -> bool {
        !self.condition_at_least.is_empty()
            || !self.mechanism_at_least.is_empty()
            || !self.top_condition.is_empty()
            || !self.top_mechanism.is_empty()
    }
}

/// A red flag: raised by present findings, with the lowest level a case with it can get.
#[derive(Debug, Clone)]
pub struct RedFlagDef {
    /// The red flag id.
    pub id: String,
    /// What it means, for the person.
    pub patient: String,
    /// What it means, for clinicians.
    pub clinician: String,
    /// The findings that raise it.
    pub findings: FindingSet,
    /// A further condition, if any.
    pub when: Option<Predicate>,
    /// The lowest triage level with this red flag.
    pub min_level: TriageLevel,
    /// The guidance behind it.
    pub source: SourceRef,
}

/// A triage rule.
#[derive(Debug, Clone)]
pub struct RuleDef {
    /// The rule id.
    pub id: String,
    /// The level it gives.
    pub level: TriageLevel,
    /// The reason, for the person.
    pub patient: String,
    /// The reason, for clinicians.
    pub clinician: String,
    /// When it fires (presence, age and duration only).
    pub when: Predicate,
    /// The guidance behind it.
    pub source: SourceRef,
}

/// The triage when no rule fires.
#[derive(Debug, Clone)]
pub struct DefaultTriageDef {
    /// The level.
    pub level: TriageLevel,
    /// The reason, for the person.
    pub patient: String,
    /// The reason, for clinicians.
    pub clinician: String,
    /// The guidance behind it.
    pub source: SourceRef,
}

/// Who a piece of advice is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The person in pain.
    Patient,
    /// A clinician.
    Clinician,
}

impl Audience {
    /// The contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Patient => "patient",
            Audience::Clinician => "clinician",
        }
    }
}

/// One piece of advice.
#[derive(Debug, Clone)]
pub struct AdviceDef {
    /// The advice id.
    pub id: String,
    /// Who it is for.
    pub audience: Audience,
    /// What it is about (`self_care`, `medicine_caution`, ...).
    pub topic: String,
    /// The advice.
    pub text: String,
    /// Where it comes from.
    pub source: SourceRef,
    /// When it applies; always when `None`.
    pub when: Option<Predicate>,
    /// For a text about what to do if something new happens: the level it names and, for each
    /// new event it names, the findings of that event.
    pub if_new: Option<IfNewDef>,
    /// Findings the item names while they are unanswered (empty for most items).
    pub lists_unanswered: FindingSet,
}

/// What an "if this happens" text names: a level, for new events.
#[derive(Debug, Clone)]
pub struct IfNewDef {
    /// The level the text names.
    pub level: TriageLevel,
    /// Each event: findings that appear together.
    pub events: Vec<Vec<FindingId>>,
}

/// What a triage level means, for the person and for clinicians, in one place.
#[derive(Debug, Clone)]
pub struct TriageLevelDef {
    /// The level.
    pub level: TriageLevel,
    /// The level's name for people (`Urgent`), as a care card labels it.
    pub label: String,
    /// What to do, in a few words, for the person.
    pub headline: String,
    /// Where to go and how fast, for the person.
    pub instruction: String,
    /// The same, for clinicians.
    pub clinician_headline: String,
    /// The same, for clinicians.
    pub clinician_instruction: String,
    /// Lower-case phrases that name this level or its place of care.
    pub names: Vec<String>,
    /// The guidance behind it.
    pub source: SourceRef,
}

/// The red-flag screen.
#[derive(Debug, Clone)]
pub struct ScreenDef {
    /// The findings that must all be answered absent.
    pub findings: FindingSet,
    /// Self-care needs an age below this.
    pub self_care_below_age: u8,
    /// The lowest level when the screen is not clear.
    pub level: TriageLevel,
    /// The reason when screen questions are unanswered.
    pub open: ScreenReasonDef,
    /// The reason when the age is at or above the limit.
    pub age: ScreenReasonDef,
}

/// A reason the screen gives.
#[derive(Debug, Clone)]
pub struct ScreenReasonDef {
    /// The reason's id.
    pub id: String,
    /// For the person.
    pub patient: String,
    /// For clinicians.
    pub clinician: String,
    /// The guidance behind it.
    pub source: SourceRef,
}

/// A question answered with a whole number.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberQuestionDef {
    /// Asked once this holds (answers only: no posterior, no level).
    pub when: Predicate,
    /// The question, for the person.
    pub patient: String,
    /// The question, for clinicians.
    pub clinician: String,
    /// Why it is asked.
    pub why: String,
    /// The lowest answer.
    pub min: u8,
    /// The highest answer.
    pub max: u8,
    /// What the lowest answer means.
    pub min_label: String,
    /// What the highest answer means.
    pub max_label: String,
}

/// What the pages show of an assessment and what they fold away: display choices, kept here so
/// that every page (and any other front end) shows the same things.
#[derive(Debug, Clone)]
pub struct PresentationDef {
    /// A condition at least this probable is shown to the person.
    pub condition_shown_at_least: f64,
    /// A condition below the shown ones but at least this probable is listed under "more".
    pub condition_listed_at_least: f64,
    /// A root-side at least this probable is shown to the person.
    pub root_shown_at_least: f64,
    /// From this probability of radicular pain on, the root is what "why" explains and the
    /// dermatome picture is presented as the likely one.
    pub radicular_at_least: f64,
    /// A finding's weight (in log odds) shown to the person under "why".
    pub why_weight_at_least: f64,
    /// A finding's weight (in log odds) shown in the clinician's explanation table.
    pub clinician_weight_at_least: f64,
    /// Plan topics shown under "when to get help" rather than in the plan.
    pub help_topics: Vec<String>,
    /// Why these choices.
    pub source: SourceRef,
}

/// A word for probabilities at or above a threshold.
#[derive(Debug, Clone)]
pub struct LikelihoodWordDef {
    /// The lowest probability the word covers.
    pub at_least: f64,
    /// The word.
    pub word: String,
    /// Where the mapping comes from.
    pub source: SourceRef,
}

impl Kb {
    /// What a level means.
    pub fn level(&self, level: TriageLevel) -> &TriageLevelDef {
        &self.levels[level.index()]
    }

    /// The word for a probability.
    pub fn likelihood_word(&self, p: f64) -> &str {
        self.likelihood_words
            .iter()
            .find(|w| p >= w.at_least)
            .or(self.likelihood_words.last())
            .map_or("", |w| w.word.as_str())
    }
}

/// The alert rules over a course of assessments of one episode (`alerts.toml`): what makes an
/// assessment worth a clinician's attention next to the earlier ones. The engine's
/// `course_alerts` applies them; an alert never changes an assessment or its triage.
#[derive(Debug, Clone)]
pub struct AlertRules {
    /// A red flag raised now and not at the previous assessment (`{flag}`: its clinician text).
    pub new_red_flag: AlertDef,
    /// A triage level above the previous assessment's (`{from}`, `{to}`: the levels' labels).
    pub triage_raised: AlertDef,
    /// A motor or reflex deficit present now and not at the previous assessment.
    pub new_deficit: NewDeficitDef,
    /// Pain not clearly better than at the first assessment with a pain score, late enough.
    pub not_improving: NotImprovingDef,
    /// Radicular pain at every assessment, late enough.
    pub persisting_radicular_pain: PersistingRadicularPainDef,
    /// When a pain score is clearly better than an earlier one.
    pub pain_clearly_better: PainClearlyBetterDef,
}

/// An alert's text for clinicians and its source.
#[derive(Debug, Clone)]
pub struct AlertDef {
    /// The text, with its placeholders (`{flag}`, `{day}`, ...) unfilled.
    pub text: String,
    /// The guidance behind it.
    pub source: SourceRef,
    /// The source ids joined with `+`, as the knowledge base writes them.
    pub source_ids: String,
}

impl AlertDef {
    /// The text with each `{key}` replaced by its value.
    pub fn render(&self, values: &[(&str, &str)]) -> String {
        let mut text = self.text.clone();
        for (key, value) in values {
            text = text.replace(&format!("{{{key}}}"), value);
        }
        text
    }
}

/// The `new_deficit` alert.
#[derive(Debug, Clone)]
pub struct NewDeficitDef {
    /// Its text and source (`{finding}`: the finding's clinician text).
    pub alert: AlertDef,
    /// The motor and reflex deficit findings.
    pub findings: FindingSet,
}

/// The `not_improving` alert.
#[derive(Debug, Clone)]
pub struct NotImprovingDef {
    /// Its text and source (`{before}`, `{now}`: the two scores; `{day}`: the day now).
    pub alert: AlertDef,
    /// Raised only from this many days after the symptoms began.
    pub from_day: f64,
    /// The source of `from_day`.
    pub from_day_source: SourceRef,
    /// Raised only when the pain score now is at least this.
    pub pain_score_at_least: u8,
    /// The source of `pain_score_at_least`.
    pub pain_score_at_least_source: SourceRef,
}

/// The `persisting_radicular_pain` alert.
#[derive(Debug, Clone)]
pub struct PersistingRadicularPainDef {
    /// Its text and source (`{day}`: the day now).
    pub alert: AlertDef,
    /// Raised only from this many days after the symptoms began.
    pub from_day: f64,
    /// The source of `from_day`.
    pub from_day_source: SourceRef,
    /// An assessment's pain is radicular when P(radicular) is at least this.
    pub radicular_at_least: f64,
    /// The source of `radicular_at_least`.
    pub radicular_at_least_source: SourceRef,
    /// Not raised while the pain is clearly better than at the first assessment with a score.
    pub unless_pain_clearly_better: bool,
}

/// A pain score is clearly better than an earlier one when it is lower by at least `points`
/// and by at least `fraction` of the earlier score.
#[derive(Debug, Clone)]
pub struct PainClearlyBetterDef {
    /// The fewest points lower.
    pub points: f64,
    /// The source of `points`.
    pub points_source: SourceRef,
    /// The smallest fraction of the earlier score lower.
    pub fraction: f64,
    /// The source of `fraction`.
    pub fraction_source: SourceRef,
}

impl PainClearlyBetterDef {
    /// Whether the score `now` is clearly better than the score `before` (0 to 10 each).
    pub fn holds(&self, before: u8, now: u8) -> bool {
        let drop = f64::from(before) - f64::from(now);
        // A drop of exactly the fraction counts: 0.3 * 7 is 2.1000000000000001 in binary.
        drop >= self.points && drop >= self.fraction * f64::from(before) - 1e-9
    }
}

/// Findings asked together as one question (the body map, a red-flag checklist).
#[derive(Debug, Clone)]
pub struct GroupDef {
    /// The group id, used as the question id.
    pub id: String,
    /// The findings asked, in vocabulary order.
    pub items: Vec<FindingId>,
    /// The same as a set.
    pub set: FindingSet,
    /// Whether it must be asked before the interview ends.
    pub mandatory: bool,
    /// Whether it opens the interview.
    pub first: bool,
    /// Asked only once this holds (then as a mandatory group).
    pub when: Option<Predicate>,
    /// The question, for the person.
    pub patient: String,
    /// The question, for clinicians.
    pub clinician: String,
    /// Why it is asked.
    pub why: String,
}

/// Templates for why a question is asked; `{a}` and `{b}` are the two things it separates.
#[derive(Debug, Clone)]
pub struct WhyDef {
    /// The answer could change how soon to be seen.
    pub triage: String,
    /// The answer separates two conditions.
    pub condition: String,
    /// The answer separates two roots.
    pub root: String,
}

/// One problem found while loading, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// A stable code, `KB001` to `KB099`; see [`load`] for the list.
    pub code: &'static str,
    /// Where: `file.toml: table.key`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.code, self.path, self.message)
    }
}

/// The knowledge base could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("the knowledge base has {} error(s); first: {}", .errors.len(), .errors[0])]
pub struct KbError {
    /// Every error found (never empty).
    pub errors: Vec<Diagnostic>,
    /// Warnings found along the way.
    pub warnings: Vec<Diagnostic>,
}
