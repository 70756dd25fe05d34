//! Bearer tokens: minting, checking, and the per-request access rules.
//!
//! A token reads `cnpt_<id>.<secret>`: the id is public (token lists show it) and the
//! secret is 256 random bits. The store keeps SHA-256 of the secret, and a presented
//! token is checked by looking up its id and comparing hashes in constant time.
//! A token of one workspace gets 404 for everything of another workspace, exactly as
//! for a workspace that does not exist, so it cannot learn which names exist.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use canopy_store::{ApiToken, Sensitive, Store, TokenRole, Workspace};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// The prefix of every API token, so secret scanners and people can recognize one.
pub const TOKEN_PREFIX: &str = "cnpt_";
/// Bytes of randomness in a token's secret part: 256 bits.
const SECRET_BYTES: usize = 32;

/// The authenticated caller of a request: the token without its secret part.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: ApiToken,
}

impl Caller {
    pub fn require_admin(&self) -> ApiResult<()> {
        if self.token.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "this request needs an administrator token",
            ))
        }
    }
}

/// A new token: its record and the full token, shown once.
pub struct MintedToken {
    pub record: ApiToken,
    pub token: Sensitive<String>,
}

fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn full_token(record: &ApiToken, secret: &str) -> Sensitive<String> {
    Sensitive::new(format!("{TOKEN_PREFIX}{}.{secret}", record.id))
}

/// Creates an administrator token.
pub async fn mint_admin_token(store: &Store, name: &str) -> ApiResult<MintedToken> {
    let secret = new_secret();
    let record = store
        .insert_admin_token(name, &hash_secret(&secret))
        .await?;
    let token = full_token(&record, &secret);
    Ok(MintedToken { record, token })
}

/// Creates a token of one workspace with a role other than admin.
pub async fn mint_workspace_token(
    store: &Store,
    workspace: &Workspace,
    role: TokenRole,
    name: &str,
) -> ApiResult<MintedToken> {
    if role == TokenRole::Admin {
        return Err(ApiError::invalid(
            "a workspace token has role view, edit or apply; create administrator tokens with POST /api/tokens",
        ));
    }
    let secret = new_secret();
    let record = store
        .insert_workspace_token(&workspace.id, role, name, &hash_secret(&secret))
        .await?;
    let token = full_token(&record, &secret);
    Ok(MintedToken { record, token })
}

/// Creates an administrator token when none is active, as on the first start, and
/// returns it; returns `None` when one exists.
pub async fn ensure_admin_token(store: &Store) -> ApiResult<Option<Sensitive<String>>> {
    if store.count_admin_tokens().await? > 0 {
        return Ok(None);
    }
    let minted = mint_admin_token(store, "first administrator").await?;
    Ok(Some(minted.token))
}

/// Checks a presented token; `None` when it is malformed, unknown, revoked or wrong.
pub async fn verify(store: &Store, presented: &str) -> ApiResult<Option<ApiToken>> {
    let Some((id, secret)) = presented
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|rest| rest.split_once('.'))
    else {
        return Ok(None);
    };
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some((record, stored_hash)) = store.find_api_token(id).await? else {
        return Ok(None);
    };
    let matches: bool = hash_secret(secret)
        .as_slice()
        .ct_eq(stored_hash.as_slice())
        .into();
    if !matches || record.is_revoked() {
        return Ok(None);
    }
    Ok(Some(record))
}

/// Authenticates every `/api` route that needs a token: puts the [`Caller`] in the
/// request's extensions, or returns 401.
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(str::trim);
    let Some(presented) = presented else {
        return axum::response::IntoResponse::into_response(ApiError::unauthenticated(
            "missing bearer token: send `Authorization: Bearer cnpt_...`",
        ));
    };
    let token = match verify(state.engine.store(), presented).await {
        Ok(Some(token)) => token,
        Ok(None) => {
            tracing::info!("rejected an API request with an unknown, revoked or malformed token");
            return axum::response::IntoResponse::into_response(ApiError::unauthenticated(
                "the bearer token is not valid or was revoked",
            ));
        }
        Err(error) => return axum::response::IntoResponse::into_response(error),
    };
    if let Err(error) = state.engine.store().touch_api_token(&token.id).await {
        tracing::warn!(api_token.id = %token.id, %error, "cannot record the token's last use");
    }
    request.extensions_mut().insert(Caller { token });
    next.run(request).await
}

/// Finds a workspace the caller may reach with at least `role`. Other workspaces are
/// reported as not found, and a lower role as forbidden.
pub async fn workspace_for(
    state: &AppState,
    caller: &Caller,
    name_or_id: &str,
    role: TokenRole,
) -> ApiResult<Workspace> {
    let found = state.engine.store().find_workspace(name_or_id).await?;
    let visible = found.filter(|workspace| {
        caller.token.is_admin() || caller.token.workspace_id.as_ref() == Some(&workspace.id)
    });
    let Some(workspace) = visible else {
        return Err(ApiError::not_found("workspace", name_or_id));
    };
    if caller.token.role < role {
        return Err(ApiError::forbidden(format!(
            "this request needs a token with role {} or higher; this token has role {}",
            role.as_str(),
            caller.token.role.as_str()
        )));
    }
    Ok(workspace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_has_256_bits() {
        let secret = new_secret();
        let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&secret)
            .unwrap();
        assert_eq!(decoded.len(), 32);
    }

    #[test]
    fn secrets_differ() {
        assert_ne!(new_secret(), new_secret());
    }
}
