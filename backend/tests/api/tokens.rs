//! Forged and stale access tokens are refused (401). The forgeries here are signed with the
//! real key where that is the point: the claims themselves must be checked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use callvault::infra::entities::server_secret;
use callvault_shared::api::AccessToken;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{Session, TestApp};

struct Forge {
    key: Vec<u8>,
    claims: Value,
}

impl Forge {
    async fn new(app: &TestApp, session: &Session) -> Self {
        let key = server_secret::Entity::find_by_id("access-token-hs256")
            .one(&app.db().await)
            .await
            .expect("query")
            .expect("the signing key")
            .value;
        let payload = session.token.split('.').nth(1).expect("payload");
        let claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64"))
            .expect("JSON");
        Self { key, claims }
    }

    fn sign(&self, algorithm: Algorithm, claims: &Value) -> String {
        jsonwebtoken::encode(
            &Header::new(algorithm),
            claims,
            &EncodingKey::from_secret(&self.key).expect("key"),
        )
        .expect("signed")
    }

    fn with(&self, field: &str, value: Value) -> String {
        let mut claims = self.claims.clone();
        claims[field] = value;
        self.sign(Algorithm::HS256, &claims)
    }
}

async fn status_with(app: &TestApp, token: &str) -> u16 {
    app.client
        .get(format!("{}/api/v1/auth/me", app.address))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

#[tokio::test]
async fn forged_and_stale_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let session = app.sign_in_root().await;
    let forge = Forge::new(&app, &session).await;
    let now = chrono::Utc::now().timestamp();

    // The genuine token, and the same claims re-signed, pass: the forgeries below differ
    // only in what they test.
    assert_eq!(status_with(&app, &session.token).await, 200);
    assert_eq!(
        status_with(&app, &forge.sign(Algorithm::HS256, &forge.claims)).await,
        200
    );

    let payload = session.token.split('.').nth(1).expect("payload");
    let unsigned = format!(
        "{}.{payload}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#)
    );
    let mut tampered_claims = forge.claims.clone();
    tampered_claims["sub"] = json!(uuid::Uuid::new_v4());
    let tampered_payload = URL_SAFE_NO_PAD.encode(tampered_claims.to_string());
    let parts: Vec<&str> = session.token.split('.').collect();
    let tampered = format!("{}.{tampered_payload}.{}", parts[0], parts[2]);
    let mut bad_signature = session.token.clone();
    bad_signature.pop();
    bad_signature.push(if session.token.ends_with('A') {
        'B'
    } else {
        'A'
    });

    let forgeries = [
        ("alg none", unsigned),
        (
            "another algorithm",
            forge.sign(Algorithm::HS512, &forge.claims),
        ),
        ("tampered payload", tampered),
        ("bad signature", bad_signature),
        ("expired", forge.with("exp", json!(now - 3600))),
        ("not yet valid", forge.with("nbf", json!(now + 3600))),
        ("wrong audience", forge.with("aud", json!("someone-else"))),
        ("wrong issuer", forge.with("iss", json!("someone-else"))),
        (
            "another user",
            forge.with("sub", json!(uuid::Uuid::new_v4())),
        ),
        (
            "another secret",
            forge.with("key", json!(URL_SAFE_NO_PAD.encode([7u8; 32]))),
        ),
        ("not a token", "abc.def.ghi".to_owned()),
    ];
    for (what, token) in &forgeries {
        assert_eq!(status_with(&app, token).await, 401, "{what}");
    }

    // The token does not carry the session secret in the clear: it cannot become the cookie.
    let sid = forge.claims["sid"].as_str().expect("sid");
    let key = forge.claims["key"].as_str().expect("key");
    let as_cookie = app
        .client
        .get(format!("{}/api/v1/auth/me", app.address))
        .header(
            "cookie",
            format!("callvault_session={}.{key}", sid.replace('-', "")),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(as_cookie.status(), 401);

    // A revoked session's token is worthless at once.
    let response = app
        .client
        .post(format!("{}/api/v1/auth/logout", app.address))
        .bearer_auth(&session.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 204);
    assert_eq!(
        status_with(&app, &session.token).await,
        401,
        "revoked session"
    );
}

#[tokio::test]
async fn a_token_is_renewed_through_its_session() {
    let app = TestApp::spawn().await;
    let session = app.sign_in_root().await;
    let renewed: AccessToken = app
        .post_as("/api/v1/auth/token", &session, &json!({}))
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(status_with(&app, &renewed.access_token).await, 200);
}
