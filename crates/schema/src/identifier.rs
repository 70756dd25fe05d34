//! Primary identifiers: composing one from a model, and reading one a user typed.
//!
//! Cloud Control takes a composite identifier as its parts joined with `|` in
//! `primaryIdentifier` order (AWS::Glue::Table: `MyDatabase|MyTable`), or as a JSON
//! object of the parts.

use serde_json::{Map, Value};

use crate::path::{PathPart, Segment};
use crate::resource::ResourceSchema;
use crate::{Result, SchemaError};

impl ResourceSchema {
    /// Composes the primary identifier from a resource model, or `None` when a part is
    /// missing or is not a scalar.
    pub fn identifier_of(&self, model: &Value) -> Option<String> {
        let parts = self
            .primary_identifier
            .iter()
            .map(|path| {
                let mut value = model;
                for part in path.parts() {
                    value = match part {
                        PathPart::Key(key) => value.get(key)?,
                        PathPart::AnyIndex => return None,
                    };
                }
                match value {
                    Value::String(text) => Some(text.clone()),
                    Value::Number(number) => Some(number.to_string()),
                    Value::Bool(flag) => Some(flag.to_string()),
                    _ => None,
                }
            })
            .collect::<Option<Vec<_>>>()?;
        Some(parts.join("|"))
    }

    /// Returns the shape of an identifier for messages: `<AwsAccountId>|<DataSetId>`.
    pub fn identifier_shape(&self) -> String {
        self.primary_identifier_names()
            .iter()
            .map(|name| format!("<{name}>"))
            .collect::<Vec<_>>()
            .join("|")
    }

    /// Reads an identifier a user typed, `a|b` or `{"A":"a","B":"b"}`, into its named
    /// parts, checking the number of parts against the schema.
    pub fn parse_identifier(&self, identifier: &str) -> Result<Map<String, Value>> {
        let names = self.primary_identifier_names();
        let invalid = |detail: &str| SchemaError::InvalidIdentifier {
            type_name: self.type_name.clone(),
            identifier: identifier.to_string(),
            expected: format!("{} ({detail})", self.identifier_shape()),
        };
        let trimmed = identifier.trim();
        if trimmed.starts_with('{') {
            let object: Map<String, Value> = serde_json::from_str(trimmed)
                .map_err(|_| invalid("a JSON object of the parts must be valid JSON"))?;
            let mut parts = Map::new();
            for name in &names {
                match object.get(name) {
                    Some(Value::String(text)) if !text.is_empty() => {
                        parts.insert(name.clone(), Value::String(text.clone()));
                    }
                    _ => return Err(invalid(&format!("the JSON object has no {name}"))),
                }
            }
            return Ok(parts);
        }
        let values: Vec<&str> = if names.len() == 1 {
            vec![trimmed]
        } else {
            trimmed.split('|').collect()
        };
        if values.len() != names.len() {
            return Err(invalid(&format!(
                "{} parts joined with '|', got {}",
                names.len(),
                values.len()
            )));
        }
        if let Some(position) = values.iter().position(|value| value.is_empty()) {
            return Err(invalid(&format!("{} is empty", names[position])));
        }
        Ok(names
            .into_iter()
            .zip(values)
            .map(|(name, value)| (name, Value::String(value.to_string())))
            .collect())
    }

    /// Returns the model paths of the primary identifier's parts.
    pub fn identifier_paths(&self) -> Vec<Vec<Segment>> {
        self.primary_identifier
            .iter()
            .map(|path| {
                path.parts()
                    .iter()
                    .filter_map(|part| match part {
                        PathPart::Key(key) => Some(Segment::Key(key.clone())),
                        PathPart::AnyIndex => None,
                    })
                    .collect()
            })
            .collect()
    }
}
