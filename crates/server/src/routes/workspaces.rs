//! Workspaces, their tokens (the workspace token and API tokens), secrets, and the
//! caller's own session.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CACHE_CONTROL;
use axum::response::IntoResponse;
use canopy_aws::credentials::AwsCredentialSecret;
use canopy_store::{ApiToken, SecretInfo, TokenRole, Workspace};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, JsonBody};
use crate::page::{Page, PageQuery, paginate};

/// The token behind the request.
#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    #[schema(value_type = Object)]
    pub token: ApiToken,
}

/// Request body that names a new workspace.
#[derive(Deserialize, ToSchema)]
pub struct CreateWorkspace {
    pub name: String,
}

/// A workspace token, shown on request to administrators.
#[derive(Serialize, ToSchema)]
pub struct WorkspaceTokenBody {
    /// The sts:ExternalId that roles canopy assumes for this workspace must require.
    pub token: String,
}

/// Request body for a new API token.
#[derive(Deserialize, ToSchema)]
pub struct CreateToken {
    /// A label for people, such as who or what uses the token.
    pub name: String,
    /// view, edit or apply for a workspace token; ignored for administrator tokens.
    #[serde(default)]
    pub role: Option<String>,
}

/// A new API token: its record and, this once, the token itself.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    #[schema(value_type = Object)]
    pub record: ApiToken,
    /// The bearer token. It is not stored and cannot be shown again.
    pub token: String,
}

/// Request body of a new AWS Credential secret. The values go in and never come out.
#[derive(Deserialize, ToSchema)]
pub struct CreateSecret {
    pub name: String,
    /// AccessKeyId, SecretAccessKey, SessionToken, AssumeRole and Endpoint.
    #[schema(value_type = Object)]
    pub value: AwsCredentialSecret,
}

/// Responses that carry a token must not be cached by browsers or proxies.
const NO_STORE: (axum::http::HeaderName, &str) = (CACHE_CONTROL, "no-store");

pub(crate) fn check_name(what: &str, name: &str) -> ApiResult<()> {
    if name.trim().is_empty()
        || name.trim() != name
        || name.len() > 128
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::invalid(format!(
            "invalid {what} {name:?}: use 1 to 128 bytes without leading or trailing spaces or control characters"
        )));
    }
    Ok(())
}

#[utoipa::path(get, path = "/api/session", tag = "session",
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody)))]
/// Returns the token behind the request, without its secret part.
pub async fn session(caller: Caller) -> Json<SessionInfo> {
    Json(SessionInfo {
        token: caller.token,
    })
}

#[utoipa::path(get, path = "/api/workspaces", tag = "workspaces", params(PageQuery),
    responses((status = 200, description = "A page of workspaces: {items, next_cursor}", body = Object), (status = 401, body = ErrorBody)))]
/// Lists the workspaces the token reaches: all for an administrator, else its own.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<Workspace>>> {
    let workspaces = state.engine.store().list_workspaces().await?;
    let visible = workspaces
        .into_iter()
        .filter(|w| caller.token.is_admin() || caller.token.workspace_id.as_ref() == Some(&w.id))
        .collect();
    Ok(Json(paginate(visible, &page)?))
}

#[utoipa::path(post, path = "/api/workspaces", tag = "workspaces", request_body = CreateWorkspace,
    responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Creates a workspace (administrators only).
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateWorkspace>,
) -> ApiResult<impl IntoResponse> {
    caller.require_admin()?;
    check_name("workspace name", &body.name)?;
    let (workspace, _token) = state.engine.store().create_workspace(&body.name).await?;
    Ok((StatusCode::CREATED, Json(workspace)))
}

#[utoipa::path(get, path = "/api/workspaces/{workspace}", tag = "workspaces",
    params(("workspace" = String, Path, description = "Workspace name or id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
/// Shows a workspace.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(workspace): ApiPath<String>,
) -> ApiResult<Json<Workspace>> {
    Ok(Json(
        auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?,
    ))
}

#[utoipa::path(get, path = "/api/workspaces/{workspace}/token", tag = "workspaces",
    params(("workspace" = String, Path, description = "Workspace name or id")),
    responses((status = 200, body = WorkspaceTokenBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// Reveals the workspace token, the sts:ExternalId for AssumeRole (administrators only).
pub async fn reveal_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(workspace): ApiPath<String>,
) -> ApiResult<impl IntoResponse> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    caller.require_admin()?;
    let token = state.engine.store().workspace_token(&workspace.id).await?;
    tracing::info!(workspace.id = %workspace.id, api_token.id = %caller.token.id, "revealed workspace token");
    Ok((
        [NO_STORE],
        Json(WorkspaceTokenBody {
            token: token.expose().clone(),
        }),
    ))
}

#[utoipa::path(post, path = "/api/workspaces/{workspace}/token/rotate", tag = "workspaces",
    params(("workspace" = String, Path, description = "Workspace name or id")),
    responses((status = 200, body = WorkspaceTokenBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// Replaces the workspace token; roles that trust the old one stop working
/// (administrators only).
pub async fn rotate_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(workspace): ApiPath<String>,
) -> ApiResult<impl IntoResponse> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    caller.require_admin()?;
    let token = state
        .engine
        .store()
        .rotate_workspace_token(&workspace.id)
        .await?;
    state.events.publish(
        &workspace.id,
        None,
        json!({"event": "workspace_token_rotated"}),
    );
    Ok((
        [NO_STORE],
        Json(WorkspaceTokenBody {
            token: token.expose().clone(),
        }),
    ))
}

#[utoipa::path(get, path = "/api/workspaces/{workspace}/tokens", tag = "tokens",
    params(("workspace" = String, Path, description = "Workspace name or id"), PageQuery),
    responses((status = 200, description = "A page of API tokens, without their secret part", body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// Lists a workspace's API tokens (administrators only).
pub async fn list_workspace_tokens(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(workspace): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<ApiToken>>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    caller.require_admin()?;
    let tokens = state
        .engine
        .store()
        .list_api_tokens(Some(&workspace.id))
        .await?;
    Ok(Json(paginate(tokens, &page)?))
}

#[utoipa::path(post, path = "/api/workspaces/{workspace}/tokens", tag = "tokens", request_body = CreateToken,
    params(("workspace" = String, Path, description = "Workspace name or id")),
    responses((status = 201, body = CreatedToken), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Creates an API token of a workspace with role view, edit or apply (administrators
/// only). The response is the only place the token appears.
pub async fn create_workspace_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(workspace): ApiPath<String>,
    JsonBody(body): JsonBody<CreateToken>,
) -> ApiResult<impl IntoResponse> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    caller.require_admin()?;
    check_name("token name", &body.name)?;
    let role = body
        .role
        .as_deref()
        .and_then(TokenRole::parse)
        .filter(|role| *role != TokenRole::Admin)
        .ok_or_else(|| ApiError::invalid("role must be view, edit or apply"))?;
    let minted =
        auth::mint_workspace_token(state.engine.store(), &workspace, role, &body.name).await?;
    let body = CreatedToken {
        record: minted.record,
        token: minted.token.expose().clone(),
    };
    Ok((StatusCode::CREATED, [NO_STORE], Json(body)))
}

#[utoipa::path(get, path = "/api/tokens", tag = "tokens", params(PageQuery),
    responses((status = 200, description = "A page of every API token, without their secret part", body = Object), (status = 403, body = ErrorBody)))]
/// Lists every API token, administrator tokens included (administrators only).
pub async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<ApiToken>>> {
    caller.require_admin()?;
    let tokens = state.engine.store().list_api_tokens(None).await?;
    Ok(Json(paginate(tokens, &page)?))
}

#[utoipa::path(post, path = "/api/tokens", tag = "tokens", request_body = CreateToken,
    responses((status = 201, body = CreatedToken), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Creates another administrator token (administrators only).
pub async fn create_admin_token(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<CreateToken>,
) -> ApiResult<impl IntoResponse> {
    caller.require_admin()?;
    check_name("token name", &body.name)?;
    let minted = auth::mint_admin_token(state.engine.store(), &body.name).await?;
    let body = CreatedToken {
        record: minted.record,
        token: minted.token.expose().clone(),
    };
    Ok((StatusCode::CREATED, [NO_STORE], Json(body)))
}

#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "API token id")),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// Revokes an API token (administrators only). When no administrator token is left,
/// the next start of the server creates one and prints its login URL.
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ApiToken>> {
    caller.require_admin()?;
    if state.engine.store().find_api_token(&id).await?.is_none() {
        return Err(ApiError::not_found("API token", &id));
    }
    Ok(Json(state.engine.store().revoke_api_token(&id).await?))
}

#[utoipa::path(get, path = "/api/workspaces/{workspace}/secrets", tag = "secrets",
    params(("workspace" = String, Path, description = "Workspace name or id"), PageQuery),
    responses((status = 200, description = "A page of secrets: names and kinds, never values", body = Object), (status = 404, body = ErrorBody)))]
/// Lists a workspace's secrets by name and kind.
pub async fn list_secrets(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(workspace): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<SecretInfo>>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    let secrets = state.engine.store().list_secrets(&workspace.id).await?;
    Ok(Json(paginate(secrets, &page)?))
}

#[utoipa::path(post, path = "/api/workspaces/{workspace}/secrets", tag = "secrets", request_body = CreateSecret,
    params(("workspace" = String, Path, description = "Workspace name or id")),
    responses((status = 201, description = "The secret's name and kind", body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Stores an AWS Credential secret, encrypted. Its values are never returned.
pub async fn create_secret(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(workspace): ApiPath<String>,
    JsonBody(body): JsonBody<CreateSecret>,
) -> ApiResult<impl IntoResponse> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Edit).await?;
    let info = state
        .engine
        .create_aws_secret(workspace.id.as_str(), &body.name, &body.value)
        .await?;
    state.events.publish(
        &workspace.id,
        None,
        json!({"event": "secret_created", "secret": info.name}),
    );
    Ok((StatusCode::CREATED, Json(info)))
}
