//! AWS sessions for components: the credential component's secret, the region
//! component's region and the workspace token, resolved into an SDK session.
//!
//! Sessions are cached per credential, secret version and region for the life of the
//! engine, so one apply assumes a role once, and aws-config refreshes the assumed
//! credentials before they expire.

use std::collections::HashMap;
use std::sync::Mutex;

use canopy_aws::credentials::{self, AwsSession};
use canopy_store::{Component, Workspace};

use crate::builtin::{AWS_CREDENTIAL, REGION, region_of, secret_of};
use crate::{Engine, EngineError, Result};

#[derive(Default)]
pub(crate) struct SessionCache {
    sessions: Mutex<HashMap<String, AwsSession>>,
}

/// Returns the role session name canopy uses for a workspace. It carries the workspace id,
/// never the token, because session names appear in the customer's CloudTrail.
pub(crate) fn session_name(workspace: &Workspace) -> String {
    let short: String = workspace
        .id
        .as_str()
        .chars()
        .filter(|c| *c != '-')
        .take(12)
        .collect();
    format!("canopy-{short}")
}

impl Engine {
    /// Builds (or reuses) the session of an AWS Credential component in a region.
    pub(crate) async fn session_for_credential(
        &self,
        workspace: &Workspace,
        credential: &Component,
        region: &str,
    ) -> Result<AwsSession> {
        let secret_name = secret_of(&credential.snapshot.domain).ok_or_else(|| {
            EngineError::invalid(
                format!("component {:?}", credential.name()),
                "an AWS Credential component needs /Secret, the name of a secret: `canopy component set NAME /Secret SECRET`",
            )
        })?;
        let secret = self
            .store
            .find_secret(&workspace.id, secret_name)
            .await?
            .ok_or_else(|| {
                EngineError::invalid(
                    format!("/Secret of {:?}", credential.name()),
                    format!("no secret named {secret_name:?}; create it with `canopy secret create {secret_name}`"),
                )
            })?;
        let key = format!(
            "{}|{}|{}|{}",
            workspace.id, secret.id, secret.updated_at, region
        );
        if let Some(session) = self
            .sessions
            .sessions
            .lock()
            .expect("session cache lock")
            .get(&key)
        {
            return Ok(session.clone());
        }
        let value = self.read_aws_secret(&secret).await?;
        let token = self.store.workspace_token(&workspace.id).await?;
        let session = credentials::connect(
            &value,
            region,
            &self.config.own_identity,
            token.expose(),
            &session_name(workspace),
        )
        .await?;
        self.sessions
            .sessions
            .lock()
            .expect("session cache lock")
            .insert(key, session.clone());
        Ok(session)
    }

    /// Builds the session of a resource component from its linked credential and region.
    pub(crate) async fn session_for_component(
        &self,
        workspace: &Workspace,
        components: &[Component],
        component: &Component,
    ) -> Result<(AwsSession, String)> {
        let region = linked_region(components, component)?;
        let credential = linked(components, component, AWS_CREDENTIAL)?;
        let session = self
            .session_for_credential(workspace, credential, &region)
            .await?;
        Ok((session, region))
    }
}

/// Finds the Region component a resource component links to, and its region name.
pub(crate) fn linked_region(components: &[Component], component: &Component) -> Result<String> {
    let region = linked(components, component, REGION)?;
    region_of(&region.snapshot.domain)
        .map(str::to_string)
        .ok_or_else(|| EngineError::MissingLink {
            component: component.name().to_string(),
            needed: "a region",
            fix: format!("set /Region on Region component {:?}", region.name()),
        })
}

pub(crate) fn linked<'a>(
    components: &'a [Component],
    component: &Component,
    schema: &'static str,
) -> Result<&'a Component> {
    let id = match schema {
        REGION => component.snapshot.region_id.as_ref(),
        _ => component.snapshot.credential_id.as_ref(),
    };
    let (needed, flag) = match schema {
        REGION => ("a Region component", "--region"),
        _ => ("an AWS Credential component", "--credential"),
    };
    let missing = || EngineError::MissingLink {
        component: component.name().to_string(),
        needed,
        fix: format!(
            "create one in the change set; new components link to it with `canopy component create ... {flag} NAME`"
        ),
    };
    let id = id.ok_or_else(missing)?;
    components.iter().find(|c| &c.id == id).ok_or_else(missing)
}
