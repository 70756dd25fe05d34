use std::cell::RefCell;
use std::collections::VecDeque;

use super::*;
use crate::cloudcontrol::error::{CloudControlError, ErrorKind};
use crate::cloudcontrol::types::{Operation, OperationStatus};

fn event(status: OperationStatus) -> ProgressEvent {
    ProgressEvent {
        type_name: "AWS::Logs::LogGroup".to_owned(),
        identifier: Some("lg".to_owned()),
        request_token: "req-1".to_owned(),
        operation: Operation::Create,
        status,
        event_time: None,
        resource_model: None,
        status_message: None,
        error_code: None,
        retry_after: None,
    }
}

fn service_error(kind: ErrorKind) -> CloudControlError {
    CloudControlError::Service {
        operation: "GetResourceRequestStatus",
        target: "request req-1".to_owned(),
        kind,
        code: format!("{kind:?}Exception"),
        message: String::new(),
    }
}

/// A scripted status source: returns the queued results in order, repeating the last
/// one, and records the virtual time of every poll.
struct Script {
    results: RefCell<VecDeque<CloudControlResult<ProgressEvent>>>,
    polls: RefCell<Vec<Instant>>,
}

impl Script {
    fn new(results: Vec<CloudControlResult<ProgressEvent>>) -> Self {
        Self {
            results: RefCell::new(results.into()),
            polls: RefCell::new(Vec::new()),
        }
    }

    async fn fetch(&self) -> CloudControlResult<ProgressEvent> {
        self.polls.borrow_mut().push(Instant::now());
        let mut results = self.results.borrow_mut();
        if results.len() > 1 {
            return results.pop_front().expect("queue is not empty");
        }
        match results.front().expect("script has a result") {
            Ok(event) => Ok(event.clone()),
            Err(_) => Err(service_error(ErrorKind::Service)),
        }
    }

    fn poll_count(&self) -> usize {
        self.polls.borrow().len()
    }
}

#[tokio::test(start_paused = true)]
async fn finishes_on_success_and_reports_each_event() {
    let script = Script::new(vec![
        Ok(event(OperationStatus::Pending)),
        Ok(event(OperationStatus::InProgress)),
        Ok(event(OperationStatus::Success)),
    ]);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(3600);

    let outcome = poll_until_terminal(
        "req-1",
        || script.fetch(),
        deadline,
        |e| seen.push(e.status),
    )
    .await
    .unwrap();

    assert_eq!(
        outcome,
        WaitOutcome::Finished(event(OperationStatus::Success))
    );
    assert_eq!(
        seen,
        [
            OperationStatus::Pending,
            OperationStatus::InProgress,
            OperationStatus::Success
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn cancel_complete_finishes_without_success() {
    let script = Script::new(vec![Ok(event(OperationStatus::CancelComplete))]);
    let deadline = Instant::now() + Duration::from_secs(60);

    let outcome = poll_until_terminal("req-1", || script.fetch(), deadline, |_| {})
        .await
        .unwrap();

    let WaitOutcome::Finished(last) = outcome else {
        panic!("expected Finished, got {outcome:?}");
    };
    assert!(!last.status.is_success());
}

#[tokio::test(start_paused = true)]
async fn hung_request_times_out_at_deadline() {
    let script = Script::new(vec![Ok(event(OperationStatus::InProgress))]);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(300);

    let outcome = poll_until_terminal("req-1", || script.fetch(), deadline, |_| {})
        .await
        .unwrap();

    assert_eq!(
        outcome,
        WaitOutcome::TimedOut(event(OperationStatus::InProgress))
    );
    assert!(Instant::now() >= deadline);
    let last_poll = *script.polls.borrow().last().unwrap();
    assert!(
        last_poll >= deadline,
        "the last poll happens at the deadline"
    );
    // Backoff keeps the number of polls small: at most one every 10 s once capped.
    assert!(script.poll_count() <= 40, "{} polls", script.poll_count());
}

#[tokio::test(start_paused = true)]
async fn deadline_already_past_polls_once() {
    let script = Script::new(vec![Ok(event(OperationStatus::Pending))]);
    let deadline = Instant::now();

    let outcome = poll_until_terminal("req-1", || script.fetch(), deadline, |_| {})
        .await
        .unwrap();

    assert!(matches!(outcome, WaitOutcome::TimedOut(_)));
    assert_eq!(script.poll_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn retry_after_delays_next_poll() {
    let mut waiting = event(OperationStatus::InProgress);
    waiting.retry_after = Some(Utc::now() + chrono::Duration::seconds(45));
    let script = Script::new(vec![Ok(waiting), Ok(event(OperationStatus::Success))]);
    let deadline = Instant::now() + Duration::from_secs(3600);

    let outcome = poll_until_terminal("req-1", || script.fetch(), deadline, |_| {})
        .await
        .unwrap();

    assert!(matches!(outcome, WaitOutcome::Finished(_)));
    let polls = script.polls.borrow();
    assert_eq!(polls.len(), 2);
    let gap = polls[1] - polls[0];
    assert!(
        gap >= Duration::from_secs(44),
        "second poll came after {gap:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_past_deadline_skips_final_poll() {
    let mut waiting = event(OperationStatus::InProgress);
    waiting.retry_after = Some(Utc::now() + chrono::Duration::seconds(600));
    let script = Script::new(vec![Ok(waiting.clone())]);
    let deadline = Instant::now() + Duration::from_secs(60);

    let outcome = poll_until_terminal("req-1", || script.fetch(), deadline, |_| {})
        .await
        .unwrap();

    assert_eq!(outcome, WaitOutcome::TimedOut(waiting));
    assert_eq!(script.poll_count(), 1);
}

#[tokio::test(start_paused = true)]
async fn transient_errors_are_retried() {
    let script = Script::new(vec![
        Err(service_error(ErrorKind::Throttling)),
        Err(service_error(ErrorKind::Network)),
        Ok(event(OperationStatus::Success)),
    ]);
    let deadline = Instant::now() + Duration::from_secs(3600);

    let outcome = poll_until_terminal("req-1", || script.fetch(), deadline, |_| {})
        .await
        .unwrap();

    assert!(matches!(outcome, WaitOutcome::Finished(_)));
    assert_eq!(script.poll_count(), 3);
}

#[tokio::test(start_paused = true)]
async fn other_errors_end_the_wait() {
    let script = Script::new(vec![
        Ok(event(OperationStatus::InProgress)),
        Err(service_error(ErrorKind::NotFound)),
        Ok(event(OperationStatus::Success)),
    ]);
    let deadline = Instant::now() + Duration::from_secs(3600);

    let error = poll_until_terminal("req-1", || script.fetch(), deadline, |_| {})
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert_eq!(script.poll_count(), 2);
}

#[test]
fn poll_delay_doubles_up_to_cap() {
    let now = Utc::now();

    let delays: Vec<u64> = (0..8)
        .map(|poll| poll_delay(poll, None, now, 1.0).as_secs())
        .collect();

    assert_eq!(delays, [1, 2, 4, 8, 16, 20, 20, 20]);
    assert_eq!(poll_delay(40, None, now, 1.0), MAX_DELAY);
}

#[test]
fn poll_delay_jitter_halves_at_most() {
    let now = Utc::now();

    assert_eq!(poll_delay(2, None, now, 0.5), Duration::from_secs(2));
    assert_eq!(poll_delay(2, None, now, 0.1), Duration::from_secs(2));
}

#[test]
fn poll_delay_honours_future_retry_after_only() {
    let now = Utc::now();
    let later = now + chrono::Duration::seconds(90);
    let earlier = now - chrono::Duration::seconds(90);

    assert_eq!(
        poll_delay(0, Some(later), now, 1.0),
        Duration::from_secs(90)
    );
    assert_eq!(
        poll_delay(0, Some(earlier), now, 1.0),
        Duration::from_secs(1)
    );
}
