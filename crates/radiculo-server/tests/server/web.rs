//! The web pages: served with their media types and a strict Content-Security-Policy, every
//! file a page refers to is served, nothing is loaded from elsewhere, and the pages are not
//! API operations.

use std::collections::{BTreeSet, VecDeque};

use axum::http::StatusCode;

use crate::common::{Reply, get, harness};

const CSP_MUST_HAVE: [&str; 4] = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
];

fn check_headers(path: &str, reply: &Reply, content_type: &str) {
    assert_eq!(reply.status, StatusCode::OK, "{path}");
    assert!(
        reply.content_type().starts_with(content_type),
        "{path}: {}",
        reply.content_type()
    );
    let csp = reply.header("content-security-policy").unwrap_or_default();
    for directive in CSP_MUST_HAVE {
        assert!(csp.contains(directive), "{path}: {directive} not in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
    assert!(reply.header("cache-control").is_some(), "{path}");
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
}

/// The values of `attribute="…"` in `html`.
pub fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!("{attribute}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.split_once('"').map(|(value, _)| value)
        })
        .collect()
}

/// The modules a script imports (`from "./x.js"`), as served paths.
pub fn imports(script: &str) -> Vec<String> {
    script
        .match_indices("from \"./")
        .filter_map(|(at, _)| {
            let rest = &script[at + "from \"./".len()..];
            rest.split_once('"')
                .map(|(name, _)| format!("/assets/{name}"))
        })
        .collect()
}

#[tokio::test]
async fn the_pages_and_every_file_they_use_are_served_under_a_strict_policy() {
    let h = harness().await;
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::new();
    for page in ["/", "/clinician"] {
        let reply = h.send(get(page, None)).await;
        check_headers(page, &reply, "text/html");
        let html = String::from_utf8(reply.body.to_vec()).unwrap();
        assert!(html.starts_with("<!doctype html>"), "{page}");
        assert!(html.contains("<html lang=\"en\">"), "{page}");
        // No inline script, no inline style, nothing from another origin.
        assert!(!html.contains("<script>"), "{page}");
        assert!(!html.contains("style=\""), "{page}");
        assert!(!html.contains("<style"), "{page}");
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{page}"
        );
        for attribute in ["src", "href"] {
            for value in attribute_values(&html, attribute) {
                if value.starts_with("/assets/") {
                    queue.push_back(value.to_owned());
                }
            }
        }
    }
    assert!(queue.iter().any(|p| p.ends_with(".js")));
    assert!(queue.iter().any(|p| p.ends_with(".css")));
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let reply = h.send(get(&path, None)).await;
        let expected = if path.ends_with(".js") {
            "text/javascript"
        } else if path.ends_with(".css") {
            "text/css"
        } else if path.ends_with(".svg") {
            "image/svg+xml"
        } else {
            panic!("an unexpected asset {path}")
        };
        check_headers(&path, &reply, expected);
        let text = String::from_utf8(reply.body.to_vec()).unwrap();
        assert!(!text.is_empty(), "{path}");
        assert!(
            !text.contains("https://") || path.ends_with(".svg"),
            "{path}"
        );
        if path.ends_with(".js") {
            queue.extend(imports(&text));
        }
    }
    // Every module of the pages was reached, the strings file among them.
    for module in [
        "/assets/patient.js",
        "/assets/clinician.js",
        "/assets/strings.js",
        "/assets/bodymap.js",
        "/assets/style.css",
    ] {
        assert!(seen.contains(module), "{module} in {seen:?}");
    }
}

#[tokio::test]
async fn an_unknown_asset_is_a_problem_404_and_the_pages_are_not_api_operations() {
    let h = harness().await;
    h.send(get("/assets/nope.js", None))
        .await
        .problem(StatusCode::NOT_FOUND);
    let doc = h
        .send(get("/openapi.json", None))
        .await
        .json(StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    assert!(
        paths
            .keys()
            .all(|p| !p.starts_with("/assets") && p != "/" && p != "/clinician")
    );
}

#[tokio::test]
async fn the_kb_gives_the_regions_and_each_roots_territory_for_the_pages() {
    let h = harness().await;
    let kb = h.send(get("/v1/kb", None)).await.json(StatusCode::OK);
    let regions: Vec<&str> = kb["regions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(regions.len(), 16);
    assert!(regions.contains(&"lateral_leg") && regions.contains(&"heel"));
    let territories = kb["root_territories"].as_array().unwrap();
    let roots: Vec<&str> = territories
        .iter()
        .map(|t| t["root"].as_str().unwrap())
        .collect();
    assert_eq!(roots, ["L2", "L3", "L4", "L5", "S1"]);
    let l5 = &territories[3]["regions"];
    assert_eq!(l5[0]["region"], "lateral_leg");
    for entry in l5.as_array().unwrap() {
        let coverage = entry["coverage"].as_f64().unwrap();
        assert!(coverage > 0.0 && coverage < 1.0);
        assert!(regions.contains(&entry["region"].as_str().unwrap()));
    }
    assert!(!kb["root_territories_source"].as_str().unwrap().is_empty());
}

/// The phrases that say where to go or how fast: only the knowledge base's level texts (the
/// triage's `headline` and `instruction`, `/v1/kb`'s `levels`) may say them, so that a page
/// never words a level differently from the triage it shows.
const LEVEL_PHRASES: [&str; 16] = [
    "emergency department",
    "emergency number",
    "ambulance",
    "a&e",
    "straight away",
    "immediately",
    "at once",
    "today",
    "same day",
    "same-day",
    "urgent care",
    "within 24 hours",
    "within about two weeks",
    "within two weeks",
    "routine appointment",
    "urgent treatment centre",
];

/// The one string that may: the welcome page's standing advice for the cauda equina
/// symptoms, which the triage always gives `emergency`.
const STANDING_EMERGENCY_KEY: &str = "welcome_emergency";

/// The string literals of `strings.js`'s `STRINGS` table, each with the key it belongs to
/// (an array's items belong to the array's key). Comments are skipped.
fn string_table(source: &str) -> Vec<(String, String)> {
    let start = source
        .find("export const STRINGS = {")
        .expect("strings.js defines STRINGS");
    let body = &source[start..];
    let end = body.find("\n};").expect("STRINGS ends with `};`");
    let mut key = String::new();
    let mut strings = Vec::new();
    for line in body[..end].lines().skip(1) {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        // A key of the table is indented by two spaces: `  name: …`.
        if let Some(rest) = line.strip_prefix("  ")
            && let Some((name, _)) = rest.split_once(':')
            && !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            key = name.to_owned();
        }
        let mut chars = line.chars().peekable();
        let mut open: Option<char> = None;
        let mut current = String::new();
        while let Some(c) = chars.next() {
            match open {
                Some(_) if c == '\\' => {
                    if let Some(next) = chars.next() {
                        current.push(next);
                    }
                }
                Some(quote) if c == quote => {
                    strings.push((key.clone(), std::mem::take(&mut current)));
                    open = None;
                }
                Some(_) => current.push(c),
                None if c == '"' || c == '\'' || c == '`' => open = Some(c),
                None if c == '/' && chars.peek() == Some(&'/') => break,
                None => {}
            }
        }
        assert!(
            open.is_none(),
            "a string runs past the end of its line: {line}"
        );
    }
    strings
}

#[tokio::test]
async fn no_page_string_says_where_to_go_or_how_fast_except_the_standing_emergency_advice() {
    let h = harness().await;
    let reply = h.send(get("/assets/strings.js", None)).await;
    assert_eq!(reply.status, StatusCode::OK);
    let source = String::from_utf8(reply.body.to_vec()).unwrap();
    // The file served is the file in the repository.
    assert_eq!(source, include_str!("../../web/strings.js"));
    let strings = string_table(&source);
    assert!(
        strings.len() > 150,
        "only {} strings were read",
        strings.len()
    );
    assert!(
        strings.iter().any(|(key, _)| key == "welcome_title"),
        "the keys were not read"
    );
    let standing: Vec<&String> = strings
        .iter()
        .filter(|(key, _)| key == STANDING_EMERGENCY_KEY)
        .map(|(_, text)| text)
        .collect();
    assert_eq!(standing.len(), 1, "{STANDING_EMERGENCY_KEY} is one string");
    let mut found = Vec::new();
    for (key, text) in &strings {
        if key == STANDING_EMERGENCY_KEY {
            continue;
        }
        let lower = text.to_lowercase();
        for phrase in LEVEL_PHRASES {
            if lower.contains(phrase) {
                found.push(format!("{key}: {phrase:?} in {text:?}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "strings.js words a level itself (its headline and instruction come from the triage \
         or /v1/kb's levels):\n{}",
        found.join("\n")
    );
    // And the test would see one.
    let planted = "export const STRINGS = {\n  x: \"Go to A&E now\",\n  y: [\n    \"See a doctor TODAY\",\n  ],\n};\n";
    let planted = string_table(planted);
    assert_eq!(
        planted,
        [
            ("x".to_owned(), "Go to A&E now".to_owned()),
            ("y".to_owned(), "See a doctor TODAY".to_owned())
        ]
    );
}
