//! Encryption keys: the check-list, the grant rule, export and import, tenant-held mode,
//! rotation with rewrap, and destruction.

use std::process::Command;

use callvault::infra::entities::{job, recording};
use callvault_shared::api::{
    Checklist, EncryptionKey, EncryptionSettings, Job, KeyDestroyed, KeyOrigin, KeyState,
    PasswordResetOutcome, Recording, Tenant, User,
};
use callvault_shared::crypto::{Native, RsaBits};
use callvault_shared::keys::RsaPrivateKey;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde_json::{Value, json};

use crate::fixtures::{
    EXPORT_PASSPHRASE, create_key, enable, encrypted_tenant, encryption, export, sha256,
    system_key, wav,
};
use crate::helpers::{Session, TestApp, USER_PASSWORD};

/// What a fixture answered as JSON, read as the API type it is.
fn typed<T: serde::de::DeserializeOwned>(value: &Value) -> T {
    serde_json::from_value(value.clone()).expect("the API's type")
}

/// Every step of the check-list done.
const COMPLETE: Checklist = Checklist {
    key_present: true,
    key_exported: true,
    grants_present: true,
    encryption_on: true,
};

#[tokio::test]
async fn the_checklist_completes_for_the_system_account_and_a_tenant() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    app.create_user(&root, "acme", "ada", "tenant_admin").await;
    let ada = app.sign_in("ada", USER_PASSWORD).await;

    // No tenant key before the System account's.
    let early = app
        .post_as("/api/v1/tenants/acme/keys", &ada, &json!({ "bits": 2048 }))
        .await;
    assert_eq!(early.status(), 409);
    assert!(
        early
            .text()
            .await
            .expect("text")
            .contains("System account's key")
    );

    // The System account: key (default size), export, grant (root holds it), encryption on.
    let fresh: EncryptionSettings = typed(&encryption(&app, &root, "system").await);
    assert_eq!(
        fresh.checklist,
        Checklist {
            key_present: false,
            key_exported: false,
            grants_present: false,
            encryption_on: false
        }
    );
    let key_json = create_key(&app, &root, "system", json!({ "bits": 3072 })).await;
    let key: EncryptionKey = typed(&key_json);
    assert_eq!(key.bits, 3072);
    assert_eq!(key.origin, KeyOrigin::Generated);
    assert!(key.active);
    assert_eq!(key.holders[0].username, "root");
    assert_eq!(key.fingerprint.len(), 64);
    let short = app
        .post_as(
            &format!("/api/v1/tenants/system/keys/{}/export", key.id),
            &root,
            &json!({ "passphrase": "too short" }),
        )
        .await;
    assert_eq!(short.status(), 400);
    let pem = export(&app, &root, "system", &key_json).await;
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    enable(&app, &root, "system").await;
    let done: EncryptionSettings = typed(&encryption(&app, &root, "system").await);
    assert_eq!(done.checklist, COMPLETE);

    // A tenant, by its administrator.
    let tenant_key = create_key(&app, &ada, "acme", json!({ "bits": 2048 })).await;
    export(&app, &ada, "acme", &tenant_key).await;
    enable(&app, &ada, "acme").await;
    let done: EncryptionSettings = typed(&encryption(&app, &ada, "acme").await);
    assert_eq!(done.checklist, COMPLETE, "{done:?}");

    // Bad input names the problem and stores nothing.
    for (body, expected) in [
        (json!({ "bits": 1024 }), "too small"),
        (json!({ "bits": 2500 }), "not supported"),
        (
            json!({ "private_key_pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" }),
            "malformed",
        ),
        (
            json!({ "private_key_pem": pem, "passphrase": "the wrong passphrase" }),
            "wrong passphrase",
        ),
        (json!({ "private_key_pem": pem }), "needs its passphrase"),
        (
            json!({ "private_key_pem": RsaPrivateKey::<Native>::generate(RsaBits::Rsa2048).expect("key").public_key().to_pem() }),
            "public key",
        ),
    ] {
        let response = app.post_as("/api/v1/tenants/acme/keys", &ada, &body).await;
        let status = response.status();
        let text = response.text().await.expect("text");
        assert_eq!(status, 400, "{text}");
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }
    let duplicate = app
        .post_as(
            "/api/v1/tenants/system/keys",
            &root,
            &json!({ "private_key_pem": pem, "passphrase": EXPORT_PASSPHRASE }),
        )
        .await;
    assert_eq!(duplicate.status(), 409);
    let keys: Vec<EncryptionKey> = app
        .get_as("/api/v1/tenants/acme/keys", &ada)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(keys.len(), 1);
}

#[tokio::test]
async fn only_a_holder_grants_within_the_tenant_and_a_role_never_suffices() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;
    let sam: User = typed(&app.create_user(&root, "acme", "sam", "supervisor").await);
    app.create_user(&root, "acme", "tom", "tenant_admin").await;
    app.sign_in("sam", USER_PASSWORD).await;
    app.sign_in("tom", USER_PASSWORD).await;
    app.create_tenant(&root, "beta").await;
    let stranger: User = typed(&app.create_user(&root, "beta", "stranger", "user").await);
    let acme_key: EncryptionKey = typed(&acme.key);
    let key_id = acme_key.id;
    let grants = format!("/api/v1/tenants/acme/keys/{key_id}/grants");

    // Root, without a grant, cannot grant, export or play.
    let response = app
        .post_as(&grants, &root, &json!({ "user_id": sam.id }))
        .await;
    assert_eq!(response.status(), 403);
    assert!(response.text().await.expect("text").contains("no grant"));
    let uploaded: Recording = app
        .upload(&root, "acme", &wav(40_000))
        .await
        .json()
        .await
        .expect("JSON");
    assert!(uploaded.sealed);
    assert_eq!(uploaded.key_fingerprint, Some(acme_key.fingerprint.clone()));
    let id = uploaded.id.to_string();
    let audio = format!("/api/v1/tenants/acme/recordings/{id}/audio");
    assert_eq!(app.get_as(&audio, &root).await.status(), 403);

    // Tom is an administrator too, without a grant: refused as well.
    let tom_session = app.sign_in("tom", USER_PASSWORD).await;
    assert_eq!(
        app.post_as(&grants, &tom_session, &json!({ "user_id": sam.id }))
            .await
            .status(),
        403
    );

    // A user of another tenant is not found from here.
    let response = app
        .post_as(&grants, &acme.admin, &json!({ "user_id": stranger.id }))
        .await;
    assert_eq!(response.status(), 404);

    // The holder grants; the supervisor plays exactly what was uploaded.
    let response = app
        .post_as(&grants, &acme.admin, &json!({ "user_id": sam.id }))
        .await;
    assert_eq!(response.status(), 201);
    let again = app
        .post_as(&grants, &acme.admin, &json!({ "user_id": sam.id }))
        .await;
    assert_eq!(again.status(), 409);
    let sam_session = app.sign_in("sam", USER_PASSWORD).await;
    let played = app.play(&sam_session, "acme", &id).await;
    assert_eq!(played, wav(40_000));
    assert_eq!(sha256(&played), uploaded.sha256);

    // Seeking: a range, a suffix, and beyond the end.
    let ranged = |range: &'static str| {
        app.client
            .get(format!("{}{audio}", app.address))
            .bearer_auth(&sam_session.token)
            .header("range", range)
            .send()
    };
    let part = ranged("bytes=20000-40999").await.expect("sent");
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 20000-40999/{}", played.len())
    );
    assert_eq!(part.bytes().await.expect("bytes"), played[20000..41000]);
    let tail = ranged("bytes=-100").await.expect("sent");
    assert_eq!(
        tail.bytes().await.expect("bytes"),
        played[played.len() - 100..]
    );
    let beyond = ranged("bytes=999999999-").await.expect("sent");
    assert_eq!(beyond.status(), 416);

    // Revoking takes it away at once; a reset voids the grant too.
    let revoke = format!("{grants}/{}", sam.id);
    assert_eq!(app.delete_as(&revoke, &acme.admin).await.status(), 204);
    assert_eq!(app.get_as(&audio, &sam_session).await.status(), 403);
    app.post_as(&grants, &acme.admin, &json!({ "user_id": sam.id }))
        .await;
    assert_eq!(app.get_as(&audio, &sam_session).await.status(), 200);
    let reset: PasswordResetOutcome = app
        .post_as(
            &format!("/api/v1/tenants/acme/users/{}/reset-password", sam.id),
            &acme.admin,
            &json!({ "password": "sam's brand new password" }),
        )
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(reset.grants_removed, 1);
    let sam_session = app.sign_in("sam", "sam's brand new password").await;
    assert_eq!(app.get_as(&audio, &sam_session).await.status(), 403);
}

#[tokio::test]
async fn an_exported_key_opens_with_openssl_and_in_a_fresh_instance() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;
    let acme_key: EncryptionKey = typed(&acme.key);
    let audio = wav(30_000);
    let uploaded: Recording = app
        .upload(&acme.admin, "acme", &audio)
        .await
        .json()
        .await
        .expect("JSON");
    let pem = export(&app, &acme.admin, "acme", &acme.key).await;
    let dir = tempfile::tempdir().expect("dir");
    let key_file = dir.path().join("key.pem");
    std::fs::write(&key_file, &pem).expect("written");

    // OpenSSL opens it, and its public key has the fingerprint the API shows.
    let der = Command::new("openssl")
        .args(["pkey", "-in"])
        .arg(&key_file)
        .args([
            "-passin",
            &format!("pass:{EXPORT_PASSPHRASE}"),
            "-pubout",
            "-outform",
            "DER",
        ])
        .output()
        .expect("openssl runs");
    assert!(
        der.status.success(),
        "{}",
        String::from_utf8_lossy(&der.stderr)
    );
    assert_eq!(sha256(&der.stdout), acme_key.fingerprint);

    // The stored object is a sealed file the command line opens with the exported key.
    let db = app.db().await;
    let row = recording::Entity::find_by_id(uploaded.id)
        .one(&db)
        .await
        .expect("query")
        .expect("row");
    let stored = app.object(&row.object_key).await;
    assert!(stored.starts_with(b"CVREC\r\n\x1a"));
    assert!(
        !stored
            .windows(64)
            .any(|w| audio.windows(64).next() == Some(w))
    );
    let object = dir.path().join("stored.cvrec");
    std::fs::write(&object, &stored).expect("written");
    let passphrase_file = dir.path().join("passphrase");
    std::fs::write(&passphrase_file, EXPORT_PASSPHRASE).expect("written");
    let opened = dir.path().join("opened.wav");
    let output = Command::new(env!("CARGO_BIN_EXE_callvault"))
        .args(["open", "--key"])
        .arg(&key_file)
        .arg("--passphrase-file")
        .arg(&passphrase_file)
        .arg(&object)
        .arg(&opened)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(std::fs::read(&opened).expect("opened"), audio);

    // A fresh instance: the imported file opens what the first one sealed.
    let second = TestApp::spawn().await;
    let root2 = second.sign_in_root().await;
    system_key(&second, &root2).await;
    second.create_tenant(&root2, "acme").await;
    second
        .create_user(&root2, "acme", "ada2", "tenant_admin")
        .await;
    let ada2 = second.sign_in("ada2", USER_PASSWORD).await;
    let imported: EncryptionKey = typed(
        &create_key(
            &second,
            &ada2,
            "acme",
            json!({ "private_key_pem": pem, "passphrase": EXPORT_PASSPHRASE }),
        )
        .await,
    );
    assert_eq!(imported.fingerprint, acme_key.fingerprint);
    assert_eq!(imported.origin, KeyOrigin::Imported);
    // The recording moves over as the archive import will move it: the sealed object as it
    // is, and its catalogue row pointing at the imported key.
    let db2 = second.db().await;
    {
        use object_store::ObjectStoreExt;
        second
            .store()
            .await
            .put(
                &object_store::path::Path::from(row.object_key.as_str()),
                stored.clone().into(),
            )
            .await
            .expect("copied");
    }
    let tenant2: Tenant = second
        .get_as("/api/v1/tenants/acme", &ada2)
        .await
        .json()
        .await
        .expect("JSON");
    let mut moved = row.clone().into_active_model();
    moved.tenant_id = sea_orm::ActiveValue::Set(tenant2.id);
    moved.key_id = sea_orm::ActiveValue::Set(Some(imported.id));
    moved.created_by = sea_orm::ActiveValue::Set(None);
    moved.reset_all().insert(&db2).await.expect("inserted");
    let played = second.play(&ada2, "acme", &uploaded.id.to_string()).await;
    assert_eq!(played, audio);
}

#[tokio::test]
async fn a_tenant_held_key_leaves_no_private_key_material_on_the_server() {
    // The real binary, so that its whole log (at debug level) can be searched too.
    let app = TestApp::spawn_process().await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    app.create_tenant(&root, "vault").await;
    app.create_user(&root, "vault", "val", "tenant_admin").await;
    let val = app.sign_in("val", USER_PASSWORD).await;
    let mode = app
        .patch_as(
            "/api/v1/tenants/vault/encryption",
            &val,
            &json!({ "mode": "tenant_held" }),
        )
        .await;
    assert_eq!(mode.status(), 200);

    // The tenant's own key pair, made on its side; the provider gets the public half.
    let private = RsaPrivateKey::<Native>::generate(RsaBits::Rsa2048).expect("key");
    let private_der = private.to_pkcs8_der().expect("DER");
    let private_pem = private
        .to_encrypted_pem(EXPORT_PASSPHRASE.as_bytes())
        .expect("PEM");
    let public_pem = private.public_key().to_pem();
    let key: EncryptionKey =
        typed(&create_key(&app, &val, "vault", json!({ "public_key_pem": public_pem })).await);
    assert_eq!(key.origin, KeyOrigin::PublicOnly);
    assert!(key.holders.is_empty());
    enable(&app, &val, "vault").await;
    let settings: EncryptionSettings = typed(&encryption(&app, &val, "vault").await);
    assert_eq!(settings.checklist, COMPLETE, "{settings:?}");

    let audio = wav(20_000);
    let uploaded: Recording = app
        .upload(&val, "vault", &audio)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(uploaded.key_fingerprint, Some(key.fingerprint.clone()));
    let id = uploaded.id;
    let key_id = key.id;
    let val_user: User = typed(&val.user);

    // Every key endpoint, tried: nothing takes a private key, nothing opens the recordings.
    let tries = [
        app.post_as("/api/v1/tenants/vault/keys", &val, &json!({ "bits": 2048 }))
            .await,
        app.post_as(
            "/api/v1/tenants/vault/keys",
            &val,
            &json!({ "private_key_pem": *private_pem, "passphrase": EXPORT_PASSPHRASE }),
        )
        .await,
        app.post_as(
            &format!("/api/v1/tenants/vault/keys/{key_id}/export"),
            &val,
            &json!({ "passphrase": EXPORT_PASSPHRASE }),
        )
        .await,
        app.post_as(
            &format!("/api/v1/tenants/vault/keys/{key_id}/grants"),
            &val,
            &json!({ "user_id": val_user.id }),
        )
        .await,
        app.get_as(
            &format!("/api/v1/tenants/vault/recordings/{id}/audio"),
            &val,
        )
        .await,
        app.get_as(
            &format!("/api/v1/tenants/vault/recordings/{id}/audio"),
            &root,
        )
        .await,
    ];
    let statuses: Vec<u16> = tries.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [409, 409, 409, 409, 403, 403]);
    // Provider staff cannot put a key of theirs in, nor switch the tenant back or off.
    let staff = [
        app.post_as("/api/v1/tenants/vault/keys", &root, &json!({ "public_key_pem": RsaPrivateKey::<Native>::generate(RsaBits::Rsa2048).expect("key").public_key().to_pem() })).await,
        app.patch_as("/api/v1/tenants/vault/encryption", &root, &json!({ "mode": "provider_held" })).await,
        app.patch_as("/api/v1/tenants/vault/encryption", &root, &json!({ "enabled": false })).await,
        app.post_as(&format!("/api/v1/tenants/vault/keys/{key_id}/activate"), &root, &json!({})).await,
    ];
    let statuses: Vec<u16> = staff.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [403, 403, 403, 403]);
    let said = app
        .get_as(
            &format!("/api/v1/tenants/vault/recordings/{id}/audio"),
            &root,
        )
        .await
        .text()
        .await
        .expect("text");
    assert!(said.contains("tenant-held"), "{said}");
    let public = app
        .get_as(
            &format!("/api/v1/tenants/vault/keys/{key_id}/public-key"),
            &val,
        )
        .await;
    assert_eq!(public.text().await.expect("PEM"), public_pem);

    // The tenant's side opens the file with its own key.
    let db = app.db().await;
    let row = recording::Entity::find_by_id(id)
        .one(&db)
        .await
        .expect("query")
        .expect("row");
    let stored = app.object(&row.object_key).await;
    let mut opened = Vec::new();
    callvault_shared::sealed::open(&private, stored.as_slice(), &mut opened).expect("opens");
    assert_eq!(opened, audio);

    let needles: Vec<Vec<u8>> = vec![
        private_der.expose()[..64].to_vec(),
        private_der.expose()[private_der.len() - 64..].to_vec(),
        private_pem.as_bytes()[40..100].to_vec(),
    ];
    assert_nothing_holds(&app, &db, &needles).await;
}

/// Neither the server's log, nor any file of its data directory (the database and the objects
/// on SQLite), nor any key or audit row holds any of `needles`.
async fn assert_nothing_holds(
    app: &TestApp,
    db: &sea_orm::DatabaseConnection,
    needles: &[Vec<u8>],
) {
    // Scan everything the server wrote: its log, the database and the object store (the data
    // directory holds all three on SQLite), and every database row when it is PostgreSQL.
    let log =
        std::fs::read_to_string(app.data_dir.path().join(crate::helpers::SERVER_LOG)).expect("log");
    assert!(
        log.contains("/api/v1/tenants/{tenant}/keys"),
        "the log is the server's"
    );
    let mut files = vec![app.data_dir.path().to_path_buf()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(
                std::fs::read_dir(&path)
                    .expect("dir")
                    .map(|entry| entry.expect("entry").path()),
            );
        } else {
            let bytes = std::fs::read(&path).expect("file");
            for needle in needles {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                    "private key bytes in {}",
                    path.display()
                );
            }
        }
    }
    let rows = format!(
        "{:?}{:?}",
        callvault::infra::entities::encryption_key::Entity::find()
            .all(db)
            .await
            .expect("keys"),
        callvault::infra::entities::audit_event::Entity::find()
            .all(db)
            .await
            .expect("audit"),
    );
    for needle in needles {
        assert!(!rows.contains(&format!("{:?}", &needle[..16])[1..40]));
    }
}

#[tokio::test]
async fn rotation_then_rewrap_moves_every_recording_and_resumes_after_a_restart() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;
    let old_key = typed::<EncryptionKey>(&acme.key).id;
    let mut uploads = Vec::new();
    for size in [10_000, 17_000, 33_000] {
        let audio = wav(size);
        let uploaded: Recording = app
            .upload(&acme.admin, "acme", &audio)
            .await
            .json()
            .await
            .expect("JSON");
        uploads.push((uploaded, audio));
    }

    // A new key, active; the old one retired: new recordings use the new one, old ones play.
    let new_key: EncryptionKey =
        typed(&create_key(&app, &acme.admin, "acme", json!({ "bits": 2048 })).await);
    let new_id = new_key.id;
    assert!(!new_key.active);
    let activate = app
        .post_as(
            &format!("/api/v1/tenants/acme/keys/{new_id}/activate"),
            &acme.admin,
            &json!({}),
        )
        .await;
    assert_eq!(activate.status(), 200);
    let retire = app
        .post_as(
            &format!("/api/v1/tenants/acme/keys/{old_key}/retire"),
            &acme.admin,
            &json!({}),
        )
        .await;
    assert_eq!(retire.status(), 200);
    let again = app
        .post_as(
            &format!("/api/v1/tenants/acme/keys/{old_key}/activate"),
            &acme.admin,
            &json!({}),
        )
        .await;
    assert_eq!(again.status(), 409, "a retired key never seals again");
    let audio = wav(5_000);
    let newest: Recording = app
        .upload(&acme.admin, "acme", &audio)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(newest.key_fingerprint, Some(new_key.fingerprint.clone()));
    uploads.push((newest, audio));
    for (uploaded, audio) in &uploads {
        assert_eq!(
            &app.play(&acme.admin, "acme", &uploaded.id.to_string())
                .await,
            audio
        );
    }

    // A rewrap that an instance began and died in: its lease ran out, its progress is kept.
    let db = app.db().await;
    let (tenant_id, interrupted) = a_rewrap_that_died(&app, &acme.admin, &db).await;

    // The restarted server (another process on the same database and store) resumes it.
    let restarted = app.another_instance().await;
    let response = app
        .client
        .post(format!("{restarted}/api/v1/tenants/acme/rewrap"))
        .bearer_auth(&acme.admin.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 202);
    let started: Job = response.json().await.expect("JSON");
    assert_eq!(started.id, interrupted.id, "the interrupted job resumes");
    let mut finished = None;
    for _ in 0..100 {
        let polled: Job = app
            .get_as(&format!("/api/v1/jobs/{}", interrupted.id), &acme.admin)
            .await
            .json()
            .await
            .expect("JSON");
        let done = polled.state == callvault_shared::api::JobState::Done;
        finished = Some(polled);
        if done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let finished = finished.expect("polled");
    assert_eq!(
        finished.state,
        callvault_shared::api::JobState::Done,
        "{finished:?}"
    );
    assert_eq!((finished.done, finished.failed), (3, 0));

    // Every recording is on the new key, and plays byte for byte as before.
    let rows = recording::Entity::find()
        .filter(recording::Column::TenantId.eq(tenant_id))
        .all(&db)
        .await
        .expect("rows");
    assert!(rows.iter().all(|row| row.key_id == Some(new_id)));
    for (uploaded, audio) in &uploads {
        let played = app
            .play(&acme.admin, "acme", &uploaded.id.to_string())
            .await;
        assert_eq!(&played, audio);
        assert_eq!(sha256(&played), uploaded.sha256);
    }
    // The old objects are gone: only the rewritten ones are left.
    let objects = app.object_count("recordings").await;
    assert_eq!(objects, uploads.len());
}

/// A rewrap job that an instance began and died in: running, its lease run out.
async fn a_rewrap_that_died(
    app: &TestApp,
    admin: &Session,
    db: &sea_orm::DatabaseConnection,
) -> (uuid::Uuid, job::Model) {
    let tenant: Value = app
        .get_as("/api/v1/tenants/acme", admin)
        .await
        .json()
        .await
        .expect("JSON");
    let tenant_id = uuid::Uuid::parse_str(tenant["id"].as_str().expect("id")).expect("uuid");
    let interrupted = job::Model {
        id: uuid::Uuid::now_v7(),
        tenant_id,
        kind: callvault_shared::api::JobKind::Rewrap,
        state: callvault_shared::api::JobState::Running,
        done: 0,
        total: 3,
        failed: 0,
        lease_owner: Some("instance-that-died".into()),
        lease_expires_at: Some(chrono::Utc::now() - chrono::Duration::minutes(1)),
        error: None,
        created_by: None,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    }
    .into_active_model()
    .insert(db)
    .await
    .expect("job");
    (tenant_id, interrupted)
}

#[tokio::test]
async fn destroying_a_key_says_what_becomes_unrecoverable() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;
    let first: Recording = app
        .upload(&acme.admin, "acme", &wav(9_000))
        .await
        .json()
        .await
        .expect("JSON");
    app.upload(&acme.admin, "acme", &wav(9_500)).await;
    let key_id = typed::<EncryptionKey>(&acme.key).id;
    let destroy = format!("/api/v1/tenants/acme/keys/{key_id}/destroy");
    // The last holder cannot walk away quietly: that is what destroy is for.
    let admin_id = typed::<User>(&acme.admin.user).id;
    let revoke = app
        .delete_as(
            &format!("/api/v1/tenants/acme/keys/{key_id}/grants/{admin_id}"),
            &acme.admin,
        )
        .await;
    assert_eq!(revoke.status(), 409);
    assert!(revoke.text().await.expect("text").contains("last holder"));
    let delete = app
        .delete_as(&format!("/api/v1/tenants/acme/users/{admin_id}"), &root)
        .await;
    assert_eq!(delete.status(), 409);

    let active = app
        .post_as(
            &destroy,
            &acme.admin,
            &json!({ "recordings_become_unrecoverable": true }),
        )
        .await;
    assert_eq!(
        active.status(),
        409,
        "the active key while encryption is on"
    );
    app.patch_as(
        "/api/v1/tenants/acme/encryption",
        &acme.admin,
        &json!({ "enabled": false }),
    )
    .await;
    let refused = app.post_as(&destroy, &acme.admin, &json!({})).await;
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await.expect("text").contains("2 recordings"));
    let destroyed = app
        .post_as(
            &destroy,
            &acme.admin,
            &json!({ "recordings_become_unrecoverable": true }),
        )
        .await;
    assert_eq!(destroyed.status(), 200);
    let outcome: KeyDestroyed = destroyed.json().await.expect("JSON");
    assert_eq!(outcome.recordings_unrecoverable, 2);
    assert_eq!(outcome.grants_removed, 1);
    assert_eq!(outcome.key.state, KeyState::Destroyed);
    let played = app
        .get_as(
            &format!("/api/v1/tenants/acme/recordings/{}/audio", first.id),
            &acme.admin,
        )
        .await;
    assert_eq!(played.status(), 410);
    assert!(played.text().await.expect("text").contains("unrecoverable"));
}
