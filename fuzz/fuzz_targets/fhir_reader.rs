//! Any bytes, as JSON, into every FHIR and CDS Hooks reader of `radiculo_fhir`: `$assess`'s
//! input (a QuestionnaireResponse, or Parameters holding one and a Patient), `$next-question`
//! (which reads the response and the adaptive Questionnaire it contains, then runs the
//! interview), a prefetched Observation Bundle, and a CDS Hooks request, answered with its cards
//! when it parses. None may panic; a rejection carries at least one issue, each saying where it
//! is; a case read has an age the engine assesses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radiculo_contract::JsonWriter;
use radiculo_engine::{Case, Engine, MAX_AGE, MIN_AGE};
use radiculo_fhir::response::Rejected;
use radiculo_fhir::{adaptive, cds, observations, operation};
use radiculo_fuzz::engine;
use serde_json::Value;

const TODAY: &str = "2026-12-05";

fn writer() -> &'static JsonWriter<&'static Engine> {
    static WRITER: std::sync::OnceLock<JsonWriter<&'static Engine>> = std::sync::OnceLock::new();
    WRITER.get_or_init(|| JsonWriter::new(engine()))
}

fn check_case(case: &Case) {
    assert!(
        (MIN_AGE..=MAX_AGE).contains(&case.age),
        "a case of age {}",
        case.age
    );
}

fn check_rejected(r: &Rejected) {
    assert!(!r.outcome.issue.is_empty(), "a rejection with no issue");
    for issue in &r.outcome.issue {
        assert!(
            !issue.expression.is_empty(),
            "an issue with no location: {}",
            issue.diagnostics
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let writer = writer();
    let kb = writer.engine().kb();

    match operation::assess_input(kb, &body, TODAY) {
        Ok(input) => check_case(&input.case),
        Err(r) => check_rejected(&r),
    }
    match adaptive::next_question(writer, &body, TODAY) {
        Ok(Ok(_)) => {}
        Ok(Err(r)) => check_rejected(&r),
        Err(e) => panic!("$next-question: {e}"),
    }
    match observations::read(
        kb,
        body.get("patient"),
        body.get("findings").unwrap_or(&body),
        TODAY,
    ) {
        Ok(case) => check_case(&case),
        Err(r) => check_rejected(&r),
    }
    if let Ok(request) = cds::parse_request(&body) {
        match cds::respond(
            writer,
            &request,
            Some("https://radiculo.example.org"),
            TODAY,
        ) {
            Ok(response) => assert!(response.cards.len() <= 1, "more than one card"),
            Err(e) => {
                let _ = (e.field(), e.detail());
            }
        }
    }
    let _ = cds::parse_feedback(&body);
});
