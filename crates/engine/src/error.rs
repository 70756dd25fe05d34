//! Errors from the engine. Each message names the value involved and what to do.

use serde::Serialize;

/// One property changed both in HEAD and in a change set, to different values.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    pub component: String,
    pub property: String,
    pub detail: String,
}

/// Failure of an engine operation.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] canopy_store::StoreError),

    #[error(transparent)]
    Schema(#[from] canopy_schema::SchemaError),

    #[error(transparent)]
    Core(#[from] canopy_core::CoreError),

    #[error(transparent)]
    Credential(#[from] canopy_aws::credentials::CredentialError),

    #[error(transparent)]
    CloudControl(#[from] canopy_aws::cloudcontrol::CloudControlError),

    #[error(transparent)]
    Import(#[from] crate::import::ImportError),

    #[error(
        "HEAD is the applied state and cannot be edited; create a change set with `canopy change-set create NAME` and edit that"
    )]
    HeadIsReadOnly,

    #[error(
        "change set {name:?} is {status} and can no longer be edited or applied; create a new change set"
    )]
    ChangeSetClosed { name: String, status: String },

    #[error("invalid value for {what}: {reason}")]
    InvalidInput { what: String, reason: String },

    #[error("component {component:?} needs {needed}: {fix}")]
    MissingLink {
        component: String,
        needed: &'static str,
        fix: String,
    },

    #[error("subscription would create a cycle: {}", cycle.join(" -> "))]
    Cycle { cycle: Vec<String> },

    #[error(
        "change set {change_set:?} conflicts with HEAD: {}; abandon it and make the change again in a new change set",
        describe_conflicts(conflicts)
    )]
    Conflicts {
        change_set: String,
        conflicts: Vec<Conflict>,
    },

    #[error(
        "{count} qualification(s) fail: {summary}; fix them, or apply with --force to run anyway"
    )]
    QualificationsFail { count: usize, summary: String },

    #[error("type {type_name} is not available in region {region}; choose a region that offers it")]
    TypeNotInRegion { type_name: String, region: String },
}

fn describe_conflicts(conflicts: &[Conflict]) -> String {
    conflicts
        .iter()
        .map(|c| {
            format!(
                "component {:?} property {} ({})",
                c.component, c.property, c.detail
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl EngineError {
    pub(crate) fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        EngineError::InvalidInput {
            what: what.into(),
            reason: reason.into(),
        }
    }
}
