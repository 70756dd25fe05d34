//! Authentication and authorization: missing and bad tokens, workspace isolation,
//! roles, and the token lifecycle.

mod common;

use common::Fixture;
use hyper::{Method, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_token_gives_401() {
    let fixture = Fixture::start().await;
    let workspace = fixture.workspace("main").await;
    let routes = [
        (Method::GET, "/api/workspaces".to_string()),
        (Method::GET, "/api/session".to_string()),
        (
            Method::GET,
            format!("/api/workspaces/{workspace}/change-sets"),
        ),
        (
            Method::POST,
            format!("/api/workspaces/{workspace}/change-sets"),
        ),
        (Method::GET, format!("/api/workspaces/{workspace}/events")),
        (Method::GET, "/api/schemas".to_string()),
        (
            Method::POST,
            format!("/api/workspaces/{workspace}/change-sets/HEAD/apply"),
        ),
    ];

    for (method, path) in routes {
        let reply = fixture
            .send(method.clone(), &path, None, Some(json!({"name": "x"})), &[])
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            reply.body
        );
        assert_eq!(reply.code(), "unauthenticated", "{method} {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_give_401() {
    let fixture = Fixture::start().await;
    let (id, _) = fixture
        .admin
        .strip_prefix("cnpt_")
        .unwrap()
        .split_once('.')
        .unwrap();
    let wrong_secret = format!("cnpt_{id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let cases = [
        "garbage",
        "cnpt_",
        "cnpt_nothex.secret",
        wrong_secret.as_str(),
    ];

    for token in cases {
        let reply = fixture.get("/api/workspaces", token).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "token {token:?}");
        assert_eq!(reply.code(), "unauthenticated", "token {token:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_workspace_is_not_found() {
    let fixture = Fixture::start().await;
    let a = fixture.workspace("a").await;
    let b = fixture.workspace("b").await;
    let token_a = fixture.token(&a, "apply").await;
    let draft_b = fixture
        .post(
            &format!("/api/workspaces/{b}/change-sets"),
            &fixture.admin,
            json!({"name": "draft"}),
        )
        .await;
    let draft_b_id = draft_b.json()["id"].as_str().unwrap().to_string();

    let reads = [
        format!("/api/workspaces/{b}"),
        "/api/workspaces/b".to_string(),
        format!("/api/workspaces/{b}/change-sets"),
        format!("/api/workspaces/{b}/change-sets/draft"),
        format!("/api/workspaces/{b}/change-sets/draft/components"),
        format!("/api/workspaces/{b}/change-sets/draft/plan"),
        format!("/api/workspaces/{b}/secrets"),
        format!("/api/workspaces/{b}/actions"),
        format!("/api/workspaces/{b}/applies"),
        format!("/api/workspaces/{b}/events"),
        format!("/api/workspaces/{b}/token"),
    ];
    for path in &reads {
        let reply = fixture.get(path, &token_a).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "GET {path}: {}",
            reply.body
        );
        assert_eq!(reply.code(), "not_found", "GET {path}");
    }
    let writes = [
        format!("/api/workspaces/{b}/change-sets"),
        format!("/api/workspaces/{b}/change-sets/draft/apply"),
        format!("/api/workspaces/{b}/change-sets/draft/abandon"),
        format!("/api/workspaces/{b}/refresh"),
    ];
    for path in &writes {
        let reply = fixture.post(path, &token_a, json!({"name": "x"})).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "POST {path}: {}",
            reply.body
        );
    }
    let through_own = fixture
        .get(
            &format!("/api/workspaces/{a}/change-sets/{draft_b_id}"),
            &token_a,
        )
        .await;
    assert_eq!(
        through_own.status,
        StatusCode::NOT_FOUND,
        "B's change set id under A: {}",
        through_own.body
    );
    let missing = fixture
        .get("/api/workspaces/no-such-workspace", &token_a)
        .await;
    let other = fixture.get("/api/workspaces/b", &token_a).await;
    assert_eq!(
        missing.json()["error"]["message"]
            .as_str()
            .unwrap()
            .replace("no-such-workspace", "b"),
        other.json()["error"]["message"].as_str().unwrap(),
        "another workspace reads exactly like a missing one"
    );
    let listed = fixture.get("/api/workspaces", &token_a).await.json();
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec!["a"],
        "a workspace token lists only its workspace"
    );
    let draft = fixture
        .get(
            &format!("/api/workspaces/{b}/change-sets/draft"),
            &fixture.admin,
        )
        .await;
    assert_eq!(
        draft.json()["status"],
        "open",
        "B's change set was left alone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn view_token_cannot_edit_or_apply() {
    let fixture = Fixture::start().await;
    let workspace = fixture.workspace("main").await;
    let view = fixture.token(&workspace, "view").await;
    fixture
        .post(
            &format!("/api/workspaces/{workspace}/change-sets"),
            &fixture.admin,
            json!({"name": "draft"}),
        )
        .await;

    let read = fixture
        .get(&format!("/api/workspaces/{workspace}/change-sets"), &view)
        .await;
    let create = fixture
        .post(
            &format!("/api/workspaces/{workspace}/change-sets"),
            &view,
            json!({"name": "mine"}),
        )
        .await;
    let component = fixture
        .post(
            &format!("/api/workspaces/{workspace}/change-sets/draft/components"),
            &view,
            json!({"schema": "Region", "name": "region", "domain": {"Region": "us-east-1"}}),
        )
        .await;
    let secret = fixture.customer_secret(&workspace, &view).await;
    let apply = fixture
        .post(
            &format!("/api/workspaces/{workspace}/change-sets/draft/apply"),
            &view,
            json!({}),
        )
        .await;
    let abandon = fixture
        .post(
            &format!("/api/workspaces/{workspace}/change-sets/draft/abandon"),
            &view,
            json!({}),
        )
        .await;

    assert_eq!(read.status, StatusCode::OK, "view reads: {}", read.body);
    assert_eq!(
        create.status,
        StatusCode::FORBIDDEN,
        "view cannot create a change set: {}",
        create.body
    );
    assert_eq!(create.code(), "forbidden");
    assert_eq!(
        component.status,
        StatusCode::FORBIDDEN,
        "view cannot create a component"
    );
    assert_eq!(
        secret.status,
        StatusCode::FORBIDDEN,
        "view cannot create a secret"
    );
    assert_eq!(
        apply.status,
        StatusCode::FORBIDDEN,
        "view cannot apply: {}",
        apply.body
    );
    assert_eq!(abandon.status, StatusCode::FORBIDDEN, "view cannot abandon");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edit_token_cannot_apply() {
    let fixture = Fixture::start().await;
    let workspace = fixture.workspace("main").await;
    let edit = fixture.token(&workspace, "edit").await;

    let create = fixture
        .post(
            &format!("/api/workspaces/{workspace}/change-sets"),
            &edit,
            json!({"name": "draft"}),
        )
        .await;
    let apply = fixture
        .post(
            &format!("/api/workspaces/{workspace}/change-sets/draft/apply"),
            &edit,
            json!({}),
        )
        .await;
    let admin_apply = fixture
        .send(
            Method::POST,
            &format!("/api/workspaces/{workspace}/change-sets/draft/apply"),
            Some(&fixture.admin),
            None,
            &[],
        )
        .await;

    assert_eq!(
        create.status,
        StatusCode::CREATED,
        "edit creates a change set: {}",
        create.body
    );
    assert_eq!(
        apply.status,
        StatusCode::FORBIDDEN,
        "edit cannot apply: {}",
        apply.body
    );
    assert_eq!(apply.code(), "forbidden");
    assert_eq!(
        admin_apply.status,
        StatusCode::ACCEPTED,
        "admin applies: {}",
        admin_apply.body
    );
    let location = admin_apply
        .headers
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_string();
    let run = fixture.wait_for_apply(&location, &fixture.admin).await;
    assert_eq!(
        run["status"], "succeeded",
        "an empty change set applies: {run}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_tokens_cannot_administer() {
    let fixture = Fixture::start().await;
    let workspace = fixture.workspace("main").await;
    let apply = fixture.token(&workspace, "apply").await;

    let create_workspace = fixture
        .post("/api/workspaces", &apply, json!({"name": "other"}))
        .await;
    let reveal = fixture
        .get(&format!("/api/workspaces/{workspace}/token"), &apply)
        .await;
    let rotate = fixture
        .post(
            &format!("/api/workspaces/{workspace}/token/rotate"),
            &apply,
            json!({}),
        )
        .await;
    let mint = fixture
        .post(
            &format!("/api/workspaces/{workspace}/tokens"),
            &apply,
            json!({"name": "more", "role": "apply"}),
        )
        .await;
    let list = fixture.get("/api/tokens", &apply).await;

    assert_eq!(
        create_workspace.status,
        StatusCode::FORBIDDEN,
        "{}",
        create_workspace.body
    );
    assert_eq!(reveal.status, StatusCode::FORBIDDEN, "{}", reveal.body);
    assert_eq!(rotate.status, StatusCode::FORBIDDEN, "{}", rotate.body);
    assert_eq!(mint.status, StatusCode::FORBIDDEN, "{}", mint.body);
    assert_eq!(list.status, StatusCode::FORBIDDEN, "{}", list.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_listed_without_secret_and_revoked() {
    let fixture = Fixture::start().await;
    let workspace = fixture.workspace("main").await;
    let view = fixture.token(&workspace, "view").await;
    let (id, secret) = view.strip_prefix("cnpt_").unwrap().split_once('.').unwrap();

    let listed = fixture
        .get(
            &format!("/api/workspaces/{workspace}/tokens"),
            &fixture.admin,
        )
        .await;
    let all = fixture.get("/api/tokens", &fixture.admin).await;
    let before = fixture.get("/api/session", &view).await;
    let revoked = fixture
        .delete(&format!("/api/tokens/{id}"), &fixture.admin)
        .await;
    let after = fixture.get("/api/session", &view).await;
    let unknown = fixture
        .delete(
            "/api/tokens/0123456789abcdef0123456789abcdef",
            &fixture.admin,
        )
        .await;

    assert_eq!(listed.status, StatusCode::OK);
    let items = listed.json()["items"].as_array().unwrap().clone();
    assert_eq!(
        items.len(),
        1,
        "one token in the workspace: {}",
        listed.body
    );
    assert_eq!(items[0]["id"], id);
    assert_eq!(items[0]["role"], "view");
    assert!(
        !listed.body.contains(secret),
        "the list never shows the secret part"
    );
    assert!(
        !all.body.contains(secret),
        "the full list never shows the secret part"
    );
    assert!(
        !all.body.contains(fixture.admin.split_once('.').unwrap().1),
        "nor the admin's"
    );
    assert_eq!(
        before.status,
        StatusCode::OK,
        "the token works before revocation"
    );
    assert_eq!(before.json()["token"]["role"], "view");
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert!(revoked.json()["revoked_at"].is_string(), "{}", revoked.body);
    assert_eq!(
        after.status,
        StatusCode::UNAUTHORIZED,
        "a revoked token is rejected"
    );
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_token_created_once() {
    let fixture = Fixture::start().await;

    let again = canopy_server::ensure_admin_token(&fixture.store)
        .await
        .expect("the check runs");
    let tokens = fixture.get("/api/tokens", &fixture.admin).await.json();
    let addr = "127.0.0.1:7070".parse().unwrap();
    let url = canopy_server::login_url(addr, &canopy_store::Sensitive::new(fixture.admin.clone()));

    assert!(again.is_none(), "a second start creates no admin token");
    assert_eq!(
        tokens["items"].as_array().unwrap().len(),
        1,
        "exactly one token: {tokens}"
    );
    assert_eq!(tokens["items"][0]["role"], "admin");
    assert_eq!(
        url,
        format!("http://127.0.0.1:7070/login#token={}", fixture.admin)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_token_reveal_and_rotate() {
    let fixture = Fixture::start().await;
    let workspace = fixture.workspace("main").await;
    let stored = fixture
        .store
        .workspace_token(&canopy_store::WorkspaceId(workspace.clone()))
        .await
        .unwrap();

    let reveal = fixture
        .get(
            &format!("/api/workspaces/{workspace}/token"),
            &fixture.admin,
        )
        .await;
    let rotate = fixture
        .post(
            &format!("/api/workspaces/{workspace}/token/rotate"),
            &fixture.admin,
            json!({}),
        )
        .await;
    let after = fixture
        .get(
            &format!("/api/workspaces/{workspace}/token"),
            &fixture.admin,
        )
        .await;

    assert_eq!(reveal.status, StatusCode::OK);
    assert_eq!(reveal.json()["token"], stored.expose().as_str());
    assert_eq!(reveal.headers.get("cache-control").unwrap(), "no-store");
    assert_eq!(rotate.status, StatusCode::OK);
    assert_ne!(
        rotate.json()["token"],
        reveal.json()["token"],
        "rotation makes a new token"
    );
    assert_eq!(after.json()["token"], rotate.json()["token"]);
}
