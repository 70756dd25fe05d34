//! The emulator's configuration: accounts, IAM users, pre-issued session credentials,
//! IAM roles, request timing and faults.
//!
//! It is read from TOML (see [`example_config`]) or built in code. The defaults give a
//! newcomer two accounts with one user each, so that `canopy emulator` works with no file:
//! account 123456789012 ("canopy", user `canopy-admin`) and 210987654321 ("customer",
//! user `customer-admin`). Their keys are fixed test values, documented in
//! [`DEFAULT_ADMIN_ACCESS_KEY_ID`] and the constants beside it.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::error::{EmulatorError, EmulatorResult};
use crate::faults::{FailureRule, FaultConfig, HangRule, ThrottleRule};
use crate::secret::Secret;

/// Account id of the default "canopy" account, where canopy's own identity lives.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";
/// Access key id of the default user `canopy-admin` in [`DEFAULT_ACCOUNT_ID`].
pub const DEFAULT_ADMIN_ACCESS_KEY_ID: &str = "AKIAEMULATOR00000001";
/// Secret access key of `canopy-admin`. A published test value, valid only here.
pub const DEFAULT_ADMIN_SECRET_ACCESS_KEY: &str = "emulator/canopy-admin/secret/0000000001";
/// Account id of the default "customer" account, whose roles canopy assumes.
pub const CUSTOMER_ACCOUNT_ID: &str = "210987654321";
/// Access key id of the default user `customer-admin` in [`CUSTOMER_ACCOUNT_ID`].
pub const CUSTOMER_ADMIN_ACCESS_KEY_ID: &str = "AKIAEMULATOR00000002";
/// Secret access key of `customer-admin`. A published test value, valid only here.
pub const CUSTOMER_ADMIN_SECRET_ACCESS_KEY: &str = "emulator/customer-admin/secret/000000002";

const EXAMPLE_CONFIG: &str = include_str!("example-config.toml");

/// Returns a commented example configuration in TOML, equal to the defaults plus one
/// role, one expired session and one fault rule of each kind.
pub fn example_config() -> &'static str {
    EXAMPLE_CONFIG
}

/// Everything the emulator needs to start. See [`example_config`] for the TOML form.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmulatorConfig {
    /// Address for `canopy emulator` to listen on; [`crate::start`] takes its own.
    #[serde(default)]
    pub listen: Option<SocketAddr>,
    /// Time from accepting a resource request to its SUCCESS or FAILED, in
    /// milliseconds. Zero completes requests before the next call is served.
    #[serde(default = "default_request_delay_ms")]
    pub request_delay_ms: u64,
    /// Lifetime of temporary credentials issued by AssumeRole when the caller gives no
    /// `DurationSeconds`, in seconds.
    #[serde(default = "default_session_duration_seconds")]
    pub default_session_duration_seconds: u32,
    /// Return read models the way AWS does: with server defaults added, unordered
    /// arrays reordered, JSON strings reformatted, empty arrays dropped and `number`
    /// properties spelled as floats. Off by default, so reads echo what was sent.
    #[serde(default)]
    pub realistic: bool,
    #[serde(default)]
    pub accounts: Vec<AccountConfig>,
    #[serde(default)]
    pub users: Vec<UserConfig>,
    #[serde(default)]
    pub sessions: Vec<SessionConfig>,
    #[serde(default)]
    pub roles: Vec<RoleConfig>,
    #[serde(default)]
    pub faults: FaultConfig,
}

/// An AWS account.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// Twelve-digit account id.
    pub id: String,
    /// A label for people; AWS has account aliases for this.
    #[serde(default)]
    pub name: Option<String>,
}

/// An IAM user with one long-term access key.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub name: String,
    pub account: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
}

/// Temporary credentials that exist from the start, for example already expired ones.
///
/// They act as the assumed role `role` with session name `session_name` when `role` is
/// set, and otherwise as the user `user` of `account`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    pub account: String,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub session_name: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// When the credentials stop working; may be in the past.
    pub expiration: DateTime<Utc>,
}

/// An IAM role with its trust policy.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleConfig {
    pub name: String,
    pub account: String,
    /// The trust policy (`AssumeRolePolicyDocument`): a JSON object, or a string holding
    /// JSON text.
    pub trust_policy: Value,
}

fn default_request_delay_ms() -> u64 {
    100
}

fn default_session_duration_seconds() -> u32 {
    3600
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            listen: None,
            request_delay_ms: default_request_delay_ms(),
            default_session_duration_seconds: default_session_duration_seconds(),
            realistic: false,
            accounts: vec![
                AccountConfig {
                    id: DEFAULT_ACCOUNT_ID.into(),
                    name: Some("canopy".into()),
                },
                AccountConfig {
                    id: CUSTOMER_ACCOUNT_ID.into(),
                    name: Some("customer".into()),
                },
            ],
            users: vec![
                UserConfig::new(
                    "canopy-admin",
                    DEFAULT_ACCOUNT_ID,
                    DEFAULT_ADMIN_ACCESS_KEY_ID,
                    DEFAULT_ADMIN_SECRET_ACCESS_KEY,
                ),
                UserConfig::new(
                    "customer-admin",
                    CUSTOMER_ACCOUNT_ID,
                    CUSTOMER_ADMIN_ACCESS_KEY_ID,
                    CUSTOMER_ADMIN_SECRET_ACCESS_KEY,
                ),
            ],
            sessions: Vec::new(),
            roles: Vec::new(),
            faults: FaultConfig::default(),
        }
    }
}

impl UserConfig {
    /// Builds a user entry.
    pub fn new(
        name: impl Into<String>,
        account: impl Into<String>,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<Secret>,
    ) -> Self {
        Self {
            name: name.into(),
            account: account.into(),
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
        }
    }
}

impl RoleConfig {
    /// Builds a role entry from a trust policy object.
    pub fn new(name: impl Into<String>, account: impl Into<String>, trust_policy: Value) -> Self {
        Self {
            name: name.into(),
            account: account.into(),
            trust_policy,
        }
    }
}

impl EmulatorConfig {
    /// Parses and checks a TOML configuration. Absent keys take their defaults. Tables
    /// given replace the default ones: a file that lists `[[users]]` has only those.
    ///
    /// # Errors
    /// [`EmulatorError::ParseConfig`] for TOML or type errors, with the line;
    /// [`EmulatorError::InvalidConfig`] for references to unknown accounts, duplicate
    /// access keys or malformed account ids.
    pub fn from_toml(text: &str) -> EmulatorResult<Self> {
        let mut config: Self = toml::from_str(text).map_err(|error| {
            let line = error
                .span()
                .map(|span| text[..span.start].lines().count().max(1))
                .unwrap_or(0);
            EmulatorError::ParseConfig {
                line,
                message: error.message().to_string(),
            }
        })?;

        // An empty file still needs identities to be useful.
        let defaults = Self::default();
        if config.accounts.is_empty() {
            config.accounts = defaults.accounts;
        }
        if config.users.is_empty() {
            config.users = defaults.users;
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks cross references and uniqueness.
    ///
    /// # Errors
    /// [`EmulatorError::InvalidConfig`] naming the first problem found.
    pub fn validate(&self) -> EmulatorResult<()> {
        let accounts: HashSet<&str> = self.accounts.iter().map(|a| a.id.as_str()).collect();
        for account in &self.accounts {
            let valid = account.id.len() == 12 && account.id.bytes().all(|b| b.is_ascii_digit());
            if !valid {
                return Err(invalid(format!(
                    "account id {:?} must be twelve digits",
                    account.id
                )));
            }
        }

        let mut keys = HashSet::new();
        let user_refs = self
            .users
            .iter()
            .map(|u| (&u.account, &u.access_key_id, "user"));
        let session_refs = self
            .sessions
            .iter()
            .map(|s| (&s.account, &s.access_key_id, "session"));
        for (account, key, kind) in user_refs.chain(session_refs) {
            if !accounts.contains(account.as_str()) {
                return Err(invalid(format!(
                    "{kind} with access key {key} refers to unknown account {account}; \
                     add it under [[accounts]]"
                )));
            }
            if !keys.insert(key.as_str()) {
                return Err(invalid(format!("access key id {key} is defined twice")));
            }
        }

        for session in &self.sessions {
            if session.role.is_none() && session.user.is_none() {
                return Err(invalid(format!(
                    "session with access key {} needs `user` or `role`",
                    session.access_key_id
                )));
            }
        }
        for role in &self.roles {
            if !accounts.contains(role.account.as_str()) {
                return Err(invalid(format!(
                    "role {} refers to unknown account {}; add it under [[accounts]]",
                    role.name, role.account
                )));
            }
        }
        Ok(())
    }

    /// Sets the time between accepting a resource request and completing it.
    pub fn with_request_delay(mut self, delay: Duration) -> Self {
        self.request_delay_ms = delay.as_millis().try_into().unwrap_or(u64::MAX);
        self
    }

    /// Turns realistic reads on or off; see [`EmulatorConfig::realistic`].
    pub fn with_realistic(mut self, realistic: bool) -> Self {
        self.realistic = realistic;
        self
    }

    /// Adds an account.
    pub fn with_account(mut self, id: impl Into<String>) -> Self {
        self.accounts.push(AccountConfig {
            id: id.into(),
            name: None,
        });
        self
    }

    /// Adds an IAM user.
    pub fn with_user(mut self, user: UserConfig) -> Self {
        self.users.push(user);
        self
    }

    /// Adds pre-issued temporary credentials.
    pub fn with_session(mut self, session: SessionConfig) -> Self {
        self.sessions.push(session);
        self
    }

    /// Adds an IAM role.
    pub fn with_role(mut self, role: RoleConfig) -> Self {
        self.roles.push(role);
        self
    }

    /// Sets the seed of the fault-injection RNG.
    pub fn with_fault_seed(mut self, seed: u64) -> Self {
        self.faults.seed = seed;
        self
    }

    /// Adds a throttling rule.
    pub fn with_throttle(mut self, rule: ThrottleRule) -> Self {
        self.faults.throttle.push(rule);
        self
    }

    /// Adds a FAILED-request rule.
    pub fn with_failure(mut self, rule: FailureRule) -> Self {
        self.faults.fail.push(rule);
        self
    }

    /// Adds a hang rule.
    pub fn with_hang(mut self, rule: HangRule) -> Self {
        self.faults.hang.push(rule);
        self
    }

    /// Returns the request delay as a `Duration`.
    pub fn request_delay(&self) -> Duration {
        Duration::from_millis(self.request_delay_ms)
    }
}

fn invalid(message: String) -> EmulatorError {
    EmulatorError::InvalidConfig(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses() {
        let config = EmulatorConfig::from_toml(example_config()).expect("example parses");

        assert_eq!(config.accounts.len(), 2);
        assert!(
            config
                .users
                .iter()
                .any(|u| u.access_key_id == DEFAULT_ADMIN_ACCESS_KEY_ID)
        );
        assert_eq!(config.roles.len(), 1);
        assert_eq!(config.sessions.len(), 1);
        assert_eq!(config.faults.throttle.len(), 1);
        assert_eq!(config.faults.fail.len(), 1);
        assert_eq!(config.faults.hang.len(), 1);
    }

    #[test]
    fn empty_toml_gives_default_identities() {
        let config = EmulatorConfig::from_toml("").expect("empty parses");

        assert_eq!(config.request_delay_ms, 100);
        assert_eq!(config.users.len(), 2);
        assert!(!config.realistic);
    }

    #[test]
    fn realistic_flag_parses() {
        let config = EmulatorConfig::from_toml("realistic = true").expect("parses");

        assert!(config.realistic);
        assert!(EmulatorConfig::default().with_realistic(true).realistic);
    }

    #[test]
    fn unknown_account_is_rejected() {
        let text = r#"
            [[users]]
            name = "x"
            account = "999999999999"
            access_key_id = "AKIAX"
            secret_access_key = "s"
        "#;

        let error = EmulatorConfig::from_toml(text).expect_err("unknown account");

        assert!(error.to_string().contains("999999999999"), "{error}");
    }

    #[test]
    fn parse_error_does_not_quote_secret() {
        let text = "[[users]]\nsecret_access_key = \"TOPSECRETVALUE\"\nname = 3\n";

        let error = EmulatorConfig::from_toml(text).expect_err("bad type");

        assert!(!error.to_string().contains("TOPSECRETVALUE"), "{error}");
        assert!(
            matches!(error, EmulatorError::ParseConfig { line: 3, .. }),
            "{error}"
        );
    }

    #[test]
    fn debug_output_hides_user_secret() {
        let config = EmulatorConfig::default();

        let printed = format!("{config:?}");

        assert!(!printed.contains(DEFAULT_ADMIN_SECRET_ACCESS_KEY));
    }
}
