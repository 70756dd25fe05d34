//! The whole loop over HTTP against the emulator: workspace, secret, credential,
//! region, VPC, subnet subscribed to it, plan, apply and events. Every response body
//! and all event stream text is scanned for secret values and tokens.

mod common;

use canopy_emulator::{CUSTOMER_ADMIN_ACCESS_KEY_ID, CUSTOMER_ADMIN_SECRET_ACCESS_KEY};
use common::{Fixture, events_until};
use hyper::StatusCode;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_flow_never_leaks_secrets() {
    let fixture = Fixture::start().await;
    let ws = fixture.workspace("main").await;
    let apply_token = fixture.token(&ws, "apply").await;
    let token = apply_token.as_str();
    // The response that creates a token is the one place it appears, by design; the
    // scan covers everything after it.
    fixture.seen.lock().unwrap().clear();
    let mut events = fixture.events(&ws, token, "").await;
    let secret = fixture.customer_secret(&ws, token).await;
    assert_eq!(
        secret.status,
        StatusCode::CREATED,
        "the secret is stored: {}",
        secret.body
    );
    assert_eq!(secret.json()["kind"], "AWS Credential");
    let secrets = fixture
        .get(&format!("/api/workspaces/{ws}/secrets"), token)
        .await;
    assert_eq!(secrets.json()["items"][0]["name"], "customer");

    fixture.change_set(&ws, token, "network").await;
    let credential = fixture
        .get(
            &format!("/api/workspaces/{ws}/change-sets/network/components/aws"),
            token,
        )
        .await
        .json();
    let qualifications = credential["qualifications"]
        .as_array()
        .expect("qualifications")
        .clone();
    assert!(
        !qualifications.is_empty(),
        "the credential is qualified: {credential}"
    );
    assert!(
        qualifications.iter().all(|q| q["status"] == "success"),
        "the credential validates against the emulator: {qualifications:?}"
    );
    fixture
        .component(
            &ws,
            token,
            "network",
            "AWS::EC2::VPC",
            "vpc",
            json!({"CidrBlock": "10.0.0.0/16"}),
        )
        .await;
    fixture
        .component(
            &ws,
            token,
            "network",
            "AWS::EC2::Subnet",
            "subnet",
            json!({"CidrBlock": "10.0.1.0/24", "AvailabilityZone": "us-east-1a"}),
        )
        .await;
    let subscribed = fixture
        .post(
            &format!("/api/workspaces/{ws}/change-sets/network/components/subnet/subscriptions"),
            token,
            json!({"path": "/VpcId", "source": "vpc", "source_path": "/resource/VpcId"}),
        )
        .await;
    assert_eq!(
        subscribed.status,
        StatusCode::OK,
        "the subscription is accepted: {}",
        subscribed.body
    );
    assert_eq!(subscribed.json()["subscriptions"][0]["source"], "vpc");

    let plan = fixture
        .get(
            &format!("/api/workspaces/{ws}/change-sets/network/plan"),
            token,
        )
        .await;
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.body);
    let planned: Vec<(String, String)> = plan.json()["actions"]
        .as_array()
        .expect("planned actions")
        .iter()
        .map(|a| {
            (
                a["component"].as_str().unwrap().to_string(),
                a["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        planned,
        vec![
            ("vpc".to_string(), "create".to_string()),
            ("subnet".to_string(), "create".to_string())
        ]
    );

    let started = fixture
        .post(
            &format!("/api/workspaces/{ws}/change-sets/network/apply"),
            token,
            json!({}),
        )
        .await;
    assert_eq!(
        started.status,
        StatusCode::ACCEPTED,
        "the apply starts: {}",
        started.body
    );
    let apply_id = started.json()["id"].as_str().unwrap().to_string();
    let location = started
        .headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let streamed = events_until(&mut events, |e| {
        e["event"] == "apply_finished" && e["apply_id"] == apply_id.as_str()
    })
    .await;
    let run = fixture.wait_for_apply(&location, token).await;

    assert_eq!(run["status"], "succeeded", "the apply succeeds: {run}");
    let outcomes: Vec<&Value> = run["report"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(outcomes.len(), 2, "two actions ran: {run}");
    assert!(
        outcomes.iter().all(|o| o["state"] == "succeeded"),
        "{outcomes:?}"
    );
    let kinds: Vec<&str> = streamed
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    let progress = kinds.iter().position(|k| *k == "action_progress");
    let finished = kinds.iter().rposition(|k| *k == "apply_finished");
    assert!(
        kinds.contains(&"qualified"),
        "qualification events stream: {kinds:?}"
    );
    assert!(kinds.contains(&"apply_started"), "{kinds:?}");
    assert!(
        progress.is_some(),
        "action progress streams during the apply: {kinds:?}"
    );
    assert!(
        progress < finished,
        "progress comes before the apply finishes: {kinds:?}"
    );
    assert!(kinds.contains(&"action_finished"), "{kinds:?}");
    assert!(kinds.contains(&"resource_changed"), "{kinds:?}");
    let tagged = streamed
        .iter()
        .find(|e| e["event"] == "action_progress")
        .unwrap();
    assert_eq!(
        tagged["workspace_id"],
        ws.as_str(),
        "events name their workspace"
    );
    assert_eq!(
        tagged["change_set"], "network",
        "events name their change set"
    );

    let subnet = fixture
        .get(
            &format!("/api/workspaces/{ws}/change-sets/HEAD/components/subnet"),
            token,
        )
        .await
        .json();
    let vpc_id = fixture
        .get(
            &format!("/api/workspaces/{ws}/change-sets/HEAD/components/vpc"),
            token,
        )
        .await
        .json()["resource"]["identifier"]
        .clone();
    assert_eq!(subnet["resource"]["status"], "ok", "{subnet}");
    assert_eq!(
        subnet["resource"]["properties"]["VpcId"], vpc_id,
        "the subnet is in the VPC"
    );
    let actions = fixture
        .get(
            &format!("/api/workspaces/{ws}/actions?change_set=network"),
            token,
        )
        .await
        .json();
    assert_eq!(actions["items"].as_array().unwrap().len(), 2, "{actions}");
    let head_plan = fixture
        .get(
            &format!("/api/workspaces/{ws}/change-sets/HEAD/plan"),
            token,
        )
        .await
        .json();
    assert!(
        head_plan["actions"].as_array().unwrap().is_empty(),
        "nothing left to do: {head_plan}"
    );
    let refresh = fixture
        .post(&format!("/api/workspaces/{ws}/refresh"), token, json!({}))
        .await;
    assert_eq!(refresh.status, StatusCode::OK, "{}", refresh.body);

    let workspace_token = fixture
        .store
        .workspace_token(&canopy_store::WorkspaceId(ws.clone()))
        .await
        .unwrap();
    let forbidden = [
        (
            "the secret access key",
            CUSTOMER_ADMIN_SECRET_ACCESS_KEY.to_string(),
        ),
        (
            "the access key id",
            CUSTOMER_ADMIN_ACCESS_KEY_ID.to_string(),
        ),
        ("the workspace token", workspace_token.expose().clone()),
        ("the apply token", apply_token.clone()),
        ("the admin token", fixture.admin.clone()),
    ];
    let seen = fixture.seen.lock().unwrap().clone();
    assert!(
        seen.len() > 20,
        "many responses were scanned: {}",
        seen.len()
    );
    for (what, value) in &forbidden {
        for text in &seen {
            assert!(
                !text.contains(value.as_str()),
                "{what} appears in a response: {text}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_qualifications_reject_apply() {
    let fixture = Fixture::start().await;
    let ws = fixture.workspace("main").await;
    fixture.customer_secret(&ws, &fixture.admin).await;
    fixture.change_set(&ws, &fixture.admin, "bad").await;
    fixture
        .component(
            &ws,
            &fixture.admin,
            "bad",
            "AWS::EC2::VPC",
            "vpc",
            json!({"CidrBlock": 42}),
        )
        .await;

    let apply = fixture
        .post(
            &format!("/api/workspaces/{ws}/change-sets/bad/apply"),
            &fixture.admin,
            json!({}),
        )
        .await;
    let change_set = fixture
        .get(
            &format!("/api/workspaces/{ws}/change-sets/bad"),
            &fixture.admin,
        )
        .await;

    assert_eq!(
        apply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        apply.body
    );
    assert_eq!(apply.code(), "qualifications_fail");
    let message = apply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains(r#"{"force": true}"#),
        "the message names the API's force flag: {message}"
    );
    assert!(
        !message.contains("--force"),
        "the message names no CLI flag: {message}"
    );
    assert_eq!(change_set.json()["status"], "open", "nothing was merged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_follow_engine_rules() {
    let fixture = Fixture::start().await;
    let ws = fixture.workspace("main").await;
    let admin = fixture.admin.clone();
    fixture.customer_secret(&ws, &admin).await;
    fixture.change_set(&ws, &admin, "edit").await;
    fixture
        .component(
            &ws,
            &admin,
            "edit",
            "AWS::EC2::VPC",
            "vpc",
            json!({"CidrBlock": "10.0.0.0/16"}),
        )
        .await;
    let base = format!("/api/workspaces/{ws}/change-sets/edit/components/vpc");

    let set = fixture
        .post(
            &format!("{base}/properties"),
            &admin,
            json!({"path": "/EnableDnsHostnames", "value": true}),
        )
        .await;
    let unset = fixture
        .send(
            hyper::Method::DELETE,
            &format!("{base}/properties?path=/EnableDnsHostnames"),
            Some(&admin),
            None,
            &[],
        )
        .await;
    let unset_again = fixture
        .send(
            hyper::Method::DELETE,
            &format!("{base}/properties?path=/EnableDnsHostnames"),
            Some(&admin),
            None,
            &[],
        )
        .await;
    let head_edit = fixture
        .post(
            &format!("/api/workspaces/{ws}/change-sets/HEAD/components"),
            &admin,
            json!({"schema": "Region", "name": "r2", "domain": {"Region": "us-east-1"}}),
        )
        .await;
    let duplicate = fixture
        .post(
            &format!("/api/workspaces/{ws}/change-sets/edit/components"),
            &admin,
            json!({"schema": "AWS::EC2::VPC", "name": "vpc"}),
        )
        .await;
    let unknown_type = fixture
        .post(
            &format!("/api/workspaces/{ws}/change-sets/edit/components"),
            &admin,
            json!({"schema": "AWS::Nope::Nothing", "name": "x"}),
        )
        .await;
    let missing = fixture
        .get(
            &format!("/api/workspaces/{ws}/change-sets/edit/components/nothing"),
            &admin,
        )
        .await;
    let deleted = fixture.delete(&base, &admin).await;
    let abandoned = fixture
        .post(
            &format!("/api/workspaces/{ws}/change-sets/edit/abandon"),
            &admin,
            json!({}),
        )
        .await;
    let after = fixture
        .post(
            &format!(
                "/api/workspaces/{ws}/change-sets/{}/abandon",
                abandoned.json()["id"].as_str().unwrap()
            ),
            &admin,
            json!({}),
        )
        .await;

    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.json()["domain"]["EnableDnsHostnames"], true);
    assert_eq!(unset.status, StatusCode::OK, "{}", unset.body);
    assert!(unset.json()["domain"].get("EnableDnsHostnames").is_none());
    assert_eq!(
        unset_again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unset_again.body
    );
    assert_eq!(unset_again.code(), "invalid_input");
    assert_eq!(head_edit.status, StatusCode::CONFLICT, "{}", head_edit.body);
    assert_eq!(head_edit.code(), "head_is_read_only");
    assert_eq!(duplicate.status, StatusCode::CONFLICT, "{}", duplicate.body);
    assert_eq!(duplicate.code(), "already_exists");
    assert_eq!(
        unknown_type.status,
        StatusCode::NOT_FOUND,
        "{}",
        unknown_type.body
    );
    assert_eq!(unknown_type.code(), "unknown_type");
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(abandoned.status, StatusCode::OK, "{}", abandoned.body);
    assert_eq!(abandoned.json()["status"], "abandoned");
    assert_eq!(after.status, StatusCode::CONFLICT, "{}", after.body);
    assert_eq!(after.code(), "change_set_closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_and_cancel_actions() {
    let fixture = Fixture::start().await;
    let ws = fixture.workspace("main").await;
    let admin = fixture.admin.clone();
    fixture.customer_secret(&ws, &admin).await;
    fixture.change_set(&ws, &admin, "one").await;
    fixture
        .component(
            &ws,
            &admin,
            "one",
            "AWS::S3::Bucket",
            "bucket",
            json!({"BucketName": "canopy-server-retry"}),
        )
        .await;
    let started = fixture
        .post(
            &format!("/api/workspaces/{ws}/change-sets/one/apply"),
            &admin,
            json!({}),
        )
        .await;
    let location = started
        .headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    fixture.wait_for_apply(&location, &admin).await;
    let actions = fixture
        .get(&format!("/api/workspaces/{ws}/actions"), &admin)
        .await
        .json();
    let action = actions["items"][0]["id"]
        .as_str()
        .expect("an action id")
        .to_string();

    let cancel = fixture
        .post(
            &format!("/api/workspaces/{ws}/actions/{action}/cancel"),
            &admin,
            json!({}),
        )
        .await;
    let retry = fixture
        .post(
            &format!("/api/workspaces/{ws}/actions/{action}/retry"),
            &admin,
            json!({}),
        )
        .await;
    let unknown = fixture
        .post(
            &format!("/api/workspaces/{ws}/actions/no-such-action/retry"),
            &admin,
            json!({}),
        )
        .await;

    // The action already succeeded, so there is no request left to cancel.
    assert_eq!(
        cancel.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        cancel.body
    );
    assert_eq!(cancel.code(), "invalid_input");
    assert!(cancel.body.contains("in flight"), "{}", cancel.body);
    assert_eq!(retry.status, StatusCode::ACCEPTED, "{}", retry.body);
    assert_eq!(retry.json()["change_set"], "HEAD");
    let location = retry
        .headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let run = fixture.wait_for_apply(&location, &admin).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert!(
        run["report"]["actions"].as_array().unwrap().is_empty(),
        "HEAD needs nothing more: {run}"
    );
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_stream_filters_by_change_set() {
    let fixture = Fixture::start().await;
    let ws = fixture.workspace("main").await;
    let other = fixture.workspace("other").await;
    let admin = fixture.admin.clone();
    let mut filtered = fixture.events(&ws, &admin, "?change_set=wanted").await;
    let mut everything = fixture.events(&ws, &admin, "").await;
    for workspace in [&other, &ws] {
        for name in ["ignored", "wanted"] {
            let path = format!("/api/workspaces/{workspace}/change-sets");
            fixture.post(&path, &admin, json!({"name": name})).await;
            let region = json!({"Region": "us-east-1"});
            fixture
                .component(workspace, &admin, name, "Region", "region", region)
                .await;
        }
    }

    let seen_filtered = events_until(&mut filtered, |e| e["event"] == "component_changed").await;
    let seen_all = events_until(&mut everything, |e| e["event"] == "component_changed").await;

    let changed = seen_filtered.last().unwrap();
    assert_eq!(changed["change_set"], "wanted", "{seen_filtered:?}");
    assert_eq!(changed["workspace_id"], ws.as_str(), "{seen_filtered:?}");
    assert!(
        seen_filtered
            .iter()
            .all(|e| e["change_set"].is_null() || e["change_set"] == "wanted"),
        "only the wanted change set's events: {seen_filtered:?}"
    );
    let first = seen_all.last().unwrap();
    assert_eq!(
        first["change_set"], "ignored",
        "the unfiltered stream sees every change set"
    );
    assert!(
        seen_all
            .iter()
            .all(|e| e["workspace_id"].is_null() || e["workspace_id"] == ws.as_str()),
        "no event of another workspace: {seen_all:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_apply_waits_for_first() {
    // Resource requests never finish within the test, so the first apply is still
    // running when the second request arrives.
    let fixture = Fixture::start_with(std::time::Duration::from_secs(3600)).await;
    let ws = fixture.workspace("main").await;
    let admin = fixture.admin.clone();
    fixture.customer_secret(&ws, &admin).await;
    fixture.change_set(&ws, &admin, "slow").await;
    let bucket = json!({"BucketName": "canopy-server-slow"});
    fixture
        .component(&ws, &admin, "slow", "AWS::S3::Bucket", "bucket", bucket)
        .await;
    let mut events = fixture.events(&ws, &admin, "").await;

    let first = fixture
        .post(
            &format!("/api/workspaces/{ws}/change-sets/slow/apply"),
            &admin,
            json!({}),
        )
        .await;
    let progress = events_until(&mut events, |e| e["event"] == "action_progress").await;
    let second = fixture
        .post(
            &format!("/api/workspaces/{ws}/change-sets/HEAD/apply"),
            &admin,
            json!({}),
        )
        .await;
    let location = first
        .headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let running = fixture.get(&location, &admin).await.json();
    let listed = fixture
        .get(&format!("/api/workspaces/{ws}/applies"), &admin)
        .await
        .json();

    assert_eq!(first.status, StatusCode::ACCEPTED, "{}", first.body);
    assert_eq!(
        progress.last().unwrap()["component"],
        "bucket",
        "{progress:?}"
    );
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
    assert_eq!(second.code(), "apply_in_progress");
    assert_eq!(running["status"], "running", "{running}");
    assert!(running["report"].is_null(), "{running}");
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_conflict_ends_apply_with_error() {
    let fixture = Fixture::start().await;
    let ws = fixture.workspace("main").await;
    let admin = fixture.admin.clone();
    fixture.customer_secret(&ws, &admin).await;
    fixture.change_set(&ws, &admin, "base").await;
    let vpc = json!({"CidrBlock": "10.0.0.0/16"});
    fixture
        .component(&ws, &admin, "base", "AWS::EC2::VPC", "vpc", vpc)
        .await;
    let started = fixture
        .post(
            &format!("/api/workspaces/{ws}/change-sets/base/apply"),
            &admin,
            json!({}),
        )
        .await;
    let location = started
        .headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let base = fixture.wait_for_apply(&location, &admin).await;
    assert_eq!(base["status"], "succeeded", "{base}");
    for (name, value) in [("left", true), ("right", false)] {
        fixture
            .post(
                &format!("/api/workspaces/{ws}/change-sets"),
                &admin,
                json!({"name": name}),
            )
            .await;
        let path = format!("/api/workspaces/{ws}/change-sets/{name}/components/vpc/properties");
        let set = fixture
            .post(
                &path,
                &admin,
                json!({"path": "/EnableDnsHostnames", "value": value}),
            )
            .await;
        assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    }
    let mut events = fixture.events(&ws, &admin, "?change_set=right").await;

    let left = fixture
        .post(
            &format!("/api/workspaces/{ws}/change-sets/left/apply"),
            &admin,
            json!({}),
        )
        .await;
    let left_location = left
        .headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let left_run = fixture.wait_for_apply(&left_location, &admin).await;
    let right = fixture
        .post(
            &format!("/api/workspaces/{ws}/change-sets/right/apply"),
            &admin,
            json!({}),
        )
        .await;
    let right_location = right
        .headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let right_run = fixture.wait_for_apply(&right_location, &admin).await;
    let finished = events_until(&mut events, |e| e["event"] == "apply_finished").await;

    assert_eq!(left_run["status"], "succeeded", "{left_run}");
    assert_eq!(right.status, StatusCode::ACCEPTED, "{}", right.body);
    assert_eq!(right_run["status"], "error", "{right_run}");
    assert_eq!(right_run["error"]["code"], "merge_conflict", "{right_run}");
    assert_eq!(
        right_run["error"]["conflicts"][0]["component"], "vpc",
        "{right_run}"
    );
    let event = finished.last().unwrap();
    assert_eq!(event["status"], "error", "{event}");
    assert_eq!(event["error"]["code"], "merge_conflict", "{event}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_and_discover_over_http() {
    let fixture = Fixture::start().await;
    let ws = fixture.workspace("main").await;
    fixture.customer_secret(&ws, &fixture.admin).await;
    fixture.change_set(&ws, &fixture.admin, "adopt").await;
    let state = fixture.emulator.state();
    for name in ["adopt-a", "adopt-b"] {
        state
            .insert_resource(
                canopy_emulator::CUSTOMER_ACCOUNT_ID,
                "us-east-1",
                "AWS::S3::Bucket",
                json!({"BucketName": name}),
            )
            .expect("the emulator stores the bucket");
    }
    let base = format!("/api/workspaces/{ws}/change-sets/adopt");

    let imported = fixture
        .post(
            &format!("{base}/import"),
            &fixture.admin,
            json!({"type_name": "AWS::S3::Bucket", "name": "a", "identifier": "adopt-a"}),
        )
        .await;
    let missing = fixture
        .post(
            &format!("{base}/import"),
            &fixture.admin,
            json!({"type_name": "AWS::S3::Bucket", "name": "c", "identifier": "no-such-bucket"}),
        )
        .await;
    let discovered = fixture
        .post(
            &format!("{base}/discover"),
            &fixture.admin,
            json!({"type_name": "AWS::S3::Bucket"}),
        )
        .await;
    let plan = fixture.get(&format!("{base}/plan"), &fixture.admin).await;

    assert_eq!(imported.status, StatusCode::CREATED, "{}", imported.body);
    assert_eq!(imported.json()["resource"]["identifier"], "adopt-a");
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    assert_eq!(missing.code(), "resource_not_found");
    assert_eq!(discovered.status, StatusCode::OK, "{}", discovered.body);
    let report = discovered.json();
    assert_eq!(report["found"], 2, "{report}");
    assert_eq!(
        report["imported"].as_array().map(Vec::len),
        Some(1),
        "only the unowned bucket: {report}"
    );
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.body);
    assert_eq!(
        plan.json()["actions"],
        json!([]),
        "the plan after import is empty: {}",
        plan.body
    );
}
