//! Checks that run over every bundled schema.

use canopy_schema::Registry;

#[test]
fn every_schema_compiles() {
    let registry = Registry::bundled();
    let failures: Vec<String> = registry
        .summaries()
        .iter()
        .filter_map(|summary| {
            let schema = registry
                .get(&summary.type_name)
                .expect("bundled schema parses");
            let error = schema.compile().err()?;
            Some(format!("{}: {error}", summary.type_name))
        })
        .collect();
    assert_eq!(registry.summaries().len(), 1854);
    assert!(
        failures.is_empty(),
        "{} schemas do not compile:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
