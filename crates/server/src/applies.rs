//! Applies run by the server: each runs in a background task, one at a time per
//! workspace, and its outcome stays readable afterwards.
//!
//! NOTE: runs are kept in memory only, the newest [`MAX_RUNS`] of them, so they are lost
//! on restart. The actions table keeps every action either way.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use canopy_engine::{ApplyOptions, ApplyReport, EngineError};
use canopy_store::{ChangeSet, Workspace, WorkspaceId};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorDetail};

/// Finished runs kept for reading back.
const MAX_RUNS: usize = 500;

/// The state of an apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplyStatus {
    Running,
    /// Every action succeeded.
    Succeeded,
    /// The apply ran, and some action did not succeed.
    Failed,
    /// The apply stopped before running actions, such as on a merge conflict.
    Error,
}

/// One apply the server started.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApplyRun {
    pub id: String,
    pub workspace_id: String,
    /// The change set applied, by name; `HEAD` for a retry.
    pub change_set: String,
    pub status: ApplyStatus,
    pub started_at: String,
    pub finished_at: Option<String>,
    /// The engine's report, once the apply ran.
    #[schema(value_type = Option<Object>)]
    pub report: Option<ApplyReport>,
    /// The reason the apply stopped, when its status is `error`.
    pub error: Option<ErrorDetail>,
}

#[derive(Default)]
struct Table {
    runs: VecDeque<ApplyRun>,
    running: HashSet<WorkspaceId>,
}

/// The server's apply runs.
#[derive(Default)]
pub struct Applies {
    table: Mutex<Table>,
}

impl Applies {
    fn begin(&self, workspace: &Workspace, change_set: &str) -> ApiResult<ApplyRun> {
        let mut table = self.table.lock().expect("apply table lock");
        if table.running.contains(&workspace.id) {
            return Err(ApiError::conflict(
                "apply_in_progress",
                format!(
                    "an apply is already running in workspace {:?}; wait for it to finish (see GET /api/workspaces/{}/applies)",
                    workspace.name, workspace.id
                ),
            ));
        }
        let run = ApplyRun {
            id: uuid::Uuid::new_v4().to_string(),
            workspace_id: workspace.id.to_string(),
            change_set: change_set.to_string(),
            status: ApplyStatus::Running,
            started_at: now(),
            finished_at: None,
            report: None,
            error: None,
        };
        table.running.insert(workspace.id.clone());
        table.runs.push_back(run.clone());
        while table.runs.len() > MAX_RUNS {
            let Some(index) = table
                .runs
                .iter()
                .position(|r| r.status != ApplyStatus::Running)
            else {
                break;
            };
            table.runs.remove(index);
        }
        Ok(run)
    }

    fn finish(
        &self,
        workspace: &WorkspaceId,
        id: &str,
        result: Result<ApplyReport, ApiError>,
    ) -> Option<ApplyRun> {
        let mut table = self.table.lock().expect("apply table lock");
        table.running.remove(workspace);
        let run = table.runs.iter_mut().find(|r| r.id == id)?;
        run.finished_at = Some(now());
        match result {
            Ok(report) => {
                run.status = if report.success() {
                    ApplyStatus::Succeeded
                } else {
                    ApplyStatus::Failed
                };
                run.report = Some(report);
            }
            Err(error) => {
                run.status = ApplyStatus::Error;
                run.error = Some(error.body().error);
            }
        }
        Some(run.clone())
    }

    /// Gets a run of a workspace.
    pub fn get(&self, workspace: &WorkspaceId, id: &str) -> Option<ApplyRun> {
        let table = self.table.lock().expect("apply table lock");
        table
            .runs
            .iter()
            .find(|r| r.id == id && r.workspace_id == workspace.as_str())
            .cloned()
    }

    /// Lists the runs of a workspace, oldest first.
    pub fn list(&self, workspace: &WorkspaceId) -> Vec<ApplyRun> {
        let table = self.table.lock().expect("apply table lock");
        table
            .runs
            .iter()
            .filter(|r| r.workspace_id == workspace.as_str())
            .cloned()
            .collect()
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Checks qualifications before an apply is accepted, so a failing change set gets
/// its error in the response instead of in a background run. The engine checks again
/// when it merges.
pub async fn check_qualifications(
    state: &AppState,
    workspace: &Workspace,
    change_set: &ChangeSet,
) -> ApiResult<()> {
    let engine = state.engine_for(workspace, &change_set.name);
    engine
        .qualify_change_set(workspace.id.as_str(), change_set.id.as_str())
        .await?;
    let store = engine.store();
    let mut failures = Vec::new();
    for component in store
        .list_components(&change_set.id)
        .await?
        .iter()
        .filter(|c| !c.deleted)
    {
        for qualification in store
            .list_qualifications(&change_set.id, &component.id)
            .await?
        {
            if qualification.status == "failure" {
                failures.push(format!(
                    "{} {}: {}",
                    component.name(),
                    qualification.name,
                    qualification.message
                ));
            }
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    let mut error = ApiError::from(EngineError::QualificationsFail {
        count: failures.len(),
        summary: failures.join("; "),
    });
    error.message = error
        .message
        .replace("apply with --force", "apply with {\"force\": true}");
    Err(error)
}

/// Starts applying a change set (or HEAD) in a background task and returns its run.
pub fn start(
    state: &AppState,
    workspace: &Workspace,
    change_set: &ChangeSet,
    options: ApplyOptions,
) -> ApiResult<ApplyRun> {
    let run = state.applies.begin(workspace, &change_set.name)?;
    tracing::info!(apply.id = %run.id, workspace.id = %workspace.id, change_set.id = %change_set.id, "starting apply");
    state.events.publish(
        &workspace.id,
        Some(&change_set.name),
        json!({"event": "apply_started", "apply_id": run.id}),
    );
    let engine = state.engine_for(workspace, &change_set.name);
    let state = state.clone();
    let workspace = workspace.clone();
    let change_set = change_set.clone();
    let id = run.id.clone();
    tokio::spawn(async move {
        let target = change_set.id.to_string();
        let workspace_id = workspace.id.to_string();
        // The apply runs in its own task so that a panic in it still ends the run.
        let joined =
            tokio::spawn(async move { engine.apply(&workspace_id, &target, &options).await }).await;
        let result = match joined {
            Ok(Ok(report)) => Ok(report),
            Ok(Err(error)) => {
                tracing::warn!(apply.id = %id, %error, "apply stopped");
                Err(ApiError::from(error))
            }
            Err(error) => {
                tracing::error!(apply.id = %id, %error, "apply task failed");
                Err(ApiError::internal())
            }
        };
        let Some(finished) = state.applies.finish(&workspace.id, &id, result) else {
            return;
        };
        tracing::info!(apply.id = %id, status = ?finished.status, "finished apply");
        if let Some(report) = &finished.report {
            for action in report.resumed.iter().chain(&report.actions) {
                state.events.publish(
                    &workspace.id,
                    Some(&change_set.name),
                    json!({
                        "event": "resource_changed",
                        "component": action.component,
                        "kind": action.kind,
                        "state": action.state,
                        "identifier": action.identifier,
                    }),
                );
            }
        }
        state.events.publish(
            &workspace.id,
            Some(&change_set.name),
            json!({"event": "apply_finished", "apply_id": id, "status": finished.status, "error": finished.error}),
        );
    });
    Ok(run)
}
