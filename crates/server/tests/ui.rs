//! The web UI's static files and the canvas positions it stores.

mod common;

use common::Fixture;
use hyper::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_served_without_token() {
    let fixture = Fixture::start().await;

    for path in ["/", "/login"] {
        let page = fixture.send(Method::GET, path, None, None, &[]).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.body.contains("/ui/app.js"), "{path} loads the app");
        let policy = page.headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("default-src 'self'"), "{path}: {policy}");
    }
    let script = fixture
        .send(Method::GET, "/ui/app.js", None, None, &[])
        .await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(
        script.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let missing = fixture
        .send(Method::GET, "/ui/nope.js", None, None, &[])
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_round_trip() {
    let fixture = Fixture::start().await;
    fixture.workspace("w").await;
    let admin = fixture.admin.clone();
    let path = "/api/workspaces/w/positions";

    let put = fixture
        .send(
            Method::PUT,
            &format!("{path}/c1"),
            Some(&admin),
            Some(json!({"x": 10, "y": -2.5})),
            &[],
        )
        .await;
    let moved = fixture
        .send(
            Method::PUT,
            &format!("{path}/c1"),
            Some(&admin),
            Some(json!({"x": 40, "y": 80})),
            &[],
        )
        .await;
    let listed = fixture.get(path, &admin).await;

    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(
        listed.json()["items"],
        json!([{"component_id": "c1", "x": 40.0, "y": 80.0}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn position_rejects_bad_input() {
    let fixture = Fixture::start().await;
    fixture.workspace("w").await;
    let admin = fixture.admin.clone();
    let viewer = fixture.token("w", "view").await;
    let path = "/api/workspaces/w/positions/c1";

    let far = fixture
        .send(
            Method::PUT,
            path,
            Some(&admin),
            Some(json!({"x": 1e9, "y": 0})),
            &[],
        )
        .await;
    let view_only = fixture
        .send(
            Method::PUT,
            path,
            Some(&viewer),
            Some(json!({"x": 1, "y": 0})),
            &[],
        )
        .await;

    assert_eq!(far.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", far.body);
    assert_eq!(
        view_only.status,
        StatusCode::FORBIDDEN,
        "{}",
        view_only.body
    );
}
