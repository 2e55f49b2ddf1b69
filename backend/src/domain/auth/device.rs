//! Device cookies (OWASP's "Slow Down Online Guessing Attacks with Device Cookies"): a browser
//! that once signed in to an account carries a signed token naming that account. Its attempts
//! are counted against the token alone, so that a sprayer on the same office network, or a
//! crowd of addresses guessing one account, cannot keep the account's own people out.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

/// Derives the cookies' key from the access-token signing key, for this purpose only.
const KEY_LABEL: &[u8] = b"callvault device cookie key v1";
const ID_LEN: usize = 16;

/// A valid device cookie: the account it signed in to, and its own id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub user_id: Uuid,
    pub id: String,
}

pub struct DeviceCookies {
    key: hmac::Key,
}

impl DeviceCookies {
    pub fn new(signing_key: &[u8]) -> Self {
        let parent = hmac::Key::new(hmac::HMAC_SHA256, signing_key);
        let derived = hmac::sign(&parent, KEY_LABEL);
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()),
        }
    }

    /// A new cookie value for a browser that just signed in as `user_id`:
    /// `<user id>.<device id>.<tag>`.
    pub fn issue(&self, user_id: Uuid) -> anyhow::Result<String> {
        let id = callvault_shared::crypto::random_secret::<ID_LEN>()?;
        let tag = hmac::sign(&self.key, &signed_bytes(user_id, id.as_ref()));
        Ok(format!(
            "{}.{}.{}",
            user_id.simple(),
            URL_SAFE_NO_PAD.encode(id.as_ref()),
            URL_SAFE_NO_PAD.encode(tag.as_ref())
        ))
    }

    /// The device a cookie names, if this server signed it.
    pub fn verify(&self, value: &str) -> Option<Device> {
        let mut parts = value.split('.');
        let (user, id, tag) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let user_id = Uuid::try_parse(user).ok()?;
        let id_bytes = URL_SAFE_NO_PAD.decode(id).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        if id_bytes.len() != ID_LEN {
            return None;
        }
        hmac::verify(&self.key, &signed_bytes(user_id, &id_bytes), &tag).ok()?;
        Some(Device {
            user_id,
            id: id.to_owned(),
        })
    }
}

fn signed_bytes(user_id: Uuid, id: &[u8]) -> Vec<u8> {
    [user_id.as_bytes().as_slice(), id].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_verifies_for_its_account_and_nothing_altered_does() {
        let cookies = DeviceCookies::new(b"a signing key of the server under test");
        let user = Uuid::now_v7();
        let value = cookies.issue(user).expect("issued");
        let device = cookies.verify(&value).expect("valid");
        assert_eq!(device.user_id, user);

        let other_user = value.replacen(
            &user.simple().to_string(),
            &Uuid::now_v7().simple().to_string(),
            1,
        );
        assert_eq!(cookies.verify(&other_user), None);
        let other_server = DeviceCookies::new(b"another server's signing key");
        assert_eq!(other_server.verify(&value), None);
        assert_eq!(cookies.verify(&format!("{value}.x")), None);
        assert_eq!(cookies.verify("not a cookie"), None);
    }
}
