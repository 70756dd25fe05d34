//! Evaluation of IAM role trust policies for `sts:AssumeRole`.
//!
//! This covers what a trust policy for canopy needs: `Effect`, `Action`/`NotAction`
//! with wildcards, `Principal`/`NotPrincipal` with `AWS` entries (an account id,
//! `arn:aws:iam::<account>:root`, a user or role ARN, an assumed-role session ARN, or
//! `*`), and `Condition` blocks with the string operators and `Null`. As in IAM, an
//! explicit Deny wins over any Allow, and no matching Allow means deny.
//!
//! Identity policies are not modelled: every configured user may call everything, so
//! the trust policy alone decides AssumeRole, also within one account.

use serde_json::Value;

use crate::identity::Principal;

/// A trust policy document that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum PolicyError {
    #[error("trust policy is not valid JSON: {0}")]
    InvalidJson(String),

    #[error("trust policy has no Statement")]
    MissingStatement,
}

/// The request facts that trust policy conditions can test.
pub(crate) struct AssumeRoleRequest<'a> {
    pub principal: &'a Principal,
    pub external_id: Option<&'a str>,
    pub session_name: &'a str,
}

impl AssumeRoleRequest<'_> {
    /// Looks up a condition context key, ignoring case as IAM does.
    fn context_value(&self, key: &str) -> Option<String> {
        match key.to_ascii_lowercase().as_str() {
            "sts:externalid" => self.external_id.map(str::to_string),
            "sts:rolesessionname" => Some(self.session_name.to_string()),
            "aws:principalaccount" => Some(self.principal.account.clone()),
            "aws:principalarn" => self.principal.policy_arns().first().map(|s| s.to_string()),
            _ => None,
        }
    }
}

/// Reads a trust policy given as a JSON object or as JSON text, which IAM may return
/// URL-encoded.
pub(crate) fn parse_policy(policy: &Value) -> Result<Value, PolicyError> {
    let Value::String(text) = policy else {
        return Ok(policy.clone());
    };
    let decoded = if text.trim_start().starts_with('%') {
        url::form_urlencoded::parse(format!("p={text}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    } else {
        text.clone()
    };
    serde_json::from_str(&decoded).map_err(|error| PolicyError::InvalidJson(error.to_string()))
}

/// Decides whether the trust policy lets the request's principal assume the role.
pub(crate) fn allows_assume_role(
    policy: &Value,
    request: &AssumeRoleRequest<'_>,
) -> Result<bool, PolicyError> {
    let policy = parse_policy(policy)?;
    let statements = match policy.get("Statement") {
        Some(Value::Array(items)) => items.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => return Err(PolicyError::MissingStatement),
    };

    let mut allowed = false;
    for statement in &statements {
        if !statement_applies(statement, request) {
            continue;
        }
        match statement.get("Effect").and_then(Value::as_str) {
            Some("Deny") => return Ok(false),
            Some("Allow") => allowed = true,
            _ => {}
        }
    }
    Ok(allowed)
}

fn statement_applies(statement: &Value, request: &AssumeRoleRequest<'_>) -> bool {
    let action_matches = match (statement.get("Action"), statement.get("NotAction")) {
        (Some(actions), _) => any_string(actions, |a| wildcard_match(a, "sts:AssumeRole", true)),
        (None, Some(actions)) => {
            !any_string(actions, |a| wildcard_match(a, "sts:AssumeRole", true))
        }
        (None, None) => false,
    };
    let principal_matches = match (statement.get("Principal"), statement.get("NotPrincipal")) {
        (Some(principal), _) => principal_matches(principal, request.principal),
        (None, Some(principal)) => !principal_matches(principal, request.principal),
        (None, None) => false,
    };
    let conditions_hold = match statement.get("Condition") {
        Some(Value::Object(blocks)) => blocks
            .iter()
            .all(|(operator, entries)| condition_holds(operator, entries, request)),
        Some(_) => false,
        None => true,
    };
    action_matches && principal_matches && conditions_hold
}

fn principal_matches(principal: &Value, caller: &Principal) -> bool {
    if principal.as_str() == Some("*") {
        return true;
    }
    let Some(aws) = principal.get("AWS") else {
        return false;
    };
    let root = format!("arn:aws:iam::{}:root", caller.account);
    any_string(aws, |entry| {
        entry == "*"
            || entry == caller.account
            || entry == root
            || caller.policy_arns().contains(&entry)
    })
}

/// Evaluates one condition operator block such as `{"StringEquals": {"sts:ExternalId": "x"}}`.
fn condition_holds(operator: &str, entries: &Value, request: &AssumeRoleRequest<'_>) -> bool {
    let Value::Object(entries) = entries else {
        return false;
    };
    // Keys in these trust policies are single-valued, so the set qualifiers change nothing.
    let operator = operator
        .trim_start_matches("ForAnyValue:")
        .trim_start_matches("ForAllValues:");
    let (operator, if_exists) = match operator.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (operator, false),
    };

    entries.iter().all(|(key, expected)| {
        let actual = request.context_value(key);
        if operator == "Null" {
            let wants_missing = any_string(expected, |v| v.eq_ignore_ascii_case("true"));
            return actual.is_none() == wants_missing;
        }
        let negated = operator.contains("Not");
        let Some(actual) = actual else {
            // NOTE: IAM treats a missing key as a non-match, so positive operators fail
            // and negated operators such as StringNotEquals succeed.
            return if_exists || negated;
        };
        let matched = match operator {
            "StringEquals" | "StringNotEquals" | "ArnEquals" | "ArnNotEquals" => {
                any_string(expected, |v| v == actual)
            }
            "StringEqualsIgnoreCase" | "StringNotEqualsIgnoreCase" => {
                any_string(expected, |v| v.eq_ignore_ascii_case(&actual))
            }
            "StringLike" | "StringNotLike" | "ArnLike" | "ArnNotLike" => {
                any_string(expected, |v| wildcard_match(v, &actual, false))
            }
            other => {
                tracing::debug!(operator = other, "unsupported condition operator; denying");
                return false;
            }
        };
        matched != negated
    })
}

/// Applies `test` to a policy value that is a string or a list of strings.
fn any_string(value: &Value, mut test: impl FnMut(&str) -> bool) -> bool {
    match value {
        Value::String(text) => test(text),
        Value::Array(items) => items.iter().filter_map(Value::as_str).any(test),
        _ => false,
    }
}

/// Matches IAM wildcards: `*` is any run of characters and `?` any one character.
pub(crate) fn wildcard_match(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let normalize = |s: &str| -> Vec<char> {
        if ignore_case {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (pattern, text) = (normalize(pattern), normalize(text));

    // Classic backtracking match: remember the last `*` and how much text it has taken.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn canopy() -> Principal {
        Principal::user("123456789012", "canopy-admin")
    }

    fn request<'a>(
        principal: &'a Principal,
        external_id: Option<&'a str>,
    ) -> AssumeRoleRequest<'a> {
        AssumeRoleRequest {
            principal,
            external_id,
            session_name: "canopy",
        }
    }

    fn trust(principal: Value, condition: Option<Value>) -> Value {
        let mut statement = json!({
            "Effect": "Allow",
            "Principal": {"AWS": principal},
            "Action": "sts:AssumeRole",
        });
        if let Some(condition) = condition {
            statement["Condition"] = condition;
        }
        json!({"Version": "2012-10-17", "Statement": [statement]})
    }

    #[test]
    fn account_root_principal_allows_account_users() {
        let policy = trust(json!("arn:aws:iam::123456789012:root"), None);
        let caller = canopy();

        assert_eq!(
            allows_assume_role(&policy, &request(&caller, None)),
            Ok(true)
        );
    }

    #[test]
    fn other_account_is_denied() {
        let policy = trust(json!(["999999999999"]), None);
        let caller = canopy();

        assert_eq!(
            allows_assume_role(&policy, &request(&caller, None)),
            Ok(false)
        );
    }

    #[test]
    fn external_id_condition_requires_exact_value() {
        let condition = json!({"StringEquals": {"sts:ExternalId": "token-1"}});
        let policy = trust(json!("123456789012"), Some(condition));
        let caller = canopy();

        assert_eq!(
            allows_assume_role(&policy, &request(&caller, Some("token-1"))),
            Ok(true)
        );
        assert_eq!(
            allows_assume_role(&policy, &request(&caller, Some("token-2"))),
            Ok(false)
        );
        assert_eq!(
            allows_assume_role(&policy, &request(&caller, None)),
            Ok(false)
        );
    }

    #[test]
    fn string_like_condition_uses_wildcards() {
        let condition = json!({"StringLike": {"sts:externalid": "ws-*"}});
        let policy = trust(json!("*"), Some(condition));
        let caller = canopy();

        assert_eq!(
            allows_assume_role(&policy, &request(&caller, Some("ws-42"))),
            Ok(true)
        );
        assert_eq!(
            allows_assume_role(&policy, &request(&caller, Some("xs-42"))),
            Ok(false)
        );
    }

    #[test]
    fn deny_statement_wins() {
        let policy = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:*"},
            {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::123456789012:user/canopy-admin"},
             "Action": ["sts:AssumeRole"]}
        ]});
        let caller = canopy();

        assert_eq!(
            allows_assume_role(&policy, &request(&caller, None)),
            Ok(false)
        );
    }

    #[test]
    fn action_mismatch_does_not_allow() {
        let policy = json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"},
            "Action": "sts:AssumeRoleWithWebIdentity"}});
        let caller = canopy();

        assert_eq!(
            allows_assume_role(&policy, &request(&caller, None)),
            Ok(false)
        );
    }

    #[test]
    fn policy_as_url_encoded_text_parses() {
        let text = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A\
                    %7B%22AWS%22%3A%22*%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
        let caller = canopy();

        let result = allows_assume_role(&json!(text), &request(&caller, None));

        assert_eq!(result, Ok(true));
    }

    #[test]
    fn wildcard_match_handles_star_and_question_mark() {
        assert!(wildcard_match("sts:*", "sts:AssumeRole", false));
        assert!(wildcard_match("a?c*", "abcdef", false));
        assert!(!wildcard_match("a?c", "abcd", false));
        assert!(wildcard_match("STS:assumerole", "sts:AssumeRole", true));
    }
}
