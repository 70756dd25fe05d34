//! Change sets, plans, applies, actions, refresh and the event stream.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::IntoResponse;
use canopy_engine::{ApplyOptions, Plan, RefreshReport};
use canopy_store::{ActionId, ActionRecord, ChangeSet, ChangeSetStatus, TokenRole};
use serde::Deserialize;
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::applies::{self, ApplyRun};
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, ApiQuery, JsonBody, parse_json};
use crate::page::{Page, PageQuery, paginate};
use crate::routes::workspaces::check_name;

/// Request body that names a new change set.
#[derive(Deserialize, ToSchema)]
pub struct CreateChangeSet {
    pub name: String,
}

/// Request body of an apply; it may be empty.
#[derive(Deserialize, Default, ToSchema)]
pub struct ApplyRequest {
    /// Apply even when qualifications fail.
    #[serde(default)]
    pub force: bool,
}

/// Filters of the action list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActionQuery {
    /// Only actions of this change set (name or id)
    pub change_set: Option<String>,
    /// Only actions in this state: queued, running, succeeded, failed, skipped or unknown
    pub state: Option<String>,
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

/// Filter of the event stream.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only events of this change set (by name), plus workspace-wide ones
    pub change_set: Option<String>,
}

#[utoipa::path(get, path = "/api/workspaces/{workspace}/change-sets", tag = "change sets",
    params(("workspace" = String, Path, description = "Workspace name or id"), PageQuery),
    responses((status = 200, description = "A page of change sets, HEAD included", body = Object), (status = 404, body = ErrorBody)))]
/// Lists a workspace's change sets, oldest first.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(workspace): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<ChangeSet>>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    let change_sets = state.engine.store().list_change_sets(&workspace.id).await?;
    Ok(Json(paginate(change_sets, &page)?))
}

#[utoipa::path(post, path = "/api/workspaces/{workspace}/change-sets", tag = "change sets", request_body = CreateChangeSet,
    params(("workspace" = String, Path, description = "Workspace name or id")),
    responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
/// Creates a change set: a draft over HEAD.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(workspace): ApiPath<String>,
    JsonBody(body): JsonBody<CreateChangeSet>,
) -> ApiResult<impl IntoResponse> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Edit).await?;
    check_name("change set name", &body.name)?;
    let change_set = state
        .engine
        .store()
        .create_change_set(&workspace.id, &body.name)
        .await?;
    state.events.publish(
        &workspace.id,
        Some(&change_set.name),
        json!({"event": "change_set_created"}),
    );
    Ok((StatusCode::CREATED, Json(change_set)))
}

#[utoipa::path(get, path = "/api/workspaces/{workspace}/change-sets/{change_set}", tag = "change sets",
    params(("workspace" = String, Path, description = "Workspace name or id"), ("change_set" = String, Path, description = "Change set name (open ones and HEAD) or id")),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)))]
/// Shows a change set.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, change_set)): ApiPath<(String, String)>,
) -> ApiResult<Json<ChangeSet>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    Ok(Json(
        state
            .engine
            .store()
            .get_change_set(&workspace.id, &change_set)
            .await?,
    ))
}

#[utoipa::path(post, path = "/api/workspaces/{workspace}/change-sets/{change_set}/abandon", tag = "change sets",
    params(("workspace" = String, Path, description = "Workspace name or id"), ("change_set" = String, Path, description = "Change set name or id")),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
/// Abandons an open change set; its edits are dropped and nothing runs.
pub async fn abandon(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, change_set)): ApiPath<(String, String)>,
) -> ApiResult<Json<ChangeSet>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Edit).await?;
    let abandoned = state
        .engine
        .abandon(workspace.id.as_str(), &change_set)
        .await?;
    state.events.publish(
        &workspace.id,
        Some(&abandoned.name),
        json!({"event": "change_set_abandoned"}),
    );
    Ok(Json(abandoned))
}

#[utoipa::path(get, path = "/api/workspaces/{workspace}/change-sets/{change_set}/plan", tag = "change sets",
    params(("workspace" = String, Path, description = "Workspace name or id"), ("change_set" = String, Path, description = "Change set name or id; HEAD shows what HEAD still needs")),
    responses((status = 200, description = "The actions an apply would run, in order", body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Plans a change set: the actions applying it would run.
pub async fn plan(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, change_set)): ApiPath<(String, String)>,
) -> ApiResult<Json<Plan>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    let engine = state.engine_for(&workspace, &change_set);
    Ok(Json(engine.plan(workspace.id.as_str(), &change_set).await?))
}

#[utoipa::path(post, path = "/api/workspaces/{workspace}/change-sets/{change_set}/apply", tag = "change sets", request_body = ApplyRequest,
    params(("workspace" = String, Path, description = "Workspace name or id"), ("change_set" = String, Path, description = "Change set name or id; HEAD runs what HEAD still needs")),
    responses((status = 202, description = "The apply started; progress goes to the event stream", body = ApplyRun),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "closed change set, or an apply already running", body = ErrorBody), (status = 422, description = "qualifications fail", body = ErrorBody)))]
/// Starts applying a change set in the background: merge into HEAD, then run the
/// plan's actions. Read the outcome at the returned `Location`.
pub async fn apply(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, change_set)): ApiPath<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<impl IntoResponse> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Apply).await?;
    let request: ApplyRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ApplyRequest::default()
    } else {
        parse_json(&body)?
    };
    let (_, change_set) = state
        .engine
        .change_set(workspace.id.as_str(), &change_set)
        .await?;
    match change_set.status {
        ChangeSetStatus::Abandoned => {
            return Err(ApiError::conflict(
                "change_set_closed",
                format!(
                    "change set {:?} is abandoned and cannot be applied; create a new change set",
                    change_set.name
                ),
            ));
        }
        ChangeSetStatus::Open if !request.force => {
            applies::check_qualifications(&state, &workspace, &change_set).await?
        }
        _ => {}
    }
    let run = applies::start(
        &state,
        &workspace,
        &change_set,
        ApplyOptions {
            force: request.force,
        },
    )?;
    Ok(accepted(&run))
}

fn accepted(run: &ApplyRun) -> impl IntoResponse + use<> {
    let location = format!("/api/workspaces/{}/applies/{}", run.workspace_id, run.id);
    (
        StatusCode::ACCEPTED,
        [(LOCATION, location)],
        Json(run.clone()),
    )
}

#[utoipa::path(get, path = "/api/workspaces/{workspace}/applies", tag = "applies",
    params(("workspace" = String, Path, description = "Workspace name or id"), PageQuery),
    responses((status = 200, description = "A page of the applies this server ran, oldest first", body = Object), (status = 404, body = ErrorBody)))]
/// Lists the applies this server process started in a workspace.
pub async fn list_applies(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(workspace): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<Page<ApplyRun>>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    Ok(Json(paginate(state.applies.list(&workspace.id), &page)?))
}

#[utoipa::path(get, path = "/api/workspaces/{workspace}/applies/{id}", tag = "applies",
    params(("workspace" = String, Path, description = "Workspace name or id"), ("id" = String, Path, description = "Apply id")),
    responses((status = 200, body = ApplyRun), (status = 404, body = ErrorBody)))]
/// Shows an apply: running, or its outcome with the engine's report.
pub async fn show_apply(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<ApplyRun>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    state
        .applies
        .get(&workspace.id, &id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found("apply", &id))
}

#[utoipa::path(get, path = "/api/workspaces/{workspace}/actions", tag = "actions",
    params(("workspace" = String, Path, description = "Workspace name or id"), ActionQuery),
    responses((status = 200, description = "A page of actions run against AWS, oldest first", body = Object), (status = 404, body = ErrorBody)))]
/// Lists the actions run in a workspace, from the store.
pub async fn list_actions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(workspace): ApiPath<String>,
    ApiQuery(query): ApiQuery<ActionQuery>,
) -> ApiResult<Json<Page<ActionRecord>>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    let store = state.engine.store();
    let states: Vec<&str> = query.state.as_deref().into_iter().collect();
    let mut actions = store.list_actions(&workspace.id, &states).await?;
    if let Some(wanted) = &query.change_set {
        let ids: Vec<_> = store
            .list_change_sets(&workspace.id)
            .await?
            .into_iter()
            .filter(|cs| cs.id.as_str() == wanted || &cs.name == wanted)
            .map(|cs| cs.id)
            .collect();
        if ids.is_empty() {
            return Err(ApiError::not_found("change set", wanted));
        }
        actions.retain(|action| ids.contains(&action.change_set_id));
    }
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    };
    Ok(Json(paginate(actions, &page)?))
}

async fn find_action(
    state: &AppState,
    workspace: &canopy_store::Workspace,
    id: &str,
) -> ApiResult<ActionRecord> {
    state
        .engine
        .store()
        .find_action(&ActionId(id.to_string()))
        .await?
        .filter(|action| action.workspace_id == workspace.id)
        .ok_or_else(|| ApiError::not_found("action", id))
}

#[utoipa::path(post, path = "/api/workspaces/{workspace}/actions/{id}/retry", tag = "actions",
    params(("workspace" = String, Path, description = "Workspace name or id"), ("id" = String, Path, description = "Action id")),
    responses((status = 202, description = "An apply of HEAD started", body = ApplyRun), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
/// Retries an action by applying HEAD again, which runs every action HEAD still needs,
/// this one included.
pub async fn retry_action(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, id)): ApiPath<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Apply).await?;
    find_action(&state, &workspace, &id).await?;
    let head = state.engine.store().head(&workspace.id).await?;
    let run = applies::start(&state, &workspace, &head, ApplyOptions::default())?;
    Ok(accepted(&run))
}

#[utoipa::path(post, path = "/api/workspaces/{workspace}/actions/{id}/cancel", tag = "actions",
    params(("workspace" = String, Path, description = "Workspace name or id"), ("id" = String, Path, description = "Action id")),
    responses((status = 202, description = "Cloud Control was asked to cancel the request; the next apply records the outcome", body = Object), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// Asks Cloud Control to cancel the request of an action still in flight.
pub async fn cancel_action(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, id)): ApiPath<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Apply).await?;
    find_action(&state, &workspace, &id).await?;
    let record = state
        .engine
        .cancel_action(workspace.id.as_str(), &id)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(record)))
}

#[utoipa::path(post, path = "/api/workspaces/{workspace}/refresh", tag = "actions",
    params(("workspace" = String, Path, description = "Workspace name or id")),
    responses((status = 200, description = "What AWS holds for each resource of HEAD, with drift", body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
/// Reads every resource of HEAD from AWS and records drift.
pub async fn refresh(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(workspace): ApiPath<String>,
) -> ApiResult<Json<RefreshReport>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Edit).await?;
    let engine = state.engine_for(&workspace, "HEAD");
    let report = engine.refresh(workspace.id.as_str()).await?;
    for resource in &report.resources {
        state.events.publish(
            &workspace.id,
            Some("HEAD"),
            json!({"event": "resource_changed", "component": resource.component, "kind": "refresh", "state": resource.status, "identifier": resource.identifier}),
        );
    }
    Ok(Json(report))
}

#[utoipa::path(get, path = "/api/workspaces/{workspace}/events", tag = "events",
    params(("workspace" = String, Path, description = "Workspace name or id"), EventQuery),
    responses((status = 200, description = "Server-sent events, each a JSON object whose `event` field names its kind: subscribed, qualified, action_progress, action_finished, resource_changed, apply_started, apply_finished, change_set_created, change_set_abandoned, component_changed, component_deleted, secret_created, workspace_token_rotated, position_changed or lagged", content_type = "text/event-stream", body = String),
        (status = 404, body = ErrorBody)))]
/// Streams a workspace's live events. Browsers read the stream with `fetch` and a
/// `ReadableStream`, because `EventSource` cannot send the `Authorization` header.
///
/// NOTE: events are not stored, so `Last-Event-ID` cannot replay missed ones; a client
/// that reconnects reloads what it shows.
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(workspace): ApiPath<String>,
    ApiQuery(query): ApiQuery<EventQuery>,
) -> ApiResult<impl IntoResponse> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    Ok(state.events.stream(workspace.id, query.change_set))
}
