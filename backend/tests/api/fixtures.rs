//! What the tests set up again and again: keys, tenants with encryption on or off, test audio.
//! Each test file imports from here, never from another test file.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Session, TestApp, USER_PASSWORD};

/// A small valid WAV file: what a recorder uploads.
pub fn wav(samples: usize) -> Vec<u8> {
    callvault_shared::wav::encode(&callvault_shared::wav::tone(samples, 382.0))
}

pub const EXPORT_PASSPHRASE: &str = "an export passphrase for tests";

pub async fn create_key(app: &TestApp, session: &Session, tenant: &str, body: Value) -> Value {
    let response = app
        .post_as(&format!("/api/v1/tenants/{tenant}/keys"), session, &body)
        .await;
    assert_eq!(response.status(), 201, "create key in {tenant}");
    response.json().await.expect("JSON")
}

pub async fn export(app: &TestApp, session: &Session, tenant: &str, key: &Value) -> String {
    let response = app
        .post_as(
            &format!(
                "/api/v1/tenants/{tenant}/keys/{}/export",
                key["id"].as_str().expect("id")
            ),
            session,
            &json!({ "passphrase": EXPORT_PASSPHRASE }),
        )
        .await;
    assert_eq!(response.status(), 200, "export");
    response.text().await.expect("PEM")
}

pub async fn encryption(app: &TestApp, session: &Session, tenant: &str) -> Value {
    app.get_as(&format!("/api/v1/tenants/{tenant}/encryption"), session)
        .await
        .json()
        .await
        .expect("JSON")
}

pub async fn enable(app: &TestApp, session: &Session, tenant: &str) {
    let response = app
        .patch_as(
            &format!("/api/v1/tenants/{tenant}/encryption"),
            session,
            &json!({ "enabled": true }),
        )
        .await;
    assert_eq!(response.status(), 200, "enable encryption in {tenant}");
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A tenant with an administrator who holds its key, and encryption on.
pub struct Tenant {
    pub admin: Session,
    pub key: Value,
}

pub async fn encrypted_tenant(app: &TestApp, root: &Session, slug: &str) -> Tenant {
    app.create_tenant(root, slug).await;
    let admin_name = format!("{slug}-admin");
    app.create_user(root, slug, &admin_name, "tenant_admin")
        .await;
    let admin = app.sign_in(&admin_name, USER_PASSWORD).await;
    let key = create_key(app, &admin, slug, json!({ "bits": 2048 })).await;
    enable(app, &admin, slug).await;
    Tenant { admin, key }
}

pub async fn system_key(app: &TestApp, root: &Session) -> Value {
    create_key(app, root, "system", json!({ "bits": 2048 })).await
}

/// A plaintext tenant with its own administrator, who uploads.
pub async fn plain_tenant(app: &TestApp, root: &Session, slug: &str) -> Session {
    app.create_tenant(root, slug).await;
    let name = format!("{slug}-admin");
    app.create_user(root, slug, &name, "tenant_admin").await;
    app.sign_in(&name, crate::helpers::USER_PASSWORD).await
}
