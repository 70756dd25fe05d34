//! HTTP-level rules: origin checks, no CORS, the error shape, pagination and the
//! OpenAPI document.

mod common;

use common::Fixture;
use hyper::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_origin_post_rejected() {
    let fixture = Fixture::start().await;
    let admin = fixture.admin.clone();
    let body = Some(json!({"name": "evil"}));
    let own = fixture.origin();

    let cross = fixture
        .send(
            Method::POST,
            "/api/workspaces",
            Some(&admin),
            body.clone(),
            &[("origin", "http://evil.example")],
        )
        .await;
    let null = fixture
        .send(
            Method::POST,
            "/api/workspaces",
            Some(&admin),
            body.clone(),
            &[("origin", "null")],
        )
        .await;
    let same = fixture
        .send(
            Method::POST,
            "/api/workspaces",
            Some(&admin),
            Some(json!({"name": "good"})),
            &[("origin", own.as_str())],
        )
        .await;
    let listed = fixture.get("/api/workspaces", &admin).await.json();

    assert_eq!(cross.status, StatusCode::FORBIDDEN, "{}", cross.body);
    assert_eq!(cross.code(), "cross_origin");
    assert_eq!(null.status, StatusCode::FORBIDDEN, "{}", null.body);
    assert_eq!(
        same.status,
        StatusCode::CREATED,
        "same-origin requests pass: {}",
        same.body
    );
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["good"],
        "the cross-origin request changed nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_cors_headers() {
    let fixture = Fixture::start().await;
    let admin = fixture.admin.clone();
    let preflight = [
        ("origin", "http://evil.example"),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", "authorization"),
    ];

    let replies = vec![
        fixture
            .send(Method::OPTIONS, "/api/workspaces", None, None, &preflight)
            .await,
        fixture
            .send(
                Method::GET,
                "/api/workspaces",
                Some(&admin),
                None,
                &[("origin", "http://evil.example")],
            )
            .await,
        fixture
            .send(
                Method::GET,
                "/api/openapi.json",
                None,
                None,
                &[("origin", "http://evil.example")],
            )
            .await,
        fixture
            .send(
                Method::GET,
                "/api/workspaces",
                None,
                None,
                &[("origin", "http://evil.example")],
            )
            .await,
    ];

    for reply in &replies {
        let cors: Vec<&str> = reply
            .headers
            .keys()
            .map(|name| name.as_str())
            .filter(|name| name.starts_with("access-control-"))
            .collect();
        assert!(
            cors.is_empty(),
            "CORS headers {cors:?} on a {} response",
            reply.status
        );
    }
    assert_ne!(
        replies[0].status,
        StatusCode::OK,
        "a preflight is not approved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_share_one_shape() {
    let fixture = Fixture::start().await;
    let admin = fixture.admin.clone();
    let ws = fixture.workspace("main").await;

    let replies = vec![
        (
            StatusCode::NOT_FOUND,
            "not_found",
            fixture.get("/api/nothing-here", &admin).await,
        ),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            fixture
                .send(Method::PUT, "/api/workspaces", Some(&admin), None, &[])
                .await,
        ),
        (
            StatusCode::BAD_REQUEST,
            "bad_request",
            fixture
                .post("/api/workspaces", &admin, json!({"title": "x"}))
                .await,
        ),
        (
            StatusCode::BAD_REQUEST,
            "bad_request",
            fixture.get("/api/workspaces?limit=0", &admin).await,
        ),
        (
            StatusCode::BAD_REQUEST,
            "bad_request",
            fixture.get("/api/workspaces?cursor=zzz", &admin).await,
        ),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            fixture
                .send(Method::POST, "/api/workspaces", Some(&admin), None, &[])
                .await,
        ),
        (
            StatusCode::CONFLICT,
            "already_exists",
            fixture
                .post("/api/workspaces", &admin, json!({"name": "main"}))
                .await,
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_input",
            fixture
                .post("/api/workspaces", &admin, json!({"name": " padded "}))
                .await,
        ),
        (
            StatusCode::NOT_FOUND,
            "not_found",
            fixture
                .get(&format!("/api/workspaces/{ws}/change-sets/none"), &admin)
                .await,
        ),
        (
            StatusCode::NOT_FOUND,
            "unknown_type",
            fixture.get("/api/schemas/AWS::Nope::Nothing", &admin).await,
        ),
    ];

    for (status, code, reply) in &replies {
        assert_eq!(reply.status, *status, "{}", reply.body);
        let body = reply.json();
        assert_eq!(body["error"]["code"], *code, "{}", reply.body);
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            reply.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_body_errors_quote_nothing() {
    let fixture = Fixture::start().await;
    let admin = fixture.admin.clone();
    let ws = fixture.workspace("main").await;
    let path = format!("/api/workspaces/{ws}/secrets");
    let value = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    let wrong_type = fixture
        .post(&path, &admin, json!({"name": "s", "value": value}))
        .await;
    let incomplete = fixture
        .post(
            &path,
            &admin,
            json!({"name": "s", "value": {"SecretAccessKey": value}}),
        )
        .await;

    assert_eq!(
        wrong_type.status,
        StatusCode::BAD_REQUEST,
        "{}",
        wrong_type.body
    );
    assert!(!wrong_type.body.contains(value), "{}", wrong_type.body);
    assert_eq!(
        incomplete.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        incomplete.body
    );
    assert!(!incomplete.body.contains(value), "{}", incomplete.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_paginate() {
    let fixture = Fixture::start().await;
    let admin = fixture.admin.clone();
    for name in ["a", "b", "c"] {
        fixture.workspace(name).await;
    }

    let first = fixture.get("/api/workspaces?limit=2", &admin).await.json();
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next cursor")
        .to_string();
    let second = fixture
        .get(&format!("/api/workspaces?limit=2&cursor={cursor}"), &admin)
        .await
        .json();

    let names = |page: &serde_json::Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&first), vec!["a", "b"]);
    assert_eq!(names(&second), vec!["c"]);
    assert!(
        second["next_cursor"].is_null(),
        "the last page has no cursor"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_lists_routes() {
    let fixture = Fixture::start().await;

    let reply = fixture
        .send(Method::GET, "/api/openapi.json", None, None, &[])
        .await;

    assert_eq!(reply.status, StatusCode::OK, "the document needs no token");
    let document = reply.json();
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{}",
        document["openapi"]
    );
    let paths = document["paths"].as_object().expect("paths");
    let expected = [
        ("/api/workspaces", "post"),
        ("/api/workspaces/{workspace}/token", "get"),
        ("/api/workspaces/{workspace}/tokens", "post"),
        ("/api/tokens/{id}", "delete"),
        ("/api/workspaces/{workspace}/secrets", "post"),
        ("/api/workspaces/{workspace}/change-sets", "get"),
        (
            "/api/workspaces/{workspace}/change-sets/{change_set}/apply",
            "post",
        ),
        (
            "/api/workspaces/{workspace}/change-sets/{change_set}/plan",
            "get",
        ),
        (
            "/api/workspaces/{workspace}/change-sets/{change_set}/components/{component}",
            "delete",
        ),
        (
            "/api/workspaces/{workspace}/change-sets/{change_set}/components/{component}/subscriptions",
            "post",
        ),
        ("/api/workspaces/{workspace}/actions/{id}/cancel", "post"),
        ("/api/workspaces/{workspace}/events", "get"),
        ("/api/schemas/{type_name}", "get"),
        ("/api/workspaces/{workspace}/positions", "get"),
        ("/api/workspaces/{workspace}/positions/{component}", "put"),
    ];
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is documented"
        );
    }
    assert_eq!(
        paths.len(),
        31,
        "every route path is documented: {:?}",
        paths.keys().collect::<Vec<_>>()
    );
    assert!(
        document["components"]["securitySchemes"]["bearer"].is_object(),
        "bearer auth is declared"
    );
    assert!(
        document["components"]["schemas"]["ErrorBody"].is_object(),
        "the error shape is declared"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemas_search_and_show() {
    let fixture = Fixture::start().await;
    let admin = fixture.admin.clone();

    let search = fixture
        .get("/api/schemas?search=AWS::EC2::VPC&limit=5", &admin)
        .await
        .json();
    let show = fixture
        .get("/api/schemas/AWS::EC2::VPC", &admin)
        .await
        .json();

    let names: Vec<&str> = search["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["typeName"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"AWS::EC2::VPC"), "{names:?}");
    assert_eq!(show["typeName"], "AWS::EC2::VPC");
    let properties: Vec<&str> = show["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(properties.contains(&"CidrBlock"), "{properties:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_ends_event_streams() {
    let mut fixture = Fixture::start().await;
    let ws = fixture.workspace("main").await;
    let admin = fixture.admin.clone();
    let mut events = fixture.events(&ws, &admin, "").await;
    let subscribed = events.recv().await.expect("the stream opens");
    let server = fixture.server.take().expect("the server runs");

    // The timeout only stops a hung test; a stream that kept the server open would hang.
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(60), server.shutdown()).await;

    assert_eq!(subscribed["event"], "subscribed");
    assert!(stopped.is_ok(), "the shutdown waits for no open stream");
    assert!(stopped.unwrap().is_ok(), "the server stops cleanly");
    assert!(events.recv().await.is_none(), "the stream has ended");
}
