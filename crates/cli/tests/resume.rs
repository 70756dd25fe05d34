//! An apply killed with SIGKILL while its create is in flight, then finished by a later
//! run: the resource must exist exactly once and canopy must record its identifier.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use canopy_store::{ActionRecord, Store};
use common::Fixture;
use serde_json::json;

const BUCKET: &str = "AWS::S3::Bucket";
const SLOW: Duration = Duration::from_secs(3);
/// How long to wait for the child to reach the state the test kills it in.
const WAIT_LIMIT: Duration = Duration::from_secs(60);

/// Prepares change set `assets` with one bucket, and makes later requests slow.
async fn slow_bucket_change_set() -> Fixture {
    let fixture = Fixture::start(Duration::from_millis(20)).await;
    fixture.static_setup("assets");
    fixture.component(
        "assets",
        BUCKET,
        "assets",
        &json!({"BucketName": "canopy-resume-assets"}),
    );
    fixture.handle().set_request_delay(SLOW);
    fixture
}

fn creates(fixture: &Fixture) -> usize {
    fixture
        .handle()
        .calls()
        .iter()
        .filter(|c| c.operation == "CreateResource")
        .count()
}

/// Starts `canopy change-set apply assets`, waits until `ready` holds, and kills it.
async fn kill_apply_when(fixture: &Fixture, ready: impl AsyncReady) {
    let mut child = fixture
        .command(&["change-set", "apply", "assets"], true)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("canopy starts");
    let started = Instant::now();
    while !ready.check(fixture).await {
        assert!(
            started.elapsed() < WAIT_LIMIT,
            "the apply never reached the point to kill it"
        );
        assert!(
            child.try_wait().expect("the child's status").is_none(),
            "the apply ended before it was killed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL is sent");
    child.wait().expect("the child is reaped");
}

trait AsyncReady {
    async fn check(&self, fixture: &Fixture) -> bool;
}

/// Ready once the action row contains the request token of the CreateResource call.
struct RequestTokenRecorded;

impl AsyncReady for RequestTokenRecorded {
    async fn check(&self, fixture: &Fixture) -> bool {
        running_actions(fixture)
            .await
            .iter()
            .any(|a| a.request_token.is_some())
    }
}

/// Ready once the emulator has received the CreateResource call.
struct CreateReceived;

impl AsyncReady for CreateReceived {
    async fn check(&self, fixture: &Fixture) -> bool {
        creates(fixture) > 0
    }
}

async fn running_actions(fixture: &Fixture) -> Vec<ActionRecord> {
    if !fixture.data_dir().join("canopy.db").exists() {
        return Vec::new();
    }
    let store = Store::open_dir(&fixture.data_dir())
        .await
        .expect("the store opens");
    let workspace = store.get_workspace("main").await.expect("the workspace");
    store
        .list_actions(&workspace.id, &["running"])
        .await
        .expect("the actions")
}

fn assert_one_bucket_recorded(fixture: &Fixture) {
    let (identifier, _) = fixture.only(BUCKET);
    let view = fixture.show("HEAD", "assets");
    assert_eq!(
        view["resource"]["identifier"],
        identifier.as_str(),
        "canopy should record the bucket: {view}"
    );
    assert_eq!(
        view["resource"]["status"], "ok",
        "the bucket should be recorded as ok: {view}"
    );
    let plan = fixture.ok(&["plan", "HEAD"]).stdout;
    assert!(
        plan.contains("No changes"),
        "nothing should be left to do:\n{plan}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_apply_resumes_with_flag() {
    let fixture = slow_bucket_change_set().await;
    kill_apply_when(&fixture, RequestTokenRecorded).await;
    let in_flight = running_actions(&fixture).await;
    assert_eq!(
        in_flight.len(),
        1,
        "the killed apply should leave one running action: {in_flight:?}"
    );
    let token = in_flight[0].request_token.clone().expect("a request token");

    let resumed = fixture.canopy(&["change-set", "apply", "assets", "--resume"]);

    assert_eq!(
        resumed.code,
        0,
        "the resumed apply should succeed:\n{}",
        resumed.all()
    );
    assert!(
        resumed.stdout.contains("succeeded"),
        "the resumed action should be reported:\n{}",
        resumed.stdout
    );
    assert_eq!(
        creates(&fixture),
        1,
        "resuming must poll the request, not create again"
    );
    let requests = fixture.handle().resource_requests();
    assert_eq!(
        requests.len(),
        1,
        "one resource request in all: {requests:?}"
    );
    assert_eq!(
        requests[0].request_token, token,
        "the recorded token should be the emulator's"
    );
    assert_one_bucket_recorded(&fixture);
    assert!(
        running_actions(&fixture).await.is_empty(),
        "no action should be left running"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_apply_finishes_on_next_apply() {
    let fixture = slow_bucket_change_set().await;
    kill_apply_when(&fixture, CreateReceived).await;

    let plan = fixture.canopy(&["plan", "HEAD"]);
    let again = fixture.canopy(&["change-set", "apply", "assets"]);
    let creates_before = creates(&fixture);
    let applied = fixture.canopy(&["change-set", "apply", "HEAD"]);

    assert_eq!(
        plan.code,
        0,
        "plan should work after a killed apply:\n{}",
        plan.all()
    );
    assert!(
        plan.stdout.contains("resume create assets"),
        "the plan should show the action in flight:\n{}",
        plan.stdout
    );
    assert!(
        !plan.stdout.contains("+ create assets"),
        "the plan must not create the bucket again:\n{}",
        plan.stdout
    );
    assert_eq!(
        again.code,
        1,
        "applying the applied change set by name should fail:\n{}",
        again.all()
    );
    assert!(
        again.stderr.contains("already applied") && again.stderr.contains("--resume"),
        "the error should say the change set was applied and point to --resume:\n{}",
        again.stderr
    );
    assert_eq!(creates_before, 1, "the rejected apply must send nothing");
    assert_eq!(
        applied.code,
        0,
        "applying HEAD should finish the action:\n{}",
        applied.all()
    );
    let buckets = fixture.identifiers(BUCKET);
    assert_eq!(
        buckets.len(),
        1,
        "exactly one bucket should exist: {buckets:?}"
    );
    let tokens: Vec<Option<String>> = fixture
        .handle()
        .calls()
        .iter()
        .filter(|c| c.operation == "CreateResource")
        .map(|c| c.client_token.clone())
        .collect();
    assert!(
        tokens.windows(2).all(|pair| pair[0] == pair[1]),
        "every CreateResource call should reuse one client token: {tokens:?}"
    );
    assert_one_bucket_recorded(&fixture);
}
