//! Input checks that run before any call to AWS.
//!
//! A wrong value in an AWS credential otherwise comes back from AWS as a generic
//! validation or signature error, or not at all (a role ARN typed into the wrong field).
//! Checking here gives the user a message that names the field and the fix. No check
//! copies a secret value into its error.

use std::sync::LazyLock;

use regex::Regex;
use url::Url;

use super::error::{CredentialError, CredentialResult};

/// `arn:<partition>:iam::<account>:role/<optional path/><name>`, with the character set
/// that IAM allows in role paths and names.
static ROLE_ARN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^arn:aws(-[a-z]+)*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,576}$")
        .expect("role ARN pattern is valid")
});

static REGION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$").expect("region pattern is valid")
});

/// Checks a region code such as `us-east-1`.
pub(crate) fn check_region(region: &str) -> CredentialResult<()> {
    if REGION.is_match(region) {
        Ok(())
    } else {
        Err(CredentialError::InvalidRegion {
            region: region.to_owned(),
        })
    }
}

/// Checks that a role ARN names an IAM role.
pub(crate) fn check_role_arn(value: &str) -> CredentialResult<()> {
    if ROLE_ARN.is_match(value) {
        Ok(())
    } else {
        Err(CredentialError::InvalidRoleArn {
            value: value.to_owned(),
        })
    }
}

/// Checks a key, secret or token for the paste mistakes that AWS would report as a
/// signature mismatch: an empty value, or whitespace inside or around it.
pub(crate) fn check_key_material(field: &'static str, value: &str) -> CredentialResult<()> {
    let problem = if value.is_empty() {
        Some("is empty")
    } else if value.chars().any(char::is_whitespace) {
        Some("contains whitespace or a line break")
    } else if value.chars().any(|c| c.is_control() || !c.is_ascii()) {
        Some("contains a character that AWS keys never contain")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(CredentialError::MalformedValue { field, problem }),
        None => Ok(()),
    }
}

/// Checks a custom endpoint: an absolute http or https URL with a host and nothing
/// after the path.
pub(crate) fn check_endpoint(endpoint: &str) -> CredentialResult<()> {
    let invalid = |reason: &str| CredentialError::InvalidEndpoint {
        endpoint: endpoint.to_owned(),
        reason: reason.to_owned(),
    };

    let url = Url::parse(endpoint).map_err(|e| invalid(&format!("not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        // The value may contain a password, so it is not echoed back.
        return Err(CredentialError::InvalidEndpoint {
            endpoint: "<endpoint with user info>".to_owned(),
            reason: "user info is not allowed: remove the part before '@'".to_owned(),
        });
    }
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("the URL has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("remove the query string and fragment"));
    }
    Ok(())
}

/// Checks the workspace token against the rules AWS applies to `ExternalId`:
/// 2 to 1224 characters from `[A-Za-z0-9_+=,.@:/-]`.
pub(crate) fn check_external_id(external_id: &str) -> CredentialResult<()> {
    let reason = if external_id.len() < 2 {
        Some("it is shorter than the 2 characters AWS requires")
    } else if external_id.len() > 1224 {
        Some("it is longer than the 1224 characters AWS allows")
    } else if !external_id.chars().all(is_external_id_char) {
        Some("it contains characters outside [A-Za-z0-9_+=,.@:/-]")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(CredentialError::InvalidExternalId { reason }),
        None => Ok(()),
    }
}

/// Checks a role session name against the AWS rules (2 to 64 characters from
/// `[A-Za-z0-9_+=,.@-]`) and rejects one that contains the workspace token.
///
/// The session name appears in the assumed role's ARN and in the CloudTrail logs of the
/// role's account, so it must never carry the token. The comparison ignores ASCII case.
/// Errors never echo the name, because a name that fails the token check contains it.
pub(crate) fn check_session_name(session_name: &str, external_id: &str) -> CredentialResult<()> {
    if !external_id.is_empty()
        && session_name
            .to_ascii_lowercase()
            .contains(&external_id.to_ascii_lowercase())
    {
        return Err(CredentialError::SessionNameContainsToken);
    }

    let length = session_name.chars().count();
    if !(2..=64).contains(&length) {
        return Err(CredentialError::InvalidSessionName {
            reason: format!("it has {length} characters, and AWS allows 2 to 64"),
        });
    }
    if let Some(bad) = session_name.chars().find(|c| !is_session_name_char(*c)) {
        return Err(CredentialError::InvalidSessionName {
            reason: format!("character {bad:?} is not allowed: use [A-Za-z0-9_+=,.@-]"),
        });
    }
    Ok(())
}

fn is_session_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

fn is_external_id_char(c: char) -> bool {
    is_session_name_char(c) || c == ':' || c == '/'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arn_accepts_roles_in_all_partitions() {
        for arn in [
            "arn:aws:iam::123456789012:role/canopy",
            "arn:aws:iam::123456789012:role/path/to/canopy-deployer",
            "arn:aws-us-gov:iam::123456789012:role/canopy",
            "arn:aws-cn:iam::123456789012:role/a.b@c=d,e+f_g",
        ] {
            assert!(check_role_arn(arn).is_ok(), "{arn}");
        }
    }

    #[test]
    fn role_arn_rejects_users_keys_and_typos() {
        for arn in [
            "",
            "AKIAIOSFODNN7EXAMPLE",
            "arn:aws:iam::123456789012:user/canopy",
            "arn:aws:iam::12345:role/canopy",
            "arn:aws:sts::123456789012:assumed-role/canopy/session",
            "arn:aws:iam::123456789012:role/",
            " arn:aws:iam::123456789012:role/canopy",
        ] {
            let error = check_role_arn(arn).expect_err(arn);
            assert!(matches!(error, CredentialError::InvalidRoleArn { .. }));
        }
    }

    #[test]
    fn endpoint_must_be_http_url_with_host() {
        assert!(check_endpoint("http://127.0.0.1:4566").is_ok());
        assert!(check_endpoint("https://cloudcontrolapi.us-east-1.amazonaws.com/").is_ok());

        for endpoint in [
            "127.0.0.1:4566",
            "ftp://host",
            "http://",
            "http://h/?x=1",
            "nope",
        ] {
            let error = check_endpoint(endpoint).expect_err(endpoint);
            assert!(matches!(error, CredentialError::InvalidEndpoint { .. }));
        }
    }

    #[test]
    fn endpoint_user_info_is_not_echoed() {
        let error = check_endpoint("https://admin:hunter2@example.com").unwrap_err();

        let message = error.to_string();
        assert!(!message.contains("hunter2"), "{message}");
        assert!(!format!("{error:?}").contains("hunter2"));
    }

    #[test]
    fn key_material_rejects_paste_mistakes() {
        assert!(check_key_material("secret access key", "wJalrXUtnFEMI/K7MDENG").is_ok());

        for value in ["", " abc", "abc\n", "ab c", "abcé"] {
            let error = check_key_material("secret access key", value).expect_err(value);
            assert!(matches!(error, CredentialError::MalformedValue { .. }));
        }
    }

    #[test]
    fn session_name_with_token_is_rejected() {
        let token = "wtok-Secret123";

        for name in ["canopy-wtok-Secret123", "WTOK-SECRET123", "wtok-Secret123"] {
            let error = check_session_name(name, token).expect_err(name);
            assert!(matches!(error, CredentialError::SessionNameContainsToken));
            assert!(!error.to_string().to_lowercase().contains("secret123"));
        }
        assert!(check_session_name("canopy-apply-42", token).is_ok());
    }

    #[test]
    fn session_name_follows_aws_rules() {
        assert!(check_session_name("canopy@ws_1.apply+x=y,z-w", "").is_ok());

        let too_long = "a".repeat(65);
        for name in ["a", too_long.as_str(), "has space", "slash/no", "colon:no"] {
            let error = check_session_name(name, "").expect_err(name);
            assert!(matches!(error, CredentialError::InvalidSessionName { .. }));
        }
    }

    #[test]
    fn external_id_follows_aws_rules() {
        assert!(check_external_id("ws_01HXYZ:abc/def=").is_ok());

        for value in ["", "x", "has space", "émoji"] {
            let error = check_external_id(value).expect_err(value);
            assert!(matches!(error, CredentialError::InvalidExternalId { .. }));
        }
        let too_long = "a".repeat(1225);
        assert!(check_external_id(&too_long).is_err());
    }

    #[test]
    fn region_codes() {
        for region in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-5",
        ] {
            assert!(check_region(region).is_ok(), "{region}");
        }
        for region in ["", "US-EAST-1", "us-east", "us east 1", "http://x"] {
            assert!(check_region(region).is_err(), "{region}");
        }
    }
}
