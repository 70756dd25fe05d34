//! Paths into resource models and into schema metadata.
//!
//! A resource model path is a list of [`Segment`]s relative to the resource properties
//! (`/Tags/0/Key`). Schema metadata lists paths such as `/properties/Tags/*/Key`; those
//! parse into [`PropertyPath`], in which `*` stands for any array index.

use std::fmt;

use crate::{Result, SchemaError};

/// One step into a resource model.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Index(usize),
}

impl Segment {
    pub fn key(name: impl Into<String>) -> Self {
        Segment::Key(name.into())
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Key(key) => f.write_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Index(index) => write!(f, "{index}"),
        }
    }
}

/// Formats a model path as an RFC 6901 JSON pointer (`/Tags/0/Key`; the root is `""`).
pub fn format_pointer(path: &[Segment]) -> String {
    path.iter().map(|segment| format!("/{segment}")).collect()
}

/// Parses an RFC 6901 JSON pointer into model segments. Segments made only of digits
/// become indexes, so the result is meant for walking a known document, not for keys
/// that happen to be numbers.
pub fn parse_pointer(pointer: &str) -> Result<Vec<Segment>> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(SchemaError::InvalidPath {
            path: pointer.to_string(),
            reason: "a JSON pointer starts with '/', as in /Tags/0/Key".to_string(),
        });
    };
    Ok(rest
        .split('/')
        .map(|raw| {
            let key = raw.replace("~1", "/").replace("~0", "~");
            match key.parse::<usize>() {
                Ok(index) if !key.starts_with('+') => Segment::Index(index),
                _ => Segment::Key(key),
            }
        })
        .collect())
}

/// One step of a schema metadata path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathPart {
    Key(String),
    /// `*`: any array index.
    AnyIndex,
}

/// A path from schema metadata, such as `/properties/Tags/*/Key`, held without its
/// leading `/properties`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PropertyPath {
    parts: Vec<PathPart>,
}

impl PropertyPath {
    /// Parses a metadata path. The `/properties` prefix is required, as the registry's
    /// schema language requires it.
    pub fn parse(pointer: &str) -> Result<Self> {
        let invalid = |reason: &str| SchemaError::InvalidPath {
            path: pointer.to_string(),
            reason: reason.to_string(),
        };
        let rest = pointer
            .strip_prefix("/properties/")
            .ok_or_else(|| invalid("expected a path that starts with /properties/"))?;
        let parts = rest
            .split('/')
            .map(|raw| match raw {
                "*" => Ok(PathPart::AnyIndex),
                "" => Err(invalid("empty path segment")),
                _ => Ok(PathPart::Key(raw.replace("~1", "/").replace("~0", "~"))),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(PropertyPath { parts })
    }

    pub fn parts(&self) -> &[PathPart] {
        &self.parts
    }

    /// The top-level property name this path starts with.
    pub fn root_name(&self) -> &str {
        match self.parts.first() {
            Some(PathPart::Key(name)) => name,
            _ => "",
        }
    }

    /// True when this path names exactly the given model path.
    pub fn matches(&self, path: &[Segment]) -> bool {
        self.parts.len() == path.len() && self.is_prefix_of(path)
    }

    /// True when this path names the given model path or one of its ancestors.
    ///
    /// A key segment of the model may also stand where the metadata has `*`, and an
    /// index where the metadata has a key never matches.
    pub fn is_prefix_of(&self, path: &[Segment]) -> bool {
        if self.parts.len() > path.len() {
            return false;
        }
        self.parts
            .iter()
            .zip(path)
            .all(|(part, segment)| match (part, segment) {
                (PathPart::AnyIndex, Segment::Index(_)) => true,
                (PathPart::Key(expected), Segment::Key(actual)) => expected == actual,
                _ => false,
            })
    }

    /// True when the given model path is a strict ancestor of this path, so a value
    /// written at `path` would carry this path inside it.
    pub fn is_below(&self, path: &[Segment]) -> bool {
        path.len() < self.parts.len()
            && PropertyPath {
                parts: self.parts[..path.len()].to_vec(),
            }
            .matches(path)
    }
}

impl fmt::Display for PropertyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for part in &self.parts {
            match part {
                PathPart::Key(key) => write!(f, "/{}", key.replace('~', "~0").replace('/', "~1"))?,
                PathPart::AnyIndex => f.write_str("/*")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_matches_any_index() {
        let path = PropertyPath::parse("/properties/Rules/*/Transition").unwrap();
        let model = parse_pointer("/Rules/3/Transition").unwrap();
        assert!(path.matches(&model));
        assert!(path.is_prefix_of(&parse_pointer("/Rules/3/Transition/Days").unwrap()));
        assert!(!path.matches(&parse_pointer("/Rules/x/Transition").unwrap()));
        assert!(path.is_below(&parse_pointer("/Rules/0").unwrap()));
        assert!(!path.is_below(&parse_pointer("/Rules/0/Transition").unwrap()));
    }

    #[test]
    fn full_path_not_last_name() {
        let path = PropertyPath::parse("/properties/Code/ImageUri").unwrap();
        assert!(!path.matches(&parse_pointer("/ImageUri").unwrap()));
        assert!(!path.matches(&parse_pointer("/Other/ImageUri").unwrap()));
        assert!(path.matches(&parse_pointer("/Code/ImageUri").unwrap()));
    }

    #[test]
    fn pointer_round_trip_escapes() {
        let path = vec![Segment::key("a/b"), Segment::Index(2), Segment::key("c~d")];
        let pointer = format_pointer(&path);
        assert_eq!(pointer, "/a~1b/2/c~0d");
        assert_eq!(parse_pointer(&pointer).unwrap(), path);
    }

    #[test]
    fn metadata_path_requires_properties_prefix() {
        let error = PropertyPath::parse("/Tags").unwrap_err();
        assert!(error.to_string().contains("/properties/"), "{error}");
    }
}
