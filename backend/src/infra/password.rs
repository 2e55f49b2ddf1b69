//! Login passwords, hashed with Argon2id into PHC strings. Hashing is deliberately slow, so it
//! runs on the blocking pool, never on the async executor.

use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

/// OWASP's first recommendation for Argon2id: m = 19 MiB, t = 2, p = 1.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub async fn hash(password: Zeroizing<String>) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        hasher()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|error| anyhow::anyhow!("hashing a password failed: {error}"))
    })
    .await?
}

/// Whether `password` matches `hash`. With no hash (an unknown user), a stand-in hash of the
/// same cost is checked instead, so that both answers take the same time.
pub async fn verify(hash: Option<String>, password: Zeroizing<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| STAND_IN.clone());
        let parsed = PasswordHash::new(&hash)
            .map_err(|error| anyhow::anyhow!("a stored password hash is unreadable: {error}"))?;
        // The parameters come from the PHC string: older hashes keep verifying after a raise.
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await?
}

static STAND_IN: LazyLock<String> = LazyLock::new(|| {
    hasher()
        .hash_password(b"no user has this password: it only spends the same time")
        .map(|hash| hash.to_string())
        .unwrap_or_default()
});

/// A random password for the first root administrator: 20 characters from a 56-letter
/// alphabet without look-alikes (about 116 bits).
pub fn generate() -> anyhow::Result<Zeroizing<String>> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut password = Zeroizing::new(String::with_capacity(20));
    while password.len() < 20 {
        let mut byte = [0u8; 1];
        getrandom::fill(&mut byte).map_err(|error| anyhow::anyhow!("no randomness: {error}"))?;
        // Rejection sampling keeps every letter equally likely.
        let limit = 256 - 256 % ALPHABET.len();
        if usize::from(byte[0]) < limit {
            password.push(char::from(ALPHABET[usize::from(byte[0]) % ALPHABET.len()]));
        }
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let hash = hash(Zeroizing::new("a long enough password".into()))
            .await
            .expect("hashes");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let parsed = PasswordHash::new(&hash).expect("PHC string");
        assert!(
            Argon2::default()
                .verify_password(b"a long enough password", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"a long enough passwore", &parsed)
                .is_err()
        );
    }

    #[tokio::test]
    async fn verification_accepts_the_password_only_and_survives_unknown_users() {
        let hash = hash(Zeroizing::new("a long enough password".into()))
            .await
            .expect("hashes");
        let verify = |hash: Option<String>, password: &str| {
            verify(hash, Zeroizing::new(password.to_owned()))
        };
        assert!(
            verify(Some(hash.clone()), "a long enough password")
                .await
                .expect("runs")
        );
        assert!(
            !verify(Some(hash), "a long enough passwore")
                .await
                .expect("runs")
        );
        assert!(!verify(None, "a long enough password").await.expect("runs"));
    }

    #[test]
    fn generated_passwords_are_long_and_differ() {
        let first = generate().expect("random");
        let second = generate().expect("random");
        assert_eq!(first.len(), 20);
        assert!(first.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(*first, *second);
    }
}
