//! Translation of the Java and Python regular expression syntax found in published
//! schemas into syntax that `jsonschema` accepts, keeping each pattern's meaning.
//!
//! `jsonschema` 0.30 first parses a pattern with `regex-syntax`, to map ECMA-262 classes
//! such as `\d` to ASCII. It hands the pattern to `fancy-regex` only when that parse fails
//! on a lookaround or a backreference, and any other parse error rejects the schema. About
//! fifty registry patterns were written for Java or Python and fail that parse. No crate
//! translates between these dialects, and `regex-syntax` cannot parse the input it would
//! need to rewrite, so this module scans the pattern text itself. It rewrites:
//!
//! - `\Z` (end of input in Python, end before a final newline in Java) to `\z`;
//! - Java's POSIX classes such as `\p{Print}`, which are ASCII-only in Java but Unicode
//!   properties (or unknown) in Rust, to explicit ASCII ranges;
//! - UTF-16 surrogates, which Rust cannot name, to the supplementary-plane code points
//!   that the surrogate pairs encode (`[\uD800-\uDBFF][\uDC00-\uDFFF]` becomes
//!   `[\x{10000}-\x{10FFFF}]`);
//! - a `-` beside a class escape (`[\w-.]`) and a `[` inside a class, which Java,
//!   Python and ECMA-262 read as literals, to `\-` and `\[`; a `[` right after `&&`
//!   stays a nested class, as in Java's `[\p{Print}&&[^|:/]]`;
//! - a quantifier on an assertion (`(?!\.)+`, `${1,256}`), which Java accepts and Rust
//!   rejects, to the assertion alone (or nothing when the quantifier allows zero);
//! - `\Q...\E` quoting to escaped literals.
//!
//! Inline flags placed after the start, such as `^(?!(?i)aws)`, need no rewrite: Rust's
//! engines scope them to the end of the enclosing group, as Java does.
//!
//! [`translate_schema_patterns`] also rewrites whole-pattern counted repetitions whose
//! compiled program exceeds the engine's size limit (`^.{1,65535}$`) into an unbounded
//! pattern plus `minLength` and `maxLength`, which say the same thing.

mod class;
mod length;

use serde_json::Value;

use self::class::{ClassTranslation, translate_class};

/// Schema keywords whose value is one subschema.
const SCHEMA_KEYWORDS: &[&str] = &[
    "items",
    "additionalItems",
    "additionalProperties",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
];
/// Schema keywords whose value is an array of subschemas.
const SCHEMA_ARRAY_KEYWORDS: &[&str] = &["allOf", "anyOf", "oneOf", "items"];
/// Schema keywords whose value maps names to subschemas.
const SCHEMA_MAP_KEYWORDS: &[&str] = &["properties", "definitions", "dependencies"];

/// Rewrites every `pattern` and `patternProperties` key of a schema document in place.
///
/// Only schema positions are visited, so a `default`, `enum` or `examples` value that
/// happens to contain a `pattern` key is left as published.
pub(crate) fn translate_schema_patterns(schema: &mut Value) {
    let Value::Object(object) = schema else {
        return;
    };

    if let Some(Value::String(pattern)) = object.get_mut("pattern") {
        *pattern = translate(pattern);
    }
    length::move_long_repetition_to_length(object);

    if let Some(Value::Object(patterns)) = object.get_mut("patternProperties") {
        let entries = std::mem::take(patterns);
        for (pattern, mut child) in entries {
            translate_schema_patterns(&mut child);
            patterns.insert(translate(&pattern), child);
        }
    }
    for keyword in SCHEMA_KEYWORDS {
        if let Some(child) = object.get_mut(*keyword) {
            translate_schema_patterns(child);
        }
    }
    for keyword in SCHEMA_ARRAY_KEYWORDS {
        if let Some(Value::Array(children)) = object.get_mut(*keyword) {
            children.iter_mut().for_each(translate_schema_patterns);
        }
    }
    for keyword in SCHEMA_MAP_KEYWORDS {
        if let Some(Value::Object(children)) = object.get_mut(*keyword) {
            children.values_mut().for_each(translate_schema_patterns);
        }
    }
}

/// Translates one pattern. Patterns that need no rewrite come back unchanged.
pub(crate) fn translate(pattern: &str) -> String {
    let mut translator = Translator {
        chars: pattern.chars().collect(),
        position: 0,
        output: String::with_capacity(pattern.len()),
        last_assertion: None,
        groups: Vec::new(),
    };
    translator.run();
    translator.output
}

/// Returns the ASCII ranges of Java's POSIX character classes (`java.util.regex.Pattern`, without
/// `UNICODE_CHARACTER_CLASS`), written for use inside a Rust class.
pub(crate) fn java_posix_class(name: &str) -> Option<&'static str> {
    Some(match name {
        "Lower" => "a-z",
        "Upper" => "A-Z",
        "ASCII" => r"\x00-\x7F",
        "Alpha" => "a-zA-Z",
        "Digit" => "0-9",
        "Alnum" => "a-zA-Z0-9",
        "Punct" => r"!-/:-@\[-`{-~",
        "Graph" => r"\x21-\x7E",
        "Print" => r"\x20-\x7E",
        "Blank" => r" \t",
        "Cntrl" => r"\x00-\x1F\x7F",
        "XDigit" => "0-9a-fA-F",
        "Space" => r" \t\n\x0B\f\r",
        _ => return None,
    })
}

/// Reads `\p{Name}`, `\P{Name}`, `\pL` or `\PL` after the backslash and the letter, and
/// returns the class to emit: a bracketed ASCII class for Java's POSIX names, the
/// property escape unchanged otherwise.
pub(crate) fn property_escape(negated: bool, chars: &[char], position: &mut usize) -> String {
    let letter = if negated { 'P' } else { 'p' };
    let name: String = if chars.get(*position) == Some(&'{') {
        let end = chars[*position..]
            .iter()
            .position(|&c| c == '}')
            .map_or(chars.len(), |offset| *position + offset);
        let name = chars[*position + 1..end].iter().collect();
        *position = (end + 1).min(chars.len());
        name
    } else {
        let name = chars
            .get(*position)
            .map(char::to_string)
            .unwrap_or_default();
        *position += 1;
        name
    };
    match java_posix_class(&name) {
        Some(ranges) if negated => format!("[^{ranges}]"),
        Some(ranges) => format!("[{ranges}]"),
        None => format!("\\{letter}{{{name}}}"),
    }
}

/// Reads four hex digits at the position, advancing past them.
pub(crate) fn hex4(chars: &[char], position: &mut usize) -> Option<u32> {
    let digits: String = chars.get(*position..*position + 4)?.iter().collect();
    let value = u32::from_str_radix(&digits, 16).ok()?;
    *position += 4;
    Some(value)
}

pub(crate) fn is_high_surrogate(unit: u32) -> bool {
    (0xD800..=0xDBFF).contains(&unit)
}

pub(crate) fn is_low_surrogate(unit: u32) -> bool {
    (0xDC00..=0xDFFF).contains(&unit)
}

/// Decodes a UTF-16 surrogate pair into its code point.
pub(crate) fn decode_pair(high: u32, low: u32) -> u32 {
    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
}

struct Group {
    output_start: usize,
    lookaround: bool,
}

struct Translator {
    chars: Vec<char>,
    position: usize,
    output: String,
    /// Output offset of the last atom, when that atom is an assertion.
    last_assertion: Option<usize>,
    groups: Vec<Group>,
}

impl Translator {
    fn run(&mut self) {
        while let Some(&c) = self.chars.get(self.position) {
            self.position += 1;
            match c {
                '\\' => self.escape(),
                '[' => {
                    self.class();
                    self.last_assertion = None;
                }
                '(' => {
                    let rest: String = self.chars[self.position..].iter().take(3).collect();
                    let lookaround = ["?=", "?!", "?<=", "?<!"]
                        .iter()
                        .any(|prefix| rest.starts_with(prefix));
                    self.groups.push(Group {
                        output_start: self.output.len(),
                        lookaround,
                    });
                    self.output.push('(');
                    self.last_assertion = None;
                }
                ')' => {
                    self.output.push(')');
                    self.last_assertion = self
                        .groups
                        .pop()
                        .filter(|group| group.lookaround)
                        .map(|group| group.output_start);
                }
                '^' | '$' => {
                    self.last_assertion = Some(self.output.len());
                    self.output.push(c);
                }
                '*' | '+' | '?' | '{' if self.last_assertion.is_some() => {
                    self.position -= 1;
                    if !self.quantified_assertion() {
                        self.position += 1;
                        self.output.push(c);
                        self.last_assertion = None;
                    }
                }
                _ => {
                    self.output.push(c);
                    self.last_assertion = None;
                }
            }
        }
    }

    /// Handles a quantifier that follows an assertion. A zero-width assertion repeated
    /// one or more times is the assertion; repeated zero or more times it always holds.
    /// Returns false when the text at the position is not a quantifier.
    fn quantified_assertion(&mut self) -> bool {
        let Some((minimum, length)) = read_quantifier(&self.chars[self.position..]) else {
            return false;
        };
        self.position += length;
        // A lazy `?` or possessive `+` suffix changes nothing for an assertion.
        if matches!(self.chars.get(self.position), Some('?' | '+')) {
            self.position += 1;
        }
        if minimum == 0 {
            let start = self.last_assertion.take().unwrap_or(self.output.len());
            self.output.truncate(start);
        }
        true
    }

    fn escape(&mut self) {
        let Some(&c) = self.chars.get(self.position) else {
            self.output.push('\\');
            return;
        };
        self.position += 1;
        self.last_assertion = None;
        match c {
            'Z' | 'z' | 'A' | 'b' | 'B' => {
                self.last_assertion = Some(self.output.len());
                self.output.push('\\');
                self.output.push(if c == 'Z' { 'z' } else { c });
            }
            'p' | 'P' => {
                let class = property_escape(c == 'P', &self.chars, &mut self.position);
                self.output.push_str(&class);
            }
            'u' => self.unicode_escape(),
            'Q' => self.quoted(),
            _ => {
                self.output.push('\\');
                self.output.push(c);
            }
        }
    }

    /// Copies `\uXXXX`, joining a surrogate pair into the code point it encodes.
    fn unicode_escape(&mut self) {
        let start = self.position;
        let Some(unit) = hex4(&self.chars, &mut self.position) else {
            self.output.push_str("\\u");
            return;
        };
        if is_high_surrogate(unit) && self.chars[self.position..].starts_with(&['\\', 'u']) {
            let mut next = self.position + 2;
            if let Some(low) = hex4(&self.chars, &mut next).filter(|&low| is_low_surrogate(low)) {
                self.position = next;
                self.output
                    .push_str(&format!("\\x{{{:X}}}", decode_pair(unit, low)));
                return;
            }
        }
        self.output.push_str("\\u");
        self.output.extend(&self.chars[start..self.position]);
    }

    /// Copies the literal text of `\Q...\E` escaped.
    fn quoted(&mut self) {
        let rest: String = self.chars[self.position..].iter().collect();
        let (literal, consumed) = match rest.find("\\E") {
            Some(end) => (&rest[..end], end + 2),
            None => (rest.as_str(), rest.len()),
        };
        self.output.push_str(&regex_syntax::escape(literal));
        self.position += rest[..consumed].chars().count();
    }

    fn class(&mut self) {
        let first = translate_class(&self.chars, &mut self.position);
        if let ClassTranslation::HighSurrogates { high } = first {
            // A class of high surrogates followed by a class of low surrogates is the
            // UTF-16 spelling of one supplementary-plane character.
            let mut next = self.position;
            if self.chars.get(next) == Some(&'[') {
                next += 1;
                if let ClassTranslation::LowSurrogates { low: pair_low } =
                    translate_class(&self.chars, &mut next)
                {
                    self.position = next;
                    self.output.push_str(&format!(
                        "[\\x{{{:X}}}-\\x{{{:X}}}]",
                        decode_pair(high.0, pair_low.0),
                        decode_pair(high.1, pair_low.1)
                    ));
                    return;
                }
            }
            self.output
                .push_str(&ClassTranslation::HighSurrogates { high }.into_text());
            return;
        }
        self.output.push_str(&first.into_text());
    }
}

/// Reads a quantifier (`*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}`) and returns its minimum and
/// its length in characters.
fn read_quantifier(chars: &[char]) -> Option<(u64, usize)> {
    match chars.first()? {
        '*' | '?' => Some((0, 1)),
        '+' => Some((1, 1)),
        '{' => {
            let end = chars.iter().position(|&c| c == '}')?;
            let body: String = chars[1..end].iter().collect();
            let (minimum, maximum) = body.split_once(',').unwrap_or((&body, ""));
            let is_number = |text: &str| text.chars().all(|c| c.is_ascii_digit());
            if minimum.is_empty() || !is_number(minimum) || !is_number(maximum) {
                return None;
            }
            Some((minimum.parse().ok()?, end + 1))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
