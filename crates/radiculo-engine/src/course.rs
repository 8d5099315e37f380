//! Alerts over a course: the assessments of one episode, oldest first, compared with each other
//! by the knowledge base's alert rules (`kb/alerts.toml`, [`radiculo_kb::AlertRules`]).
//!
//! Each visit is assessed on its own, exactly as [`Engine::assess`] assesses it; the rules then
//! read what changed: a red flag, a triage level or a motor or reflex deficit that is new since
//! the previous visit, pain not clearly better than at the first scored visit late in the course,
//! and radicular pain at every visit late in the course. An alert only ever reads its visit and
//! the ones before it, so the first visit raises none, and the alerts of a course's first visits
//! are the same whatever visits follow. Alerts are separate output: they never change an
//! assessment or its triage.

use radiculo_kb::{AlertDef, FindingSet, Kb, Mechanism, TriageLevel};

use crate::{Case, Engine, Options};

/// One assessment of an episode, oldest first.
#[derive(Debug, Clone, Copy)]
pub struct Visit<'c> {
    /// The case assessed.
    pub case: &'c Case,
    /// Days since the symptoms began at this visit, when known (the server gives the case's
    /// `symptom_duration_days` or an estimate from earlier visits and the dates).
    pub days: Option<f64>,
}

/// What an alert is about: one per table of `alerts.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Copy)]
pub enum AlertKind {
    /// A red flag raised at this visit and not at the previous one.
    NewRedFlag,
    /// A triage level above the previous visit's.
    TriageRaised,
    /// A motor or reflex deficit present now and not at the previous visit.
    NewDeficit,
    /// Pain not clearly better than at the first visit with a pain score, late in the course.
    NotImproving,
    /// Radicular pain at this visit and every earlier one, late in the course.
    PersistingRadicularPain,
}

impl AlertKind {
    /// Every kind, in the order a visit's alerts are given.
    pub const ALL: [AlertKind; 5] = [
        AlertKind::NewRedFlag,
        AlertKind::TriageRaised,
        AlertKind::NewDeficit,
        AlertKind::NotImproving,
        AlertKind::PersistingRadicularPain,
    ];

    /// The name `alerts.toml` and the API give the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::NewRedFlag => "new_red_flag",
            AlertKind::TriageRaised => "triage_raised",
            AlertKind::NewDeficit => "new_deficit",
            AlertKind::NotImproving => "not_improving",
            AlertKind::PersistingRadicularPain => "persisting_radicular_pain",
        }
    }

    /// Parses a kind's name.
    pub fn parse(s: &str) -> Option<AlertKind> {
        AlertKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One alert of a course.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert<'k> {
    /// What it is about.
    pub kind: AlertKind,
    /// The index, into the visits, of the visit that raised it.
    pub visit: usize,
    /// What changed, for a clinician reading a timeline (the rule's text, filled in).
    pub text: String,
    /// The rule's source ids joined with `+` (`nice_ng59+farrar2001`).
    pub source: &'k str,
}

/// What the rules read of one visit.
struct Reading {
    level: TriageLevel,
    /// Indices of the raised red flags, in knowledge-base order.
    flags: Vec<usize>,
    /// The present deficit findings.
    deficits: FindingSet,
    pain: Option<u8>,
    days: Option<f64>,
    /// Whether the pain is radicular; `None` when the case has no present finding, so that the
    /// mechanism is the prior's alone.
    radicular: Option<bool>,
}

/// Whether a run rule holds at a visit: `None` when the visit cannot tell (no pain score, no
/// known day), which neither continues nor ends a run.
type Holds = Option<bool>;

impl Engine {
    /// Every alert over the course `visits` (oldest first), in visit order, and within a visit
    /// in [`AlertKind::ALL`] order. Nothing is raised at the first visit.
    pub fn course_alerts(&self, visits: &[Visit<'_>]) -> Vec<Alert<'_>> {
        let kb = self.kb();
        let rules = &kb.alerts;
        let readings: Vec<Reading> = visits.iter().map(|v| self.reading(v)).collect();
        let mut alerts = Vec::new();
        // Whether each run rule held at the last visit that could tell.
        let (mut not_improving_run, mut persisting_run) = (false, false);
        for (i, now) in readings.iter().enumerate().skip(1) {
            let before = &readings[i - 1];
            for &flag in now.flags.iter().filter(|f| !before.flags.contains(f)) {
                let fill = [("flag", kb.red_flags[flag].clinician.as_str())];
                alerts.push(alert(i, AlertKind::NewRedFlag, &rules.new_red_flag, &fill));
            }
            if now.level > before.level {
                let fill = [
                    ("from", kb.level(before.level).label.as_str()),
                    ("to", kb.level(now.level).label.as_str()),
                ];
                alerts.push(alert(
                    i,
                    AlertKind::TriageRaised,
                    &rules.triage_raised,
                    &fill,
                ));
            }
            let new = now
                .deficits
                .iter()
                .filter(|f| !before.deficits.contains(*f));
            for f in new {
                let fill = [("finding", kb.vocab.def(f).clinician.as_str())];
                alerts.push(alert(
                    i,
                    AlertKind::NewDeficit,
                    &rules.new_deficit.alert,
                    &fill,
                ));
            }
            let day = now.days.map(|d| format!("{d:.0}")).unwrap_or_default();
            let first_score = readings[..i].iter().find_map(|r| r.pain);
            if once(&mut not_improving_run, not_improving(kb, now, first_score)) {
                let (first, pain) = (
                    first_score.map(|p| p.to_string()).unwrap_or_default(),
                    now.pain.map(|p| p.to_string()).unwrap_or_default(),
                );
                let fill = [("before", first.as_str()), ("now", &pain), ("day", &day)];
                let def = &rules.not_improving.alert;
                alerts.push(alert(i, AlertKind::NotImproving, def, &fill));
            }
            let persisting = persisting(kb, now, &readings[..i], first_score);
            if once(&mut persisting_run, persisting) {
                let def = &rules.persisting_radicular_pain.alert;
                let fill = [("day", day.as_str())];
                alerts.push(alert(i, AlertKind::PersistingRadicularPain, def, &fill));
            }
        }
        alerts
    }

    fn reading(&self, visit: &Visit) -> Reading {
        let kb = self.kb();
        let assessment = self.assess(
            visit.case,
            Options {
                next_question: false,
            },
        );
        let present = visit.case.present();
        let radicular = assessment.mechanism[Mechanism::Radicular.index()]
            >= kb.alerts.persisting_radicular_pain.radicular_at_least;
        Reading {
            level: assessment.triage.level,
            flags: assessment.red_flags.iter().map(|f| f.flag).collect(),
            deficits: present.and(&kb.alerts.new_deficit.findings),
            pain: visit.case.pain_score,
            days: visit.days.filter(|d| d.is_finite()),
            radicular: (!present.is_empty()).then_some(radicular),
        }
    }
}

/// An alert of `kind` raised at `visit`, with `def`'s text filled in.
fn alert<'k>(visit: usize, kind: AlertKind, def: &'k AlertDef, fill: &[(&str, &str)]) -> Alert<'k> {
    Alert {
        kind,
        visit,
        text: def.render(fill),
        source: &def.source_ids,
    }
}

/// Updates a run with what a visit tells, and says whether the rule is raised at this visit: at
/// the first visit where it holds after one where it did not.
fn once(run: &mut bool, holds: Holds) -> bool {
    match holds {
        Some(true) => !std::mem::replace(run, true),
        Some(false) => {
            *run = false;
            false
        }
        None => false,
    }
}

/// Whether the visit is late enough: `None` when its day is unknown.
fn from_day(now: &Reading, day: f64) -> Holds {
    now.days.map(|d| d >= day)
}

/// `not_improving` at a visit: late enough, a pain score of at least the rule's, not clearly
/// better than the first score of an earlier visit.
fn not_improving(kb: &Kb, now: &Reading, first_score: Option<u8>) -> Holds {
    let rule = &kb.alerts.not_improving;
    if !from_day(now, rule.from_day)? {
        return Some(false);
    }
    let (first, pain) = (first_score?, now.pain?);
    Some(pain >= rule.pain_score_at_least && !kb.alerts.pain_clearly_better.holds(first, pain))
}

/// `persisting_radicular_pain` at a visit: late enough, radicular now and at every earlier visit
/// with a reading (at least one), and, if the rule says so, pain not clearly better than the
/// first score.
fn persisting(kb: &Kb, now: &Reading, earlier: &[Reading], first_score: Option<u8>) -> Holds {
    let rule = &kb.alerts.persisting_radicular_pain;
    if !from_day(now, rule.from_day)? || !now.radicular? {
        return Some(false);
    }
    let mut readings = earlier.iter().filter_map(|r| r.radicular).peekable();
    readings.peek()?;
    if !readings.all(|r| r) {
        return Some(false);
    }
    let better = first_score
        .zip(now.pain)
        .is_some_and(|(first, pain)| kb.alerts.pain_clearly_better.holds(first, pain));
    Some(!(rule.unless_pain_clearly_better && better))
}
