//! Any bytes into the contract's case parser (`radiculo_contract::parse_case`): it returns a
//! valid case or a typed error, never panics. Not JSON is `ContractError::Json`; JSON that is
//! not a valid case is `ContractError::Invalid` naming the path of a field. The fast borrowed
//! path and the `Value` path must agree: a case the first accepts, the second accepts as the
//! same case. A valid case is assessed and the assessment checked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radiculo_contract::{
    ContractError, MAX_DURATION_DAYS, MAX_PAIN_SCORE, case_from_value, parse_case,
};
use radiculo_engine::{MAX_AGE, MIN_AGE, Options};
use radiculo_fuzz::{check_assessment, engine};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let engine = engine();
    // The server and the CLI reject text that is not UTF-8 before the parser sees it.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_case(engine, text);
    let value = serde_json::from_str::<Value>(text);
    match (&parsed, &value) {
        (Ok(case), Ok(value)) => {
            assert!((MIN_AGE..=MAX_AGE).contains(&case.age), "age {}", case.age);
            assert!(case.pain_score.is_none_or(|p| p <= MAX_PAIN_SCORE));
            assert!(
                case.duration_days
                    .is_none_or(|d| u64::from(d) <= MAX_DURATION_DAYS)
            );
            assert_eq!(
                case_from_value(engine, value).as_ref(),
                Ok(case),
                "the Value path reads the case otherwise"
            );
            let a = engine.assess(
                case,
                Options {
                    next_question: false,
                },
            );
            check_assessment(engine, case, &a);
        }
        (Ok(_), Err(e)) => panic!("a case parsed from text that is not JSON: {e}"),
        (Err(ContractError::Json(_)), Err(_)) => {}
        (Err(ContractError::Json(m)), Ok(_)) => panic!("JSON rejected as not JSON: {m}"),
        (Err(ContractError::Invalid { path, message, .. }), Ok(_)) => {
            assert!(!path.is_empty(), "an error with no path: {message}");
            assert!(!message.is_empty(), "an error at {path} with no message");
        }
        (Err(ContractError::Invalid { path, .. }), Err(e)) => {
            panic!("text that is not JSON ({e}) rejected at {path} as if it were")
        }
    }
});
