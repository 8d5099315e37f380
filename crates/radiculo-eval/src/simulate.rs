//! The interview simulated on cases whose full evidence is known: a person answers each
//! question from the evidence (not sure where the case does not say) through the interview
//! session every front end uses, and the result is compared with the full-evidence assessment.

use radiculo_engine::{Assessment, Case, Engine, Mode, Options};
use radiculo_interview::{Answer, InterviewError, Next, Session};
use radiculo_kb::TriageLevel;

use crate::{EvalError, LabelledCase, Score};

/// What one simulated interview gave, against the full evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Simulated {
    /// The questions asked (a group counts once).
    pub questions: usize,
    /// The triage level is the full-evidence one.
    pub same_triage: bool,
    /// The leading condition is the full-evidence one.
    pub same_condition: bool,
    /// The leading root and side is the full-evidence one, where one leads (p >= 0.5 with the
    /// full evidence); below that the order of unlikely roots is noise, so it counts as same.
    pub same_root: bool,
    /// For a case that is an emergency with full evidence, whether the interview reached it;
    /// `None` for any other case.
    pub emergency: Option<bool>,
}

/// Runs the interview on a case whose full evidence is known, from its opening facts (age,
/// sex, duration, mode) to the end: each question is answered from the evidence, and "not
/// sure" where the case does not say.
pub fn simulate(engine: &Engine, full: &Case) -> Result<Simulated, InterviewError> {
    let mut opening = Case::new(full.age);
    opening.id.clone_from(&full.id);
    opening.sex = full.sex;
    opening.duration_days = full.duration_days;
    opening.mode = full.mode;
    let mut session = Session::new(engine, opening);
    while let Next::Ask(question) = session.step()?.next {
        session.answer(Answer::from_case(full, &question));
    }
    let questions = session.answers();
    let options = Options {
        next_question: false,
    };
    let (a, b) = (
        engine.assess(full, options),
        engine.assess(session.case(), options),
    );
    let top_root = |x: &Assessment| (x.roots[0].root, x.roots[0].side);
    let root_leads = a.roots[0].probability >= 0.5;
    Ok(Simulated {
        questions,
        same_triage: a.triage.level == b.triage.level,
        same_condition: a.conditions[0].condition == b.conditions[0].condition,
        same_root: !root_leads || top_root(&a) == top_root(&b),
        emergency: (a.triage.level == TriageLevel::Emergency)
            .then_some(b.triage.level == TriageLevel::Emergency),
    })
}

/// One case's simulated interview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedCase {
    /// The case's name.
    pub name: String,
    /// Who answered (which questions could be asked).
    pub mode: Mode,
    /// What the interview gave.
    pub simulated: Simulated,
}

/// Simulated interviews over a set of cases, against their full evidence.
#[derive(Debug, Clone, Default)]
pub struct InterviewScores {
    /// Each case, in order.
    pub cases: Vec<SimulatedCase>,
    /// The interview ends with the full-evidence triage level.
    pub same_triage: Score,
    /// The interview ends with the full-evidence leading condition.
    pub same_condition: Score,
    /// The interview ends with the full-evidence leading root and side (where one leads).
    pub same_root: Score,
    /// Each full-evidence emergency is reached by the interview.
    pub emergencies_reached: Score,
    /// The median number of questions in patient mode (0 with no such case).
    pub patient_median_questions: f64,
    /// The median number of questions in clinician mode (0 with no such case).
    pub clinician_median_questions: f64,
}

/// Simulates the interview on every case (its labels are not used: the full evidence is the
/// reference).
pub fn score_interviews(
    engine: &Engine,
    cases: &[LabelledCase],
) -> Result<InterviewScores, EvalError> {
    let mut s = InterviewScores::default();
    let mut counts: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
    for LabelledCase { name, case, .. } in cases {
        let simulated = simulate(engine, case).map_err(|source| EvalError::Simulation {
            case: name.clone(),
            source,
        })?;
        counts[usize::from(case.mode != Mode::Patient)].push(simulated.questions);
        s.same_triage
            .record(simulated.same_triage, || format!("{name}: triage differs"));
        s.same_condition.record(simulated.same_condition, || {
            format!("{name}: leading condition differs")
        });
        s.same_root.record(simulated.same_root, || {
            format!("{name}: leading root differs")
        });
        if let Some(reached) = simulated.emergency {
            s.emergencies_reached
                .record(reached, || format!("{name}: EMERGENCY NOT REACHED"));
        }
        s.cases.push(SimulatedCase {
            name: name.clone(),
            mode: case.mode,
            simulated,
        });
    }
    let [patient, clinician] = &mut counts;
    s.patient_median_questions = median(patient);
    s.clinician_median_questions = median(clinician);
    Ok(s)
}

/// The median of `v` (sorting it); 0 when it is empty.
fn median(v: &mut [usize]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(engine: &Engine, present: &[&str]) -> Case {
        let mut case = Case::new(52);
        for id in present {
            case.answer(engine.kb().vocab.get(id).expect(id), Some(true));
        }
        case
    }

    #[test]
    fn a_simulated_interview_reaches_an_emergency_and_stops_there() {
        let engine =
            Engine::new(radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads"));
        let full = case(&engine, &["pain.low_back", "numbness.saddle"]);
        let s = simulate(&engine, &full).expect("the interview ends");
        assert_eq!(s.emergency, Some(true));
        assert!(s.same_triage);
        // The body map, then the cauda equina checklist at the latest.
        assert!((1..10).contains(&s.questions), "{s:?}");
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), 0.0);
        assert_eq!(median(&mut [9, 1, 5]), 5.0);
        assert_eq!(median(&mut [4, 1, 3, 2]), 2.5);
    }
}
