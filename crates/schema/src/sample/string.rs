//! Strings that match a schema's `pattern` and length limits.

use regex_syntax::hir::{Class, Hir, HirKind};
use serde_json::Value;

use crate::regex_translate::translate;

/// Characters tried, in order, when a class must supply one.
const PREFERRED_CHARS: &str = "a0A_-x.";
/// The text used when a string has no pattern.
const PLAIN_TEXT: &str = "sample";

/// Generates a string that matches the schema's `pattern` (if any) and lies within its
/// `minLength` and `maxLength`, in characters.
pub(super) fn sample_string(subschema: &Value) -> String {
    let declared = sample_string_of(subschema);
    if !declared.is_empty() {
        return declared;
    }
    // An empty string makes no usable name or identifier part, so a non-empty one is
    // tried first and kept when it still fits the schema.
    let mut longer = subschema.clone();
    if let Some(object) = longer.as_object_mut() {
        object.insert("minLength".into(), Value::from(1));
    }
    let text = sample_string_of(&longer);
    let fits_max = subschema
        .get("maxLength")
        .and_then(Value::as_u64)
        .is_none_or(|max| text.chars().count() as u64 <= max);
    let fits_pattern = subschema
        .get("pattern")
        .and_then(Value::as_str)
        .and_then(|pattern| fancy_regex::Regex::new(&translate(pattern)).ok())
        .is_none_or(|re| re.is_match(&text).unwrap_or(false));
    if fits_max && fits_pattern {
        text
    } else {
        declared
    }
}

fn sample_string_of(subschema: &Value) -> String {
    let min_length = subschema
        .get("minLength")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let max_length = subschema
        .get("maxLength")
        .and_then(Value::as_u64)
        .map(|max| max as usize);

    let Some(pattern) = subschema.get("pattern").and_then(Value::as_str) else {
        return plain(min_length, max_length);
    };
    let Some(hir) = parse(pattern) else {
        return plain(min_length, max_length);
    };

    let text = generate(&hir, &mut 0);
    let shortfall = min_length.saturating_sub(text.chars().count());
    let checker = fancy_regex::Regex::new(&translate(pattern)).ok();
    let matches = |text: &str| {
        checker
            .as_ref()
            .is_none_or(|re| re.is_match(text).unwrap_or(true))
    };
    if shortfall == 0 && matches(&text) {
        return text;
    }

    // Longer candidates satisfy a `minLength`, or a lookaround such as `(?=^.{2,256}$)`
    // that the syntax tree leaves out.
    (shortfall.max(1)..shortfall.max(1) + 16)
        .map(|mut extra| generate(&hir, &mut extra))
        .find(|candidate| candidate.chars().count() >= min_length && matches(candidate))
        .or_else(|| {
            // An unanchored match survives padding at the end, as for the pattern `\S`.
            let padded: String = text
                .chars()
                .chain(std::iter::repeat('a'))
                .take(min_length)
                .collect();
            (padded.chars().count() >= text.chars().count() && matches(&padded)).then_some(padded)
        })
        .unwrap_or(text)
}

fn plain(min_length: usize, max_length: Option<usize>) -> String {
    let length = PLAIN_TEXT
        .len()
        .max(min_length)
        .min(max_length.unwrap_or(usize::MAX));
    PLAIN_TEXT.chars().cycle().take(length).collect()
}

/// Parses a pattern after translation, with lookarounds removed, since `regex-syntax`
/// has none. A sample may then violate a lookaround, which validation would report.
fn parse(pattern: &str) -> Option<Hir> {
    let translated = translate(pattern);
    regex_syntax::parse(&translated)
        .or_else(|_| regex_syntax::parse(&strip_lookarounds(&translated)))
        .ok()
}

fn strip_lookarounds(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut output = String::new();
    let mut index = 0;
    while index < chars.len() {
        let rest: String = chars[index..].iter().take(4).collect();
        let is_lookaround = ["(?=", "(?!", "(?<=", "(?<!"]
            .iter()
            .any(|prefix| rest.starts_with(prefix));
        if chars[index] == '\\' {
            output.extend(&chars[index..(index + 2).min(chars.len())]);
            index += 2;
        } else if is_lookaround {
            index = group_end(&chars, index);
        } else {
            output.push(chars[index]);
            index += 1;
        }
    }
    output
}

/// Returns the index just past the group that opens at `start`, skipping escapes and
/// classes.
fn group_end(chars: &[char], start: usize) -> usize {
    let mut depth = 0;
    let mut in_class = false;
    let mut index = start;
    while index < chars.len() {
        match chars[index] {
            '\\' => index += 1,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => {
                depth -= 1;
                if depth == 0 {
                    return index + 1;
                }
            }
            _ => {}
        }
        index += 1;
    }
    chars.len()
}

/// Generates the shortest match of the tree, repeating beyond the minimum while `extra`
/// characters are still wanted.
fn generate(hir: &Hir, extra: &mut usize) -> String {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => String::new(),
        HirKind::Literal(literal) => String::from_utf8_lossy(&literal.0).into_owned(),
        HirKind::Class(class) => class_char(class).to_string(),
        HirKind::Capture(capture) => generate(&capture.sub, extra),
        HirKind::Concat(parts) => parts.iter().map(|part| generate(part, extra)).collect(),
        HirKind::Alternation(alternatives) => generate(&alternatives[0], extra),
        HirKind::Repetition(repetition) => {
            let mut text = String::new();
            let mut count = 0;
            while count < repetition.min {
                text.push_str(&generate(&repetition.sub, extra));
                count += 1;
            }
            while *extra > 0 && repetition.max.is_none_or(|max| count < max) {
                // The piece may stretch its own repetitions, so it gets the whole budget.
                let mut budget = *extra;
                let piece = generate(&repetition.sub, &mut budget);
                let length = piece.chars().count();
                if length == 0 {
                    break;
                }
                *extra = extra.saturating_sub(length);
                text.push_str(&piece);
                count += 1;
            }
            text
        }
    }
}

/// Picks a readable character from a class.
fn class_char(class: &Class) -> char {
    match class {
        Class::Unicode(unicode) => {
            let contains = |c: char| {
                unicode
                    .ranges()
                    .iter()
                    .any(|r| r.start() <= c && c <= r.end())
            };
            PREFERRED_CHARS
                .chars()
                .find(|c| contains(*c))
                .or_else(|| {
                    unicode
                        .ranges()
                        .iter()
                        .find(|r| r.end() > ' ')
                        .map(|r| r.start().max('!'))
                })
                .or_else(|| unicode.ranges().first().map(|r| r.start()))
                .unwrap_or('a')
        }
        Class::Bytes(bytes) => {
            let contains = |c: u8| {
                bytes
                    .ranges()
                    .iter()
                    .any(|r| r.start() <= c && c <= r.end())
            };
            PREFERRED_CHARS
                .bytes()
                .find(|c| contains(*c))
                .or_else(|| bytes.ranges().first().map(|r| r.start()))
                .map_or('a', char::from)
        }
    }
}
