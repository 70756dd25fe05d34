//! Polling a resource request until it ends or a deadline passes.
//!
//! The loop is generic over the call that fetches the status, so unit tests drive it
//! with scripted events under a paused tokio clock.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::time::Instant;

use super::error::CloudControlResult;
use super::types::ProgressEvent;

/// The result of waiting for a resource request.
#[derive(Clone, Debug, PartialEq)]
pub enum WaitOutcome {
    /// The request reached SUCCESS, FAILED or CANCEL_COMPLETE.
    Finished(ProgressEvent),
    /// The deadline passed first; the last event seen. The request may still finish:
    /// its outcome is unknown, and its request token can be polled again later.
    TimedOut(ProgressEvent),
}

/// Delay before the second poll.
const FIRST_DELAY: Duration = Duration::from_secs(1);
/// Maximum delay between two polls, unless RetryAfter requests more.
const MAX_DELAY: Duration = Duration::from_secs(20);
/// Transient errors of the status call in a row before the wait gives up.
const MAX_TRANSIENT_ERRORS: u32 = 10;

/// Computes the delay before poll number `poll + 1` (counting from 0).
///
/// The delay doubles from [`FIRST_DELAY`] up to [`MAX_DELAY`], and `jitter` (from 0.5
/// to 1.0) scales it so that many waiting requests do not poll in step. When the last
/// event has a RetryAfter later than that, the delay lasts until RetryAfter.
pub(crate) fn poll_delay(
    poll: u32,
    retry_after: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    jitter: f64,
) -> Duration {
    let doubled = FIRST_DELAY.saturating_mul(1u32 << poll.min(16));
    let backoff = doubled.min(MAX_DELAY).mul_f64(jitter.clamp(0.5, 1.0));

    backoff.max(time_until(retry_after, now))
}

/// Returns how long from `now` until `retry_after`; zero when it is absent or past.
fn time_until(retry_after: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Duration {
    retry_after
        .and_then(|at| (at - now).to_std().ok())
        .unwrap_or(Duration::ZERO)
}

/// Polls with `fetch` until a terminal status, or until `deadline`.
///
/// The first poll happens at once, even past the deadline, so a timed-out wait always
/// has an event to return. Transient errors of `fetch` (throttling, network) are
/// retried on the same schedule, at most [`MAX_TRANSIENT_ERRORS`] in a row; any other
/// error ends the wait.
pub(crate) async fn poll_until_terminal<F, Fut>(
    request_token: &str,
    mut fetch: F,
    deadline: Instant,
    mut on_event: impl FnMut(&ProgressEvent),
) -> CloudControlResult<WaitOutcome>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = CloudControlResult<ProgressEvent>>,
{
    let mut last: Option<ProgressEvent> = None;
    let mut poll = 0u32;
    let mut transient_errors = 0u32;

    loop {
        match fetch().await {
            Ok(event) => {
                transient_errors = 0;
                on_event(&event);
                if event.status.is_terminal() {
                    return Ok(WaitOutcome::Finished(event));
                }
                last = Some(event);
            }
            Err(error) if error.is_transient() && transient_errors < MAX_TRANSIENT_ERRORS => {
                transient_errors += 1;
                tracing::warn!(
                    request_token,
                    error = %error,
                    attempt = transient_errors,
                    "polling the resource request failed; retrying"
                );
            }
            Err(error) => return Err(error),
        }

        let Some(event) = &last else {
            // Only transient errors so far: retry on the backoff schedule alone.
            let jitter = rand::thread_rng().gen_range(0.5..=1.0);
            tokio::time::sleep(poll_delay(poll, None, Utc::now(), jitter)).await;
            poll = poll.saturating_add(1);
            continue;
        };
        if Instant::now() >= deadline {
            tracing::warn!(
                request_token,
                status = ?event.status,
                "waiting for the resource request timed out"
            );
            return Ok(WaitOutcome::TimedOut(event.clone()));
        }

        let jitter = rand::thread_rng().gen_range(0.5..=1.0);
        let now = Utc::now();
        let delay = poll_delay(poll, event.retry_after, now, jitter);
        let retry_after_at = Instant::now() + time_until(event.retry_after, now);
        poll = poll.saturating_add(1);
        let wake = Instant::now() + delay;
        if wake <= deadline {
            tokio::time::sleep_until(wake).await;
            continue;
        }

        // The next poll would come after the deadline. Poll once more at the deadline,
        // unless RetryAfter requests waiting past it.
        tokio::time::sleep_until(deadline).await;
        if retry_after_at > deadline {
            tracing::warn!(
                request_token,
                status = ?event.status,
                "waiting for the resource request timed out before its RetryAfter"
            );
            return Ok(WaitOutcome::TimedOut(event.clone()));
        }
    }
}

#[cfg(test)]
mod tests;
