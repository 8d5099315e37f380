//! The embedded knowledge base loads without errors or warnings.

#[test]
fn embedded_kb_is_clean() {
    let kb = match radiculo_kb::load(radiculo_kb::embedded()) {
        Ok(kb) => kb,
        Err(e) => panic!(
            "kb errors:\n{}",
            e.errors
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        ),
    };
    assert!(kb.warnings.is_empty(), "{:?}", kb.warnings);
    assert_eq!(kb.vocab.findings.len(), 168);
}
