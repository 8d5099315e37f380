//! Every lint code of the loader, triggered on purpose.
//!
//! The cases are data, in `tests/lint/cases.toml`: each takes the embedded knowledge base, makes
//! one small textual edit to one file (a replacement of text that must occur exactly once, or a
//! snippet appended at the end), loads the result and expects an error with the case's code whose
//! path names the offending item. Every code documented in the module doc of `src/load.rs` must
//! have at least one case, so a new code cannot go untested.

use std::collections::{BTreeMap, BTreeSet};

use radiculo_kb::{Diagnostic, embedded, load};
use serde::Deserialize;

/// The case table.
const CASES: &str = include_str!("lint/cases.toml");

/// The loader's source, for the table of codes in its module doc.
const LOADER: &str = include_str!("../src/load.rs");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    case: Vec<Case>,
}

/// One lint case; see the header of `tests/lint/cases.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    file: String,
    #[serde(default)]
    find: Option<String>,
    #[serde(default)]
    replace: Option<String>,
    #[serde(default)]
    append: Option<String>,
    code: String,
    path_contains: String,
}

fn cases() -> Vec<Case> {
    match toml::from_str::<Table>(CASES) {
        Ok(table) => table.case,
        Err(e) => panic!("tests/lint/cases.toml does not parse: {e}"),
    }
}

/// The codes listed in the table of the module doc of `src/load.rs` (`//! | KB001 | ... |`).
fn documented_codes() -> BTreeSet<String> {
    LOADER
        .lines()
        .filter_map(|line| line.strip_prefix("//! | "))
        .filter_map(|rest| rest.split('|').next())
        .map(str::trim)
        .filter(|code| code.len() == 5 && code.starts_with("KB"))
        .map(str::to_string)
        .collect()
}

/// The text of one file after the case's edit.
fn edit(case: &Case, text: &str) -> Result<String, String> {
    match (&case.find, &case.replace, &case.append) {
        (Some(find), Some(replace), None) => {
            if find.is_empty() {
                return Err("`find` is empty".into());
            }
            if find == replace {
                return Err("`replace` is the same as `find`: nothing would change".into());
            }
            let count = text.matches(find.as_str()).count();
            if count != 1 {
                return Err(format!(
                    "`find` occurs {count} times in {} (it must occur exactly once): {find:?}",
                    case.file
                ));
            }
            Ok(text.replacen(find.as_str(), replace, 1))
        }
        (None, None, Some(append)) => {
            if append.trim().is_empty() {
                return Err("`append` is empty".into());
            }
            Ok(format!("{text}\n{append}"))
        }
        _ => Err("give either `find` and `replace`, or `append` alone".into()),
    }
}

/// The embedded knowledge base with the case's edit applied to its file.
fn edited(case: &Case) -> Result<Vec<(&'static str, String)>, String> {
    let files = embedded();
    if !files.iter().any(|(name, _)| *name == case.file) {
        let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
        return Err(format!(
            "`{}` is not an embedded file (those are {names:?})",
            case.file
        ));
    }
    files
        .iter()
        .map(|(name, text)| {
            let text = if *name == case.file {
                edit(case, text)?
            } else {
                text.to_string()
            };
            Ok((*name, text))
        })
        .collect()
}

fn list(diagnostics: &[Diagnostic]) -> String {
    if diagnostics.is_empty() {
        return "    (none)".into();
    }
    diagnostics
        .iter()
        .map(|d| format!("    {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Loads the edited knowledge base; `Err` says why the case failed.
fn run(case: &Case) -> Result<(), String> {
    let files = edited(case)?;
    let files: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
    // Error codes must come with a failed load; warning codes (KB016) with any load.
    let errors: Vec<Diagnostic> = match load(&files) {
        Ok(kb) if kb.warnings.iter().any(|w| w.code == case.code) => kb.warnings,
        Ok(kb) => {
            return Err(format!(
                "the edited knowledge base loaded without errors (warnings:\n{})",
                list(&kb.warnings)
            ));
        }
        Err(e) => e.errors.into_iter().chain(e.warnings).collect(),
    };
    let hit = errors
        .iter()
        .any(|d| d.code == case.code && d.path.contains(&case.path_contains));
    if hit {
        Ok(())
    } else {
        Err(format!(
            "no {} error with a path containing `{}`; the errors were:\n{}",
            case.code,
            case.path_contains,
            list(&errors)
        ))
    }
}

#[test]
fn embedded_kb_loads_without_errors_or_warnings() {
    match load(embedded()) {
        Ok(kb) => assert!(
            kb.warnings.is_empty(),
            "the embedded knowledge base has warnings:\n{}",
            list(&kb.warnings)
        ),
        Err(e) => panic!(
            "the embedded knowledge base has errors:\n{}",
            list(&e.errors)
        ),
    }
}

#[test]
fn every_case_raises_its_code() {
    let cases = cases();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            run(case)
                .err()
                .map(|why| format!("- {} [{}, {}]: {why}", case.name, case.code, case.file))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} lint case(s) failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn case_table_is_well_formed() {
    let documented = documented_codes();
    let mut problems = Vec::new();
    let mut names = BTreeSet::new();
    for case in cases() {
        if !names.insert(case.name.clone()) {
            problems.push(format!("- `{}`: the name is used twice", case.name));
        }
        if !documented.contains(&case.code) {
            problems.push(format!(
                "- `{}`: `{}` is not a documented lint code",
                case.name, case.code
            ));
        }
        if case.path_contains.trim().is_empty() {
            problems.push(format!("- `{}`: `path_contains` is empty", case.name));
        }
        if let Err(why) = edited(&case) {
            problems.push(format!("- `{}`: {why}", case.name));
        }
    }
    assert!(
        problems.is_empty(),
        "tests/lint/cases.toml:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_documented_code_has_a_case() {
    let documented = documented_codes();
    let expected: BTreeSet<String> = (1..=15).map(|n| format!("KB{n:03}")).collect();
    assert!(
        documented.is_superset(&expected),
        "the module doc of src/load.rs should list KB001 to KB015; found {documented:?}"
    );
    let mut per_code: BTreeMap<String, usize> = documented.iter().map(|c| (c.clone(), 0)).collect();
    for case in cases() {
        *per_code.entry(case.code).or_default() += 1;
    }
    let missing: Vec<&String> = per_code
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(code, _)| code)
        .collect();
    assert!(
        missing.is_empty(),
        "lint codes without a case in tests/lint/cases.toml: {missing:?}"
    );
}
