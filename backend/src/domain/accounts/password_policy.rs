//! What a new password must be, after NIST SP 800-63B 3.1.1.2: long enough, not absurdly long,
//! not one of the most common passwords, and nothing else (no composition rules). Passwords
//! are never truncated or normalised beyond Unicode scalar counting.

use std::collections::HashSet;
use std::sync::LazyLock;

/// Longer passwords are accepted up to here; beyond it is no longer a password but an attempt
/// to make the server hash megabytes.
pub const MAXIMUM_LENGTH: usize = 1024;

/// No setting goes below this (SP 800-63B's floor).
pub const ABSOLUTE_MINIMUM_LENGTH: usize = 8;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../../data/common-passwords.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .collect()
});

/// Why a password is refused, in words for the person choosing it.
pub fn check(password: &str, minimum_length: usize) -> Result<(), String> {
    let length = password.chars().count();
    if length < minimum_length {
        return Err(format!(
            "the password must have at least {minimum_length} characters (it has {length}); a few unrelated words make a good one"
        ));
    }
    if length > MAXIMUM_LENGTH {
        return Err(format!(
            "the password must have at most {MAXIMUM_LENGTH} characters"
        ));
    }
    if COMMON.contains(password.to_lowercase().as_str()) {
        return Err(
            "this password is among the most common ones and easy to guess; choose another".into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters_and_has_a_floor() {
        assert!(check("short", 12).is_err());
        assert!(check("ünïcödé pässwörd", 12).is_ok());
        // 11 characters, though 22 bytes.
        assert!(check("ääääääääääää"[..22].trim(), 12).is_err());
        assert!(check("correct horse battery staple", 12).is_ok());
    }

    #[test]
    fn long_passwords_are_accepted_whole() {
        assert!(check(&"a long phrase ".repeat(20), 12).is_ok());
        assert!(check(&"x".repeat(MAXIMUM_LENGTH + 1), 12).is_err());
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        assert!(COMMON.len() > 10_000);
        assert!(check("password1234", 8).is_err());
        assert!(check("QWERTYUIOP", 8).is_err());
        assert!(check("1qaz2wsx3edc", 12).is_err());
    }
}
