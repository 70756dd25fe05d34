//! canopy's HTTP API: every service of the engine as JSON under `/api`, with bearer
//! tokens, live server-sent events and applies that run in the background.
//!
//! Security rules kept here:
//! - Every `/api` route except the OpenAPI document needs a bearer token.
//! - State-changing requests whose `Origin` header names another origin are rejected.
//! - No CORS header is ever sent, so browsers keep other sites' pages out.
//! - Secret values and tokens appear in no response. The exceptions are an API token in
//!   the response that creates it, and the workspace token in its reveal and rotate
//!   responses.

mod applies;
mod auth;
mod error;
mod events;
mod extract;
mod openapi;
mod page;
mod routes;
mod ui;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::header::{HOST, ORIGIN};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use canopy_engine::Engine;
use canopy_store::{Sensitive, Workspace};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use utoipa::OpenApi;

pub use applies::{ApplyRun, ApplyStatus};
pub use auth::{TOKEN_PREFIX, ensure_admin_token};
pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use openapi::ApiDoc;

use crate::routes::{change_sets, components, positions, schemas, workspaces};

/// The state every handler shares: the engine, the event hub and the apply runs.
#[derive(Clone)]
pub struct AppState {
    engine: Engine,
    events: events::EventHub,
    applies: Arc<applies::Applies>,
}

impl AppState {
    pub fn new(engine: Engine) -> AppState {
        AppState {
            engine,
            events: events::EventHub::default(),
            applies: Arc::new(applies::Applies::default()),
        }
    }

    /// Returns the engine with its events going to the workspace's streams, tagged
    /// with `change_set`.
    fn engine_for(&self, workspace: &Workspace, change_set: &str) -> Engine {
        self.engine
            .clone()
            .with_events(self.events.sink(&workspace.id, change_set))
    }
}

/// Builds the router: `/api/...`, `/api/openapi.json` and the web UI at `/` and `/login`.
pub fn router(engine: Engine) -> Router {
    router_with_state(AppState::new(engine))
}

fn router_with_state(state: AppState) -> Router {
    let workspace = "/api/workspaces/{workspace}";
    let change_set = "/api/workspaces/{workspace}/change-sets/{change_set}";
    let component = "/api/workspaces/{workspace}/change-sets/{change_set}/components/{component}";
    let api = Router::new()
        .route("/api/session", get(workspaces::session))
        .route(
            "/api/workspaces",
            get(workspaces::list).post(workspaces::create),
        )
        .route(workspace, get(workspaces::show))
        .route(&format!("{workspace}/token"), get(workspaces::reveal_token))
        .route(
            &format!("{workspace}/token/rotate"),
            post(workspaces::rotate_token),
        )
        .route(
            &format!("{workspace}/tokens"),
            get(workspaces::list_workspace_tokens).post(workspaces::create_workspace_token),
        )
        .route(
            "/api/tokens",
            get(workspaces::list_tokens).post(workspaces::create_admin_token),
        )
        .route("/api/tokens/{id}", delete(workspaces::revoke_token))
        .route(
            &format!("{workspace}/secrets"),
            get(workspaces::list_secrets).post(workspaces::create_secret),
        )
        .route(
            &format!("{workspace}/change-sets"),
            get(change_sets::list).post(change_sets::create),
        )
        .route(change_set, get(change_sets::show))
        .route(&format!("{change_set}/abandon"), post(change_sets::abandon))
        .route(&format!("{change_set}/plan"), get(change_sets::plan))
        .route(&format!("{change_set}/apply"), post(change_sets::apply))
        .route(
            &format!("{workspace}/applies"),
            get(change_sets::list_applies),
        )
        .route(
            &format!("{workspace}/applies/{{id}}"),
            get(change_sets::show_apply),
        )
        .route(
            &format!("{workspace}/actions"),
            get(change_sets::list_actions),
        )
        .route(
            &format!("{workspace}/actions/{{id}}/retry"),
            post(change_sets::retry_action),
        )
        .route(
            &format!("{workspace}/actions/{{id}}/cancel"),
            post(change_sets::cancel_action),
        )
        .route(&format!("{workspace}/refresh"), post(change_sets::refresh))
        .route(&format!("{workspace}/events"), get(change_sets::events))
        .route(&format!("{workspace}/positions"), get(positions::list))
        .route(
            &format!("{workspace}/positions/{{component}}"),
            put(positions::put),
        )
        .route(
            &format!("{change_set}/components"),
            get(components::list).post(components::create),
        )
        .route(&format!("{change_set}/import"), post(components::import))
        .route(
            &format!("{change_set}/discover"),
            post(components::discover),
        )
        .route(component, get(components::show).delete(components::delete))
        .route(
            &format!("{component}/properties"),
            post(components::set_property).delete(components::unset_property),
        )
        .route(
            &format!("{component}/subscriptions"),
            post(components::subscribe).delete(components::unsubscribe),
        )
        .route("/api/schemas", get(schemas::list))
        .route("/api/schemas/{type_name}", get(schemas::show))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    Router::new()
        .merge(api)
        .route("/api/openapi.json", get(openapi_document))
        .merge(ui::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(reject_cross_origin))
        .with_state(state)
}

async fn openapi_document() -> impl IntoResponse {
    axum::Json(ApiDoc::openapi())
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such route; /api/openapi.json lists the routes",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept that method; /api/openapi.json lists the methods of each route",
    )
}

/// Rejects state-changing requests whose `Origin` is not this server's own, so a page
/// on another site cannot drive the API through a user's browser.
async fn reject_cross_origin(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && let Some(origin) = request.headers().get(ORIGIN) {
        let host = request.headers().get(HOST).and_then(|h| h.to_str().ok());
        let same = match (origin.to_str().ok(), host) {
            (Some(origin), Some(host)) => {
                origin.eq_ignore_ascii_case(&format!("http://{host}"))
                    || origin.eq_ignore_ascii_case(&format!("https://{host}"))
            }
            _ => false,
        };
        if !same {
            tracing::warn!(origin = ?origin, method = %request.method(), path = %request.uri().path(), "rejected a cross-origin request");
            return ApiError::new(StatusCode::FORBIDDEN, "cross_origin", "cross-origin requests that change state are rejected; send the request from canopy's own origin or without an Origin header")
                .into_response();
        }
    }
    next.run(request).await
}

/// Formats the URL that logs a browser in with `token`, for the server at `addr`.
pub fn login_url(addr: SocketAddr, token: &Sensitive<String>) -> String {
    let host = if addr.ip().is_unspecified() {
        SocketAddr::new([127, 0, 0, 1].into(), addr.port())
    } else {
        addr
    };
    format!("http://{host}/login#token={}", token.expose())
}

/// A server running in the background.
pub struct RunningServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    events: events::EventHub,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns the base URL, such as `http://127.0.0.1:7070`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Ends the event streams, stops accepting connections, lets open requests finish,
    /// and waits. Applies running in the background are not waited for: the engine
    /// recorded their request tokens, so the next apply resumes them.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        self.events.close();
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        match self.task.await {
            Ok(result) => result,
            Err(error) => Err(std::io::Error::other(error)),
        }
    }
}

/// Binds `listen` and serves the API in a background task.
pub async fn start(engine: Engine, listen: SocketAddr) -> std::io::Result<RunningServer> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (sender, receiver) = oneshot::channel::<()>();
    let state = AppState::new(engine);
    let events = state.events.clone();
    let app = router_with_state(state);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = receiver.await;
            })
            .await
    });
    tracing::info!(%addr, "serving the canopy API");
    Ok(RunningServer {
        addr,
        shutdown: Some(sender),
        events,
        task,
    })
}
