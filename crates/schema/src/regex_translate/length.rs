//! Whole-pattern counted repetitions too large to compile.
//!
//! `^[^\p{C}]{1,2048}$` compiles into a program beyond the regex engine's default size
//! limit (10 MiB), because each repetition copies the UTF-8 automaton of the class. When
//! a pattern is one single-character atom repeated, the repetition only counts
//! characters:
//!
//! - anchored at both ends, it is the same as the atom repeated freely plus `minLength`
//!   and `maxLength`, which JSON Schema counts in code points, one per match of the atom;
//! - open at either end, a string matches exactly when it contains `minimum` consecutive
//!   matches of the atom, so the maximum can go.

use regex_syntax::hir::HirKind;
use serde_json::{Map, Value};

/// The smallest maximum count that this module rewrites. Smaller repetitions compile
/// well within the size limit, and keeping them leaves their messages as published.
const LARGE_REPETITION: u64 = 200;

struct Repetition<'a> {
    start_anchor: &'a str,
    atom: &'a str,
    minimum: u64,
    maximum: u64,
    end_anchor: &'a str,
}

/// Rewrites the schema object's `pattern` when it is one large counted repetition of a
/// single-character atom, moving the counts to `minLength` and `maxLength` when the
/// pattern is anchored at both ends.
pub(super) fn move_long_repetition_to_length(object: &mut Map<String, Value>) {
    let Some(Value::String(pattern)) = object.get("pattern") else {
        return;
    };
    let Some(repetition) = split(pattern) else {
        return;
    };
    if repetition.maximum < LARGE_REPETITION {
        return;
    }

    let Repetition {
        start_anchor,
        atom,
        minimum,
        maximum,
        end_anchor,
    } = repetition;
    if start_anchor.is_empty() || end_anchor.is_empty() {
        let rewritten = format!("{start_anchor}{atom}{{{minimum}}}{end_anchor}");
        object.insert("pattern".to_string(), Value::String(rewritten));
        return;
    }

    let rewritten = format!("{start_anchor}{atom}*{end_anchor}");
    object.insert("pattern".to_string(), Value::String(rewritten));
    let existing_min = object.get("minLength").and_then(Value::as_u64).unwrap_or(0);
    if minimum > existing_min {
        object.insert("minLength".to_string(), Value::from(minimum));
    }
    let existing_max = object.get("maxLength").and_then(Value::as_u64);
    if existing_max.is_none_or(|existing| maximum < existing) {
        object.insert("maxLength".to_string(), Value::from(maximum));
    }
}

/// Splits `^ATOM{m,n}$` (each anchor optional, `\A` and `\z` accepted) into its parts.
fn split(pattern: &str) -> Option<Repetition<'_>> {
    let (start_anchor, rest) = ["\\A", "^"]
        .iter()
        .find_map(|anchor| Some((*anchor, pattern.strip_prefix(anchor)?)))
        .unwrap_or(("", pattern));
    let (rest, end_anchor) = ["\\z", "$"]
        .iter()
        .find_map(|anchor| Some((rest.strip_suffix(anchor)?, *anchor)))
        .filter(|(rest, _)| !ends_with_escape(rest))
        .unwrap_or((rest, ""));

    let counts_start = rest.rfind('{')?;
    let counts = rest[counts_start + 1..].strip_suffix('}')?;
    let (minimum, maximum) = counts.split_once(',')?;
    let minimum: u64 = minimum.parse().ok()?;
    let maximum: u64 = maximum.parse().ok()?;
    let atom = &rest[..counts_start];
    if minimum > maximum || ends_with_escape(atom) || !is_single_character(atom) {
        return None;
    }
    Some(Repetition {
        start_anchor,
        atom,
        minimum,
        maximum,
        end_anchor,
    })
}

/// True when the text ends in an unpaired backslash, so the next character is escaped.
fn ends_with_escape(text: &str) -> bool {
    text.chars().rev().take_while(|&c| c == '\\').count() % 2 == 1
}

/// True when the atom matches exactly one character: a class, `.` or one literal.
fn is_single_character(atom: &str) -> bool {
    let Ok(hir) = regex_syntax::parse(atom) else {
        return false;
    };
    match hir.kind() {
        HirKind::Class(_) => true,
        HirKind::Literal(literal) => {
            std::str::from_utf8(&literal.0).is_ok_and(|text| text.chars().count() == 1)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rewrite(schema: Value) -> Value {
        let mut schema = schema;
        move_long_repetition_to_length(schema.as_object_mut().unwrap());
        schema
    }

    #[test]
    fn anchored_repetition_moves_to_length() {
        let schema = rewrite(json!({"type": "string", "pattern": "^.{1,65535}$"}));
        assert_eq!(schema["pattern"], "^.*$");
        assert_eq!(schema["minLength"], 1);
        assert_eq!(schema["maxLength"], 65535);
    }

    #[test]
    fn tighter_published_length_is_kept() {
        let schema = rewrite(json!({
            "pattern": "\\A[^\\p{C}]{1,2048}\\z",
            "minLength": 3,
            "maxLength": 100,
        }));
        assert_eq!(schema["pattern"], "\\A[^\\p{C}]*\\z");
        assert_eq!(schema["minLength"], 3);
        assert_eq!(schema["maxLength"], 100);
    }

    #[test]
    fn open_repetition_keeps_minimum() {
        let schema = rewrite(json!({"pattern": "[\\p{L}\\p{N}]{0,1024}"}));
        assert_eq!(schema["pattern"], "[\\p{L}\\p{N}]{0}");
        assert!(schema.get("maxLength").is_none());
    }

    #[test]
    fn small_or_compound_repetitions_unchanged() {
        for pattern in [
            "^.{1,64}$",
            "^(ab){1,1000}$",
            "^a.{1,1000}$",
            "^.{1,1000}\\$",
        ] {
            let schema = rewrite(json!({ "pattern": pattern }));
            assert_eq!(schema["pattern"], pattern);
            assert!(schema.get("maxLength").is_none(), "{pattern}");
        }
    }
}
