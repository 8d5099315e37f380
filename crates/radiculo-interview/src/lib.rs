//! The interview session: the engine's questions asked one at a time, from the opening facts
//! (age, sex, duration, who answers) to the point where no answer could change the advice. It
//! is the one session logic behind every front end that interviews: the terminal's
//! `radiculo interview`, the interview simulation of `radiculo eval`, and any later one.
//!
//! A [`Session`] holds the case being built and, for each answer, what that answer changed, so
//! that the last one can be undone. [`Session::step`] asks the engine for the assessment so far
//! and says what comes next: a question, or the end of the interview ([`End`]: nothing left
//! worth asking, or an emergency, when the person should stop answering and get help). An
//! [`Answer`] (one finding, a checklist, the body map's steps, or the pain score) goes into the
//! case through [`Session::answer`].
//!
//! The crate is pure: no IO, no clock, no terminal, no argument parsing, no serialization.
//! Reading what a person types and wording what is shown belong to the front end; which
//! question comes next belongs to the engine.
//!
//! Layout:
//! - this file: [`Session`], [`Answer`] and what a step gives back;
//! - `body_map`: the body-map group asked in steps, one per symptom kind, and what a step's
//!   marked places mean for each finding.
#![deny(missing_docs)]

mod body_map;

use radiculo_engine::{Assessment, Case, Engine, Options, Question, QuestionKind};
use radiculo_kb::{FindingId, TriageLevel};

pub use body_map::{BODY_MAP, BodyMapMarks, BodyMapStep, body_map_steps};

/// Why a session cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterviewError {
    /// The engine asked a question that is already answered in full (each of its findings,
    /// "not sure" included, or the pain score). The engine never should; the session reports it
    /// rather than let an interview ask the same question for ever.
    #[error("the interview asked `{question}` again")]
    AskedAgain {
        /// The question's id: a finding id, a group id or the pain score's.
        question: String,
    },
}

/// An answer to one question.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Each finding asked: present (`Some(true)`), absent (`Some(false)`) or not sure (`None`).
    /// A single question's finding, a checklist's items, or the body-map steps answered so far.
    Findings(Vec<(FindingId, Option<bool>)>),
    /// The pain score, or `None` when it is left out; either way it is not asked again.
    PainScore(Option<u8>),
}

impl Answer {
    /// The answer that a case known in full gives to `question`: each finding as the case has
    /// it (not sure where it does not say), or its pain score. This is how a simulated person
    /// answers.
    pub fn from_case(case: &Case, question: &Question) -> Answer {
        match &question.kind {
            QuestionKind::Number(_) => Answer::PainScore(case.pain_score),
            QuestionKind::Finding(_) | QuestionKind::Group(_) => {
                Answer::Findings(given(case, &question.findings()))
            }
        }
    }
}

/// Each of `findings` as `case` gives it: present, absent, or not sure (`None`) where the case
/// does not say. An answers file answers a question, or one body-map step, this way.
pub fn given(case: &Case, findings: &[FindingId]) -> Vec<(FindingId, Option<bool>)> {
    findings.iter().map(|&f| (f, case.state(f))).collect()
}

/// A checklist's answer: the `chosen` items (indices into `items`) present, the others absent,
/// or not sure when `rest_unsure` (the person could not say rather than saying none of them).
pub fn checklist_answers(
    items: &[FindingId],
    chosen: &[usize],
    rest_unsure: bool,
) -> Vec<(FindingId, Option<bool>)> {
    items
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let state = if chosen.contains(&i) {
                Some(true)
            } else if rest_unsure {
                None
            } else {
                Some(false)
            };
            (*f, state)
        })
        .collect()
}

/// What comes after the answers so far.
#[derive(Debug, Clone, PartialEq)]
pub enum Next<'e> {
    /// Ask this question: the engine's choice, checked to ask something not yet answered.
    Ask(Question<'e>),
    /// The interview is over.
    End(End),
}

/// Why an interview is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// No answer to any further question could change the advice.
    Finished,
    /// The triage is an emergency: the person should stop answering and get help now.
    Emergency,
}

/// The assessment of the answers so far, and what comes next.
#[derive(Debug, Clone)]
pub struct Step<'e> {
    /// The full assessment of the case so far, so that an emergency can be shown at once.
    pub assessment: Assessment<'e>,
    /// The question to ask, or why the interview is over.
    pub next: Next<'e>,
}

/// How far an interview has come, for a front end to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The answers recorded and not undone (an answer to a group counts once).
    pub answers: usize,
    /// The red-flag checklists (mandatory groups asked of everyone) with every item answered.
    pub checklists_done: usize,
    /// The red-flag checklists in the knowledge base.
    pub checklists: usize,
}

/// An interview in progress: the case so far and, for each answer, what it changed.
#[derive(Debug, Clone)]
pub struct Session<'e> {
    engine: &'e Engine,
    case: Case,
    /// For each answer, in order, the state it replaced.
    history: Vec<Replaced>,
}

/// What one answer replaced, to undo it.
#[derive(Debug, Clone)]
enum Replaced {
    /// The previous state of every finding it set.
    Findings(Vec<Previous>),
    /// The pain score and whether it had been asked.
    PainScore { score: Option<u8>, asked: bool },
}

/// The previous state of one finding.
#[derive(Debug, Clone, Copy)]
struct Previous {
    finding: FindingId,
    state: Option<bool>,
    unsure: bool,
}

impl<'e> Session<'e> {
    /// Starts an interview from `case`: usually the opening facts (age, sex, duration, mode)
    /// with no findings yet. Whatever the case already holds counts as answered, so it is not
    /// asked, and it cannot be undone.
    pub fn new(engine: &'e Engine, case: Case) -> Session<'e> {
        Session {
            engine,
            case,
            history: Vec::new(),
        }
    }

    /// The engine the session asks, for a front end that needs the knowledge base's texts.
    pub fn engine(&self) -> &'e Engine {
        self.engine
    }

    /// The case so far.
    pub fn case(&self) -> &Case {
        &self.case
    }

    /// The case at the end of the interview, to assess and report.
    pub fn into_case(self) -> Case {
        self.case
    }

    /// How many answers have been recorded and not undone; an answer to a group counts once,
    /// so the next question's number is one more.
    pub fn answers(&self) -> usize {
        self.history.len()
    }

    /// How far the interview has come: the answers, and the red-flag checklists done.
    pub fn progress(&self) -> Progress {
        let checklists: Vec<_> = self
            .engine
            .kb()
            .groups
            .iter()
            .filter(|g| g.mandatory && g.when.is_none())
            .collect();
        let done = checklists
            .iter()
            .filter(|g| g.items.iter().all(|f| self.case.asked(*f)))
            .count();
        Progress {
            answers: self.answers(),
            checklists_done: done,
            checklists: checklists.len(),
        }
    }

    /// Assesses the answers so far and says what comes next: the engine's next question, or
    /// the end of the interview when it has none or the triage is an emergency.
    ///
    /// Every question asked adds at least one answer (a finding, or the pain score), so an
    /// interview ends after at most one question per finding and one for the pain score. The
    /// engine never asks about something already answered; if it did, that is an error here
    /// rather than a question asked again.
    pub fn step(&self) -> Result<Step<'e>, InterviewError> {
        let assessment = self.engine.assess(&self.case, Options::default());
        // The engine already asks nothing at an emergency; the level says why the questions
        // stopped, which a front end shows differently from a finished interview.
        let next = if assessment.triage.level == TriageLevel::Emergency {
            Next::End(End::Emergency)
        } else {
            match &assessment.next_question {
                None => Next::End(End::Finished),
                Some(q) if self.asks_something_new(q) => Next::Ask(q.clone()),
                Some(q) => {
                    return Err(InterviewError::AskedAgain {
                        question: q.id.to_string(),
                    });
                }
            }
        };
        Ok(Step { assessment, next })
    }

    /// Whether a question asks about something not yet answered ("not sure" is an answer).
    fn asks_something_new(&self, q: &Question) -> bool {
        match &q.kind {
            QuestionKind::Group(items) => items.iter().any(|f| !self.case.asked(*f)),
            QuestionKind::Finding(f) => !self.case.asked(*f),
            QuestionKind::Number(_) => !self.case.pain_score_asked,
        }
    }

    /// Records an answer in the case, keeping what it replaced so that [`Session::undo`] can
    /// restore it.
    pub fn answer(&mut self, answer: Answer) {
        let replaced = match answer {
            Answer::Findings(answers) => {
                let previous = answers
                    .iter()
                    .map(|&(finding, _)| Previous {
                        finding,
                        state: self.case.state(finding),
                        unsure: self.case.is_unsure(finding),
                    })
                    .collect();
                for (f, state) in answers {
                    self.case.answer(f, state);
                }
                Replaced::Findings(previous)
            }
            Answer::PainScore(score) => {
                let previous = Replaced::PainScore {
                    score: self.case.pain_score,
                    asked: self.case.pain_score_asked,
                };
                self.case.pain_score = score;
                self.case.pain_score_asked = true;
                previous
            }
        };
        self.history.push(replaced);
    }

    /// Undoes the last answer; false when there is none to undo.
    pub fn undo(&mut self) -> bool {
        match self.history.pop() {
            None => return false,
            Some(Replaced::PainScore { score, asked }) => {
                self.case.pain_score = score;
                self.case.pain_score_asked = asked;
            }
            Some(Replaced::Findings(previous)) => {
                // In reverse, so a finding set twice in one answer ends as it was before both.
                for p in previous.iter().rev() {
                    match (p.state, p.unsure) {
                        (None, false) => self.case.forget(p.finding),
                        (state, _) => self.case.answer(p.finding, state),
                    }
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    fn engine() -> Engine {
        Engine::new(radiculo_kb::load(radiculo_kb::embedded()).expect("the embedded kb loads"))
    }

    fn opening() -> Case {
        Case::new(47)
    }

    fn id(engine: &Engine, s: &str) -> FindingId {
        engine.kb().vocab.get(s).expect(s)
    }

    #[test]
    fn undo_restores_every_finding_an_answer_changed() {
        let engine = engine();
        let id = |s| id(&engine, s);
        let (calf, back, fever) = (id("pain.calf.left"), id("pain.low_back"), id("fever"));
        let mut s = Session::new(&engine, opening());
        s.answer(Answer::Findings(vec![(calf, Some(true)), (back, None)]));
        let after_first = s.case().clone();
        s.answer(Answer::PainScore(Some(6)));
        s.answer(Answer::Findings(vec![
            (calf, Some(false)),
            (back, Some(true)),
            (fever, None),
        ]));
        assert_eq!(s.answers(), 3);
        assert!(s.undo());
        assert!(s.undo());
        assert_eq!(s.case(), &after_first);
        assert!(s.undo());
        assert_eq!(s.case(), &opening());
        assert!(!s.undo());
    }

    #[test]
    fn an_interview_opens_with_the_body_map_and_stops_at_an_emergency() {
        let engine = engine();
        let mut s = Session::new(&engine, opening());
        let Next::Ask(first) = s.step().expect("a fresh case").next else {
            panic!("no first question");
        };
        assert_eq!(first.id, BODY_MAP);
        s.answer(Answer::Findings(vec![
            (id(&engine, "pain.low_back"), Some(true)),
            (id(&engine, "numbness.saddle"), Some(true)),
        ]));
        let step = s.step().expect("nothing asked twice");
        assert_eq!(step.next, Next::End(End::Emergency));
        assert_eq!(step.assessment.triage.level, TriageLevel::Emergency);
    }

    #[test]
    fn a_question_answered_not_sure_is_not_asked_again() {
        let engine = engine();
        let mut s = Session::new(&engine, opening());
        let Next::Ask(first) = s.step().expect("a fresh case").next else {
            panic!("no first question");
        };
        // A case that says nothing answers every item "not sure", which still counts as asked.
        s.answer(Answer::from_case(&opening(), &first));
        assert!(!s.asks_something_new(&first));
        assert!(s.case().is_unsure(first.findings()[0]));
    }

    #[test]
    fn answers_come_from_a_known_case_or_a_checklist() {
        let engine = engine();
        let (calf, fever) = (id(&engine, "pain.calf.left"), id(&engine, "fever"));
        let mut full = opening();
        full.answer(calf, Some(true));
        full.pain_score = Some(4);
        assert_eq!(
            given(&full, &[calf, fever]),
            vec![(calf, Some(true)), (fever, None)]
        );
        assert_eq!(
            checklist_answers(&[calf, fever], &[1], false),
            vec![(calf, Some(false)), (fever, Some(true))]
        );
        assert_eq!(
            checklist_answers(&[calf, fever], &[], true),
            vec![(calf, None), (fever, None)]
        );
    }
}
