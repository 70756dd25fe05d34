//! Translation of one bracketed character class.
//!
//! The class is read into items first, because whether a `-` is a range or a literal
//! depends on both of its neighbours, and surrogates can only be replaced once every
//! surrogate the class names is known.

use super::{decode_pair, hex4, is_high_surrogate, is_low_surrogate, property_escape};

const SURROGATES: (u32, u32) = (0xD800, 0xDFFF);
const HIGH_SURROGATES: (u32, u32) = (0xD800, 0xDBFF);
const LOW_SURROGATES: (u32, u32) = (0xDC00, 0xDFFF);

/// A translated class.
pub(crate) enum ClassTranslation {
    /// The class as Rust syntax.
    Text(String),
    /// A class made only of high surrogates, from the first to the second unit. It means
    /// the first half of a surrogate pair, so the caller may join it with a following
    /// class of low surrogates.
    HighSurrogates { high: (u32, u32) },
    /// A class made only of low surrogates, from the first to the second unit.
    LowSurrogates { low: (u32, u32) },
}

impl ClassTranslation {
    /// Renders the class as Rust syntax. A lone surrogate class becomes the supplementary-plane
    /// characters whose UTF-16 form starts (or ends) with one of its surrogates.
    pub(crate) fn into_text(self) -> String {
        match self {
            ClassTranslation::Text(text) => text,
            ClassTranslation::HighSurrogates { high } => format!("[{}]", supplementary(high)),
            ClassTranslation::LowSurrogates { .. } => {
                format!("[{}]", supplementary(HIGH_SURROGATES))
            }
        }
    }
}

enum Item {
    /// One character as Rust syntax, with its code point when the text names one that
    /// can end a range.
    Char {
        text: String,
        code: Option<u32>,
    },
    /// A class escape or nested class, which cannot end a range.
    Set(String),
    Dash,
    Intersection,
}

/// Translates the class whose `[` is just before the position, advancing past its `]`.
/// An unterminated class stays unterminated, so the engine still rejects it.
pub(crate) fn translate_class(chars: &[char], position: &mut usize) -> ClassTranslation {
    let negated = chars.get(*position) == Some(&'^');
    if negated {
        *position += 1;
    }

    let mut items = Vec::new();
    if chars.get(*position) == Some(&']') {
        // A `]` first in the class is a literal in Java, Python and Rust alike.
        *position += 1;
        items.push(literal(']'));
    }
    let mut closed = false;
    while let Some(&c) = chars.get(*position) {
        *position += 1;
        let item = match c {
            ']' => {
                closed = true;
                break;
            }
            '\\' => class_escape(chars, position),
            '[' if matches!(items.last(), Some(Item::Intersection)) => {
                Item::Set(translate_class(chars, position).into_text())
            }
            '&' if chars.get(*position) == Some(&'&') => {
                *position += 1;
                Item::Intersection
            }
            '-' => Item::Dash,
            '~' if chars.get(*position) == Some(&'~') => Item::Char {
                text: "\\~".to_string(),
                code: Some(u32::from(c)),
            },
            _ => literal(c),
        };
        items.push(item);
    }

    emit(negated, closed, items)
}

/// Makes a literal character item, escaped where Rust's class syntax gives it a meaning that
/// ECMA-262's does not: `[` opens a nested class in Rust.
fn literal(c: char) -> Item {
    let text = match c {
        '[' | ']' => format!("\\{c}"),
        _ => c.to_string(),
    };
    Item::Char {
        text,
        code: Some(u32::from(c)),
    }
}

/// Reads the escape after a `\\` in a class. The item keeps its source text, except
/// that Java's POSIX classes become ASCII ranges.
fn class_escape(chars: &[char], position: &mut usize) -> Item {
    let start = *position - 1;
    let Some(&c) = chars.get(*position) else {
        return Item::Char {
            text: "\\".to_string(),
            code: None,
        };
    };
    *position += 1;
    let code = match c {
        'p' | 'P' => return Item::Set(property_escape(c == 'P', chars, position)),
        'd' | 'D' | 'w' | 'W' | 's' | 'S' => return Item::Set(format!("\\{c}")),
        'u' => hex4(chars, position),
        'x' => hex_escape(chars, position),
        _ if c.is_ascii_punctuation() => Some(u32::from(c)),
        _ => None,
    };
    Item::Char {
        text: chars[start..*position].iter().collect(),
        code,
    }
}

/// Reads `HH` or `{H...}` after `\\x`, advancing past it.
fn hex_escape(chars: &[char], position: &mut usize) -> Option<u32> {
    if chars.get(*position) == Some(&'{') {
        let length = chars[*position..].iter().position(|&c| c == '}')?;
        let digits: String = chars[*position + 1..*position + length].iter().collect();
        let code = u32::from_str_radix(&digits, 16).ok()?;
        *position += length + 1;
        return Some(code);
    }
    let digits: String = chars.get(*position..*position + 2)?.iter().collect();
    let code = u32::from_str_radix(&digits, 16).ok()?;
    *position += 2;
    Some(code)
}

fn emit(negated: bool, closed: bool, items: Vec<Item>) -> ClassTranslation {
    let mut parts: Vec<String> = Vec::new();
    let mut surrogate_spans: Vec<(u32, u32)> = Vec::new();
    // The supplementary range goes where the first surrogate was, so that it stays on
    // the same side of any `&&`.
    let mut surrogate_index = None;
    let mut index = 0;
    while index < items.len() {
        let spans_before = surrogate_spans.len();
        match &items[index] {
            Item::Char { text, code } => {
                let range_end = match (items.get(index + 1), items.get(index + 2)) {
                    (Some(Item::Dash), Some(Item::Char { text, code })) => Some((text, *code)),
                    _ => None,
                };
                if let Some((end_text, end_code)) = range_end {
                    index += 2;
                    match (*code, end_code) {
                        (Some(start), Some(end)) => {
                            range(start, end, text, end_text, &mut parts, &mut surrogate_spans)
                        }
                        _ => parts.push(format!("{text}-{end_text}")),
                    }
                } else {
                    match code {
                        Some(code) if in_span(*code, SURROGATES) => {
                            surrogate_spans.push((*code, *code))
                        }
                        _ => parts.push(text.clone()),
                    }
                }
            }
            Item::Set(text) => parts.push(text.clone()),
            // Java, Python and ECMA-262 read a `-` that cannot form a range as a literal,
            // and Rust agrees only at the ends of the class.
            Item::Dash if index == 0 || index + 1 == items.len() => parts.push("-".to_string()),
            Item::Dash => parts.push("\\-".to_string()),
            Item::Intersection => parts.push("&&".to_string()),
        }
        if surrogate_index.is_none() && surrogate_spans.len() > spans_before {
            surrogate_index = Some(parts.len());
        }
        index += 1;
    }

    let (Some(surrogate_index), false) = (surrogate_index, surrogate_spans.is_empty()) else {
        return ClassTranslation::Text(class_text(negated, closed, &parts));
    };
    let high = covered(&surrogate_spans, HIGH_SURROGATES);
    let low = covered(&surrogate_spans, LOW_SURROGATES);
    if parts.is_empty() && !negated && closed {
        match (high, low) {
            (Some(high), None) => return ClassTranslation::HighSurrogates { high },
            (None, Some(low)) => return ClassTranslation::LowSurrogates { low },
            _ => {}
        }
    }
    parts.insert(
        surrogate_index,
        supplementary(high.unwrap_or(HIGH_SURROGATES)),
    );
    ClassTranslation::Text(class_text(negated, closed, &parts))
}

/// Emits a range, splitting off the part of it that lies in the surrogate block.
fn range(
    start: u32,
    end: u32,
    start_text: &str,
    end_text: &str,
    parts: &mut Vec<String>,
    surrogate_spans: &mut Vec<(u32, u32)>,
) {
    let touches_surrogates = in_span(start, SURROGATES) || in_span(end, SURROGATES);
    if start > end {
        // A reversed range is an error in every dialect unless both ends are surrogates,
        // where it can only mean the two surrogates it names.
        if in_span(start, SURROGATES) && in_span(end, SURROGATES) {
            surrogate_spans.push((start, start));
            surrogate_spans.push((end, end));
        } else {
            parts.push(format!("{start_text}-{end_text}"));
        }
        return;
    }
    // A range that only spans the surrogate block already means the same in Rust, whose
    // classes hold scalar values.
    if !touches_surrogates {
        parts.push(format!("{start_text}-{end_text}"));
        return;
    }
    if start < SURROGATES.0 {
        parts.push(format!("\\x{{{start:X}}}-\\x{{{:X}}}", SURROGATES.0 - 1));
    }
    if end > SURROGATES.1 {
        parts.push(format!("\\x{{{:X}}}-\\x{{{end:X}}}", SURROGATES.1 + 1));
    }
    surrogate_spans.push((start.max(SURROGATES.0), end.min(SURROGATES.1)));
}

fn in_span(code: u32, (start, end): (u32, u32)) -> bool {
    (start..=end).contains(&code)
}

/// Returns the smallest and largest unit of a surrogate block that the spans cover.
fn covered(spans: &[(u32, u32)], (block_start, block_end): (u32, u32)) -> Option<(u32, u32)> {
    let clipped = spans
        .iter()
        .map(|&(start, end)| (start.max(block_start), end.min(block_end)))
        .filter(|(start, end)| start <= end);
    clipped.fold(None, |acc, (start, end)| match acc {
        None => Some((start, end)),
        Some((low, high)) => Some((low.min(start), high.max(end))),
    })
}

/// Formats the range of supplementary-plane characters whose high surrogate lies in the span.
fn supplementary((first, last): (u32, u32)) -> String {
    debug_assert!(is_high_surrogate(first) && is_high_surrogate(last));
    debug_assert!(is_low_surrogate(LOW_SURROGATES.0));
    format!(
        "\\x{{{:X}}}-\\x{{{:X}}}",
        decode_pair(first, LOW_SURROGATES.0),
        decode_pair(last, LOW_SURROGATES.1)
    )
}

fn class_text(negated: bool, closed: bool, parts: &[String]) -> String {
    let mut text = String::from("[");
    if negated {
        text.push('^');
    }
    parts.iter().for_each(|part| text.push_str(part));
    if closed {
        text.push(']');
    }
    text
}
