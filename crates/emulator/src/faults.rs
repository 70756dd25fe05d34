//! Fault injection: synchronous throttling, FAILED resource requests and hung requests.
//!
//! Rules come from the `[faults]` table of the configuration or from
//! `EmulatorHandle` calls in tests. Random choices use one RNG seeded from the
//! configuration, so a test that sends the same calls in the same order gets the same
//! faults every run.

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::Deserialize;

use crate::progress::Operation;

/// The `[faults]` table: rules plus the seed for their random choices.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    /// Seed of the RNG behind `rate` rules.
    #[serde(default)]
    pub seed: u64,
    /// Rules that reject a call with a synchronous `ThrottlingException`.
    #[serde(default)]
    pub throttle: Vec<ThrottleRule>,
    /// Rules that make a resource request end FAILED.
    #[serde(default)]
    pub fail: Vec<FailureRule>,
    /// Rules that keep resource requests IN_PROGRESS forever.
    #[serde(default)]
    pub hang: Vec<HangRule>,
}

/// Throttles Cloud Control calls with a synchronous `ThrottlingException`.
///
/// With neither `first` nor `rate`, every matching call is throttled. With `first`, only
/// the first N matching calls are candidates. With `rate`, each candidate is throttled
/// with that probability.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleRule {
    /// Cloud Control operation name such as `CreateResource`; absent matches all.
    pub operation: Option<String>,
    /// Number of matching calls, counted from when the rule is added, that can be hit.
    pub first: Option<u32>,
    /// Probability between 0 and 1 that a candidate call is throttled.
    pub rate: Option<f64>,
}

/// Makes matching resource requests end FAILED with `error_code`.
///
/// `first` and `rate` select requests the same way as in [`ThrottleRule`].
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureRule {
    /// Resource type such as `AWS::S3::Bucket`; absent matches all.
    pub type_name: Option<String>,
    /// `CREATE`, `UPDATE` or `DELETE`; absent matches all.
    pub operation: Option<Operation>,
    /// The `HandlerErrorCode` reported, such as `ServiceInternalError` or `Throttling`.
    pub error_code: String,
    /// `StatusMessage` of the FAILED event; a default names the injected code.
    pub message: Option<String>,
    /// Number of matching requests, counted from when the rule is added, that can fail.
    pub first: Option<u32>,
    /// Probability between 0 and 1 that a candidate request fails.
    pub rate: Option<f64>,
    /// For CREATE: store the resource anyway and report its `Identifier` in the FAILED
    /// event, as a handler that fails after the resource exists does.
    #[serde(default)]
    pub leave_resource: bool,
}

/// Keeps matching resource requests IN_PROGRESS until cancelled.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HangRule {
    /// Resource type such as `AWS::RDS::DBInstance`.
    pub type_name: String,
    /// `CREATE`, `UPDATE` or `DELETE`; absent matches all.
    pub operation: Option<Operation>,
}

/// The failure chosen for one resource request.
#[derive(Clone, Debug, PartialEq)]
pub struct InjectedFailure {
    pub error_code: String,
    pub message: String,
    pub leave_resource: bool,
}

/// Live fault rules with their counters and RNG.
#[derive(Debug)]
pub(crate) struct Faults {
    throttle: Vec<(ThrottleRule, Option<u32>)>,
    fail: Vec<(FailureRule, Option<u32>)>,
    hang: Vec<HangRule>,
    rng: StdRng,
}

impl Faults {
    pub(crate) fn new(config: &FaultConfig) -> Self {
        let mut faults = Self {
            throttle: Vec::new(),
            fail: Vec::new(),
            hang: Vec::new(),
            rng: StdRng::seed_from_u64(config.seed),
        };
        config
            .throttle
            .iter()
            .cloned()
            .for_each(|r| faults.add_throttle(r));
        config
            .fail
            .iter()
            .cloned()
            .for_each(|r| faults.add_failure(r));
        faults.hang = config.hang.clone();
        faults
    }

    pub(crate) fn add_throttle(&mut self, rule: ThrottleRule) {
        let remaining = rule.first;
        self.throttle.push((rule, remaining));
    }

    pub(crate) fn add_failure(&mut self, rule: FailureRule) {
        let remaining = rule.first;
        self.fail.push((rule, remaining));
    }

    pub(crate) fn add_hang(&mut self, rule: HangRule) {
        self.hang.push(rule);
    }

    pub(crate) fn clear(&mut self) {
        self.throttle.clear();
        self.fail.clear();
        self.hang.clear();
    }

    /// Decides whether the Cloud Control call `operation` is throttled.
    pub(crate) fn should_throttle(&mut self, operation: &str) -> bool {
        let rng = &mut self.rng;
        self.throttle.iter_mut().any(|(rule, remaining)| {
            let matches = rule.operation.as_deref().is_none_or(|op| op == operation);
            matches && take_candidate(remaining, rule.rate, rng)
        })
    }

    /// Decides whether a resource request ends FAILED, and how.
    pub(crate) fn failure_for(
        &mut self,
        type_name: &str,
        operation: Operation,
    ) -> Option<InjectedFailure> {
        let rng = &mut self.rng;
        let (rule, _) = self.fail.iter_mut().find_map(|(rule, remaining)| {
            let matches = rule.type_name.as_deref().is_none_or(|t| t == type_name)
                && rule.operation.is_none_or(|op| op == operation);
            (matches && take_candidate(remaining, rule.rate, rng)).then_some((rule, ()))
        })?;

        let message = rule.message.clone().unwrap_or_else(|| {
            format!(
                "injected failure {} for {type_name} {}",
                rule.error_code,
                operation.as_str()
            )
        });
        Some(InjectedFailure {
            error_code: rule.error_code.clone(),
            message,
            leave_resource: rule.leave_resource && operation == Operation::Create,
        })
    }

    /// True when requests of this type and operation must never complete.
    pub(crate) fn hangs(&self, type_name: &str, operation: Operation) -> bool {
        self.hang.iter().any(|rule| {
            rule.type_name == type_name && rule.operation.is_none_or(|op| op == operation)
        })
    }
}

/// Counts one matching call against a rule and decides whether the rule fires.
fn take_candidate(remaining: &mut Option<u32>, rate: Option<f64>, rng: &mut StdRng) -> bool {
    if let Some(left) = remaining {
        if *left == 0 {
            return false;
        }
        *left -= 1;
    }
    match rate {
        Some(rate) => rng.gen_bool(rate.clamp(0.0, 1.0)),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_first_n_then_stops() {
        let mut faults = Faults::new(&FaultConfig::default());
        faults.add_throttle(ThrottleRule {
            operation: Some("CreateResource".into()),
            first: Some(2),
            rate: None,
        });

        assert!(!faults.should_throttle("GetResource"));
        assert!(faults.should_throttle("CreateResource"));
        assert!(faults.should_throttle("CreateResource"));
        assert!(!faults.should_throttle("CreateResource"));
    }

    #[test]
    fn rate_rules_repeat_with_same_seed() {
        let rule = ThrottleRule {
            operation: None,
            first: None,
            rate: Some(0.5),
        };
        let config = FaultConfig {
            seed: 9,
            throttle: vec![rule],
            ..FaultConfig::default()
        };
        let mut first = Faults::new(&config);
        let mut second = Faults::new(&config);

        let a: Vec<bool> = (0..32)
            .map(|_| first.should_throttle("GetResource"))
            .collect();
        let b: Vec<bool> = (0..32)
            .map(|_| second.should_throttle("GetResource"))
            .collect();

        assert_eq!(a, b);
        assert!(a.contains(&true));
        assert!(a.contains(&false));
    }

    #[test]
    fn failure_matches_type_and_operation() {
        let mut faults = Faults::new(&FaultConfig::default());
        faults.add_failure(FailureRule {
            type_name: Some("AWS::S3::Bucket".into()),
            operation: Some(Operation::Create),
            error_code: "ServiceInternalError".into(),
            leave_resource: true,
            ..FailureRule::default()
        });

        assert_eq!(faults.failure_for("AWS::EC2::VPC", Operation::Create), None);
        assert_eq!(
            faults.failure_for("AWS::S3::Bucket", Operation::Delete),
            None
        );
        let failure = faults
            .failure_for("AWS::S3::Bucket", Operation::Create)
            .expect("rule matches");
        assert_eq!(failure.error_code, "ServiceInternalError");
        assert!(failure.leave_resource);
    }
}
