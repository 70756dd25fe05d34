//! The bundled CloudFormation resource schemas.

use axum::Json;
use canopy_schema::{Registry, TypeSummary};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery};
use crate::page::{Page, PageQuery, paginate};

/// Search and pagination of the schema list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SchemaQuery {
    /// Only types whose name or description contains this text
    pub search: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/schemas", tag = "schemas", params(SchemaQuery),
    responses((status = 200, description = "A page of type summaries: typeName, description, handlers", body = Object), (status = 401, body = ErrorBody)))]
/// Lists or searches the resource types.
pub async fn list(
    _caller: Caller,
    ApiQuery(query): ApiQuery<SchemaQuery>,
) -> ApiResult<Json<Page<TypeSummary>>> {
    let registry = Registry::bundled();
    let summaries: Vec<TypeSummary> = match query.search.as_deref().filter(|s| !s.trim().is_empty())
    {
        Some(text) => registry.search(text).into_iter().cloned().collect(),
        None => registry.summaries().to_vec(),
    };
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    Ok(Json(paginate(summaries, &page)?))
}

#[utoipa::path(get, path = "/api/schemas/{type_name}", tag = "schemas",
    params(("type_name" = String, Path, description = "A type name such as AWS::EC2::VPC")),
    responses((status = 200, description = "typeName, description, primaryIdentifier and the property tree", body = Object), (status = 404, body = ErrorBody)))]
/// Shows a type with its property tree: required, create-only, read-only and
/// write-only marks.
pub async fn show(_caller: Caller, ApiPath(type_name): ApiPath<String>) -> ApiResult<Json<Value>> {
    let schema = Registry::bundled()
        .get(&type_name)
        .map_err(|error| ApiError::from(canopy_engine::EngineError::from(error)))?;
    Ok(Json(json!({
        "typeName": schema.type_name,
        "description": schema.description,
        "primaryIdentifier": schema.primary_identifier.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        "identifierShape": schema.identifier_shape(),
        "properties": schema.property_tree(),
    })))
}
