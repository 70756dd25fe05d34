//! `--server URL`: each command as a request to the API of `canopy serve`, printed the
//! way the local mode prints it.
//!
//! The API token comes from the CANOPY_TOKEN environment variable and is sent only in
//! the `Authorization` header. No message or log line of this module contains it.

mod text;

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::args::*;
use crate::output::Printer;
use crate::{EXIT_ACTIONS_FAILED, EXIT_CONFLICT, EXIT_QUALIFICATIONS};

/// The environment variable that contains the API token for `--server`.
pub const TOKEN_VARIABLE: &str = "CANOPY_TOKEN";

/// Time to wait for a TCP connection to the server.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time between two reads of a running apply's status.
const APPLY_POLL_INTERVAL: Duration = Duration::from_millis(300);
/// Items per page when reading a list, which is the API's maximum.
const PAGE_LIMIT: usize = 500;

/// An error response of the server: its stable code and its message for people.
#[derive(Debug)]
pub struct RemoteError {
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RemoteError {}

impl RemoteError {
    /// Maps the server's error code to the exit code the local mode uses for the same
    /// failure.
    pub fn exit_code(&self) -> u8 {
        match self.code.as_str() {
            "merge_conflict" => EXIT_CONFLICT,
            "qualifications_fail" => EXIT_QUALIFICATIONS,
            _ => 1,
        }
    }
}

/// Runs one command against the server at `server`.
pub async fn run(cli: Cli, server: &str) -> Result<u8> {
    reject_unsupported(&cli.command)?;
    let client = ApiClient::new(server)?;
    let session = RemoteSession {
        client,
        workspace: cli.global.workspace.clone(),
        printer: Printer::new(cli.global.output),
        output: cli.global.output,
    };
    session.dispatch(cli.command).await
}

/// Rejects the commands that have no route in the API, before the token is read.
fn reject_unsupported(command: &Command) -> Result<()> {
    let name = match command {
        Command::Secret(SecretCommand::Update(_)) => "secret update",
        Command::Demo(_) => "demo",
        Command::Serve(_) => "serve",
        Command::ChangeSet(ChangeSetCommand::Apply {
            timeout: Some(_), ..
        }) => {
            bail!(
                "--timeout is not supported with --server: the server waits for each Cloud Control request as long as the schema's handler timeout; drop --timeout or apply locally"
            )
        }
        Command::Workspace(WorkspaceCommand::Use { name }) => {
            bail!(
                "`canopy workspace use` does not support --server: choose the server's workspace with --workspace {name} or CANOPY_WORKSPACE={name}"
            )
        }
        _ => return Ok(()),
    };
    bail!(
        "`canopy {name}` does not support --server: run it without --server (and without CANOPY_SERVER) against a local data directory"
    )
}

/// A bearer token whose value never shows in `Debug` output.
struct BearerToken(HeaderValue);

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

impl BearerToken {
    /// Reads the token from CANOPY_TOKEN.
    fn from_env() -> Result<BearerToken> {
        let token = match std::env::var(TOKEN_VARIABLE) {
            Ok(token) if !token.trim().is_empty() => token,
            Ok(_) | Err(std::env::VarError::NotPresent) => bail!(
                "{TOKEN_VARIABLE} is not set: --server needs an API token in the environment variable {TOKEN_VARIABLE}, such as the administrator token in the login URL that `canopy serve` prints on its first start"
            ),
            Err(std::env::VarError::NotUnicode(_)) => {
                bail!(
                    "{TOKEN_VARIABLE} is not valid UTF-8; set it to the API token, such as cnpt_..."
                )
            }
        };
        let mut value = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .map_err(|_| anyhow!("{TOKEN_VARIABLE} contains characters that an HTTP header cannot carry; set it to the API token, such as cnpt_..."))?;
        value.set_sensitive(true);
        Ok(BearerToken(value))
    }
}

/// The JSON body of a successful response, `Null` when the body is empty.
struct Reply {
    body: Value,
}

/// The HTTP client of one server.
struct ApiClient {
    http: Client<HttpConnector, Full<Bytes>>,
    /// Scheme, authority and any path prefix, without a trailing slash.
    base: String,
    token: BearerToken,
}

impl ApiClient {
    fn new(server: &str) -> Result<ApiClient> {
        let base = parse_base_url(server)?;
        let token = BearerToken::from_env()?;
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let http = Client::builder(TokioExecutor::new()).build(connector);
        Ok(ApiClient { http, base, token })
    }

    /// Sends one request and returns the reply, or the server's error as a
    /// [`RemoteError`].
    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Reply> {
        let url = format!("{}{path}", self.base);
        let mut builder = Request::builder()
            .method(method.clone())
            .uri(&url)
            .header(AUTHORIZATION, self.token.0.clone());
        let payload = match body {
            Some(body) => {
                builder = builder.header(CONTENT_TYPE, "application/json");
                Full::new(Bytes::from(body.to_string()))
            }
            None => Full::new(Bytes::new()),
        };
        let request = builder
            .body(payload)
            .with_context(|| format!("invalid request URL {url}"))?;
        tracing::debug!(%method, %url, "sending an API request");
        let response = self
            .http
            .request(request)
            .await
            .map_err(|error| anyhow!("failed to connect to the canopy server at {}: {}; check --server and that `canopy serve` runs there", self.base, describe(&error)))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .with_context(|| format!("cannot read the response of {method} {url}"))?
            .to_bytes();
        let body: Option<Value> = if bytes.iter().all(u8::is_ascii_whitespace) {
            Some(Value::Null)
        } else {
            serde_json::from_slice(&bytes).ok()
        };
        if status.is_success() {
            let body = body.with_context(|| {
                format!("the server returned a body that is not JSON for {method} {url}")
            })?;
            return Ok(Reply { body });
        }
        Err(self.error_of(status, body).into())
    }

    /// Builds the error of a failed response from the API's error shape
    /// `{"error": {"code", "message"}}`.
    fn error_of(&self, status: StatusCode, body: Option<Value>) -> RemoteError {
        let detail = body.as_ref().map(|body| &body["error"]);
        let code = detail.and_then(|d| d["code"].as_str());
        let message = detail.and_then(|d| d["message"].as_str());
        let (Some(code), Some(message)) = (code, message) else {
            return RemoteError {
                code: "http_error".into(),
                message: format!(
                    "the server at {} returned HTTP {status} without a canopy error body; check that --server names a canopy server",
                    self.base
                ),
            };
        };
        let message = match code {
            "unauthenticated" => format!(
                "the server at {} rejected the token in {TOKEN_VARIABLE}: {message}",
                self.base
            ),
            // The server's message names the API's force field, so name the CLI flag.
            "qualifications_fail" => {
                message.replace("apply with {\"force\": true}", "apply with --force")
            }
            _ => message.to_string(),
        };
        RemoteError {
            code: code.to_string(),
            message,
        }
    }

    async fn get(&self, path: &str) -> Result<Value> {
        Ok(self.send(Method::GET, path, None).await?.body)
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        Ok(self.send(Method::POST, path, Some(body)).await?.body)
    }

    /// Reads every page of a list route.
    async fn list(&self, path: &str) -> Result<Vec<Value>> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{path}?limit={PAGE_LIMIT}");
            if let Some(cursor) = &cursor {
                url.push_str(&format!("&cursor={}", encode(cursor)));
            }
            let mut page = self.get(&url).await?;
            match page["items"].take() {
                Value::Array(page_items) => items.extend(page_items),
                _ => bail!("the server returned a list without items for GET {path}"),
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return Ok(items),
            }
        }
    }
}

/// Checks `--server` and returns it without a trailing slash.
fn parse_base_url(server: &str) -> Result<String> {
    let uri: Uri = server.parse().map_err(|error| {
        anyhow!("invalid --server URL {server:?}: {error}; use a URL such as http://127.0.0.1:7070")
    })?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => bail!(
            "--server {server:?} uses https, which this client does not support: use http:// for the server's own address (canopy serve listens on 127.0.0.1 by default)"
        ),
        _ => bail!(
            "invalid --server URL {server:?}: it needs http:// and a host, such as http://127.0.0.1:7070"
        ),
    }
    if uri.authority().is_none() || uri.query().is_some() {
        bail!(
            "invalid --server URL {server:?}: use a URL such as http://127.0.0.1:7070, without a query"
        );
    }
    Ok(server.trim_end_matches('/').to_string())
}

/// Returns the error and its causes, since hyper's own message names only the outer
/// one ("client error (Connect)").
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Percent-encodes a path segment or query value: every byte but the RFC 3986
/// unreserved characters.
fn encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// One command's state: the client, the chosen workspace and the printer.
struct RemoteSession {
    client: ApiClient,
    workspace: Option<String>,
    printer: Printer,
    output: Output,
}

impl RemoteSession {
    fn workspace(&self) -> Result<String> {
        match &self.workspace {
            Some(name) => Ok(name.clone()),
            None => bail!(
                "no workspace chosen: with --server, pass --workspace NAME or set CANOPY_WORKSPACE (`canopy workspace list` shows the server's workspaces)"
            ),
        }
    }

    /// Returns `/api/workspaces/{workspace}`.
    fn workspace_path(&self) -> Result<String> {
        Ok(format!("/api/workspaces/{}", encode(&self.workspace()?)))
    }

    fn change_set_path(&self, change_set: &str) -> Result<String> {
        Ok(format!(
            "{}/change-sets/{}",
            self.workspace_path()?,
            encode(change_set)
        ))
    }

    fn component_path(&self, change_set: &str, component: &str) -> Result<String> {
        Ok(format!(
            "{}/components/{}",
            self.change_set_path(change_set)?,
            encode(component)
        ))
    }

    /// Prints `value` as JSON, or runs `text` for the text output.
    fn print(&self, value: &Value, text: impl FnOnce(&Value)) {
        match self.output {
            Output::Json => self.printer.message(value, ""),
            Output::Text => text(value),
        }
    }

    async fn dispatch(&self, command: Command) -> Result<u8> {
        match command {
            Command::Workspace(command) => self.workspace_command(command).await,
            Command::Secret(command) => self.secret_command(command).await,
            Command::ChangeSet(command) => self.change_set_command(command).await,
            Command::Component(command) => self.component_command(command).await,
            Command::Plan { change_set } => {
                let plan = self
                    .client
                    .get(&format!("{}/plan", self.change_set_path(&change_set)?))
                    .await?;
                self.print(&plan, text::plan);
                Ok(0)
            }
            Command::Refresh => {
                let report = self
                    .client
                    .post(&format!("{}/refresh", self.workspace_path()?), &Value::Null)
                    .await?;
                self.print(&report, text::refresh);
                let failed = text::items(&report["resources"])
                    .iter()
                    .any(|r| r["status"] == "error");
                Ok(if failed { 1 } else { 0 })
            }
            Command::Discover(args) => self.discover(args).await,
            Command::Action(command) => self.action_command(command).await,
            Command::Schema(_) | Command::Emulator(_) | Command::Demo(_) | Command::Serve(_) => {
                unreachable!("run locally by commands::run or rejected by reject_unsupported")
            }
        }
    }

    async fn discover(&self, args: DiscoverArgs) -> Result<u8> {
        let model: Option<Value> = match &args.model {
            Some(text) => Some(
                serde_json::from_str(text)
                    .with_context(|| format!("--model is not valid JSON: {text}"))?,
            ),
            None => None,
        };
        let body = json!({"type_name": args.type_name, "model": model, "region": args.region, "credential": args.credential});
        let path = format!("{}/discover", self.change_set_path(&args.change_set)?);
        let report = self.client.post(&path, &body).await?;
        self.print(&report, |report| {
            println!(
                "found {} {} in {}: imported {}, skipped {}, failed {}",
                report["found"],
                text::string(&report["type_name"]),
                text::string(&report["region"]),
                text::items(&report["imported"]).len(),
                text::items(&report["skipped"]).len(),
                text::items(&report["failed"]).len()
            );
        });
        Ok(if text::items(&report["failed"]).is_empty() {
            0
        } else {
            1
        })
    }

    async fn action_command(&self, command: ActionCommand) -> Result<u8> {
        match command {
            ActionCommand::List { state } => {
                let mut path = format!("{}/actions", self.workspace_path()?);
                if let Some(state) = state {
                    path = format!("{path}?state={}", encode(&state));
                }
                let actions = Value::Array(self.client.list(&path).await?);
                self.print(&actions, |actions| {
                    for action in text::items(actions) {
                        println!(
                            "{}  {} {} {}  request {}",
                            text::string(&action["id"]),
                            text::string(&action["kind"]),
                            text::string(&action["component_name"]),
                            text::string(&action["state"]),
                            action["request_token"].as_str().unwrap_or("-")
                        );
                    }
                });
            }
            ActionCommand::Cancel { id } => {
                let path = format!("{}/actions/{}/cancel", self.workspace_path()?, encode(&id));
                let action = self.client.post(&path, &json!({})).await?;
                self.print(&action, |action| {
                    println!(
                        "asked Cloud Control to cancel the {} of {}; the next apply records the outcome",
                        text::string(&action["kind"]),
                        text::string(&action["component_name"])
                    );
                });
            }
        }
        Ok(0)
    }

    async fn workspace_command(&self, command: WorkspaceCommand) -> Result<u8> {
        match command {
            WorkspaceCommand::Create { name } => {
                let workspace = self
                    .client
                    .post("/api/workspaces", &json!({"name": name}))
                    .await?;
                let text = format!(
                    "created workspace {} ({}); its token is shown by `canopy workspace token`",
                    text::string(&workspace["name"]),
                    text::string(&workspace["id"])
                );
                self.printer.message(&workspace, &text);
            }
            WorkspaceCommand::List => {
                let workspaces = Value::Array(self.client.list("/api/workspaces").await?);
                let current = self.workspace.as_deref();
                self.print(&workspaces, |w| text::workspaces(w, current));
            }
            WorkspaceCommand::Use { .. } => unreachable!("rejected by reject_unsupported"),
            WorkspaceCommand::Token { rotate } => {
                let path = self.workspace_path()?;
                let workspace = self.client.get(&path).await?;
                let reply = if rotate {
                    self.client
                        .post(&format!("{path}/token/rotate"), &Value::Null)
                        .await?
                } else {
                    self.client.get(&format!("{path}/token")).await?
                };
                let token = reply["token"]
                    .as_str()
                    .context("the server's token response has no token")?;
                // The one place the workspace token is printed, because the user asked.
                self.printer.token(text::string(&workspace["name"]), token);
            }
        }
        Ok(0)
    }

    async fn secret_command(&self, command: SecretCommand) -> Result<u8> {
        let path = format!("{}/secrets", self.workspace_path()?);
        match command {
            SecretCommand::Create(args) => {
                let value = crate::commands::read_secret_value(&args).await?;
                let body = json!({"name": args.name, "value": value});
                let info = self.client.post(&path, &body).await?;
                let text = format!(
                    "created secret {} ({})",
                    text::string(&info["name"]),
                    text::string(&info["kind"])
                );
                self.printer.message(&info, &text);
            }
            SecretCommand::Update(_) => unreachable!("rejected by reject_unsupported"),
            SecretCommand::List => {
                let secrets = Value::Array(self.client.list(&path).await?);
                self.print(&secrets, text::secrets);
            }
        }
        Ok(0)
    }

    async fn change_set_command(&self, command: ChangeSetCommand) -> Result<u8> {
        let list_path = format!("{}/change-sets", self.workspace_path()?);
        match command {
            ChangeSetCommand::Create { name } => {
                let change_set = self.client.post(&list_path, &json!({"name": name})).await?;
                let text = format!("created change set {}", text::string(&change_set["name"]));
                self.printer.message(&change_set, &text);
            }
            ChangeSetCommand::List => {
                let change_sets = Value::Array(self.client.list(&list_path).await?);
                self.print(&change_sets, text::change_sets);
            }
            ChangeSetCommand::Abandon { name } => {
                let path = format!("{}/abandon", self.change_set_path(&name)?);
                let change_set = self.client.post(&path, &Value::Null).await?;
                let text = format!("abandoned change set {}", text::string(&change_set["name"]));
                self.printer.message(&change_set, &text);
            }
            ChangeSetCommand::Apply {
                name,
                force,
                resume,
                ..
            } => {
                let change_sets = self.client.list(&list_path).await?;
                let target = apply_target(&change_sets, &name, resume)?;
                return self.apply(&target, force).await;
            }
        }
        Ok(0)
    }

    /// Starts an apply on the server, polls its status until it ends, and prints the
    /// outcome with the local mode's exit codes.
    async fn apply(&self, change_set: &str, force: bool) -> Result<u8> {
        let path = format!("{}/apply", self.change_set_path(change_set)?);
        let run = self.client.post(&path, &json!({"force": force})).await?;
        let run_path = format!(
            "/api/workspaces/{}/applies/{}",
            encode(text::string(&run["workspace_id"])),
            encode(text::string(&run["id"]))
        );
        if self.output == Output::Text {
            eprintln!(
                "applying {change_set} on the server (apply {})",
                text::string(&run["id"])
            );
        }
        // NOTE: progress of single actions is on the server's event stream, which this
        // client does not read, so only the outcome is printed.
        let mut run = run;
        while run["status"] == "running" {
            tokio::time::sleep(APPLY_POLL_INTERVAL).await;
            run = self.client.get(&run_path).await?;
        }
        match run["status"].as_str() {
            Some("succeeded") | Some("failed") => {
                let report = &run["report"];
                self.print(report, text::apply);
                Ok(if run["status"] == "succeeded" {
                    0
                } else {
                    EXIT_ACTIONS_FAILED
                })
            }
            _ => {
                let error = self
                    .client
                    .error_of(StatusCode::CONFLICT, Some(json!({"error": run["error"]})));
                Err(error.into())
            }
        }
    }

    async fn component_command(&self, command: ComponentCommand) -> Result<u8> {
        let view = match command {
            ComponentCommand::Create {
                change_set,
                schema,
                name,
                domain,
                region,
                credential,
            } => {
                let domain: Value = match domain {
                    Some(text) => serde_json::from_str(&text)
                        .with_context(|| format!("--domain is not valid JSON: {text}"))?,
                    None => Value::Null,
                };
                let body = json!({"schema": schema, "name": name, "domain": domain, "region": region, "credential": credential});
                let path = format!("{}/components", self.change_set_path(&change_set)?);
                self.client.post(&path, &body).await?
            }
            ComponentCommand::Set {
                change_set,
                name,
                path,
                value,
            } => {
                let value = serde_json::from_str(&value).unwrap_or(Value::String(value));
                let url = format!("{}/properties", self.component_path(&change_set, &name)?);
                self.client
                    .post(&url, &json!({"path": path, "value": value}))
                    .await?
            }
            ComponentCommand::Unset {
                change_set,
                name,
                path,
            } => {
                let url = format!(
                    "{}/properties?path={}",
                    self.component_path(&change_set, &name)?,
                    encode(&path)
                );
                self.client.send(Method::DELETE, &url, None).await?.body
            }
            ComponentCommand::Subscribe {
                change_set,
                name,
                path,
                from,
                source_path,
            } => {
                let url = format!("{}/subscriptions", self.component_path(&change_set, &name)?);
                let body = json!({"path": path, "source": from, "source_path": source_path});
                self.client.post(&url, &body).await?
            }
            ComponentCommand::Unsubscribe {
                change_set,
                name,
                path,
            } => {
                let url = format!(
                    "{}/subscriptions?path={}",
                    self.component_path(&change_set, &name)?,
                    encode(&path)
                );
                self.client.send(Method::DELETE, &url, None).await?.body
            }
            ComponentCommand::Show { change_set, name } => {
                self.client
                    .get(&self.component_path(&change_set, &name)?)
                    .await?
            }
            ComponentCommand::List { change_set } => {
                let path = format!("{}/components", self.change_set_path(&change_set)?);
                let views = Value::Array(self.client.list(&path).await?);
                self.print(&views, text::components);
                return Ok(0);
            }
            ComponentCommand::Delete { change_set, name } => {
                self.client
                    .send(
                        Method::DELETE,
                        &self.component_path(&change_set, &name)?,
                        None,
                    )
                    .await?;
                let text = format!("deleted component {name} from change set {change_set}");
                self.printer.message(&json!({"deleted": name}), &text);
                return Ok(0);
            }
            ComponentCommand::Import {
                change_set,
                type_name,
                name,
                identifier,
                region,
                credential,
            } => {
                let body = json!({"type_name": type_name, "name": name, "identifier": identifier, "region": region, "credential": credential});
                let path = format!("{}/import", self.change_set_path(&change_set)?);
                self.client.post(&path, &body).await?
            }
        };
        self.print(&view, text::component);
        Ok(0)
    }
}

/// Picks what `change-set apply NAME` sends to the server, as the local mode does.
/// Names resolve to open change sets (and HEAD) only, so with --resume an applied one
/// is sent by id, and without it an applied one is reported.
fn apply_target(change_sets: &[Value], name: &str, resume: bool) -> Result<String> {
    let named = || change_sets.iter().filter(|cs| cs["name"] == name);
    let resolvable = named().any(|cs| cs["status"] == "open" || cs["status"] == "head");
    if resolvable {
        return Ok(name.to_string());
    }
    if resume {
        let latest = named().next_back().with_context(|| {
            format!("change set {name:?} not found; run `canopy change-set list`")
        })?;
        return Ok(text::string(&latest["id"]).to_string());
    }
    if named().any(|cs| cs["status"] == "applied") {
        bail!(
            "change set {name:?} was already applied; run `canopy change-set apply {name} --resume` to finish what its apply left in flight"
        );
    }
    // The server reports a name that matches nothing as not found.
    Ok(name.to_string())
}
