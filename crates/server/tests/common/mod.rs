//! The fixture shared by the API tests: the emulator and the API server, both started
//! in this process on 127.0.0.1 port 0, over a store in a temporary directory.
//!
//! The client records every response body and event stream text, so a test can scan
//! all of them for secret values.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use canopy_aws::credentials::OwnIdentity;
use canopy_emulator::{
    CUSTOMER_ADMIN_ACCESS_KEY_ID, CUSTOMER_ADMIN_SECRET_ACCESS_KEY, EmulatorConfig, RunningEmulator,
};
use canopy_engine::{Engine, EngineConfig};
use canopy_server::RunningServer;
use canopy_store::Store;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tempfile::TempDir;

pub const REGION: &str = "us-east-1";

/// One response: status, headers and body text.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }

    /// Returns the `error.code` of an error response.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// The emulator, the server and an HTTP client.
pub struct Fixture {
    pub emulator: RunningEmulator,
    pub server: Option<RunningServer>,
    pub store: Store,
    pub admin: String,
    client: Client<HttpConnector, Full<Bytes>>,
    /// Every response body and event stream text so far.
    pub seen: Arc<Mutex<Vec<String>>>,
    dir: TempDir,
}

impl Fixture {
    pub async fn start() -> Fixture {
        Fixture::start_with(Duration::from_millis(50)).await
    }

    /// Starts with the emulator taking `request_delay` from accepting a resource
    /// request to its result.
    pub async fn start_with(request_delay: Duration) -> Fixture {
        let loopback = "127.0.0.1:0".parse().expect("loopback address");
        let config = EmulatorConfig::default().with_request_delay(request_delay);
        let emulator = canopy_emulator::start(config, loopback)
            .await
            .expect("the emulator starts");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open_dir(&dir.path().join("data"))
            .await
            .expect("the store opens");
        let admin = canopy_server::ensure_admin_token(&store)
            .await
            .expect("the admin token is created")
            .expect("a new store has no admin token");
        let engine = Engine::new(
            store.clone(),
            EngineConfig {
                own_identity: OwnIdentity::default(),
                concurrency: 4,
                request_timeout: Some(Duration::from_secs(10)),
                retry_delay: Duration::from_millis(20),
            },
        );
        let server = canopy_server::start(engine, loopback)
            .await
            .expect("the server starts");
        let client = Client::builder(TokioExecutor::new()).build_http();
        Fixture {
            emulator,
            server: Some(server),
            store,
            admin: admin.expose().clone(),
            client,
            seen: Arc::new(Mutex::new(Vec::new())),
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.server.as_ref().expect("the server runs").url()
        )
    }

    pub fn origin(&self) -> String {
        self.server.as_ref().expect("the server runs").url()
    }

    /// Sends a request with optional bearer token, JSON body and extra headers.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(self.url(path));
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let payload = match body {
            Some(body) => {
                builder = builder.header("content-type", "application/json");
                Full::new(Bytes::from(body.to_string()))
            }
            None => Full::new(Bytes::new()),
        };
        let response = self
            .client
            .request(builder.body(payload).expect("a valid request"))
            .await
            .expect("the server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("the body is read")
            .to_bytes();
        let body = String::from_utf8(bytes.to_vec()).expect("the body is UTF-8");
        self.seen.lock().expect("seen lock").push(body.clone());
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body), &[])
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.send(Method::DELETE, path, Some(token), None, &[])
            .await
    }

    /// Creates a workspace with the admin token and returns its id.
    pub async fn workspace(&self, name: &str) -> String {
        let reply = self
            .post("/api/workspaces", &self.admin, json!({"name": name}))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "workspace {name} is created: {}",
            reply.body
        );
        reply.json()["id"]
            .as_str()
            .expect("a workspace id")
            .to_string()
    }

    /// Creates an API token of a workspace with a role and returns it.
    pub async fn token(&self, workspace: &str, role: &str) -> String {
        let path = format!("/api/workspaces/{workspace}/tokens");
        let reply = self
            .post(
                &path,
                &self.admin,
                json!({"name": format!("{role} token"), "role": role}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "the {role} token is created: {}",
            reply.body
        );
        reply.json()["token"].as_str().expect("a token").to_string()
    }

    /// Stores the customer account's static keys, with the emulator's endpoint, as
    /// secret `customer`.
    pub async fn customer_secret(&self, workspace: &str, token: &str) -> Reply {
        let value = json!({
            "AccessKeyId": CUSTOMER_ADMIN_ACCESS_KEY_ID,
            "SecretAccessKey": CUSTOMER_ADMIN_SECRET_ACCESS_KEY,
            "Endpoint": self.emulator.endpoint(),
        });
        self.post(
            &format!("/api/workspaces/{workspace}/secrets"),
            token,
            json!({"name": "customer", "value": value}),
        )
        .await
    }

    /// Creates change set `name` with components `aws` (AWS Credential) and `region`.
    pub async fn change_set(&self, workspace: &str, token: &str, name: &str) {
        let reply = self
            .post(
                &format!("/api/workspaces/{workspace}/change-sets"),
                token,
                json!({"name": name}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "change set {name} is created: {}",
            reply.body
        );
        self.component(
            workspace,
            token,
            name,
            "AWS Credential",
            "aws",
            json!({"Secret": "customer"}),
        )
        .await;
        self.component(
            workspace,
            token,
            name,
            "Region",
            "region",
            json!({"Region": REGION}),
        )
        .await;
    }

    pub async fn component(
        &self,
        workspace: &str,
        token: &str,
        change_set: &str,
        schema: &str,
        name: &str,
        domain: Value,
    ) -> Value {
        let path = format!("/api/workspaces/{workspace}/change-sets/{change_set}/components");
        let reply = self
            .post(
                &path,
                token,
                json!({"schema": schema, "name": name, "domain": domain}),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "component {name} is created: {}",
            reply.body
        );
        reply.json()
    }

    /// Polls an apply until it is no longer running and returns it. The deadline only
    /// stops a hung test.
    pub async fn wait_for_apply(&self, location: &str, token: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let reply = self.get(location, token).await;
            assert_eq!(
                reply.status,
                StatusCode::OK,
                "the apply is readable: {}",
                reply.body
            );
            let run = reply.json();
            if run["status"] != "running" {
                return run;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the apply did not finish: {run}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Opens a workspace's event stream; its events arrive on the returned channel as
    /// JSON objects, and its raw text goes to `seen`.
    pub async fn events(
        &self,
        workspace: &str,
        token: &str,
        query: &str,
    ) -> tokio::sync::mpsc::UnboundedReceiver<Value> {
        let request = Request::builder()
            .method(Method::GET)
            .uri(self.url(&format!("/api/workspaces/{workspace}/events{query}")))
            .header("authorization", format!("Bearer {token}"))
            .body(Full::new(Bytes::new()))
            .expect("a valid request");
        let response = self
            .client
            .request(request)
            .await
            .expect("the server answers");
        assert_eq!(response.status(), StatusCode::OK, "the event stream opens");
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            content_type.starts_with("text/event-stream"),
            "content type {content_type}"
        );
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        let seen = self.seen.clone();
        let mut body = response.into_body();
        tokio::spawn(async move {
            let mut buffer = String::new();
            while let Some(Ok(frame)) = body.frame().await {
                let Some(data) = frame.data_ref() else {
                    continue;
                };
                let text = String::from_utf8_lossy(data).to_string();
                seen.lock().expect("seen lock").push(text.clone());
                buffer.push_str(&text);
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    for line in block.lines() {
                        if let Some(data) = line
                            .strip_prefix("data: ")
                            .or_else(|| line.strip_prefix("data:"))
                            && let Ok(value) = serde_json::from_str::<Value>(data)
                            && sender.send(value).is_err()
                        {
                            return;
                        }
                    }
                }
            }
        });
        receiver
    }
}

/// Reads events until one matches, returning every event read. The deadline only
/// stops a hung test.
pub async fn events_until(
    receiver: &mut tokio::sync::mpsc::UnboundedReceiver<Value>,
    matches: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let mut read = Vec::new();
    loop {
        let next = tokio::time::timeout(Duration::from_secs(120), receiver.recv()).await;
        let event = next
            .expect("an event arrives")
            .expect("the stream stays open");
        let done = matches(&event);
        read.push(event);
        if done {
            return read;
        }
    }
}
