//! Sealing secret values and workspace tokens with XChaCha20-Poly1305.
//!
//! The 256-bit key lives outside the database: in `CANOPY_SECRET_KEY` (base64), or in a
//! key file created with mode 0600 on first use. Each sealed value carries a random
//! 192-bit nonce, and the associated data binds it to its row, so a sealed value copied
//! to another row fails to open.

use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, OsRng, Payload};
use chacha20poly1305::{AeadCore, XChaCha20Poly1305, XNonce};

use crate::{Result, StoreError};

/// The environment variable that holds the secret key, base64 of 32 bytes.
pub const KEY_ENV: &str = "CANOPY_SECRET_KEY";
const NONCE_LEN: usize = 24;

/// A value that must not be printed: Debug and Display show `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }

    /// Returns the value. Callers must not log it or put it in an error.
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The key that seals secrets.
#[derive(Clone)]
pub struct SecretKey {
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

impl SecretKey {
    /// Loads the key from `CANOPY_SECRET_KEY`, or from `path`, creating that file with
    /// mode 0600 and a fresh random key when neither exists.
    pub fn load_or_create(path: &Path) -> Result<SecretKey> {
        if let Ok(encoded) = std::env::var(KEY_ENV) {
            return SecretKey::from_base64(&encoded)
                .map_err(|reason| StoreError::Key(format!("{KEY_ENV}: {reason}")));
        }
        match std::fs::read_to_string(path) {
            Ok(encoded) => SecretKey::from_base64(encoded.trim())
                .map_err(|reason| StoreError::Key(format!("{}: {reason}", path.display()))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                SecretKey::create_file(path)
            }
            Err(error) => Err(StoreError::Key(format!(
                "cannot read {}: {error}",
                path.display()
            ))),
        }
    }

    /// Builds a key from base64 of exactly 32 bytes.
    pub fn from_base64(encoded: &str) -> std::result::Result<SecretKey, String> {
        let bytes = STANDARD
            .decode(encoded.trim())
            .map_err(|_| "the key is not valid base64".to_string())?;
        if bytes.len() != 32 {
            return Err(format!(
                "the key must be 32 bytes of base64, got {} bytes",
                bytes.len()
            ));
        }
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|e| e.to_string())?;
        Ok(SecretKey { cipher })
    }

    fn create_file(path: &Path) -> Result<SecretKey> {
        let key = XChaCha20Poly1305::generate_key(&mut OsRng);
        let encoded = STANDARD.encode(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Key(format!("cannot create {}: {e}", parent.display())))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(path)
            .map_err(|e| StoreError::Key(format!("cannot create {}: {e}", path.display())))?;
        file.write_all(encoded.as_bytes())
            .map_err(|e| StoreError::Key(format!("cannot write {}: {e}", path.display())))?;
        tracing::info!(path = %path.display(), "created a new secret key file");
        SecretKey::from_base64(&encoded).map_err(StoreError::Key)
    }

    /// Encrypts `plaintext`, bound to `context` (for example the row it is stored in).
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plaintext,
            aad: context.as_bytes(),
        };
        let ciphertext = self
            .cipher
            .encrypt(&nonce, payload)
            .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory input");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Decrypts a value sealed with the same key and context.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Sensitive<Vec<u8>>> {
        let failed = || StoreError::Decrypt {
            what: context.to_string(),
        };
        if sealed.len() < NONCE_LEN {
            return Err(failed());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        self.cipher
            .decrypt(XNonce::from_slice(nonce), payload)
            .map(Sensitive::new)
            .map_err(|_| failed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_bound_to_context() {
        let key = SecretKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        let sealed = key.seal("secret:a", b"hunter2");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(key.open("secret:a", &sealed).unwrap().expose(), b"hunter2");
        assert!(key.open("secret:b", &sealed).is_err());
    }

    #[test]
    fn wrong_key_fails_to_open() {
        let key = SecretKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        let other = SecretKey::from_base64(&STANDARD.encode([8u8; 32])).unwrap();
        let sealed = key.seal("x", b"value");
        let error = other.open("x", &sealed).unwrap_err();
        assert!(error.to_string().contains("does not match"), "{error}");
    }

    #[test]
    fn key_file_created_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("secret.key");
        let first = SecretKey::create_file(&path).unwrap();
        let second = SecretKey::from_base64(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let sealed = first.seal("c", b"v");
        assert_eq!(second.open("c", &sealed).unwrap().expose(), b"v");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn short_key_rejected_with_length() {
        let error = SecretKey::from_base64(&STANDARD.encode([1u8; 16])).unwrap_err();
        assert!(error.contains("32 bytes"), "{error}");
    }

    #[test]
    fn sensitive_debug_redacts() {
        let value = Sensitive::new("AKIASECRET".to_string());
        assert_eq!(format!("{value:?} {value}"), "[redacted] [redacted]");
    }
}
