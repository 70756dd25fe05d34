//! GetResource and ListResources: reads of stored resources, without write-only
//! properties.
//!
//! ListResources honours the list handler's `handlerSchema`: a child type such as
//! `AWS::EKS::Nodegroup` declares the parent properties a request must carry in
//! `ResourceModel` (`required`, or alternatives under `anyOf`/`oneOf`), and the
//! emulator rejects requests without them and filters by them otherwise.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use canopy_schema::Operation as HandlerOperation;
use serde_json::{Map, Value, json};

use super::write::{canonical_identifier, schema_with_handler};
use super::{ApiError, CallContext, json_document, optional_str, page_size, required_str};
use crate::realistic::read_model;
use crate::state::State;
use crate::store::ResourceKey;

/// GetResource.
pub(super) fn get(state: &mut State, ctx: &CallContext, input: &Value) -> Result<Value, ApiError> {
    let type_name = required_str(input, "TypeName")?;
    let identifier = required_str(input, "Identifier")?;
    let schema = schema_with_handler(state, ctx, type_name, HandlerOperation::Read, "READ")?;
    let identifier = canonical_identifier(&schema, identifier)?;

    let key = ResourceKey {
        account: ctx.principal.account.clone(),
        region: ctx.region.clone(),
        type_name: type_name.to_string(),
        identifier: identifier.clone(),
    };
    let model = state
        .resources
        .find(&key)
        .ok_or_else(|| ApiError::resource_not_found(type_name, &identifier))?;

    Ok(json!({
        "TypeName": type_name,
        "ResourceDescription": {
            "Identifier": identifier,
            "Properties": read_model(&schema, model, state.realistic).to_string(),
        }
    }))
}

/// ListResources.
pub(super) fn list(state: &mut State, ctx: &CallContext, input: &Value) -> Result<Value, ApiError> {
    let type_name = required_str(input, "TypeName")?;
    let schema = schema_with_handler(state, ctx, type_name, HandlerOperation::List, "LIST")?;
    let max_results = page_size(input, 100)?;
    let filter = json_document(input, "ResourceModel")?.unwrap_or_else(|| json!({}));
    let Value::Object(filter) = filter else {
        return Err(ApiError::invalid_request(
            "ResourceModel must be a JSON object",
        ));
    };

    let handler_schema = schema
        .handlers
        .list
        .as_ref()
        .and_then(|handler| handler.handler_schema.clone());
    let filter = match handler_schema {
        Some(handler_schema) => list_filter(type_name, &handler_schema, &filter)?,
        None => Map::new(),
    };

    let after = optional_str(input, "NextToken")
        .map(|token| decode_next_token(type_name, token))
        .transpose()?;

    let mut matching = state
        .resources
        .list(&ctx.principal.account, &ctx.region, type_name)
        .filter(|(_, model)| {
            filter
                .iter()
                .all(|(name, value)| model.get(name) == Some(value))
        })
        .filter(|(identifier, _)| after.as_deref().is_none_or(|after| *identifier > after));

    let page: Vec<(&str, &Value)> = matching.by_ref().take(max_results).collect();
    let more = matching.next().is_some();

    let descriptions: Vec<Value> = page
        .iter()
        .map(|(identifier, model)| {
            json!({
                "Identifier": identifier,
                "Properties": read_model(&schema, model, state.realistic).to_string(),
            })
        })
        .collect();
    let mut output = json!({ "TypeName": type_name, "ResourceDescriptions": descriptions });
    if more && let Some((last, _)) = page.last() {
        output["NextToken"] = json!(BASE64.encode(format!("{type_name}\n{last}")));
    }
    Ok(output)
}

/// Checks `ResourceModel` against the list handler schema and returns the properties to
/// filter by: those the handler schema declares.
fn list_filter(
    type_name: &str,
    handler_schema: &Value,
    model: &Map<String, Value>,
) -> Result<Map<String, Value>, ApiError> {
    let names = |schema: &Value| -> Vec<String> {
        schema
            .get("required")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let has_all = |required: &[String]| required.iter().all(|name| model.contains_key(name));

    let required = names(handler_schema);
    if !has_all(&required) {
        return Err(missing_parent(type_name, &required.join(", ")));
    }
    for keyword in ["anyOf", "oneOf"] {
        if let Some(Value::Array(alternatives)) = handler_schema.get(keyword) {
            let sets: Vec<Vec<String>> = alternatives.iter().map(names).collect();
            if !sets.iter().any(|set| has_all(set)) {
                let options: Vec<String> = sets.iter().map(|set| set.join(" and ")).collect();
                return Err(missing_parent(type_name, &options.join(" or ")));
            }
        }
    }

    let declared = handler_schema.get("properties").and_then(Value::as_object);
    Ok(model
        .iter()
        .filter(|(name, _)| declared.is_none_or(|d| d.contains_key(*name)))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect())
}

fn missing_parent(type_name: &str, properties: &str) -> ApiError {
    ApiError::invalid_request(format!(
        "Missing or invalid ResourceModel property in {type_name} list handler request input: \
         required property [{properties}]"
    ))
}

fn decode_next_token(type_name: &str, token: &str) -> Result<String, ApiError> {
    BASE64
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            let (token_type, after) = text.split_once('\n')?;
            (token_type == type_name).then(|| after.to_string())
        })
        .ok_or_else(|| ApiError::invalid_request(format!("NextToken {token:?} is invalid")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn list_filter_requires_declared_parent() {
        let handler_schema = json!({
            "properties": {"ClusterName": {"type": "string"}},
            "required": ["ClusterName"]
        });

        let missing = list_filter("AWS::EKS::Nodegroup", &handler_schema, &model(json!({})));
        let given = list_filter(
            "AWS::EKS::Nodegroup",
            &handler_schema,
            &model(json!({"ClusterName": "c", "Other": 1})),
        );

        assert_eq!(missing.unwrap_err().code, "InvalidRequestException");
        assert_eq!(given.unwrap(), model(json!({"ClusterName": "c"})));
    }

    #[test]
    fn list_filter_accepts_any_alternative() {
        let handler_schema = json!({
            "properties": {"A": {}, "B": {}},
            "anyOf": [{"required": ["A"]}, {"required": ["B"]}]
        });

        let with_b = list_filter("T", &handler_schema, &model(json!({"B": "x"})));
        let with_none = list_filter("T", &handler_schema, &model(json!({"C": "x"})));

        assert!(with_b.is_ok());
        let error = with_none.unwrap_err();
        assert!(error.message.contains("A or B"), "{}", error.message);
    }
}
