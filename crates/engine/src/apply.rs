//! Applying a change set: merge into HEAD, resume what an earlier apply left in flight,
//! then run the plan's actions, concurrently where the subscription graph allows.
//!
//! A failed action stops the actions that depend on it, not the others. The exit
//! status of an apply is whether every action succeeded.

use std::collections::{HashMap, HashSet};

use canopy_store::{ChangeSet, ChangeSetStatus, Workspace};
use serde::Serialize;
use tokio::task::JoinSet;

use crate::events::EngineEvent;
use crate::merge::merge;
use crate::plan::{Plan, PlannedAction};
use crate::qualify::FAILURE;
use crate::{Engine, EngineError, Result};

/// How to apply.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// Apply even when qualifications fail.
    pub force: bool,
}

/// The outcome of one action.
#[derive(Debug, Clone, Serialize)]
pub struct ActionOutcome {
    pub component: String,
    pub kind: String,
    /// succeeded, failed, skipped or unknown
    pub state: String,
    pub identifier: Option<String>,
    pub request_token: Option<String>,
    pub message: Option<String>,
}

impl ActionOutcome {
    pub fn succeeded(&self) -> bool {
        self.state == "succeeded"
    }
}

/// The result of an apply.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub change_set: String,
    /// Actions of an earlier apply that this one finished first.
    pub resumed: Vec<ActionOutcome>,
    pub plan: Plan,
    pub actions: Vec<ActionOutcome>,
}

impl ApplyReport {
    /// True when every resumed and planned action succeeded.
    pub fn success(&self) -> bool {
        self.resumed
            .iter()
            .chain(&self.actions)
            .all(ActionOutcome::succeeded)
    }
}

impl Engine {
    /// Applies a change set: checks qualifications (unless forced), merges it into HEAD
    /// (stopping on conflicts), resumes in-flight actions, and runs the plan. Applying
    /// an applied change set, or HEAD, runs whatever HEAD still needs.
    pub async fn apply(
        &self,
        workspace: &str,
        change_set: &str,
        options: &ApplyOptions,
    ) -> Result<ApplyReport> {
        let (workspace, change_set) = self.change_set(workspace, change_set).await?;
        match change_set.status {
            ChangeSetStatus::Open => {
                self.merge_change_set(&workspace, &change_set, options)
                    .await?
            }
            ChangeSetStatus::Abandoned => {
                return Err(EngineError::ChangeSetClosed {
                    name: change_set.name,
                    status: "abandoned".into(),
                });
            }
            ChangeSetStatus::Head | ChangeSetStatus::Applied => {}
        }
        tracing::info!(workspace.id = %workspace.id, change_set.id = %change_set.id, "applying change set");

        let resumed = self.resume_in_flight(&workspace).await?;
        let head = self.store.head(&workspace.id).await?;
        let target = self.target(&workspace, &head).await?;
        let mut plan = self.plan_target(&workspace, &change_set, &target).await?;
        plan.change_set = change_set.name.clone();
        // HEAD's components stay as merged for the whole apply, so every action reads
        // them from this one snapshot instead of loading HEAD again.
        let components = std::sync::Arc::new(target.all());
        let actions = self
            .run_actions(&workspace, &change_set, plan.actions.clone(), components)
            .await;
        self.purge_deleted_builtins(&workspace).await?;
        Ok(ApplyReport {
            change_set: change_set.name,
            resumed,
            plan,
            actions,
        })
    }

    /// Abandons an open change set; its edits are dropped and nothing runs. The records
    /// of resources it imported are forgotten; the resources themselves are untouched.
    pub async fn abandon(&self, workspace: &str, change_set: &str) -> Result<ChangeSet> {
        let (workspace, change_set) = self.editable_change_set(workspace, change_set).await?;
        self.store
            .set_change_set_status(&change_set.id, ChangeSetStatus::Abandoned)
            .await?;
        // After the status change, so an interruption leaves unowned records and never
        // an open change set whose imported components lost their resource.
        self.forget_added_resources(&workspace, &change_set).await?;
        Ok(ChangeSet {
            status: ChangeSetStatus::Abandoned,
            ..change_set
        })
    }

    async fn merge_change_set(
        &self,
        workspace: &Workspace,
        change_set: &ChangeSet,
        options: &ApplyOptions,
    ) -> Result<()> {
        self.qualify_change_set(workspace.id.as_str(), change_set.id.as_str())
            .await?;
        let ours = self.store.list_components(&change_set.id).await?;
        // Only what this change set adds or changes is gated, because a component
        // already in HEAD fails or passes the same way in every change set.
        let mut failures = Vec::new();
        let changed = ours
            .iter()
            .filter(|c| !c.deleted && c.base.as_ref() != Some(&c.snapshot));
        for component in changed {
            for q in self
                .store
                .list_qualifications(&change_set.id, &component.id)
                .await?
            {
                if q.status == FAILURE {
                    failures.push(format!("{} {}: {}", component.name(), q.name, q.message));
                }
            }
        }
        if !failures.is_empty() && !options.force {
            return Err(EngineError::QualificationsFail {
                count: failures.len(),
                summary: failures.join("; "),
            });
        }
        let head = self.store.head(&workspace.id).await?;
        let head_live: Vec<_> = self
            .store
            .list_components(&head.id)
            .await?
            .into_iter()
            .filter(|c| !c.deleted)
            .collect();
        let merged = merge(change_set, &head_live, &ours);
        if !merged.conflicts.is_empty() {
            return Err(EngineError::Conflicts {
                change_set: change_set.name.clone(),
                conflicts: merged.conflicts,
            });
        }
        self.store
            .merge_into_head(change_set, &merged.changed, &merged.removed)
            .await?;
        let changed: Vec<_> = merged.changed.iter().map(|c| c.id.clone()).collect();
        self.store
            .copy_qualifications(&change_set.id, &head.id, &changed)
            .await?;
        tracing::info!(change_set.id = %change_set.id, changed = merged.changed.len(), removed = merged.removed.len(), "merged change set into HEAD");
        Ok(())
    }

    /// Runs actions as their dependencies finish, at most `concurrency` at once. An
    /// action whose dependency did not succeed is skipped.
    async fn run_actions(
        &self,
        workspace: &Workspace,
        change_set: &ChangeSet,
        actions: Vec<PlannedAction>,
        components: std::sync::Arc<Vec<canopy_store::Component>>,
    ) -> Vec<ActionOutcome> {
        let mut pending: Vec<PlannedAction> = actions;
        let mut outcomes: HashMap<String, ActionOutcome> = HashMap::new();
        let mut order: Vec<String> = pending.iter().map(|a| a.component.clone()).collect();
        order.dedup();
        let mut running: JoinSet<ActionOutcome> = JoinSet::new();
        let mut in_progress: HashSet<String> = HashSet::new();
        let concurrency = self.config.concurrency.max(1);

        loop {
            // Skip actions whose dependencies failed; start those that are ready.
            let mut index = 0;
            while index < pending.len() {
                let action = &pending[index];
                let failed_dependency = action
                    .depends_on
                    .iter()
                    .find(|d| outcomes.get(*d).is_some_and(|o| !o.succeeded()))
                    .cloned();
                if let Some(dependency) = failed_dependency {
                    let action = pending.remove(index);
                    let outcome = ActionOutcome {
                        component: action.component.clone(),
                        kind: action.kind.as_str().to_string(),
                        state: "skipped".into(),
                        identifier: action.identifier.clone(),
                        request_token: None,
                        message: Some(format!(
                            "skipped because the action on {dependency} did not succeed"
                        )),
                    };
                    (self.events)(&EngineEvent::ActionFinished {
                        component: outcome.component.clone(),
                        kind: outcome.kind.clone(),
                        state: outcome.state.clone(),
                        message: outcome.message.clone(),
                    });
                    outcomes.insert(outcome.component.clone(), outcome);
                    continue;
                }
                let ready = pending[index]
                    .depends_on
                    .iter()
                    .all(|d| outcomes.contains_key(d));
                if ready && running.len() < concurrency {
                    let action = pending.remove(index);
                    in_progress.insert(action.component.clone());
                    let engine = self.clone();
                    let workspace = workspace.clone();
                    let change_set = change_set.clone();
                    let components = components.clone();
                    running.spawn(async move {
                        engine
                            .run_action(&workspace, &change_set, action, components)
                            .await
                    });
                    continue;
                }
                index += 1;
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let outcome = joined.unwrap_or_else(|error| ActionOutcome {
                component: "(unknown)".into(),
                kind: "unknown".into(),
                state: "failed".into(),
                identifier: None,
                request_token: None,
                message: Some(format!("action task failed: {error}")),
            });
            in_progress.remove(&outcome.component);
            (self.events)(&EngineEvent::ActionFinished {
                component: outcome.component.clone(),
                kind: outcome.kind.clone(),
                state: outcome.state.clone(),
                message: outcome.message.clone(),
            });
            outcomes.insert(outcome.component.clone(), outcome);
        }
        order
            .into_iter()
            .filter_map(|name| outcomes.remove(&name))
            .collect()
    }

    /// Removes deleted Region and AWS Credential components from HEAD once no deleted
    /// resource component still needs them.
    async fn purge_deleted_builtins(&self, workspace: &Workspace) -> Result<()> {
        let head = self.store.head(&workspace.id).await?;
        let components = self.store.list_components(&head.id).await?;
        for builtin in components
            .iter()
            .filter(|c| c.deleted && crate::builtin::is_builtin(c.schema()))
        {
            let needed = components.iter().any(|c| {
                c.id != builtin.id
                    && (c.snapshot.region_id.as_ref() == Some(&builtin.id)
                        || c.snapshot.credential_id.as_ref() == Some(&builtin.id))
            });
            if !needed {
                self.store.remove_component(&head.id, &builtin.id).await?;
            }
        }
        Ok(())
    }
}
