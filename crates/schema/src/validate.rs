//! JSON Schema validation of resource models against their type's schema.
//!
//! The registry's schemas are draft-07 JSON Schema with extra keywords that validators
//! ignore. Some `pattern`s use Java or Python regular expression syntax, which
//! [`crate::regex_translate`] rewrites before compiling; no pattern is dropped.

mod message;

use std::sync::OnceLock;

use serde::Serialize;
use serde_json::Value;

use crate::resource::ResourceSchema;

/// One reason a model is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidationIssue {
    /// JSON pointer to the offending value, relative to the resource properties. For a
    /// missing required property, which has no value, it is the object that lacks it.
    pub path: String,
    /// A sentence naming the property path and the rule it breaks, such as
    /// `missing required property BucketName`. Quoted values are cut to 60 characters.
    pub message: String,
}

/// A type's compiled validator, built on first use.
#[derive(Default)]
pub(crate) struct Validator {
    compiled: OnceLock<Result<jsonschema::Validator, String>>,
}

impl ResourceSchema {
    /// Validates a resource model (the properties object) against the schema, returning
    /// every issue found; an empty list means valid.
    pub fn validate(&self, model: &Value) -> Vec<ValidationIssue> {
        match self.compiled_validator() {
            Ok(validator) => validator
                .iter_errors(model)
                .flat_map(|error| message::describe(self, &error))
                .collect(),
            Err(message) => vec![ValidationIssue {
                path: String::new(),
                message: format!(
                    "the schema of {} cannot be compiled: {message}",
                    self.type_name
                ),
            }],
        }
    }

    /// Compiles the validator now, returning the compile error if there is one.
    pub fn compile(&self) -> Result<(), String> {
        self.compiled_validator().map(|_| ())
    }

    fn compiled_validator(&self) -> Result<&jsonschema::Validator, String> {
        self.validator()
            .compiled
            .get_or_init(|| compile(&self.document))
            .as_ref()
            .map_err(Clone::clone)
    }
}

fn compile(document: &Value) -> Result<jsonschema::Validator, String> {
    let mut schema = document.clone();
    if let Some(object) = schema.as_object_mut() {
        // The registry's meta-schema address is not fetchable here and adds nothing.
        object.remove("$schema");
        object.remove("$id");
    }
    crate::regex_translate::translate_schema_patterns(&mut schema);
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(false)
        .with_pattern_options(jsonschema::PatternOptions::fancy_regex())
        .build(&schema)
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests;
