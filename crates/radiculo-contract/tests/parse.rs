//! `parse_case` against contract v1 (`case-format.md`): what it accepts, and for everything it
//! must reject, the JSON path it names.
//!
//! Rejections are tables of `(case JSON, expected path)` run through one `check` helper, which
//! collects every mismatch so one run shows all of them. The finding vocabulary is written out
//! here from the contract rather than taken from `radiculo_kb::contract`, so that a change to
//! the product's copy cannot quietly change what these tests expect.

use std::sync::OnceLock;

use radiculo_contract::{ContractError, MAX_DURATION_DAYS, parse_case};
use radiculo_engine::{Case, Engine, Mode, Sex};
use radiculo_kb::contract;

/// The example case of the contract (`case-format.md`), with an `id`.
const CONTRACT_EXAMPLE: &str = include_str!("../../../examples/contract-example.json");

/// The engine over the embedded knowledge base, built once for all tests.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let kb = radiculo_kb::load(radiculo_kb::embedded())
            .unwrap_or_else(|e| panic!("the embedded knowledge base does not load: {e:?}"));
        Engine::new(kb)
    })
}

/// Parses `json`, panicking with the error if the contract should have accepted it.
fn accept(json: &str) -> Case {
    parse_case(engine(), json).unwrap_or_else(|e| panic!("rejected {json}: {e}"))
}

/// A case of age 47 with the given evidence items, each `(id, state)`.
fn with_evidence(items: &[(&str, &str)]) -> String {
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|(id, state)| serde_json::json!({"id": id, "state": state}))
        .collect();
    serde_json::json!({"age": 47, "evidence": items}).to_string()
}

/// The finding's state in a parsed case: `Some(true)` present, `Some(false)` absent, `None`
/// unknown.
fn state_of(case: &Case, id: &str) -> Option<bool> {
    let f = engine()
        .kb()
        .vocab
        .get(id)
        .unwrap_or_else(|| panic!("`{id}` is not in the vocabulary"));
    case.evidence()
        .iter()
        .find(|(x, _)| *x == f)
        .map(|&(_, present)| present)
}

/// Checks that `json` is rejected as `Invalid` at `expected_path`; returns the error so the
/// caller can look further, or a description of the mismatch.
fn check(json: &str, expected_path: &str) -> Result<ContractError, String> {
    match parse_case(engine(), json) {
        Ok(case) => Err(format!(
            "accepted {json} (as {case:?}), expected an error at `{expected_path}`"
        )),
        Err(ContractError::Json(e)) => Err(format!(
            "{json}: a JSON error ({e}), expected an error at `{expected_path}`"
        )),
        Err(e @ ContractError::Invalid { .. }) => {
            let path = e.path().unwrap_or_default().to_string();
            if path != expected_path {
                return Err(format!(
                    "{json}: error at `{path}` ({e}), expected `{expected_path}`"
                ));
            }
            // The message a person reads must name the field too.
            if !e.to_string().contains(expected_path) {
                return Err(format!("{json}: the message `{e}` does not name `{path}`"));
            }
            Ok(e)
        }
    }
}

/// Runs `check` over a table and fails once, listing every row that did not hold.
fn check_all(table: &[(&str, &str)]) {
    let failures: Vec<String> = table
        .iter()
        .filter_map(|(json, path)| check(json, path).err())
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The suggestions of an `Invalid` error (empty for any other error).
fn suggestions(e: &ContractError) -> &[String] {
    match e {
        ContractError::Invalid { suggestions, .. } => suggestions,
        ContractError::Json(_) => &[],
    }
}

#[test]
fn the_contract_example_parses() {
    let case = accept(CONTRACT_EXAMPLE);
    assert_eq!(case.id.as_deref(), Some("case-17"));
    assert_eq!(case.age, 47);
    assert_eq!(case.sex, Some(Sex::Female));
    assert_eq!(case.duration_days, Some(12));
    assert_eq!(case.mode, Mode::Patient, "the default mode is patient");
    assert_eq!(case.evidence().len(), 7);
    for (id, expected) in [
        ("pain.lateral_leg.left", Some(true)),
        ("numbness.dorsum_foot.left", Some(true)),
        ("weakness.great_toe_extension.left", Some(true)),
        ("reflex_reduced.ankle.left", Some(false)),
        ("slr.left", Some(true)),
        ("cough_sneeze_strain_worse", Some(true)),
        ("urinary_retention", Some(false)),
        ("slr.right", None),
    ] {
        assert_eq!(state_of(&case, id), expected, "{id}");
    }
}

#[test]
fn optional_fields_are_read_and_may_be_left_out() {
    let case = accept(
        r#"{"id": "case-17", "age": 60, "sex": "male", "mode": "clinician",
            "symptom_duration_days": 0, "evidence": []}"#,
    );
    assert_eq!(case.id.as_deref(), Some("case-17"));
    assert_eq!(case.sex, Some(Sex::Male));
    assert_eq!(case.mode, Mode::Clinician);
    assert_eq!(case.duration_days, Some(0));
    assert!(case.evidence().is_empty());

    assert_eq!(
        accept(r#"{"age": 30, "sex": "other"}"#).sex,
        Some(Sex::Other)
    );
    assert_eq!(
        accept(r#"{"age": 30, "mode": "patient"}"#).mode,
        Mode::Patient
    );

    let bare = accept(r#"{"age": 30}"#);
    assert_eq!(bare.id, None);
    assert_eq!(bare.sex, None);
    assert_eq!(bare.duration_days, None);
    assert_eq!(bare.mode, Mode::Patient);
    assert!(bare.evidence().is_empty());
}

#[test]
fn every_contract_finding_id_is_accepted() {
    let ids = contract::finding_ids();
    assert_eq!(ids.len(), 189, "the contract's vocabulary (v1 and v1.1)");
    let rejected: Vec<String> = ids
        .iter()
        .flat_map(|id| [(id, "present"), (id, "absent")])
        .filter_map(
            |(id, state)| match parse_case(engine(), &with_evidence(&[(id, state)])) {
                Ok(case) if state_of(&case, id) == Some(state == "present") => None,
                Ok(case) => Some(format!("{id} {state}: parsed as {:?}", case.evidence())),
                Err(e) => Some(format!("{id} {state}: {e}")),
            },
        )
        .collect();
    assert!(rejected.is_empty(), "\n{}", rejected.join("\n"));
}

#[test]
fn all_states_of_the_whole_vocabulary_parse_in_one_case() {
    let ids = contract::finding_ids();
    let items: Vec<(&str, &str)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), ["present", "absent", "unknown"][i % 3]))
        .collect();
    let case = accept(&with_evidence(&items));
    for (id, state) in items {
        let expected = match state {
            "present" => Some(true),
            "absent" => Some(false),
            _ => None,
        };
        assert_eq!(state_of(&case, id), expected, "{id} {state}");
    }
    assert_eq!(
        case.evidence().len(),
        126,
        "the 63 unknown ids are not evidence"
    );
}

#[test]
fn unknown_ids_name_the_item() {
    check_all(&[
        (&with_evidence(&[("slr.lef", "present")]), "evidence[0].id"),
        (
            &with_evidence(&[("pain.calf.middle", "present")]),
            "evidence[0].id",
        ),
        (
            &with_evidence(&[("pain.elbow.left", "absent")]),
            "evidence[0].id",
        ),
        (&with_evidence(&[("slr", "present")]), "evidence[0].id"),
        (
            &with_evidence(&[("weakness.hip_flexion", "present")]),
            "evidence[0].id",
        ),
        (
            &with_evidence(&[("pain.calf", "present")]),
            "evidence[0].id",
        ),
        (
            &with_evidence(&[("Pain.calf.left", "present")]),
            "evidence[0].id",
        ),
        (
            &with_evidence(&[("pain.calf.left ", "present")]),
            "evidence[0].id",
        ),
        (
            &with_evidence(&[("tingling.saddle", "present")]),
            "evidence[0].id",
        ),
        (
            &with_evidence(&[("no_such_finding", "unknown")]),
            "evidence[0].id",
        ),
        (&with_evidence(&[("", "present")]), "evidence[0].id"),
        (
            &with_evidence(&[
                ("slr.left", "present"),
                ("fever", "absent"),
                ("pain.knee.middle", "present"),
            ]),
            "evidence[2].id",
        ),
    ]);
}

#[test]
fn an_unknown_id_suggests_the_closest_known_ids() {
    let known = |s: &String| engine().kb().vocab.get(s).is_some();

    let e = check(&with_evidence(&[("slr.lef", "present")]), "evidence[0].id").unwrap();
    assert!(
        suggestions(&e).contains(&"slr.left".to_string()),
        "{:?}",
        suggestions(&e)
    );
    assert_eq!(suggestions(&e)[0], "slr.left", "the closest id comes first");

    let e = check(
        &with_evidence(&[("pain.calf.middle", "present")]),
        "evidence[0].id",
    )
    .unwrap();
    for id in ["pain.calf.left", "pain.calf.right"] {
        assert!(
            suggestions(&e).contains(&id.to_string()),
            "{id} not in {:?}",
            suggestions(&e)
        );
    }

    let e = check(
        &with_evidence(&[("pain.elbow.left", "present")]),
        "evidence[0].id",
    )
    .unwrap();
    assert!(!suggestions(&e).is_empty());
    assert!(suggestions(&e).iter().all(known), "{:?}", suggestions(&e));

    let e = check(
        &with_evidence(&[("weakness.great_toe_extention.left", "present")]),
        "evidence[0].id",
    )
    .unwrap();
    assert_eq!(suggestions(&e)[0], "weakness.great_toe_extension.left");
}

/// The contract asks for "the closest known ids" for an unknown id. For a lateral id given
/// without its side, those are the two sided ids, which the error message itself names.
#[test]
fn an_id_without_its_side_suggests_both_sides() {
    let mut failures = Vec::new();
    for family in ["slr", "crossed_slr", "foot_drop", "weakness.hip_flexion"] {
        let e = check(&with_evidence(&[(family, "present")]), "evidence[0].id").unwrap();
        let missing: Vec<String> = ["left", "right"]
            .iter()
            .map(|side| format!("{family}.{side}"))
            .filter(|sided| !suggestions(&e).contains(sided))
            .collect();
        if !missing.is_empty() {
            failures.push(format!(
                "`{family}`: {} not in the suggestions {:?}",
                missing.join(", "),
                suggestions(&e)
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn a_duplicate_id_with_two_states_is_rejected_at_the_second_state() {
    check_all(&[
        (
            &with_evidence(&[("slr.left", "present"), ("slr.left", "absent")]),
            "evidence[1].state",
        ),
        (
            &with_evidence(&[
                ("fever", "absent"),
                ("slr.left", "present"),
                ("pain.calf.left", "present"),
                ("slr.left", "unknown"),
            ]),
            "evidence[3].state",
        ),
        (
            &with_evidence(&[("fever", "unknown"), ("fever", "present")]),
            "evidence[1].state",
        ),
        (
            &with_evidence(&[
                ("fever", "present"),
                ("fever", "present"),
                ("fever", "absent"),
            ]),
            "evidence[2].state",
        ),
    ]);
}

#[test]
fn the_same_id_twice_with_the_same_state_is_accepted() {
    for state in ["present", "absent"] {
        let case = accept(&with_evidence(&[
            ("slr.left", state),
            ("fever", "absent"),
            ("slr.left", state),
        ]));
        assert_eq!(state_of(&case, "slr.left"), Some(state == "present"));
        assert_eq!(case.evidence().len(), 2, "{:?}", case.evidence());
    }
    let case = accept(&with_evidence(&[
        ("fever", "unknown"),
        ("fever", "unknown"),
    ]));
    assert!(case.evidence().is_empty());
}

#[test]
fn an_unknown_state_is_not_evidence() {
    let case = accept(&with_evidence(&[
        ("slr.left", "unknown"),
        ("fever", "present"),
    ]));
    assert_eq!(state_of(&case, "slr.left"), None);
    let slr = engine().kb().vocab.get("slr.left").unwrap();
    assert!(!case.knows(slr));
    assert!(case.evidence().iter().all(|(f, _)| *f != slr));
    assert_eq!(case.evidence().len(), 1);
}

#[test]
fn wrong_types_are_rejected() {
    check_all(&[
        (r#"{"age": "47"}"#, "age"),
        (r#"{"age": true}"#, "age"),
        (r#"{"age": [47]}"#, "age"),
        (r#"{"age": 47, "evidence": {}}"#, "evidence"),
        (r#"{"age": 47, "evidence": "slr.left"}"#, "evidence"),
        (r#"{"age": 47, "evidence": 3}"#, "evidence"),
        (
            r#"{"age": 47, "evidence": [{"id": "slr.left", "state": true}]}"#,
            "evidence[0].state",
        ),
        (
            r#"{"age": 47, "evidence": [{"id": "slr.left", "state": 1}]}"#,
            "evidence[0].state",
        ),
        (
            r#"{"age": 47, "evidence": [{"id": "slr.left", "state": null}]}"#,
            "evidence[0].state",
        ),
        (
            r#"{"age": 47, "evidence": [{"id": 7, "state": "present"}]}"#,
            "evidence[0].id",
        ),
        (
            r#"{"age": 47, "evidence": [{"id": "fever", "state": "absent"}, "slr.left"]}"#,
            "evidence[1]",
        ),
        (r#"{"age": 47, "evidence": [null]}"#, "evidence[0]"),
        (r#"{"age": 47, "sex": 1}"#, "sex"),
        (r#"{"age": 47, "mode": true}"#, "mode"),
        (r#"{"age": 47, "id": 17}"#, "id"),
        (
            r#"{"age": 47, "symptom_duration_days": "12"}"#,
            "symptom_duration_days",
        ),
        (r#"[{"age": 47}]"#, "$"),
        ("47", "$"),
        ("null", "$"),
    ]);
}

#[test]
fn age_must_be_16_to_110() {
    check_all(&[
        (r#"{"age": 15}"#, "age"),
        (r#"{"age": 111}"#, "age"),
        (r#"{"age": 0}"#, "age"),
        (r#"{"age": 256}"#, "age"),
        (r#"{"age": 18446744073709551615}"#, "age"),
    ]);
    assert_eq!(accept(r#"{"age": 16}"#).age, 16);
    assert_eq!(accept(r#"{"age": 110}"#).age, 110);
}

#[test]
fn numbers_must_be_whole_and_not_negative() {
    check_all(&[
        (r#"{"age": -47}"#, "age"),
        (r#"{"age": 47.5}"#, "age"),
        (r#"{"age": 16.5}"#, "age"),
        (
            r#"{"age": 47, "symptom_duration_days": -1}"#,
            "symptom_duration_days",
        ),
        (
            r#"{"age": 47, "symptom_duration_days": 1.5}"#,
            "symptom_duration_days",
        ),
        (
            r#"{"age": 47, "symptom_duration_days": -0.5}"#,
            "symptom_duration_days",
        ),
    ]);
}

#[test]
fn symptom_duration_days_has_a_range() {
    let just_over = MAX_DURATION_DAYS + 1;
    check_all(&[
        (
            &format!(r#"{{"age": 47, "symptom_duration_days": {just_over}}}"#),
            "symptom_duration_days",
        ),
        // Past `u32`: a value that would wrap if it were cast before the range check.
        (
            r#"{"age": 47, "symptom_duration_days": 4294967308}"#,
            "symptom_duration_days",
        ),
        (
            r#"{"age": 47, "symptom_duration_days": 18446744073709551615}"#,
            "symptom_duration_days",
        ),
    ]);
    let max = accept(&format!(
        r#"{{"age": 47, "symptom_duration_days": {MAX_DURATION_DAYS}}}"#
    ));
    assert_eq!(max.duration_days.map(u64::from), Some(MAX_DURATION_DAYS));
    assert_eq!(
        accept(r#"{"age": 47, "symptom_duration_days": 0}"#).duration_days,
        Some(0)
    );
}

#[test]
fn enumerated_values_are_exact() {
    check_all(&[
        (r#"{"age": 47, "sex": "f"}"#, "sex"),
        (r#"{"age": 47, "sex": "Female"}"#, "sex"),
        (r#"{"age": 47, "sex": ""}"#, "sex"),
        (r#"{"age": 47, "mode": "doctor"}"#, "mode"),
        (r#"{"age": 47, "mode": "Clinician"}"#, "mode"),
        (&with_evidence(&[("slr.left", "yes")]), "evidence[0].state"),
        (
            &with_evidence(&[("slr.left", "Present")]),
            "evidence[0].state",
        ),
        (
            &with_evidence(&[("fever", "absent"), ("slr.left", "")]),
            "evidence[1].state",
        ),
    ]);
}

#[test]
fn unknown_and_missing_fields_are_named() {
    check_all(&[
        (r#"{"age": 47, "weight_kg": 80}"#, "weight_kg"),
        (r#"{"age": 47, "Age": 47}"#, "Age"),
        (r#"{"age": 47, "findings": []}"#, "findings"),
        (
            r#"{"age": 47, "evidence": [{"id": "slr.left", "state": "present", "side": "left"}]}"#,
            "evidence[0].side",
        ),
        (
            r#"{"age": 47, "evidence": [{"id": "fever", "state": "absent"},
                {"id": "slr.left", "state": "present", "note": "x"}]}"#,
            "evidence[1].note",
        ),
        (
            r#"{"age": 47, "evidence": [{"id": "slr.left"}]}"#,
            "evidence[0].state",
        ),
        (
            r#"{"age": 47, "evidence": [{"state": "present"}]}"#,
            "evidence[0].id",
        ),
        (r#"{}"#, "age"),
        (r#"{"age": null}"#, "age"),
        (r#"{"sex": "female", "evidence": []}"#, "age"),
    ]);
}

#[test]
fn text_that_is_not_json_is_a_json_error() {
    for text in [
        "",
        "   ",
        "{",
        r#"{"age": 47,}"#,
        r#"{"age": 47} trailing"#,
        "{'age': 47}",
        "age: 47",
        r#"{"age": 47, "evidence": [{"id": "slr.left" "state": "present"}]}"#,
    ] {
        match parse_case(engine(), text) {
            Err(ContractError::Json(message)) => assert!(!message.is_empty()),
            other => panic!("{text:?}: expected a JSON error, got {other:?}"),
        }
    }
    assert_eq!(
        parse_case(engine(), "{").map_err(|e| e.path().map(String::from)),
        Err(None),
        "a JSON error has no field path"
    );
}
