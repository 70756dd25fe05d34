//! Components of a change set: create, show (with qualifications), list, edit and
//! delete.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use canopy_core::Subscription;
use canopy_engine::{ComponentView, NewComponent};
use canopy_store::{TokenRole, Workspace};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::{self, Caller};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, JsonBody};
use crate::page::{Page, PageQuery, paginate};

/// Request body of a new component.
#[derive(Deserialize, ToSchema)]
pub struct CreateComponent {
    /// A Cloud Control type such as AWS::EC2::VPC, or "AWS Credential", or "Region".
    pub schema: String,
    pub name: String,
    /// The initial domain, a JSON object.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub domain: Value,
    /// Region component to link [default: the only one in the change set].
    pub region: Option<String>,
    /// AWS Credential component to link [default: the only one in the change set].
    pub credential: Option<String>,
}

/// Request body of an import of one existing resource.
#[derive(Deserialize, ToSchema)]
pub struct ImportComponent {
    /// The Cloud Control type, such as AWS::S3::Bucket.
    pub type_name: String,
    /// Name of the new component.
    pub name: String,
    /// The primary identifier: parts joined with `|` in schema order, or a JSON object
    /// of the parts.
    pub identifier: String,
    /// Region component to link [default: the only one in the change set].
    pub region: Option<String>,
    /// AWS Credential component to link [default: the only one in the change set].
    pub credential: Option<String>,
}

/// Request body of a discovery of every resource of a type.
#[derive(Deserialize, ToSchema)]
pub struct Discover {
    pub type_name: String,
    /// The ListResources model, such as the parent of a child type.
    #[schema(value_type = Option<Object>)]
    pub model: Option<Value>,
    pub region: Option<String>,
    pub credential: Option<String>,
}

/// Request body that sets one domain value.
#[derive(Deserialize, ToSchema)]
pub struct SetProperty {
    /// JSON pointer into the domain, such as /CidrBlock or /Tags/0/Value.
    pub path: String,
    #[schema(value_type = Object)]
    pub value: Value,
}

/// Request body of a subscription.
#[derive(Deserialize, ToSchema)]
pub struct Subscribe {
    /// JSON pointer into this component's domain, such as /VpcId.
    pub path: String,
    /// The producer component's name.
    pub source: String,
    /// The producer's value, such as /resource/VpcId or /domain/CidrBlock.
    pub source_path: String,
}

/// The domain path a request removes.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PathQuery {
    /// JSON pointer into the domain, such as /CidrBlock
    pub path: String,
}

type ComponentPath = (String, String, String);

fn changed(state: &AppState, workspace: &Workspace, change_set: &str, view: &ComponentView) {
    state.events.publish(
        &workspace.id,
        Some(change_set),
        json!({"event": "component_changed", "component": view.name, "component_id": view.id}),
    );
}

#[utoipa::path(get, path = "/api/workspaces/{workspace}/change-sets/{change_set}/components", tag = "components",
    params(("workspace" = String, Path, description = "Workspace name or id"), ("change_set" = String, Path, description = "Change set name or id, or HEAD"), PageQuery),
    responses((status = 200, description = "A page of components with qualifications and resources", body = Object), (status = 404, body = ErrorBody)))]
/// Lists the components of a change set.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, change_set)): ApiPath<(String, String)>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<ComponentView>>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    let views = state
        .engine
        .list_components(workspace.id.as_str(), &change_set)
        .await?;
    Ok(Json(paginate(views, &page)?))
}

#[utoipa::path(post, path = "/api/workspaces/{workspace}/change-sets/{change_set}/components", tag = "components", request_body = CreateComponent,
    params(("workspace" = String, Path, description = "Workspace name or id"), ("change_set" = String, Path, description = "Open change set name or id")),
    responses((status = 201, description = "The component with its qualifications", body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Creates a component in an open change set and qualifies it.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, change_set)): ApiPath<(String, String)>,
    JsonBody(body): JsonBody<CreateComponent>,
) -> ApiResult<impl IntoResponse> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Edit).await?;
    let new = NewComponent {
        schema: body.schema,
        name: body.name,
        domain: body.domain,
        region: body.region,
        credential: body.credential,
    };
    let view = state
        .engine_for(&workspace, &change_set)
        .create_component(workspace.id.as_str(), &change_set, new)
        .await?;
    changed(&state, &workspace, &change_set, &view);
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(post, path = "/api/workspaces/{workspace}/change-sets/{change_set}/import", tag = "components", request_body = ImportComponent,
    params(("workspace" = String, Path, description = "Workspace name or id"), ("change_set" = String, Path, description = "Open change set name or id")),
    responses((status = 201, description = "The component that owns the resource", body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Imports one existing resource as a component of an open change set.
pub async fn import(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, change_set)): ApiPath<(String, String)>,
    JsonBody(body): JsonBody<ImportComponent>,
) -> ApiResult<impl IntoResponse> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Edit).await?;
    let request = canopy_engine::ImportRequest {
        type_name: body.type_name,
        name: body.name,
        identifier: body.identifier,
        region: body.region,
        credential: body.credential,
    };
    let view = state
        .engine_for(&workspace, &change_set)
        .import_resource(workspace.id.as_str(), &change_set, request)
        .await?;
    changed(&state, &workspace, &change_set, &view);
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(post, path = "/api/workspaces/{workspace}/change-sets/{change_set}/discover", tag = "components", request_body = Discover,
    params(("workspace" = String, Path, description = "Workspace name or id"), ("change_set" = String, Path, description = "Open change set name or id")),
    responses((status = 200, description = "What was found, imported, skipped and failed", body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Discovers every resource of a type and imports those no component owns yet.
pub async fn discover(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, change_set)): ApiPath<(String, String)>,
    JsonBody(body): JsonBody<Discover>,
) -> ApiResult<Json<canopy_engine::DiscoverReport>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Edit).await?;
    let request = canopy_engine::DiscoverRequest {
        type_name: body.type_name,
        model: body.model,
        region: body.region,
        credential: body.credential,
    };
    let report = state
        .engine_for(&workspace, &change_set)
        .discover(workspace.id.as_str(), &change_set, request)
        .await?;
    Ok(Json(report))
}

#[utoipa::path(get, path = "/api/workspaces/{workspace}/change-sets/{change_set}/components/{component}", tag = "components",
    params(("workspace" = String, Path, description = "Workspace name or id"), ("change_set" = String, Path, description = "Change set name or id, or HEAD"), ("component" = String, Path, description = "Component name or id")),
    responses((status = 200, description = "Domain, subscriptions, qualifications, resource and drift", body = Object), (status = 404, body = ErrorBody)))]
/// Shows a component with its qualifications, resource and drift.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, change_set, component)): ApiPath<ComponentPath>,
) -> ApiResult<Json<ComponentView>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    Ok(Json(
        state
            .engine
            .show_component(workspace.id.as_str(), &change_set, &component)
            .await?,
    ))
}

#[utoipa::path(delete, path = "/api/workspaces/{workspace}/change-sets/{change_set}/components/{component}", tag = "components",
    params(("workspace" = String, Path, description = "Workspace name or id"), ("change_set" = String, Path, description = "Open change set name or id"), ("component" = String, Path, description = "Component name or id")),
    responses((status = 204, description = "Deleted; applying the change set deletes its resource"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Deletes a component from a change set.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, change_set, component)): ApiPath<ComponentPath>,
) -> ApiResult<StatusCode> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Edit).await?;
    state
        .engine_for(&workspace, &change_set)
        .delete_component(workspace.id.as_str(), &change_set, &component)
        .await?;
    state.events.publish(
        &workspace.id,
        Some(&change_set),
        json!({"event": "component_deleted", "component": component}),
    );
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/workspaces/{workspace}/change-sets/{change_set}/components/{component}/properties", tag = "components", request_body = SetProperty,
    params(("workspace" = String, Path, description = "Workspace name or id"), ("change_set" = String, Path, description = "Open change set name or id"), ("component" = String, Path, description = "Component name or id")),
    responses((status = 200, description = "The component, qualified again", body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Sets the value at a JSON pointer in a component's domain.
pub async fn set_property(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, change_set, component)): ApiPath<ComponentPath>,
    JsonBody(body): JsonBody<SetProperty>,
) -> ApiResult<Json<ComponentView>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Edit).await?;
    let view = state
        .engine_for(&workspace, &change_set)
        .set_property(
            workspace.id.as_str(),
            &change_set,
            &component,
            &body.path,
            body.value,
        )
        .await?;
    changed(&state, &workspace, &change_set, &view);
    Ok(Json(view))
}

#[utoipa::path(delete, path = "/api/workspaces/{workspace}/change-sets/{change_set}/components/{component}/properties", tag = "components",
    params(("workspace" = String, Path, description = "Workspace name or id"), ("change_set" = String, Path, description = "Open change set name or id"), ("component" = String, Path, description = "Component name or id"), PathQuery),
    responses((status = 200, description = "The component, qualified again", body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Removes the value at a JSON pointer from a component's domain.
pub async fn unset_property(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, change_set, component)): ApiPath<ComponentPath>,
    ApiQuery(query): ApiQuery<PathQuery>,
) -> ApiResult<Json<ComponentView>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Edit).await?;
    let view = state
        .engine_for(&workspace, &change_set)
        .unset_property(workspace.id.as_str(), &change_set, &component, &query.path)
        .await?;
    changed(&state, &workspace, &change_set, &view);
    Ok(Json(view))
}

#[utoipa::path(post, path = "/api/workspaces/{workspace}/change-sets/{change_set}/components/{component}/subscriptions", tag = "components", request_body = Subscribe,
    params(("workspace" = String, Path, description = "Workspace name or id"), ("change_set" = String, Path, description = "Open change set name or id"), ("component" = String, Path, description = "Component name or id")),
    responses((status = 200, description = "The component, qualified again", body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Makes a domain value come from another component's /domain/... or /resource/...
pub async fn subscribe(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, change_set, component)): ApiPath<ComponentPath>,
    JsonBody(body): JsonBody<Subscribe>,
) -> ApiResult<Json<ComponentView>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Edit).await?;
    let subscription = Subscription {
        path: body.path,
        source: body.source,
        source_path: body.source_path,
    };
    let view = state
        .engine_for(&workspace, &change_set)
        .subscribe(workspace.id.as_str(), &change_set, &component, subscription)
        .await?;
    changed(&state, &workspace, &change_set, &view);
    Ok(Json(view))
}

#[utoipa::path(delete, path = "/api/workspaces/{workspace}/change-sets/{change_set}/components/{component}/subscriptions", tag = "components",
    params(("workspace" = String, Path, description = "Workspace name or id"), ("change_set" = String, Path, description = "Open change set name or id"), ("component" = String, Path, description = "Component name or id"), PathQuery),
    responses((status = 200, description = "The component, qualified again", body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Removes the subscription at a path of a component's domain.
pub async fn unsubscribe(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, change_set, component)): ApiPath<ComponentPath>,
    ApiQuery(query): ApiQuery<PathQuery>,
) -> ApiResult<Json<ComponentView>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Edit).await?;
    let view = state
        .engine_for(&workspace, &change_set)
        .unsubscribe(workspace.id.as_str(), &change_set, &component, &query.path)
        .await?;
    changed(&state, &workspace, &change_set, &view);
    Ok(Json(view))
}
