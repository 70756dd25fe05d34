//! Cloud Control calls, waits and retries, against the emulator.

mod common;

use std::time::Duration;

use canopy_aws::HandlerErrorCode;
use canopy_aws::{
    CloudControl, ErrorKind, Operation, OperationStatus, OwnIdentity, WaitOutcome, connect,
    new_client_token,
};
use canopy_emulator::{DEFAULT_ACCOUNT_ID, FailureRule, HangRule, RunningEmulator, ThrottleRule};
use common::*;
use serde_json::json;
use tokio::time::Instant;

const LOG_GROUP: &str = "AWS::Logs::LogGroup";

async fn cloud_control(emulator: &RunningEmulator) -> CloudControl {
    let secret = admin_secret(&emulator.endpoint());
    let own = OwnIdentity::default();
    connect(&secret, REGION, &own, WORKSPACE_TOKEN, SESSION_NAME)
        .await
        .expect("valid secret")
        .cloud_control()
}

fn minutes(count: u64) -> Instant {
    Instant::now() + Duration::from_secs(60 * count)
}

fn log_group_count(emulator: &RunningEmulator) -> usize {
    emulator
        .state()
        .count_resources(DEFAULT_ACCOUNT_ID, REGION, LOG_GROUP)
}

/// Waits for a request that must finish, and returns its final event.
async fn finish(client: &CloudControl, request_token: &str) -> canopy_aws::ProgressEvent {
    match client
        .wait_for_request(request_token, minutes(1), |_| {})
        .await
        .unwrap()
    {
        WaitOutcome::Finished(event) => event,
        WaitOutcome::TimedOut(event) => panic!("request timed out: {event:?}"),
    }
}

#[tokio::test]
async fn create_get_update_delete_round_trip() {
    let emulator = start_emulator().await;
    let client = cloud_control(&emulator).await;
    let desired = json!({ "LogGroupName": "canopy-app", "RetentionInDays": 14 });

    let started = client
        .create_resource(LOG_GROUP, &desired, &new_client_token())
        .await
        .unwrap();
    assert_eq!(started.operation, Operation::Create);
    let mut statuses = Vec::new();
    let created = match client
        .wait_for_request(&started.request_token, minutes(1), |e| {
            statuses.push(e.status)
        })
        .await
        .unwrap()
    {
        WaitOutcome::Finished(event) => event,
        other => panic!("create did not finish: {other:?}"),
    };
    assert_eq!(created.status, OperationStatus::Success);
    assert_eq!(statuses.last(), Some(&OperationStatus::Success));
    let identifier = created
        .identifier
        .expect("created resource has an identifier");
    assert_eq!(identifier, "canopy-app");

    let read = client.get_resource(LOG_GROUP, &identifier).await.unwrap();
    let read = read.expect("resource exists after create");
    assert_eq!(read.identifier, "canopy-app");
    assert_eq!(read.properties["RetentionInDays"], 14);

    let patch = json!([{ "op": "replace", "path": "/RetentionInDays", "value": 30 }]);
    let update = client
        .update_resource(LOG_GROUP, &identifier, &patch, &new_client_token())
        .await
        .unwrap();
    let updated = finish(&client, &update.request_token).await;
    assert_eq!(updated.status, OperationStatus::Success);
    assert_eq!(updated.operation, Operation::Update);
    let read = client.get_resource(LOG_GROUP, &identifier).await.unwrap();
    assert_eq!(read.unwrap().properties["RetentionInDays"], 30);

    let delete = client
        .delete_resource(LOG_GROUP, &identifier, &new_client_token())
        .await
        .unwrap();
    let deleted = finish(&client, &delete.request_token).await;
    assert_eq!(deleted.status, OperationStatus::Success);
    assert!(
        client
            .get_resource(LOG_GROUP, &identifier)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(log_group_count(&emulator), 0);
}

#[tokio::test]
async fn get_missing_resource_is_none() {
    let emulator = start_emulator().await;
    let client = cloud_control(&emulator).await;

    let found = client
        .get_resource(LOG_GROUP, "never-created")
        .await
        .unwrap();

    assert!(found.is_none());
}

#[tokio::test]
async fn list_resources_pages() {
    let emulator = start_emulator().await;
    for name in ["a-group", "b-group", "c-group"] {
        let model = json!({ "LogGroupName": name });
        emulator
            .state()
            .insert_resource(DEFAULT_ACCOUNT_ID, REGION, LOG_GROUP, model)
            .unwrap();
    }
    let client = cloud_control(&emulator).await;

    let first = client
        .list_resources(LOG_GROUP, None, None, 2)
        .await
        .unwrap();
    let next_token = first.next_token.clone().expect("a second page");
    let second = client
        .list_resources(LOG_GROUP, None, Some(next_token), 2)
        .await
        .unwrap();

    assert_eq!(first.resources.len(), 2);
    assert_eq!(second.resources.len(), 1);
    assert!(second.next_token.is_none());
    let mut names: Vec<String> = first
        .resources
        .iter()
        .chain(&second.resources)
        .map(|r| r.identifier.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["a-group", "b-group", "c-group"]);
}

#[tokio::test]
async fn list_rejects_page_size_over_100() {
    let emulator = start_emulator().await;
    let client = cloud_control(&emulator).await;

    let error = client
        .list_resources(LOG_GROUP, None, None, 101)
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert!(emulator.state().calls().is_empty(), "nothing is sent");
}

#[tokio::test]
async fn hung_request_times_out() {
    let emulator = start_emulator().await;
    emulator.state().add_hang(HangRule {
        type_name: LOG_GROUP.to_owned(),
        operation: None,
    });
    let client = cloud_control(&emulator).await;
    let desired = json!({ "LogGroupName": "stuck" });

    let started = client
        .create_resource(LOG_GROUP, &desired, &new_client_token())
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut events = 0;
    let outcome = client
        .wait_for_request(&started.request_token, deadline, |_| events += 1)
        .await
        .unwrap();

    let WaitOutcome::TimedOut(last) = outcome else {
        panic!("expected TimedOut, got {outcome:?}");
    };
    assert!(!last.status.is_terminal(), "{last:?}");
    assert_eq!(last.request_token, started.request_token);
    assert!(events >= 1, "polled {events} times");
    assert!(Instant::now() >= deadline);
    let requests = emulator.state().resource_requests();
    assert!(
        requests
            .iter()
            .all(|event| !event.operation_status.is_terminal())
    );

    // The request token stays usable, so a later run can resume the wait.
    let resumed = client
        .get_resource_request_status(&started.request_token)
        .await
        .unwrap();
    assert_eq!(resumed.request_token, started.request_token);
    assert_eq!(resumed.operation, Operation::Create);
}

#[tokio::test]
async fn failed_create_reports_code_and_leftover() {
    let emulator = start_emulator().await;
    emulator.state().add_failure(FailureRule {
        type_name: Some(LOG_GROUP.to_owned()),
        error_code: "ServiceInternalError".to_owned(),
        leave_resource: true,
        ..FailureRule::default()
    });
    let client = cloud_control(&emulator).await;
    let desired = json!({ "LogGroupName": "half-made" });

    let started = client
        .create_resource(LOG_GROUP, &desired, &new_client_token())
        .await
        .unwrap();
    let failed = finish(&client, &started.request_token).await;

    assert_eq!(failed.status, OperationStatus::Failed);
    assert_eq!(
        failed.error_code,
        Some(HandlerErrorCode::ServiceInternalError)
    );
    assert!(failed.error_code.as_ref().unwrap().is_retryable());
    assert_eq!(failed.identifier.as_deref(), Some("half-made"));
    assert!(failed.status_message.is_some());
    assert_eq!(
        log_group_count(&emulator),
        1,
        "the failed create left a resource"
    );
}

#[tokio::test]
async fn cancelled_request_is_not_success() {
    let emulator = start_emulator().await;
    emulator.state().add_hang(HangRule {
        type_name: LOG_GROUP.to_owned(),
        operation: None,
    });
    let client = cloud_control(&emulator).await;
    let desired = json!({ "LogGroupName": "stuck" });
    let started = client
        .create_resource(LOG_GROUP, &desired, &new_client_token())
        .await
        .unwrap();

    client
        .cancel_resource_request(&started.request_token)
        .await
        .unwrap();
    let finished = finish(&client, &started.request_token).await;

    assert_eq!(finished.status, OperationStatus::CancelComplete);
    assert!(!finished.status.is_success());
}

#[tokio::test]
async fn throttled_create_retries_same_client_token() {
    let emulator = start_emulator().await;
    emulator.state().add_throttle(ThrottleRule {
        operation: Some("CreateResource".to_owned()),
        first: Some(2),
        rate: None,
    });
    let client = cloud_control(&emulator).await;
    let client_token = new_client_token();
    let desired = json!({ "LogGroupName": "throttled" });

    let started = client
        .create_resource(LOG_GROUP, &desired, &client_token)
        .await
        .unwrap();
    let created = finish(&client, &started.request_token).await;

    assert_eq!(created.status, OperationStatus::Success);
    assert_eq!(log_group_count(&emulator), 1);
    let creates: Vec<_> = emulator
        .state()
        .calls()
        .into_iter()
        .filter(|call| call.operation == "CreateResource")
        .collect();
    assert_eq!(creates.len(), 3, "two throttled attempts and one accepted");
    assert_eq!(creates.iter().filter(|call| call.throttled).count(), 2);
    for call in &creates {
        assert_eq!(call.client_token.as_deref(), Some(client_token.as_str()));
    }
}

#[tokio::test]
async fn resent_create_with_same_token_is_one_resource() {
    let emulator = start_emulator().await;
    let client = cloud_control(&emulator).await;
    let client_token = new_client_token();
    let desired = json!({ "LogGroupName": "once" });

    let first = client
        .create_resource(LOG_GROUP, &desired, &client_token)
        .await
        .unwrap();
    let second = client
        .create_resource(LOG_GROUP, &desired, &client_token)
        .await
        .unwrap();
    finish(&client, &second.request_token).await;

    assert_eq!(first.request_token, second.request_token);
    assert_eq!(log_group_count(&emulator), 1);
}

#[tokio::test]
async fn client_token_reuse_for_other_request_conflicts() {
    let emulator = start_emulator().await;
    let client = cloud_control(&emulator).await;
    let client_token = new_client_token();

    client
        .create_resource(LOG_GROUP, &json!({ "LogGroupName": "one" }), &client_token)
        .await
        .unwrap();
    let error = client
        .create_resource(LOG_GROUP, &json!({ "LogGroupName": "two" }), &client_token)
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::ClientTokenConflict);
    assert_eq!(error.code(), Some("ClientTokenConflictException"));
}

#[tokio::test]
async fn persistent_throttling_gives_throttling_kind() {
    let emulator = start_emulator().await;
    emulator.state().add_throttle(ThrottleRule {
        operation: Some("CreateResource".to_owned()),
        first: None,
        rate: None,
    });
    let client = cloud_control(&emulator).await;
    let desired = json!({ "LogGroupName": "never" });

    let error = client
        .create_resource(LOG_GROUP, &desired, &new_client_token())
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Throttling);
    assert!(error.is_transient());
    assert_eq!(log_group_count(&emulator), 0);
    let creates = emulator
        .state()
        .calls()
        .into_iter()
        .filter(|call| call.operation == "CreateResource")
        .count();
    assert_eq!(creates, canopy_aws::cloudcontrol::MAX_ATTEMPTS as usize);
}

#[tokio::test]
async fn create_only_patch_is_not_updatable() {
    let emulator = start_emulator().await;
    let client = cloud_control(&emulator).await;
    let started = client
        .create_resource(
            LOG_GROUP,
            &json!({ "LogGroupName": "fixed" }),
            &new_client_token(),
        )
        .await
        .unwrap();
    finish(&client, &started.request_token).await;

    let patch = json!([{ "op": "replace", "path": "/LogGroupName", "value": "renamed" }]);
    let error = client
        .update_resource(LOG_GROUP, "fixed", &patch, &new_client_token())
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::NotUpdatable);
}

#[tokio::test]
async fn unknown_type_is_type_not_found() {
    let emulator = start_emulator().await;
    let client = cloud_control(&emulator).await;

    let error = client
        .create_resource("AWS::Nope::Thing", &json!({}), &new_client_token())
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::TypeNotFound);
    assert!(error.to_string().contains("AWS::Nope::Thing"), "{error}");
}

#[tokio::test]
async fn unknown_request_token_is_not_found() {
    let emulator = start_emulator().await;
    let client = cloud_control(&emulator).await;

    let error = client
        .get_resource_request_status("00000000-0000-4000-8000-000000000000")
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn expired_credentials_give_credentials_kind() {
    let emulator = start_emulator().await;
    let secret = canopy_aws::AwsCredentialSecret {
        access_key_id: Some(EXPIRED_KEY_ID.to_owned()),
        secret_access_key: Some(EXPIRED_SECRET.to_owned()),
        session_token: Some(EXPIRED_TOKEN.to_owned()),
        endpoint: Some(emulator.endpoint()),
        ..Default::default()
    };
    let own = OwnIdentity::default();
    let session = connect(&secret, REGION, &own, WORKSPACE_TOKEN, SESSION_NAME)
        .await
        .unwrap();

    let error = session
        .cloud_control()
        .create_resource(
            LOG_GROUP,
            &json!({ "LogGroupName": "x" }),
            &new_client_token(),
        )
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Credentials);
    assert!(error.to_string().contains("expired"), "{error}");
    assert_no_secret(&format!("{error} {error:?}"));
}

#[tokio::test]
async fn assumed_role_creates_in_customer_account() {
    let emulator = start_emulator().await;
    let secret = canopy_aws::AwsCredentialSecret {
        assume_role: Some(ROLE_ARN.to_owned()),
        ..admin_secret(&emulator.endpoint())
    };
    let own = OwnIdentity::default();
    let client = connect(&secret, REGION, &own, WORKSPACE_TOKEN, SESSION_NAME)
        .await
        .unwrap()
        .cloud_control();

    let started = client
        .create_resource(
            LOG_GROUP,
            &json!({ "LogGroupName": "cust" }),
            &new_client_token(),
        )
        .await
        .unwrap();
    finish(&client, &started.request_token).await;

    let state = emulator.state();
    assert_eq!(
        state.count_resources(CUSTOMER_ACCOUNT, REGION, LOG_GROUP),
        1
    );
    assert_eq!(
        state.count_resources(DEFAULT_ACCOUNT_ID, REGION, LOG_GROUP),
        0
    );
}
