//! Alerts over a course (`Engine::course_alerts`, `kb/alerts.toml`).
//!
//! The scripted courses are data, in `tests/courses/*.toml` (the format is in its README): each
//! is a list of visits with the alerts each must raise, exactly. Every alert kind has a course
//! in which it fires, and an improving course raises nothing. A property test then checks, on
//! random courses, that alerts depend on the past only.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use radiculo_engine::{Alert, AlertKind, Case, Engine, Mode, Visit};
use radiculo_kb::TriageLevel;
use serde::Deserialize;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::new(radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads"))
    })
}

/// One scripted course.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Course {
    name: String,
    age: u8,
    /// `"no"`: every red-flag screen question answered "no" at every visit.
    #[serde(default)]
    screen: Option<String>,
    visit: Vec<ScriptedVisit>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptedVisit {
    #[serde(default)]
    days: Option<u32>,
    #[serde(default)]
    pain_score: Option<u8>,
    #[serde(default)]
    present: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    triage: Option<String>,
    expect: Vec<String>,
}

impl Course {
    /// The case of each visit, in clinician mode, its duration the visit's day.
    fn cases(&self) -> Result<Vec<Case>, String> {
        let kb = engine().kb();
        let id = |name: &str| {
            kb.vocab
                .get(name)
                .ok_or_else(|| format!("unknown finding id `{name}`"))
        };
        self.visit
            .iter()
            .map(|v| {
                let mut case = Case::new(self.age);
                case.mode = Mode::Clinician;
                case.duration_days = v.days;
                case.pain_score = v.pain_score;
                case.pain_score_asked = v.pain_score.is_some();
                match self.screen.as_deref() {
                    None => {}
                    Some("no") => {
                        for f in kb.screen.findings.iter() {
                            case.set(f, Some(false));
                        }
                    }
                    Some(other) => return Err(format!("screen = {other:?}: only \"no\"")),
                }
                for name in &v.absent {
                    case.set(id(name)?, Some(false));
                }
                for name in &v.present {
                    case.set(id(name)?, Some(true));
                }
                Ok(case)
            })
            .collect()
    }
}

fn courses() -> Vec<(String, Course)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/courses");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let course = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, course)
        })
        .collect()
}

fn visits(cases: &[Case], course: &Course) -> Vec<Visit<'static>> {
    // The cases live for the test; leaking them keeps the visits' type simple.
    let cases: &'static [Case] = Box::leak(cases.to_vec().into_boxed_slice());
    cases
        .iter()
        .zip(&course.visit)
        .map(|(case, v)| Visit {
            case,
            days: v.days.map(f64::from),
        })
        .collect()
}

/// What the course gave, visit by visit, for a failure message.
fn describe(visits: &[Visit], alerts: &[Alert]) -> String {
    let e = engine();
    visits
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let a = e.assess(v.case, radiculo_engine::Options::default());
            let kinds: Vec<&str> = alerts
                .iter()
                .filter(|x| x.visit == i)
                .map(|x| x.kind.as_str())
                .collect();
            format!(
                "    visit {i}: triage {}, P(radicular) {:.2}, alerts {kinds:?}",
                a.triage.level, a.mechanism[0]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs one course; `Err` says what went wrong.
fn check(course: &Course) -> Result<(), String> {
    let e = engine();
    let kb = e.kb();
    let cases = course.cases()?;
    let visits = visits(&cases, course);
    let alerts = e.course_alerts(&visits);
    let mut problems = Vec::new();
    for (i, (v, case)) in course.visit.iter().zip(&cases).enumerate() {
        for kind in &v.expect {
            if AlertKind::parse(kind).is_none() {
                problems.push(format!("visit {i}: unknown alert kind `{kind}`"));
            }
        }
        let got: Vec<&str> = alerts
            .iter()
            .filter(|a| a.visit == i)
            .map(|a| a.kind.as_str())
            .collect();
        if got != v.expect {
            problems.push(format!(
                "visit {i}: alerts {got:?}, expected {:?}",
                v.expect
            ));
        }
        if let Some(level) = &v.triage {
            let want = TriageLevel::parse(level).ok_or(format!("unknown level `{level}`"))?;
            let level = e.triage_level(case);
            if level != want {
                problems.push(format!("visit {i}: triage {level}, the script says {want}"));
            }
        }
    }
    for a in &alerts {
        let def = match a.kind {
            AlertKind::NewRedFlag => &kb.alerts.new_red_flag,
            AlertKind::TriageRaised => &kb.alerts.triage_raised,
            AlertKind::NewDeficit => &kb.alerts.new_deficit.alert,
            AlertKind::NotImproving => &kb.alerts.not_improving.alert,
            AlertKind::PersistingRadicularPain => &kb.alerts.persisting_radicular_pain.alert,
        };
        if a.source != def.source_ids || a.text.contains('{') || a.text.contains('}') {
            problems.push(format!(
                "{a:?}: its source or text is not its rule's, filled in"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}\n{}",
            problems.join("\n"),
            describe(&visits, &alerts)
        ))
    }
}

#[test]
fn scripted_courses_raise_the_alerts_they_expect() {
    let courses = courses();
    let failures: Vec<String> = courses
        .iter()
        .filter_map(|(file, course)| {
            check(course)
                .err()
                .map(|why| format!("- {file} ({}):\n{why}", course.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} course(s) failed:\n{}",
        failures.len(),
        courses.len(),
        failures.join("\n")
    );
}

/// Every kind fires in some course, and some course of several visits raises nothing.
#[test]
fn the_courses_cover_every_kind_and_an_improving_course() {
    let courses = courses();
    let fired: BTreeSet<&str> = courses
        .iter()
        .flat_map(|(_, c)| c.visit.iter().flat_map(|v| v.expect.iter()))
        .map(String::as_str)
        .collect();
    for kind in AlertKind::ALL {
        assert!(
            fired.contains(kind.as_str()),
            "no course raises {}",
            kind.as_str()
        );
    }
    assert!(
        courses.iter().any(|(_, c)| c.visit.len() >= 3
            && c.visit.iter().all(|v| v.expect.is_empty())
            && c.visit.iter().any(|v| v.pain_score.is_some())),
        "no improving course (three visits or more, with pain scores, raising nothing)"
    );
}

/// The texts a clinician reads, for the record: what each kind says in the worsening course.
#[test]
fn alert_texts_name_what_changed() {
    let (_, course) = courses()
        .into_iter()
        .find(|(file, _)| file == "worsening.toml")
        .expect("tests/courses/worsening.toml");
    let cases = course.cases().unwrap();
    let visits = visits(&cases, &course);
    let alerts = engine().course_alerts(&visits);
    let texts: Vec<(&str, &str)> = alerts
        .iter()
        .map(|a| (a.kind.as_str(), a.text.as_str()))
        .collect();
    let has = |kind: &str, words: &[&str]| {
        texts
            .iter()
            .any(|(k, t)| *k == kind && words.iter().all(|w| t.contains(w)))
    };
    assert!(
        has("new_red_flag", &["Foot drop: severe motor deficit."]),
        "{texts:#?}"
    );
    assert!(
        has("triage_raised", &["from Routine to Urgent"]),
        "{texts:#?}"
    );
    assert!(has("new_deficit", &["Foot drop, left"]), "{texts:#?}");
    assert!(
        has("new_deficit", &["Weak ankle dorsiflexion"]),
        "{texts:#?}"
    );
    assert!(
        has("not_improving", &["7/10", "day 45", "5/10"]),
        "{texts:#?}"
    );
    assert!(has("persisting_radicular_pain", &["day 45"]), "{texts:#?}");
}

/// A random course: one to six random cases, each with a day since onset (non-decreasing, from
/// an onset 0 to 60 days back, in steps of up to 30 days), unknown at about one visit in five.
fn arb_course() -> impl Strategy<Value = Vec<(Case, Option<f64>)>> {
    let visit = (
        radiculo_engine::testing::arb_case(engine()),
        0u32..30,
        prop::bool::weighted(0.2),
    );
    (0u32..60, prop::collection::vec(visit, 1..=6)).prop_map(|(start, visits)| {
        let mut day = start;
        visits
            .into_iter()
            .map(|(case, step, unknown)| {
                day += step;
                (case, (!unknown).then_some(f64::from(day)))
            })
            .collect()
    })
}

/// The random courses raise every kind of alert, so that the property below is not vacuous.
#[test]
fn random_courses_raise_every_kind() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = BTreeSet::new();
    for _ in 0..300 {
        let course = arb_course().new_tree(&mut runner).unwrap().current();
        let visits: Vec<Visit> = course
            .iter()
            .map(|(case, days)| Visit { case, days: *days })
            .collect();
        seen.extend(
            engine()
                .course_alerts(&visits)
                .iter()
                .map(|a| a.kind.as_str()),
        );
    }
    let all: BTreeSet<&str> = AlertKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(seen, all);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    /// `course_alerts` never panics; every alert names a visit of the course, never the first;
    /// and the alerts of a course's first visits are those of the whole course at those visits:
    /// an alert depends on the past only.
    #[test]
    fn alerts_depend_on_the_past_only(course in arb_course()) {
        let visits: Vec<Visit> = course
            .iter()
            .map(|(case, days)| Visit { case, days: *days })
            .collect();
        let alerts = engine().course_alerts(&visits);
        for a in &alerts {
            prop_assert!(a.visit < visits.len(), "{a:?}");
            prop_assert!(a.visit > 0, "an alert at the first visit: {a:?}");
            prop_assert!(!a.source.is_empty() && !a.text.contains('{'), "{a:?}");
        }
        prop_assert!(alerts.windows(2).all(|w| w[0].visit <= w[1].visit), "not in visit order");
        for n in 1..visits.len() {
            let prefix = engine().course_alerts(&visits[..n]);
            let restricted: Vec<&Alert> = alerts.iter().filter(|a| a.visit < n).collect();
            prop_assert_eq!(prefix.iter().collect::<Vec<_>>(), restricted, "first {} visits", n);
        }
    }
}
