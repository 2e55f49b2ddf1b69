//! Integrators' API tokens: a recorder's token uploads and nothing else; a CRM's token reads
//! and plays through its user's grants; secrets are shown once and stored only as verifiers;
//! revocation, expiry, a password reset and a narrower role take effect at once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use callvault::infra::entities::api_token;
use callvault_shared::api::{CreatedApiToken, Recording, RecordingPage, User};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel};
use serde_json::{Value, json};

use crate::fixtures::wav;
use crate::fixtures::{encrypted_tenant, system_key};
use crate::helpers::{Auth, Session, TestApp};

async fn upload_with(app: &TestApp, secret: &str, audio: &[u8]) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/tenants/acme/recordings", app.address))
        .bearer_auth(secret)
        .header("content-type", "audio/wav")
        .body(audio.to_vec())
        .send()
        .await
        .expect("sent")
}

async fn get_with(app: &TestApp, path: &str, secret: &str) -> reqwest::Response {
    app.request(Method::GET, path, Auth::ApiToken(secret), None)
        .await
}

#[tokio::test]
async fn a_recorder_uploads_a_crm_plays_and_every_ending_of_a_token_takes_effect_at_once() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;
    let recorder = a_recorders_secret_is_shown_once_and_never_stored(&app, &acme.admin).await;
    let audio = wav(4000);
    let id = the_recorder_uploads_and_reads_nothing(&app, &acme.admin, &recorder, &audio).await;
    a_crms_token_plays_until_it_is_revoked(&app, &acme.admin, &id, &audio).await;
    a_reset_and_a_demotion_narrow_the_users_tokens(
        &app,
        &root,
        &acme.admin,
        &recorder,
        &id,
        &audio,
    )
    .await;
    an_expired_token_is_refused(&app, &recorder, &audio).await;
}

async fn a_recorders_secret_is_shown_once_and_never_stored(
    app: &TestApp,
    admin: &Session,
) -> String {
    // The secret is in the creation answer only, and the database keeps no copy of it.
    let created: CreatedApiToken = app
        .post_as(
            "/api/v1/tenants/acme/tokens",
            admin,
            &json!({ "name": "recorder pbx-01", "scopes": ["upload"], "expires_in_days": 30 }),
        )
        .await
        .json()
        .await
        .expect("JSON");
    let recorder = created.secret;
    assert!(recorder.starts_with("cvt_"), "{recorder}");
    let secret_bytes = URL_SAFE_NO_PAD
        .decode(
            recorder
                .strip_prefix("cvt_")
                .and_then(|rest| rest.split_once('_'))
                .expect("cvt_<id>_<secret>")
                .1,
        )
        .unwrap_or_default();
    let listed = app
        .get_as("/api/v1/tenants/acme/tokens", admin)
        .await
        .text()
        .await
        .expect("text");
    assert!(listed.contains("recorder pbx-01") && !listed.contains(&recorder));
    let db = app.db().await;
    let rows = api_token::Entity::find().all(&db).await.expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(secret_bytes.len(), 32);
    assert!(
        !rows[0]
            .secret_hash
            .windows(secret_bytes.len())
            .any(|window| window == secret_bytes),
        "the stored verifier is the secret itself"
    );
    assert!(
        rows[0].sealed_user_key.is_none(),
        "an upload token holds no key"
    );

    recorder
}

async fn the_recorder_uploads_and_reads_nothing(
    app: &TestApp,
    admin: &Session,
    recorder: &str,
    audio: &[u8],
) -> String {
    // The recorder uploads, and reads nothing.
    let uploaded = upload_with(app, recorder, audio).await;
    assert_eq!(uploaded.status(), 201);
    let id = uploaded
        .json::<Recording>()
        .await
        .expect("JSON")
        .id
        .to_string();
    for path in [
        "/api/v1/tenants/acme/recordings".to_owned(),
        format!("/api/v1/tenants/acme/recordings/{id}/audio"),
        "/api/v1/tenants/acme/keys".to_owned(),
    ] {
        assert_eq!(get_with(app, &path, recorder).await.status(), 403, "{path}");
    }
    let events = app
        .get_as("/api/v1/tenants/acme/audit?action=recording.upload", admin)
        .await
        .text()
        .await
        .expect("text");
    assert!(
        events.contains("acme-admin (token recorder pbx-01)"),
        "the audit log names the token: {events}"
    );

    id
}

async fn a_crms_token_plays_until_it_is_revoked(
    app: &TestApp,
    admin: &Session,
    id: &str,
    audio: &[u8],
) {
    // A CRM's token lists and plays, through the administrator's grant on the tenant key.
    let (crm, crm_id) = app.create_api_token(admin, "acme", &["read", "play"]).await;
    let page: RecordingPage = get_with(app, "/api/v1/tenants/acme/recordings", &crm)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(page.recordings.len(), 1);
    let played = get_with(
        app,
        &format!("/api/v1/tenants/acme/recordings/{id}/audio"),
        &crm,
    )
    .await;
    assert_eq!(played.status(), 200);
    assert_eq!(played.bytes().await.expect("bytes"), audio);
    assert_eq!(upload_with(app, &crm, audio).await.status(), 403);
    // Not a person: no account routes, no tokens of its own.
    assert_eq!(app.me(Auth::ApiToken(&crm)).await.status(), 403);
    let minted = app
        .request(
            Method::POST,
            "/api/v1/tenants/acme/tokens",
            Auth::ApiToken(&crm),
            Some(&json!({ "name": "more", "scopes": ["read"] })),
        )
        .await;
    assert_eq!(minted.status(), 403);

    // Revoked: refused at once.
    let revoked = app
        .delete_as(&format!("/api/v1/tenants/acme/tokens/{crm_id}"), admin)
        .await;
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        get_with(app, "/api/v1/tenants/acme/recordings", &crm)
            .await
            .status(),
        401
    );
}

async fn a_reset_and_a_demotion_narrow_the_users_tokens(
    app: &TestApp,
    root: &Session,
    admin: &Session,
    recorder: &str,
    id: &str,
    audio: &[u8],
) {
    // A password reset gives the user a new key pair: tokens that carried the old one end,
    // upload-only tokens go on.
    let (player, _) = app.create_api_token(admin, "acme", &["play"]).await;
    let (exporter, _) = app.create_api_token(admin, "acme", &["export"]).await;
    let admin_id = serde_json::from_value::<User>(admin.user.clone())
        .expect("a user")
        .id;
    let reset = app
        .post_as(
            &format!("/api/v1/tenants/acme/users/{admin_id}/reset-password"),
            root,
            &json!({ "password": "a brand new password for ada" }),
        )
        .await;
    assert_eq!(reset.status(), 200);
    let path = format!("/api/v1/tenants/acme/recordings/{id}/audio");
    assert_eq!(get_with(app, &path, &player).await.status(), 401);
    assert_eq!(upload_with(app, recorder, audio).await.status(), 201);

    // A narrower role narrows its tokens: a plain user may not export.
    let everything = json!({ "filter": {} });
    let export = || {
        app.request(
            Method::POST,
            "/api/v1/tenants/acme/recordings/export",
            Auth::ApiToken(&exporter),
            Some(&everything),
        )
    };
    assert_eq!(export().await.status(), 200);
    let demoted = app
        .patch_as(
            &format!("/api/v1/tenants/acme/users/{admin_id}"),
            root,
            &json!({ "role": "user" }),
        )
        .await;
    assert_eq!(demoted.status(), 200);
    assert_eq!(export().await.status(), 403);
}

async fn an_expired_token_is_refused(app: &TestApp, recorder: &str, audio: &[u8]) {
    let db = app.db().await;
    // Expired: refused.
    let row = api_token::Entity::find()
        .all(&db)
        .await
        .expect("rows")
        .into_iter()
        .find(|row| row.scopes == "upload")
        .expect("the recorder's token");
    let mut expired = row.into_active_model();
    expired.expires_at = Set(chrono::Utc::now() - chrono::Duration::seconds(1));
    expired.update(&db).await.expect("expired");
    assert_eq!(upload_with(app, recorder, audio).await.status(), 401);
}

#[tokio::test]
async fn token_requests_that_make_no_sense_are_refused_and_create_nothing() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    app.create_user(&root, "acme", "sue", "supervisor").await;
    let sue = app.sign_in("sue", crate::helpers::USER_PASSWORD).await;
    let create = |body: Value| {
        let root = root.clone();
        let app = &app;
        async move {
            app.post_as("/api/v1/tenants/acme/tokens", &root, &body)
                .await
                .status()
                .as_u16()
        }
    };
    for (body, status) in [
        (json!({ "name": "x", "scopes": [] }), 400),
        (json!({ "name": "  ", "scopes": ["read"] }), 400),
        (json!({ "name": "x".repeat(101), "scopes": ["read"] }), 400),
        (json!({ "name": "x", "scopes": ["root"] }), 400),
        (
            json!({ "name": "x", "scopes": ["read"], "expires_in_days": 0 }),
            400,
        ),
        (
            json!({ "name": "x", "scopes": ["read"], "expires_in_days": 731 }),
            400,
        ),
        (
            json!({ "name": "x", "scopes": ["read"], "admin": true }),
            400,
        ),
    ] {
        assert_eq!(create(body.clone()).await, status, "{body}");
    }
    let by_supervisor = app
        .post_as(
            "/api/v1/tenants/acme/tokens",
            &sue,
            &json!({ "name": "mine", "scopes": ["read"] }),
        )
        .await;
    assert_eq!(by_supervisor.status(), 403);
    let db = app.db().await;
    assert!(
        api_token::Entity::find()
            .all(&db)
            .await
            .expect("rows")
            .is_empty()
    );
    assert_eq!(
        app.delete_as(
            &format!("/api/v1/tenants/acme/tokens/{}", uuid::Uuid::now_v7()),
            &root
        )
        .await
        .status(),
        404
    );
    // Garbage where a token belongs is a 401, not a 500.
    for garbage in [
        "cvt_",
        "cvt_zz_zz",
        "cvt_0123456789abcdef0123456789abcdef_short",
    ] {
        assert_eq!(
            get_with(&app, "/api/v1/tenants/acme", garbage)
                .await
                .status(),
            401,
            "{garbage}"
        );
    }
}
