//! One resource type's schema and the metadata canopy plans with.

use serde_json::Value;

use crate::path::{PropertyPath, Segment};
use crate::validate::Validator;
use crate::{Result, SchemaError};

/// Cloud Control's default handler timeout when the schema gives none, in minutes.
pub const DEFAULT_TIMEOUT_MINUTES: u32 = 120;
/// The largest `timeoutInMinutes` the registry's schema language allows.
pub const MAX_TIMEOUT_MINUTES: u32 = 2160;

/// A handler operation of a resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Read,
    Update,
    Delete,
    List,
}

/// One handler: the permissions it needs and how long it may run.
#[derive(Debug, Clone, Default)]
pub struct Handler {
    pub permissions: Vec<String>,
    pub timeout_in_minutes: Option<u32>,
    /// For the list handler: the properties a ListResources request must carry, such as
    /// the parent's identifier of a child type.
    pub handler_schema: Option<Value>,
}

/// The handlers a type offers; a missing one means Cloud Control cannot do that operation.
#[derive(Debug, Clone, Default)]
pub struct Handlers {
    pub create: Option<Handler>,
    pub read: Option<Handler>,
    pub update: Option<Handler>,
    pub delete: Option<Handler>,
    pub list: Option<Handler>,
}

impl Handlers {
    pub fn get(&self, operation: Operation) -> Option<&Handler> {
        match operation {
            Operation::Create => self.create.as_ref(),
            Operation::Read => self.read.as_ref(),
            Operation::Update => self.update.as_ref(),
            Operation::Delete => self.delete.as_ref(),
            Operation::List => self.list.as_ref(),
        }
    }
}

/// The order of the two steps of a replacement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplacementStrategy {
    /// Delete the old resource first; the registry's default.
    #[default]
    DeleteThenCreate,
    CreateThenDelete,
}

/// A parsed resource type schema.
pub struct ResourceSchema {
    pub type_name: String,
    pub description: String,
    /// The schema as published.
    pub document: Value,
    pub primary_identifier: Vec<PropertyPath>,
    pub additional_identifiers: Vec<Vec<PropertyPath>>,
    /// Top-level required property names.
    pub required: Vec<String>,
    pub create_only: Vec<PropertyPath>,
    pub conditional_create_only: Vec<PropertyPath>,
    pub read_only: Vec<PropertyPath>,
    pub write_only: Vec<PropertyPath>,
    pub deprecated: Vec<PropertyPath>,
    pub tagging: Option<Value>,
    pub handlers: Handlers,
    pub replacement_strategy: ReplacementStrategy,
    validator: Validator,
}

impl std::fmt::Debug for ResourceSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceSchema")
            .field("type_name", &self.type_name)
            .finish_non_exhaustive()
    }
}

impl ResourceSchema {
    /// Reads the metadata of one schema document. Validators compile on first use.
    pub fn from_document(document: Value) -> Result<Self> {
        let type_name = document
            .get("typeName")
            .and_then(Value::as_str)
            .ok_or_else(|| SchemaError::InvalidSchema {
                type_name: "<unknown>".to_string(),
                message: "missing typeName".to_string(),
            })?
            .to_string();
        let invalid = |message: String| SchemaError::InvalidSchema {
            type_name: type_name.clone(),
            message,
        };
        let paths = |key: &str| -> Result<Vec<PropertyPath>> {
            match document.get(key) {
                None => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| {
                        let text = item
                            .as_str()
                            .ok_or_else(|| invalid(format!("{key} holds a non-string")))?;
                        PropertyPath::parse(text)
                    })
                    .collect(),
                Some(_) => Err(invalid(format!("{key} is not an array"))),
            }
        };
        let primary_identifier = paths("primaryIdentifier")?;
        if primary_identifier.is_empty() {
            return Err(invalid("primaryIdentifier is empty".to_string()));
        }
        let additional_identifiers = match document.get("additionalIdentifiers") {
            Some(Value::Array(sets)) => sets
                .iter()
                .map(|set| {
                    set.as_array()
                        .ok_or_else(|| invalid("additionalIdentifiers holds a non-array".into()))?
                        .iter()
                        .map(|path| PropertyPath::parse(path.as_str().unwrap_or_default()))
                        .collect::<Result<Vec<_>>>()
                })
                .collect::<Result<Vec<_>>>()?,
            _ => Vec::new(),
        };
        let required = document
            .get("required")
            .and_then(Value::as_array)
            .map(|names| {
                names
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let replacement_strategy = match document.get("replacementStrategy").and_then(Value::as_str)
        {
            Some("create_then_delete") => ReplacementStrategy::CreateThenDelete,
            _ => ReplacementStrategy::DeleteThenCreate,
        };
        Ok(ResourceSchema {
            description: document
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            primary_identifier,
            additional_identifiers,
            required,
            create_only: paths("createOnlyProperties")?,
            conditional_create_only: paths("conditionalCreateOnlyProperties")?,
            read_only: paths("readOnlyProperties")?,
            write_only: paths("writeOnlyProperties")?,
            deprecated: paths("deprecatedProperties")?,
            tagging: document.get("tagging").cloned(),
            handlers: read_handlers(&document),
            replacement_strategy,
            validator: Validator::default(),
            type_name,
            document,
        })
    }

    /// True when the model path, or one of its ancestors, is read-only.
    pub fn is_read_only(&self, path: &[Segment]) -> bool {
        self.read_only.iter().any(|p| p.is_prefix_of(path))
    }

    /// True when the model path, or one of its ancestors, is write-only.
    pub fn is_write_only(&self, path: &[Segment]) -> bool {
        self.write_only.iter().any(|p| p.is_prefix_of(path))
    }

    /// True when the model path, or one of its ancestors, is create-only.
    pub fn is_create_only(&self, path: &[Segment]) -> bool {
        self.create_only.iter().any(|p| p.is_prefix_of(path))
    }

    /// True when a create-only path lies strictly inside the value at this model path.
    pub fn has_create_only_below(&self, path: &[Segment]) -> bool {
        self.create_only.iter().any(|p| p.is_below(path))
    }

    /// True when a write-only path lies strictly inside the value at this model path.
    pub fn has_write_only_below(&self, path: &[Segment]) -> bool {
        self.write_only.iter().any(|p| p.is_below(path))
    }

    /// True when the model path is conditionally create-only: some changes to it are
    /// made in place, others force a replacement, and only the service decides which.
    pub fn is_conditional_create_only(&self, path: &[Segment]) -> bool {
        self.conditional_create_only
            .iter()
            .any(|p| p.is_prefix_of(path))
    }

    /// Returns the property names of the primary identifier, in schema order.
    pub fn primary_identifier_names(&self) -> Vec<String> {
        self.primary_identifier
            .iter()
            .map(|p| p.to_string()[1..].to_string())
            .collect()
    }

    /// Returns the subschema at a model path, with `$ref` resolved, or `None` when the
    /// schema does not describe that path.
    pub fn property(&self, path: &[Segment]) -> Option<&Value> {
        let mut current = self.resolve(&self.document)?;
        for segment in path {
            current = self.step(current, segment)?;
        }
        Some(current)
    }

    /// True when the array at this model path is declared with `insertionOrder: false`,
    /// so its order carries no meaning. The registry's default is ordered.
    pub fn is_unordered_array(&self, path: &[Segment]) -> bool {
        self.property(path)
            .and_then(|schema| schema.get("insertionOrder"))
            .and_then(Value::as_bool)
            == Some(false)
    }

    /// Returns the handler's `timeoutInMinutes`, or Cloud Control's default of 120, capped at
    /// 2160 as the schema language allows.
    pub fn timeout_minutes(&self, operation: Operation) -> u32 {
        self.handlers
            .get(operation)
            .and_then(|handler| handler.timeout_in_minutes)
            .unwrap_or(DEFAULT_TIMEOUT_MINUTES)
            .min(MAX_TIMEOUT_MINUTES)
    }

    pub(crate) fn validator(&self) -> &Validator {
        &self.validator
    }

    /// Follows `$ref` chains within this document. References of the form
    /// `resource-schema.json#/...`, used by list handler schemas, point at the document
    /// itself.
    pub fn resolve<'a>(&'a self, mut schema: &'a Value) -> Option<&'a Value> {
        for _ in 0..32 {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
                return Some(schema);
            };
            let (_, pointer) = reference.split_once('#')?;
            schema = self.document.pointer(pointer)?;
        }
        None
    }

    fn step<'a>(&'a self, schema: &'a Value, segment: &Segment) -> Option<&'a Value> {
        match segment {
            Segment::Key(key) => self.child_property(schema, key),
            Segment::Index(_) => self.resolve(schema.get("items")?),
        }
    }

    fn child_property<'a>(&'a self, schema: &'a Value, key: &str) -> Option<&'a Value> {
        if let Some(child) = schema.get("properties").and_then(|p| p.get(key)) {
            return self.resolve(child);
        }
        for combinator in ["oneOf", "anyOf", "allOf"] {
            for alternative in schema
                .get(combinator)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let alternative = self.resolve(alternative)?;
                if let Some(found) = self.child_property(alternative, key) {
                    return Some(found);
                }
            }
        }
        if let Some(patterns) = schema.get("patternProperties").and_then(Value::as_object) {
            for (pattern, child) in patterns {
                if regex::Regex::new(pattern).is_ok_and(|re| re.is_match(key)) {
                    return self.resolve(child);
                }
            }
        }
        match schema.get("additionalProperties") {
            Some(child @ Value::Object(_)) => self.resolve(child),
            _ => None,
        }
    }
}

fn read_handlers(document: &Value) -> Handlers {
    let read = |name: &str| -> Option<Handler> {
        let handler = document.get("handlers")?.get(name)?;
        Some(Handler {
            permissions: handler
                .get("permissions")
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            timeout_in_minutes: handler
                .get("timeoutInMinutes")
                .and_then(Value::as_u64)
                .map(|minutes| minutes.min(u64::from(MAX_TIMEOUT_MINUTES)) as u32),
            handler_schema: handler.get("handlerSchema").cloned(),
        })
    };
    Handlers {
        create: read("create"),
        read: read("read"),
        update: read("update"),
        delete: read("delete"),
        list: read("list"),
    }
}
