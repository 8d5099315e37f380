//! The interview (`radiculo_interview::Session`) driven by arbitrary answers: from arbitrary
//! opening facts (and perhaps some findings already known), each step's question is answered
//! with arbitrary states for its findings (sometimes only some of them, sometimes with a finding
//! it did not ask), an arbitrary pain score, or an undo. Checked at every step: the session never
//! asks again what is answered (`InterviewError`), the assessment passes
//! `radiculo_fuzz::check_assessment`, an emergency ends the interview, an undo restores the case
//! as it was, and the interview ends within one question per finding plus the pain score.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use radiculo_contract::MAX_PAIN_SCORE;
use radiculo_engine::{MAX_AGE, QuestionKind};
use radiculo_fuzz::{check_assessment, engine, finding, opening, state};
use radiculo_interview::{Answer, End, Next, Session};
use radiculo_kb::TriageLevel;

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = interview(&mut u);
});

fn interview(u: &mut Unstructured) -> Result<()> {
    let engine = engine();
    let mut case = opening(u)?;
    for _ in 0..u.int_in_range(0..=3u8)? {
        case.answer(finding(u, engine)?, state(u)?);
    }
    let mut session = Session::new(engine, case);
    // Every answer given here answers at least one more finding or the pain score (or the
    // interview stops), so one question per finding and one for the pain score end any
    // interview; an undo gives its question back.
    let mut steps_left = engine.kb().vocab.findings.len() + 1;
    loop {
        let step = match session.step() {
            Ok(step) => step,
            Err(e) => panic!("after {} answers: {e}", session.answers()),
        };
        check_assessment(engine, session.case(), &step.assessment);
        let emergency = step.assessment.triage.level == TriageLevel::Emergency;
        let question = match step.next {
            Next::End(End::Emergency) => {
                assert!(emergency);
                return Ok(());
            }
            Next::End(End::Finished) => {
                assert!(!emergency);
                return Ok(());
            }
            Next::Ask(question) => question,
        };
        assert!(!emergency, "a question asked at an emergency");
        assert!(steps_left > 0, "the interview did not end");
        steps_left -= 1;
        let before = session.case().clone();
        let answer = match question.kind {
            QuestionKind::Number(_) => Answer::PainScore(if u.arbitrary()? {
                Some(u.int_in_range(0..=MAX_PAIN_SCORE)?)
            } else {
                None
            }),
            QuestionKind::Finding(_) | QuestionKind::Group(_) => {
                let asked = question.findings();
                let mut answers = Vec::new();
                // Usually every finding asked; sometimes only some (a body-map step answers a
                // few at a time), and sometimes one not asked.
                let partial = !u.is_empty() && u.ratio(1u8, 8)?;
                for f in asked {
                    if !partial || u.arbitrary()? {
                        answers.push((f, state(u)?));
                    }
                }
                if !u.is_empty() && u.ratio(1u8, 16)? {
                    answers.push((finding(u, engine)?, state(u)?));
                }
                Answer::Findings(answers)
            }
        };
        let answered_nothing_new = match &answer {
            Answer::Findings(answers) => answers.iter().all(|(f, _)| before.asked(*f)),
            Answer::PainScore(_) => false,
        };
        session.answer(answer);
        if answered_nothing_new {
            // An answer that leaves every asked finding open asks the same again: the session
            // must not loop, so this interview stops here (a front end asks again itself).
            return Ok(());
        }
        // Once the input runs out, the interview goes on to its end with every finding absent
        // (the first of `state`'s choices) and no undo.
        if !u.is_empty() && u.ratio(1u8, 10)? {
            assert!(session.undo());
            steps_left += 1;
            assert_eq!(session.case(), &before, "undo did not restore the case");
        }
        assert!(session.case().age <= MAX_AGE);
    }
}
