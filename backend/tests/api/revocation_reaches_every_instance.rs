//! Every instance keeps in memory what it read lately about sessions, tenants, recordings,
//! keys and grants, so that a player's seeks do not ask the database again and again. A
//! revocation must still act at once on the instance where it happens, and within 2 s on every
//! other one: here, two instances in this process on one database and one object store.
//!
//! Each test warms both instances' memory with a player's ranged requests, does the change
//! through the first, and then asks again: the first refuses at once, the second within 2 s.
//! The control test shows that without a change the second keeps playing, so the refusals come
//! from the change and not from entries that merely expired.

use std::time::{Duration, Instant};

use callvault_shared::api::{EncryptionKey, Recording, User};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::{Tenant, encrypted_tenant, plain_tenant, system_key, wav};
use crate::helpers::{Session, TestApp, USER_PASSWORD};

/// How soon another instance must refuse what was revoked.
const WITHIN: Duration = Duration::from_secs(2);
/// How often the second instance is asked meanwhile.
const POLL_EVERY: Duration = Duration::from_millis(50);
/// How long the second instance is watched before the test gives up (longer than
/// [`WITHIN`], so that a late refusal is measured rather than only missed).
const WATCH_FOR: Duration = Duration::from_secs(6);
/// The range a seeking player asks for.
const RANGE: &str = "bytes=0-1023";

/// Two instances, and a sealed recording of `acme` that `sam` plays through his grant.
struct Sealed {
    app: TestApp,
    second: String,
    acme: Tenant,
    key_id: Uuid,
    sam_id: Uuid,
    sam: Session,
    recording: Uuid,
    audio: Vec<u8>,
}

impl Sealed {
    async fn new() -> Self {
        let app = TestApp::spawn().await;
        let second = app.another_instance().await;
        let root = app.sign_in_root().await;
        system_key(&app, &root).await;
        let acme = encrypted_tenant(&app, &root, "acme").await;
        let sam: User =
            serde_json::from_value(app.create_user(&root, "acme", "sam", "supervisor").await)
                .expect("a user");
        let key_id = serde_json::from_value::<EncryptionKey>(acme.key.clone())
            .expect("a key")
            .id;
        let granted = app
            .post_as(
                &format!("/api/v1/tenants/acme/keys/{key_id}/grants"),
                &acme.admin,
                &json!({ "user_id": sam.id }),
            )
            .await;
        assert_eq!(granted.status(), 201, "sam's grant");
        let session = app.sign_in("sam", USER_PASSWORD).await;
        let audio = wav(8_000);
        let uploaded: Recording = app
            .upload(&acme.admin, "acme", &audio)
            .await
            .json()
            .await
            .expect("JSON");
        assert!(uploaded.sealed, "the recording is sealed");
        Self {
            app,
            second,
            acme,
            key_id,
            sam_id: sam.id,
            sam: session,
            recording: uploaded.id,
            audio,
        }
    }

    /// Sam's ranged request to the instance at `address`.
    async fn play_at(&self, address: &str) -> reqwest::Response {
        ranged(&self.app, address, &self.sam, "acme", self.recording).await
    }

    /// Sam plays on both instances, several times each, so that both keep what it took.
    async fn warm_both(&self) {
        for _ in 0..3 {
            for address in [&self.app.address, &self.second] {
                played(self.play_at(address).await, &self.audio, address).await;
            }
        }
    }

    /// The first instance refuses sam at once, and the second within [`WITHIN`].
    async fn refused_everywhere(&self, expected: StatusCode, what: &str) {
        let first = self.play_at(&self.app.address).await;
        assert_eq!(
            first.status(),
            expected,
            "{what}: at once on the instance where it was done"
        );
        let elapsed =
            refused_within(|| self.play_at(&self.second), expected, what, &self.audio).await;
        eprintln!(
            "{what}: refused by the second instance after {} ms",
            elapsed.as_millis()
        );
        assert!(
            elapsed < WITHIN,
            "{what}: the second instance refused only after {} ms",
            elapsed.as_millis()
        );
    }
}

/// `session`'s request for the first kilobyte of the recording `id`, to the instance at
/// `address`.
async fn ranged(
    app: &TestApp,
    address: &str,
    session: &Session,
    tenant: &str,
    id: Uuid,
) -> reqwest::Response {
    app.client
        .get(format!(
            "{address}/api/v1/tenants/{tenant}/recordings/{id}/audio"
        ))
        .bearer_auth(&session.token)
        .header("range", RANGE)
        .send()
        .await
        .expect("sent")
}

/// Asserts that `response` is the first kilobyte of `audio`.
async fn played(response: reqwest::Response, audio: &[u8], address: &str) {
    assert_eq!(
        response.status(),
        StatusCode::PARTIAL_CONTENT,
        "played at {address}"
    );
    assert_eq!(
        response.bytes().await.expect("bytes"),
        audio[..1024],
        "the first kilobyte, from {address}"
    );
}

/// Asks with `ask` every [`POLL_EVERY`] until the answer is `expected`; how long that took.
/// Until then every answer must be the audio still playing; no answer within [`WATCH_FOR`]
/// fails the test.
async fn refused_within<F, Fut>(ask: F, expected: StatusCode, what: &str, audio: &[u8]) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = reqwest::Response>,
{
    let began = Instant::now();
    loop {
        let response = ask().await;
        let elapsed = began.elapsed();
        if response.status() == expected {
            return elapsed;
        }
        played(
            response,
            audio,
            "the second instance, before it saw the change",
        )
        .await;
        assert!(
            elapsed < WATCH_FOR,
            "{what}: the second instance still plays after {} ms",
            elapsed.as_millis()
        );
        tokio::time::sleep(POLL_EVERY).await;
    }
}

#[tokio::test]
async fn revocation_reaches_every_instance_a_revoked_grant() {
    let setup = Sealed::new().await;
    setup.warm_both().await;
    let revoked = setup
        .app
        .delete_as(
            &format!(
                "/api/v1/tenants/acme/keys/{}/grants/{}",
                setup.key_id, setup.sam_id
            ),
            &setup.acme.admin,
        )
        .await;
    assert_eq!(revoked.status(), 204, "the grant is revoked");
    // No grant on the key: 403.
    setup
        .refused_everywhere(StatusCode::FORBIDDEN, "a revoked grant")
        .await;
}

#[tokio::test]
async fn revocation_reaches_every_instance_a_logout() {
    let setup = Sealed::new().await;
    setup.warm_both().await;
    let logout = setup
        .app
        .post_as("/api/v1/auth/logout", &setup.sam, &json!({}))
        .await;
    assert_eq!(logout.status(), 204, "sam signs out");
    // The session has ended: 401.
    setup
        .refused_everywhere(StatusCode::UNAUTHORIZED, "a logout")
        .await;
}

#[tokio::test]
async fn revocation_reaches_every_instance_a_password_reset() {
    let setup = Sealed::new().await;
    setup.warm_both().await;
    let reset = setup
        .app
        .post_as(
            &format!("/api/v1/tenants/acme/users/{}/reset-password", setup.sam_id),
            &setup.acme.admin,
            &json!({ "password": "sam's brand new password" }),
        )
        .await;
    assert_eq!(
        reset.status(),
        200,
        "the administrator resets sam's password"
    );
    let outcome: Value = reset.json().await.expect("JSON");
    assert_eq!(outcome["sessions_ended"], 1, "{outcome}");
    assert_eq!(outcome["grants_removed"], 1, "{outcome}");
    // Every session of sam's has ended: 401 (before any grant is looked at).
    setup
        .refused_everywhere(StatusCode::UNAUTHORIZED, "a password reset")
        .await;
}

#[tokio::test]
async fn revocation_reaches_every_instance_a_destroyed_key() {
    let setup = Sealed::new().await;
    // The active key is destroyed only with encryption off: switched off before the players
    // warm the instances up, so that the destruction is the only change they have to see.
    let off = setup
        .app
        .patch_as(
            "/api/v1/tenants/acme/encryption",
            &setup.acme.admin,
            &json!({ "enabled": false }),
        )
        .await;
    assert_eq!(off.status(), 200, "encryption off");
    setup.warm_both().await;
    let destroyed = setup
        .app
        .post_as(
            &format!("/api/v1/tenants/acme/keys/{}/destroy", setup.key_id),
            &setup.acme.admin,
            &json!({ "recordings_become_unrecoverable": true }),
        )
        .await;
    assert_eq!(destroyed.status(), 200, "the key is destroyed");
    // The key is looked at before the grant: unrecoverable, 410.
    setup
        .refused_everywhere(StatusCode::GONE, "a destroyed key")
        .await;
}

/// A switch to tenant-held keys is refused (409) while the server holds the private half of
/// any of the tenant's keys (`check_no_private_keys`, docs/tenant-held.md), so no recording
/// sealed with a key the server can open survives it and there is no such playback to take
/// away. What the switch does take away at once is documented in `tenant_held.rs`: provider
/// staff get none of the tenant's recordings unencrypted (403, `refuse_plaintext_to_staff`).
/// So here root plays a plaintext recording on both instances, and the tenant's
/// administrator switches.
#[tokio::test]
async fn revocation_reaches_every_instance_a_switch_to_tenant_held_keys() {
    let app = TestApp::spawn().await;
    let second = app.another_instance().await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let pat = plain_tenant(&app, &root, "plainco").await;
    let audio = wav(8_000);
    let uploaded: Recording = app
        .upload(&pat, "plainco", &audio)
        .await
        .json()
        .await
        .expect("JSON");
    assert!(!uploaded.sealed, "stored in plaintext");
    let id = uploaded.id;
    for _ in 0..3 {
        for address in [&app.address, &second] {
            played(
                ranged(&app, address, &root, "plainco", id).await,
                &audio,
                address,
            )
            .await;
        }
    }

    let switched = app
        .patch_as(
            "/api/v1/tenants/plainco/encryption",
            &pat,
            &json!({ "mode": "tenant_held" }),
        )
        .await;
    assert_eq!(switched.status(), 200, "the tenant holds its own keys now");

    let what = "a switch to tenant-held keys";
    let first = ranged(&app, &app.address, &root, "plainco", id).await;
    assert_eq!(
        first.status(),
        StatusCode::FORBIDDEN,
        "{what}: at once on the instance where it was done"
    );
    let detail = first.text().await.expect("text");
    assert!(detail.contains("holds its own keys"), "{detail}");
    let elapsed = refused_within(
        || ranged(&app, &second, &root, "plainco", id),
        StatusCode::FORBIDDEN,
        what,
        &audio,
    )
    .await;
    eprintln!(
        "{what}: refused by the second instance after {} ms",
        elapsed.as_millis()
    );
    assert!(
        elapsed < WITHIN,
        "{what}: the second instance refused only after {} ms",
        elapsed.as_millis()
    );
    // The tenant's own administrator still plays it, on either instance.
    for address in [&app.address, &second] {
        played(
            ranged(&app, address, &pat, "plainco", id).await,
            &audio,
            address,
        )
        .await;
    }
}

/// The control: with nothing changed, the second instance keeps playing for 3 s, longer than
/// any of the refusals above took.
#[tokio::test]
async fn revocation_reaches_every_instance_control_nothing_changed_keeps_playing() {
    let setup = Sealed::new().await;
    setup.warm_both().await;
    let began = Instant::now();
    let mut asked = 0;
    while began.elapsed() < Duration::from_secs(3) {
        played(
            setup.play_at(&setup.second).await,
            &setup.audio,
            &setup.second,
        )
        .await;
        asked += 1;
        tokio::time::sleep(POLL_EVERY).await;
    }
    played(
        setup.play_at(&setup.app.address).await,
        &setup.audio,
        &setup.app.address,
    )
    .await;
    eprintln!(
        "control: the second instance played {asked} times in {} ms",
        began.elapsed().as_millis()
    );
}
