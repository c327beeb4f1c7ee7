//! Password and token primitives. Passwords are argon2id PHC strings;
//! bearer tokens, login-session ids and speaker links are random 256-bit
//! values of which only the SHA-256 is stored, so a database leak does not
//! leak a usable credential.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{AppError, Result};

/// Shortest password `marquee user add` accepts.
pub const MIN_PASSWORD_LEN: usize = 10;

fn argon2() -> Argon2<'static> {
    // OWASP's argon2id baseline: 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 params are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::invalid(
            "password",
            format!("must be at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

/// Constant-time check of a password against a stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A new random token with a readable prefix (`mq_…`) and its stored hash.
pub fn new_token(prefix: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let plain = format!("{prefix}_{}", hex::encode(bytes));
    let hash = hash_token(&plain);
    (plain, hash)
}

/// SHA-256 of a token, hex. Tokens are high-entropy, so a fast hash is the
/// right tool here (argon2 is for low-entropy passwords).
pub fn hash_token(plain: &str) -> String {
    hex::encode(Sha256::digest(plain.as_bytes()))
}

/// Compares two strings in time independent of where they differ (the
/// `subtle` crate's comparison, which the optimiser cannot turn into an
/// early exit; only the lengths, which are public, may differ in time).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hash_verifies_only_the_right_password() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterx", &h));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn short_passwords_are_refused_with_the_field_named() {
        match hash_password("short") {
            Err(AppError::Invalid { field, .. }) => assert_eq!(field, "password"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tokens_are_unique_and_only_their_hash_is_kept() {
        let (a, ha) = new_token("mq");
        let (b, _) = new_token("mq");
        assert_ne!(a, b);
        assert!(a.starts_with("mq_") && a.len() == 3 + 64);
        assert_eq!(hash_token(&a), ha);
        assert!(!ha.contains(&a[3..]));
        assert!(constant_time_eq(&ha, &hash_token(&a)));
        assert!(!constant_time_eq("abc", "abd"));
    }
}
