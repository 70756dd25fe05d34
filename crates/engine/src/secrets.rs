//! Secrets of kind AWS Credential: parsing, checking and storing their values.

use canopy_aws::credentials::AwsCredentialSecret;
use canopy_store::SecretInfo;

use crate::{Engine, EngineError, Result};

/// The kind recorded for AWS Credential secrets.
pub const AWS_CREDENTIAL_KIND: &str = "AWS Credential";

impl Engine {
    /// Stores an AWS Credential secret after checking that its fields make one of the
    /// three methods: static keys, temporary keys with a session token, or AssumeRole.
    pub async fn create_aws_secret(
        &self,
        workspace: &str,
        name: &str,
        value: &AwsCredentialSecret,
    ) -> Result<SecretInfo> {
        check_name("secret name", name)?;
        check_aws_secret(value)?;
        let workspace = self.store.get_workspace(workspace).await?;
        let plaintext = serde_json::to_vec(value).expect("an AWS credential serializes");
        Ok(self
            .store
            .create_secret(&workspace.id, name, AWS_CREDENTIAL_KIND, &plaintext)
            .await?)
    }

    /// Replaces the value of an AWS Credential secret (new temporary keys, say) and
    /// requalifies the AWS Credential components that use it, in HEAD and in every open
    /// change set.
    pub async fn update_aws_secret(
        &self,
        workspace: &str,
        name: &str,
        value: &AwsCredentialSecret,
    ) -> Result<SecretInfo> {
        check_aws_secret(value)?;
        let workspace = self.store.get_workspace(workspace).await?;
        let secret = self
            .store
            .find_secret(&workspace.id, name)
            .await?
            .ok_or_else(|| {
                EngineError::invalid(
                    format!("secret {name:?}"),
                    "no secret of that name; create it with `canopy secret create`",
                )
            })?;
        let plaintext = serde_json::to_vec(value).expect("an AWS credential serializes");
        let updated = self.store.update_secret(&secret, &plaintext).await?;
        let resources = self.resources_by_component(&workspace).await?;
        for change_set in self.store.list_change_sets(&workspace.id).await? {
            if !matches!(
                change_set.status,
                canopy_store::ChangeSetStatus::Head | canopy_store::ChangeSetStatus::Open
            ) {
                continue;
            }
            let components = self.store.list_components(&change_set.id).await?;
            let users = components.iter().filter(|c| {
                !c.deleted
                    && c.schema() == crate::AWS_CREDENTIAL
                    && crate::builtin::secret_of(&c.snapshot.domain) == Some(name)
            });
            for component in users {
                self.qualify(&workspace, &change_set, &components, &resources, component)
                    .await?;
            }
        }
        Ok(updated)
    }

    /// Decrypts an AWS Credential secret of the workspace.
    pub(crate) async fn read_aws_secret(&self, secret: &SecretInfo) -> Result<AwsCredentialSecret> {
        let plain = self.store.read_secret(secret).await?;
        serde_json::from_slice(plain.expose()).map_err(|_| {
            EngineError::invalid(
                format!("secret {:?}", secret.name),
                "the stored value is not an AWS Credential; create it again with `canopy secret create`",
            )
        })
    }
}

fn present(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|text| !text.trim().is_empty())
}

/// Checks that the fields of an AWS Credential secret make a usable method.
pub(crate) fn check_aws_secret(value: &AwsCredentialSecret) -> Result<()> {
    let invalid = |reason: &str| Err(EngineError::invalid("AWS Credential secret", reason));
    let key = present(&value.access_key_id);
    let secret = present(&value.secret_access_key);
    if key != secret {
        return invalid(
            "AccessKeyId and SecretAccessKey go together: give both, or neither to use AssumeRole from canopy's own identity",
        );
    }
    if present(&value.session_token) && !key {
        return invalid("SessionToken needs AccessKeyId and SecretAccessKey from the same session");
    }
    if !key && !present(&value.assume_role) {
        return invalid(
            "give static keys (AccessKeyId, SecretAccessKey), temporary keys (with SessionToken), or an AssumeRole role ARN",
        );
    }
    if let Some(role) = value
        .assume_role
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        && !(role.starts_with("arn:") && role.contains(":role/"))
    {
        return invalid(
            "AssumeRole must be an IAM role ARN such as arn:aws:iam::123456789012:role/canopy",
        );
    }
    if let Some(endpoint) = value.endpoint.as_deref().filter(|e| !e.trim().is_empty())
        && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
    {
        return invalid("Endpoint must be an http:// or https:// URL");
    }
    Ok(())
}

/// Checks a user-chosen name: non-empty, printable, no leading or trailing space.
pub(crate) fn check_name(what: &str, name: &str) -> Result<()> {
    if name.trim().is_empty() || name.trim() != name || name.chars().any(char::is_control) {
        return Err(EngineError::invalid(
            format!("{what} {name:?}"),
            "use a non-empty name without leading or trailing spaces or control characters",
        ));
    }
    if name.len() > 128 {
        return Err(EngineError::invalid(
            format!("{what} {name:?}"),
            "use at most 128 bytes",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(fields: &[(&str, &str)]) -> AwsCredentialSecret {
        let object: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
            .collect();
        serde_json::from_value(serde_json::Value::Object(object)).unwrap()
    }

    #[test]
    fn three_methods_accepted() {
        assert!(
            check_aws_secret(&secret(&[
                ("AccessKeyId", "AKIA1"),
                ("SecretAccessKey", "s")
            ]))
            .is_ok()
        );
        assert!(
            check_aws_secret(&secret(&[
                ("AccessKeyId", "ASIA1"),
                ("SecretAccessKey", "s"),
                ("SessionToken", "t")
            ]))
            .is_ok()
        );
        assert!(check_aws_secret(&secret(&[("AssumeRole", "arn:aws:iam::1:role/r")])).is_ok());
    }

    #[test]
    fn key_without_secret_rejected() {
        let error = check_aws_secret(&secret(&[("AccessKeyId", "AKIA1")])).unwrap_err();
        assert!(error.to_string().contains("go together"), "{error}");
    }

    #[test]
    fn role_that_is_not_arn_rejected() {
        let error = check_aws_secret(&secret(&[("AssumeRole", "my-role")])).unwrap_err();
        assert!(error.to_string().contains("IAM role ARN"), "{error}");
    }

    #[test]
    fn error_never_echoes_secret_key() {
        let value = secret(&[("SecretAccessKey", "wJalrXUtnFEMIEXAMPLEKEY")]);
        let error = check_aws_secret(&value).unwrap_err();
        assert!(!error.to_string().contains("wJalrXUtnFEMIEXAMPLEKEY"));
        assert!(!format!("{error:?}").contains("wJalrXUtnFEMIEXAMPLEKEY"));
    }
}
