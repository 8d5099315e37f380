//! Case files in `tests/cases/` and their full assessments, as reviewed snapshots
//! (`cargo insta review` after a deliberate change to the knowledge base or the engine).

use radiculo_engine::{Engine, Options};

#[test]
fn assessments_of_the_case_files() {
    let engine = Engine::new(radiculo_kb::load(radiculo_kb::embedded()).unwrap());
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 5, "the case files are missing");
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let case = radiculo_contract::parse_case(&engine, &text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let assessment = engine.assess(&case, Options::default());
        let writer = radiculo_contract::JsonWriter::new(&engine);
        let json = serde_json::to_string_pretty(&writer.model(&case, &assessment)).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(name, json);
    }
}
