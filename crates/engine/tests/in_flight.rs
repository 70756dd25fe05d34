//! Requests whose outcome an apply did not see: a create that hangs past the deadline,
//! one that finishes after it, a create_then_delete replacement cut off after its
//! create, and a process that stopped between recording the client token and receiving
//! the response. A later apply must finish each without creating a second resource or
//! losing track of one.

mod common;

use std::time::{Duration, Instant};

use canopy_aws::cloudcontrol::new_client_token;
use canopy_emulator::{EmulatorConfig, FailureRule, HangRule, Operation, OperationStatus};
use canopy_engine::EngineConfig;
use canopy_store::{ActionId, ActionRecord};
use common::{Fixture, fast_config, outcome};
use serde_json::json;

const VPC: &str = "AWS::EC2::VPC";
const BUCKET: &str = "AWS::S3::Bucket";
/// How long a test waits for the emulator to finish a request.
const WAIT_LIMIT: Duration = Duration::from_secs(30);

fn short_deadline() -> EngineConfig {
    EngineConfig {
        request_timeout: Some(Duration::from_millis(300)),
        ..fast_config()
    }
}

async fn vpc_change_set(fixture: &Fixture) {
    fixture.change_set("network").await;
    fixture
        .component("network", VPC, "vpc", json!({"CidrBlock": "10.0.0.0/16"}))
        .await;
}

async fn unknown_actions(fixture: &Fixture) -> Vec<ActionRecord> {
    let workspace = fixture.workspace().await;
    fixture
        .store()
        .list_actions(&workspace.id, &["unknown"])
        .await
        .expect("the actions")
}

/// Waits until the emulator has finished the request with this token.
async fn wait_until_finished(fixture: &Fixture, token: &str) -> OperationStatus {
    let started = Instant::now();
    loop {
        let requests = fixture.handle().resource_requests();
        let request = requests
            .iter()
            .find(|r| r.request_token == token)
            .expect("the request exists");
        if !matches!(
            request.operation_status,
            OperationStatus::Pending
                | OperationStatus::InProgress
                | OperationStatus::CancelInProgress
        ) {
            return request.operation_status;
        }
        assert!(
            started.elapsed() < WAIT_LIMIT,
            "request {token} never finished"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_create_unknown_until_cancelled() {
    let emulator = EmulatorConfig::default()
        .with_request_delay(Duration::from_millis(20))
        .with_hang(HangRule {
            type_name: VPC.into(),
            operation: Some(Operation::Create),
        });
    let fixture = Fixture::start(emulator, short_deadline()).await;
    vpc_change_set(&fixture).await;

    let report = fixture.apply("network").await;

    let vpc = outcome(&report, "vpc");
    assert_eq!(
        vpc.state, "unknown",
        "a request past its deadline has an unknown outcome: {vpc:?}"
    );
    assert!(!report.success(), "an unknown outcome is not success");
    let token = vpc
        .request_token
        .clone()
        .expect("the request token should be reported");
    let recorded = unknown_actions(&fixture).await;
    assert_eq!(
        recorded.len(),
        1,
        "one unknown action should be recorded: {recorded:?}"
    );
    assert_eq!(
        recorded[0].request_token.as_deref(),
        Some(token.as_str()),
        "the recorded token"
    );
    let plan = fixture
        .engine
        .plan(common::WORKSPACE, "HEAD")
        .await
        .expect("the plan");
    assert_eq!(
        plan.in_flight.len(),
        1,
        "the plan should list the request in flight"
    );
    assert!(
        plan.actions.is_empty(),
        "the plan must not create the VPC again: {:?}",
        plan.actions
    );

    // The next apply resumes the same token and sends no second create.
    fixture.handle().clear_faults();
    let again = fixture.apply("HEAD").await;
    let resumed = again
        .resumed
        .iter()
        .find(|o| o.component == "vpc")
        .expect("the VPC action is resumed");
    assert_eq!(
        resumed.request_token.as_deref(),
        Some(token.as_str()),
        "the resume should poll the same request"
    );
    assert!(
        !resumed.succeeded(),
        "a request still in progress is not success: {resumed:?}"
    );
    assert!(
        again.actions.is_empty(),
        "no new action while the request is in flight: {:?}",
        again.actions
    );
    assert_eq!(fixture.create_calls(), 1, "one CreateResource call in all");

    // Once cancelled, the request is failed rather than succeeded, and a later apply
    // creates the VPC once.
    let in_flight = unknown_actions(&fixture).await;
    let action = in_flight.first().expect("the VPC action is still unknown");
    let cancelled_action = fixture
        .engine
        .cancel_action(common::WORKSPACE, action.id.as_str())
        .await
        .expect("the engine asks Cloud Control to cancel the request");
    assert_eq!(
        cancelled_action.request_token.as_deref(),
        Some(token.as_str()),
        "the cancelled request"
    );
    assert_eq!(
        wait_until_finished(&fixture, &token).await,
        OperationStatus::CancelComplete
    );
    let cancelled = fixture.apply("HEAD").await;
    let resumed = cancelled
        .resumed
        .iter()
        .find(|o| o.component == "vpc")
        .expect("the VPC action is resumed");
    assert_eq!(
        resumed.state, "failed",
        "a cancelled request is not success: {resumed:?}"
    );
    assert!(
        resumed
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("cancelled"),
        "the message should say the request was cancelled: {resumed:?}"
    );
    let recreated = fixture.apply("HEAD").await;
    assert!(
        recreated.success(),
        "the VPC should be created after the cancel: {recreated:?}"
    );
    assert_eq!(fixture.identifiers(VPC).len(), 1, "exactly one VPC");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_create_resumes_after_deadline() {
    let emulator = EmulatorConfig::default().with_request_delay(Duration::from_millis(1500));
    let fixture = Fixture::start(emulator, short_deadline()).await;
    vpc_change_set(&fixture).await;

    let first = fixture.apply("network").await;
    let token = outcome(&first, "vpc")
        .request_token
        .clone()
        .expect("the request token");
    let finished = wait_until_finished(&fixture, &token).await;
    let second = fixture.apply("HEAD").await;

    assert_eq!(
        outcome(&first, "vpc").state,
        "unknown",
        "the first apply gives up at the deadline"
    );
    assert_eq!(
        finished,
        OperationStatus::Success,
        "the emulator finishes the create later"
    );
    let resumed = second
        .resumed
        .iter()
        .find(|o| o.component == "vpc")
        .expect("the VPC action is resumed");
    assert_eq!(
        resumed.request_token.as_deref(),
        Some(token.as_str()),
        "the resume should poll the same request"
    );
    assert_eq!(
        resumed.state, "succeeded",
        "the resumed action should succeed: {resumed:?}"
    );
    assert!(second.success(), "the second apply should succeed");
    let vpcs = fixture.identifiers(VPC);
    assert_eq!(vpcs.len(), 1, "exactly one VPC: {vpcs:?}");
    assert_eq!(fixture.create_calls(), 1, "one CreateResource call in all");
    let view = fixture.show("vpc").await;
    let resource = view.resource.expect("the VPC is recorded");
    assert_eq!(
        resource.identifier.as_deref(),
        Some(vpcs[0].as_str()),
        "canopy should record the VPC's identifier"
    );
    assert_eq!(resource.status, "ok", "the recorded VPC should be ok");
    let plan = fixture
        .engine
        .plan(common::WORKSPACE, "HEAD")
        .await
        .expect("the plan");
    assert!(
        plan.is_empty(),
        "nothing should be left to do: {:?}",
        plan.actions
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_after_client_token_resumes_it() {
    // The first create fails, so the bucket component is in HEAD with no resource.
    let emulator = EmulatorConfig::default()
        .with_request_delay(Duration::from_millis(20))
        .with_failure(FailureRule {
            type_name: Some(BUCKET.into()),
            operation: Some(Operation::Create),
            error_code: "InvalidRequest".into(),
            first: Some(1),
            ..FailureRule::default()
        });
    let fixture = Fixture::start(emulator, fast_config()).await;
    fixture.change_set("assets").await;
    let desired = json!({"BucketName": "canopy-crash"});
    fixture
        .component("assets", BUCKET, "assets", desired.clone())
        .await;
    let failed = fixture.apply("assets").await;
    assert_eq!(
        outcome(&failed, "assets").state,
        "failed",
        "the injected failure should fail the first create"
    );

    // A process that recorded its client token and sent CreateResource, then stopped
    // before it could record the request token.
    let client_token = new_client_token();
    let session = fixture.customer_session().await;
    session
        .cloud_control()
        .create_resource(BUCKET, &desired, &client_token)
        .await
        .expect("the create is accepted");
    let workspace = fixture.workspace().await;
    let head = fixture.store().head(&workspace.id).await.expect("HEAD");
    let component = fixture
        .store()
        .get_component(&head.id, "assets")
        .await
        .expect("the component");
    let record = ActionRecord {
        id: ActionId::new(),
        workspace_id: workspace.id.clone(),
        change_set_id: head.id.clone(),
        component_id: component.id.clone(),
        component_name: "assets".into(),
        kind: "create".into(),
        operation: Some("CREATE".into()),
        state: "running".into(),
        patch: Some(json!({"DesiredState": desired})),
        client_token: Some(client_token.clone()),
        request_token: None,
        identifier: None,
        attempts: 1,
        message: None,
        created_at: chrono::Utc::now().to_rfc3339(),
        updated_at: String::new(),
    };
    fixture
        .store()
        .put_action(&record)
        .await
        .expect("the action row is written");

    let report = fixture.apply("HEAD").await;

    let resumed = report
        .resumed
        .iter()
        .find(|o| o.component == "assets")
        .expect("the action is resumed");
    assert_eq!(
        resumed.state, "succeeded",
        "the resumed create should succeed: {resumed:?}"
    );
    assert_eq!(
        resumed.identifier.as_deref(),
        Some("canopy-crash"),
        "the resumed create names the bucket"
    );
    assert!(
        report.actions.is_empty(),
        "no new create after the resume: {:?}",
        report.actions
    );
    assert_eq!(
        fixture.identifiers(BUCKET),
        ["canopy-crash"],
        "exactly one bucket"
    );
    let calls = fixture.handle().calls();
    let resumed_call = calls
        .iter()
        .filter(|c| c.operation == "CreateResource")
        .last()
        .expect("a create call");
    assert_eq!(
        resumed_call.client_token.as_deref(),
        Some(client_token.as_str()),
        "the resume should reuse the client token"
    );
    let requests = fixture.handle().resource_requests();
    let successes = requests
        .iter()
        .filter(|r| {
            r.operation == Operation::Create && r.operation_status == OperationStatus::Success
        })
        .count();
    assert_eq!(
        successes, 1,
        "one successful create request in all: {requests:?}"
    );
    let resource = fixture
        .show("assets")
        .await
        .resource
        .expect("the bucket is recorded");
    assert_eq!(
        resource.identifier.as_deref(),
        Some("canopy-crash"),
        "canopy should record the bucket"
    );
    let plan = fixture
        .engine
        .plan(common::WORKSPACE, "HEAD")
        .await
        .expect("the plan");
    assert!(
        plan.is_empty(),
        "nothing should be left to do: {:?}",
        plan.actions
    );
}

const ASSOCIATION: &str = "AWS::EKS::PodIdentityAssociation";

/// Creates a pod identity association and opens change set `move` that changes its
/// namespace. The type declares create_then_delete and its namespace is create-only,
/// so applying `move` creates the new association before deleting the old one.
/// Returns the old association's identifier.
async fn association_to_replace(fixture: &Fixture) -> String {
    fixture.change_set("pods").await;
    let domain = json!({
        "ClusterName": "main",
        "Namespace": "old",
        "ServiceAccount": "app",
        "RoleArn": format!("arn:aws:iam::{}:role/app", common::CUSTOMER),
    });
    fixture
        .component("pods", ASSOCIATION, "pod-identity", domain)
        .await;
    let created = fixture.apply("pods").await;
    assert!(
        created.success(),
        "the association should be created: {created:?}"
    );
    let old = fixture.identifiers(ASSOCIATION);
    assert_eq!(
        old.len(),
        1,
        "one association before the replacement: {old:?}"
    );

    let workspace = fixture.workspace().await;
    fixture
        .store()
        .create_change_set(&workspace.id, "move")
        .await
        .expect("the change set");
    fixture
        .engine
        .set_property(
            common::WORKSPACE,
            "move",
            "pod-identity",
            "/Namespace",
            json!("new"),
        )
        .await
        .expect("the namespace changes");
    old[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resumed_replacement_deletes_old_resource() {
    let emulator = EmulatorConfig::default().with_request_delay(Duration::from_millis(20));
    let fixture = Fixture::start(emulator, short_deadline()).await;
    let old = association_to_replace(&fixture).await;

    // The replacement's create outlives the deadline, as if canopy stopped there.
    fixture
        .handle()
        .set_request_delay(Duration::from_millis(1500));
    let interrupted = fixture.apply("move").await;
    let replace = outcome(&interrupted, "pod-identity");
    assert_eq!(
        replace.kind, "replace",
        "a new namespace replaces the association: {replace:?}"
    );
    assert_eq!(
        replace.state, "unknown",
        "the create of the replacement outlives the deadline: {replace:?}"
    );
    let token = replace.request_token.clone().expect("the request token");
    wait_until_finished(&fixture, &token).await;
    fixture
        .handle()
        .set_request_delay(Duration::from_millis(20));

    let resumed = fixture.apply("HEAD").await;

    assert!(
        resumed.success(),
        "the resumed apply should succeed: {resumed:?}"
    );
    let left = fixture.identifiers(ASSOCIATION);
    assert_eq!(
        left.len(),
        1,
        "the old association must not be left behind: {left:?}"
    );
    assert_ne!(left[0], old, "the old association should be deleted");
    let resource = fixture
        .show("pod-identity")
        .await
        .resource
        .expect("the association is recorded");
    assert_eq!(
        resource.identifier.as_deref(),
        Some(left[0].as_str()),
        "canopy should record the new association"
    );
    let plan = fixture
        .engine
        .plan(common::WORKSPACE, "HEAD")
        .await
        .expect("the plan");
    assert!(
        plan.is_empty(),
        "nothing should be left to do: {:?}",
        plan.actions
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_replacement_keeps_old_resource() {
    let emulator = EmulatorConfig::default().with_request_delay(Duration::from_millis(20));
    let fixture = Fixture::start(emulator, fast_config()).await;
    let old = association_to_replace(&fixture).await;
    fixture.handle().add_failure(FailureRule {
        type_name: Some(ASSOCIATION.into()),
        operation: Some(Operation::Create),
        error_code: "InvalidRequest".into(),
        first: Some(1),
        ..FailureRule::default()
    });

    let failed = fixture.apply("move").await;

    let replace = outcome(&failed, "pod-identity");
    assert_eq!(
        replace.state, "failed",
        "the replacement's create fails: {replace:?}"
    );
    assert_eq!(
        fixture.identifiers(ASSOCIATION),
        [old.clone()],
        "the old association still exists"
    );
    let resource = fixture
        .show("pod-identity")
        .await
        .resource
        .expect("canopy should keep the old association");
    assert_eq!(
        resource.identifier.as_deref(),
        Some(old.as_str()),
        "canopy should still record the old association"
    );
    let plan = fixture
        .engine
        .plan(common::WORKSPACE, "HEAD")
        .await
        .expect("the plan");
    let kinds: Vec<&str> = plan.actions.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["replace"],
        "the next plan should replace the old association, not create beside it"
    );
}
