use serde_json::{Value, json};

use super::{translate, translate_schema_patterns};

/// Compiles a published pattern the way validation does and checks one string with it.
fn accepts(pattern: &str, text: &str) -> bool {
    let mut schema = json!({ "type": "string", "pattern": pattern });
    translate_schema_patterns(&mut schema);
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .with_pattern_options(jsonschema::PatternOptions::fancy_regex())
        .build(&schema)
        .unwrap_or_else(|error| panic!("{pattern} does not compile: {error}"));
    validator.is_valid(&Value::String(text.to_string()))
}

#[test]
fn end_of_input_z() {
    let pattern = r"^(vpc-)([a-z0-9]+)\Z";
    assert_eq!(translate(pattern), r"^(vpc-)([a-z0-9]+)\z");
    assert!(accepts(pattern, "vpc-0abc12"));
    assert!(!accepts(pattern, "vpc-0abc12\n"));
    assert!(!accepts(pattern, "vpc-0abc12 x"));
    assert!(!accepts(pattern, "subnet-1"));
}

#[test]
fn start_and_end_of_input() {
    let pattern = r"\A[0-9a-fA-F]+\Z";
    assert!(accepts(pattern, "00ffAB"));
    assert!(!accepts(pattern, "00fg"));
    assert!(!accepts(pattern, "x00ff"));

    let ip = r"\A(25[0-5]|2[0-4]\d|[0-1]?\d?\d)(\.(25[0-5]|2[0-4]\d|[0-1]?\d?\d)){3}\Z";
    assert!(accepts(ip, "192.168.0.10"));
    assert!(!accepts(ip, "192.168.0.256"));
}

#[test]
fn end_of_input_in_alternation() {
    let pattern = r"^(subnet-[a-f0-9]{13})|(subnet-[a-f0-9]{8})\Z";
    assert!(accepts(pattern, "subnet-0123abcd"));
    assert!(!accepts(pattern, "subnet-xyz"));
}

#[test]
fn java_print_class_is_ascii() {
    let pattern = r"^\p{Print}+$";
    assert_eq!(translate(pattern), r"^[\x20-\x7E]+$");
    assert!(accepts(pattern, "Scale out ~ 50%"));
    assert!(!accepts(pattern, "tab\there"));
    assert!(!accepts(pattern, "café"));
}

#[test]
fn java_graph_class_inside_class() {
    let pattern = r"^[\p{Graph}\x20]*$";
    assert!(accepts(pattern, "a b!{}"));
    assert!(!accepts(pattern, "a\u{7f}"));
    assert!(!accepts(pattern, "a\nb"));
}

#[test]
fn java_class_intersection() {
    let pattern = r"^[\p{Print}&&[^|:/]]+$";
    assert!(accepts(pattern, "plan one"));
    assert!(!accepts(pattern, "a|b"));
    assert!(!accepts(pattern, "a:b"));
    assert!(!accepts(pattern, "a/b"));
}

#[test]
fn unicode_properties_unchanged() {
    let pattern = r"^[\p{L}\p{N}\p{Z}]+$";
    assert_eq!(translate(pattern), pattern);
    assert!(accepts(pattern, "Größe 12"));
}

#[test]
fn surrogate_items_become_supplementary() {
    let pattern = r"^[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDBFF-\uDC00\uDFFF\t\r\n]*$";
    assert_eq!(
        translate(pattern),
        r"^[\u0020-\uD7FF\uE000-\uFFFD\x{10000}-\x{10FFFF}\t\r\n]*$"
    );
    assert!(accepts(pattern, "SELECT 1; -- 日本 😀\n"));
    assert!(accepts(pattern, "\u{10FFFF}"));
    assert!(!accepts(pattern, "bell \u{7}"));
    assert!(!accepts(pattern, "\u{FFFE}"));
}

#[test]
fn reversed_surrogate_range() {
    let pattern = r"^[\u0020-\uD7FF\uE000-\uFFFD\uD800\uDC00-\uDBFF\uDFFF\t]*$";
    assert!(accepts(pattern, "emoji 😀"));
    assert!(!accepts(pattern, "new\nline"));
}

#[test]
fn partial_surrogate_range() {
    // High surrogates D83C to DBFF start the pairs of U+1F000 to U+10FFFF.
    let pattern = r"^[a-zA-Z 0-9_\-+'&amp;\uD83C-\uDBFF\uDC00-\uDFFF\u2000-\u3300]+$";
    assert!(accepts(pattern, "On call 😀"));
    assert!(!accepts(pattern, "Deseret \u{10400}"));
    assert!(!accepts(pattern, "a*b"));
}

#[test]
fn surrogate_pair_classes_join() {
    let pattern = r"^[\uD800-\uDBFF][\uDC00-\uDFFF]$";
    assert_eq!(translate(pattern), r"^[\x{10000}-\x{10FFFF}]$");
    assert!(accepts(pattern, "😀"));
    assert!(!accepts(pattern, "a"));
    assert!(!accepts(pattern, "😀😀"));
}

#[test]
fn surrogate_pair_literal_joins() {
    let pattern = r"^\uD83D\uDE00$";
    assert_eq!(translate(pattern), r"^\x{1F600}$");
    assert!(accepts(pattern, "😀"));
    assert!(!accepts(pattern, "😁"));
}

#[test]
fn range_spanning_surrogates_unchanged() {
    let pattern = r"^[^\x00-\x20\x7f-\uffff]+$";
    assert_eq!(translate(pattern), pattern);
    assert!(accepts(pattern, "Passw0rd!"));
    assert!(!accepts(pattern, "pass word"));
}

#[test]
fn dash_beside_class_escape_is_literal() {
    let email = r"^[\w-\.\+]+@([\w-]+\.)+[\w-]{2,4}$";
    assert_eq!(translate(r"[\w-.~]+"), r"[\w\-.~]+");
    assert!(accepts(email, "first.last-x+y@mail-host.example.com"));
    assert!(!accepts(email, "first last@example.com"));

    let name = r"^[a-zA-Z0-9\s-_()\[\]]+$";
    assert!(accepts(name, "a-b (c) [d]_e"));
    assert!(!accepts(name, "a*b"));
}

#[test]
fn dash_after_range_is_literal() {
    let pattern = r"^[-_A-Za-z-0-9]+$";
    assert_eq!(translate(pattern), r"^[-_A-Za-z\-0-9]+$");
    assert!(accepts(pattern, "a-b_9"));
    assert!(!accepts(pattern, "a.b"));
}

#[test]
fn bracket_inside_class_is_literal() {
    let pattern = r"^([a-z,A-Z,0-9,. _\-:/()#,@[\]+=&;\{\}!$*])*$";
    assert_eq!(
        translate(pattern),
        r"^([a-z,A-Z,0-9,. _\-:/()#,@\[\]+=&;\{\}!$*])*$"
    );
    assert!(accepts(pattern, "web [prod] {x}!"));
    assert!(!accepts(pattern, "50%"));
}

#[test]
fn quantified_lookahead_is_one_assertion() {
    let pattern = r"^(\/|(\/(?!\.)+[^$#<>;`|&?{}^*/\n]+){1,4})$";
    assert_eq!(
        translate(pattern),
        r"^(\/|(\/(?!\.)[^$#<>;`|&?{}^*/\n]+){1,4})$"
    );
    assert!(accepts(pattern, "/"));
    assert!(accepts(pattern, "/data/dir"));
    assert!(!accepts(pattern, "/.hidden"));
    assert!(!accepts(pattern, "/a/b/c/d/e"));
}

#[test]
fn quantified_end_anchor_is_one_anchor() {
    let pattern = r"^([\p{L}\p{Z}\p{N}_.:\/=+\-@]*)${1,256}";
    assert_eq!(translate(pattern), r"^([\p{L}\p{Z}\p{N}_.:\/=+\-@]*)$");
    assert!(accepts(pattern, "team: a/b"));
    assert!(!accepts(pattern, "a#b"));
}

#[test]
fn optional_assertion_is_dropped() {
    assert_eq!(translate(r"a^?b"), "ab");
    assert_eq!(translate(r"a(?=x)*b"), "ab");
    assert_eq!(translate(r"a\b{2}c"), r"a\bc");
}

#[test]
fn inline_flags_keep_their_scope() {
    let pattern = r"^(?!(?i)aws)[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$";
    assert_eq!(translate(pattern), pattern);
    assert!(accepts(pattern, "My::Service::Thing"));
    assert!(!accepts(pattern, "Aws::Service::Thing"));
    // The flag inside the lookahead does not make the rest case-insensitive.
    assert!(accepts(r"^(?:(?i)a)b$", "Ab"));
    assert!(!accepts(r"^(?:(?i)a)b$", "AB"));
    assert!(accepts(r"^(?s).+$", "a\nb"));
}

#[test]
fn lookbehind_with_fixed_width() {
    let pattern = r"^(?! )[\p{L}\p{N}\p{Z}-_]*(?<! )$";
    assert!(accepts(pattern, "Unit 1-a_b"));
    assert!(!accepts(pattern, " lead"));
    assert!(!accepts(pattern, "trail "));
}

#[test]
fn quoted_literal() {
    assert_eq!(translate(r"^\Qa.b\E$"), r"^a\.b$");
    assert!(accepts(r"^\Qa.b\E$", "a.b"));
    assert!(!accepts(r"^\Qa.b\E$", "axb"));
}

#[test]
fn long_anchored_repetition_compiles() {
    let pattern = r"^[\P{C}\r\n\t]{1,250}$";
    assert!(accepts(pattern, "line one\nline two"));
    assert!(!accepts(pattern, ""));
    assert!(!accepts(pattern, &"x".repeat(251)));
    assert!(!accepts(pattern, "nul \u{0}"));

    assert!(accepts(r"^.{1,65535}$", "any text"));
    assert!(!accepts(r"^.{1,65535}$", "two\nlines"));
}

#[test]
fn portable_patterns_unchanged() {
    for pattern in [
        r"^[a-z0-9-]+$",
        r"[\w-]+",
        r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/.+$",
        r"^[\u0001-\uFFFF]*$",
        r"^\{[^}]*\}$",
    ] {
        assert_eq!(translate(pattern), pattern);
    }
}

#[test]
fn unterminated_class_stays_invalid() {
    assert_eq!(translate(r"^[a-z"), r"^[a-z");
}

#[test]
fn values_that_are_not_schemas_untouched() {
    let mut schema = json!({
        "properties": {
            "Name": { "type": "string", "pattern": "^a\\Z" },
            "pattern": { "type": "string", "default": "x\\Z" },
        },
        "default": { "pattern": "\\Z" },
        "enum": [{ "pattern": "\\Z" }],
        "patternProperties": { "^k\\Z": { "type": "string" } },
    });
    translate_schema_patterns(&mut schema);
    assert_eq!(schema["properties"]["Name"]["pattern"], "^a\\z");
    assert_eq!(schema["properties"]["pattern"]["default"], "x\\Z");
    assert_eq!(schema["default"]["pattern"], "\\Z");
    assert_eq!(schema["enum"][0]["pattern"], "\\Z");
    assert!(schema["patternProperties"].get("^k\\z").is_some());
}
