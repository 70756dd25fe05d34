//! The OpenAPI document, generated from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{change_sets, components, positions, schemas, workspaces};

#[derive(OpenApi)]
#[openapi(
    info(title = "canopy API", description = "Model AWS infrastructure as components, edit it in change sets, plan and apply through Cloud Control. Every route but this document needs `Authorization: Bearer cnpt_...`."),
    paths(
        workspaces::session,
        workspaces::list,
        workspaces::create,
        workspaces::show,
        workspaces::reveal_token,
        workspaces::rotate_token,
        workspaces::list_workspace_tokens,
        workspaces::create_workspace_token,
        workspaces::list_tokens,
        workspaces::create_admin_token,
        workspaces::revoke_token,
        workspaces::list_secrets,
        workspaces::create_secret,
        change_sets::list,
        change_sets::create,
        change_sets::show,
        change_sets::abandon,
        change_sets::plan,
        change_sets::apply,
        change_sets::list_applies,
        change_sets::show_apply,
        change_sets::list_actions,
        change_sets::retry_action,
        change_sets::cancel_action,
        change_sets::refresh,
        change_sets::events,
        components::list,
        components::create,
        components::import,
        components::discover,
        components::show,
        components::delete,
        components::set_property,
        components::unset_property,
        components::subscribe,
        components::unsubscribe,
        positions::list,
        positions::put,
        schemas::list,
        schemas::show,
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
