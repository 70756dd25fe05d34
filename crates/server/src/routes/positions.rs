//! Canvas positions of components, which the web UI stores so cards stay where people
//! drag them.

use axum::Json;
use axum::extract::State;
use canopy_store::{ComponentId, ComponentPosition, TokenRole};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::{self, Caller};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, JsonBody};
use crate::page::Page;

/// The largest coordinate accepted, in CSS pixels at zoom 1.
const MAX_COORDINATE: f64 = 1_000_000.0;

/// Request body that places a component's card.
#[derive(Deserialize, ToSchema)]
pub struct PutPosition {
    /// Left edge of the card, in CSS pixels at zoom 1.
    pub x: f64,
    /// Top edge of the card, in CSS pixels at zoom 1.
    pub y: f64,
}

#[utoipa::path(get, path = "/api/workspaces/{workspace}/positions", tag = "positions",
    params(("workspace" = String, Path, description = "Workspace name or id")),
    responses((status = 200, description = "Every stored card position of the workspace: {items: [{component_id, x, y}]}", body = Object), (status = 404, body = ErrorBody)))]
/// Lists the canvas positions of a workspace's components.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(workspace): ApiPath<String>,
) -> ApiResult<Json<Page<ComponentPosition>>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::View).await?;
    let items = state.engine.store().list_positions(&workspace.id).await?;
    Ok(Json(Page {
        items,
        next_cursor: None,
    }))
}

#[utoipa::path(put, path = "/api/workspaces/{workspace}/positions/{component}", tag = "positions", request_body = PutPosition,
    params(("workspace" = String, Path, description = "Workspace name or id"), ("component" = String, Path, description = "Component id")),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
/// Stores where a component's card sits. Positions belong to the workspace, so every
/// change set shows the card in the same place.
///
/// NOTE: the component id is not checked against the change sets, so a position can
/// outlive its component; the UI ignores positions of components it does not list.
pub async fn put(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((workspace, component)): ApiPath<(String, String)>,
    JsonBody(body): JsonBody<PutPosition>,
) -> ApiResult<Json<ComponentPosition>> {
    let workspace = auth::workspace_for(&state, &caller, &workspace, TokenRole::Edit).await?;
    if component.is_empty() || component.len() > 128 || component.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!(
            "invalid component id {component:?}: use the id of a component"
        )));
    }
    for (axis, value) in [("x", body.x), ("y", body.y)] {
        if !value.is_finite() || value.abs() > MAX_COORDINATE {
            return Err(ApiError::invalid(format!(
                "invalid {axis} {value}: use a number from -{MAX_COORDINATE} to {MAX_COORDINATE}"
            )));
        }
    }
    let position = ComponentPosition {
        component_id: ComponentId(component),
        x: body.x,
        y: body.y,
    };
    state
        .engine
        .store()
        .put_position(&workspace.id, &position)
        .await?;
    state.events.publish(
        &workspace.id,
        None,
        json!({"event": "position_changed", "component_id": position.component_id, "x": position.x, "y": position.y}),
    );
    Ok(Json(position))
}
