//! Tenant-held mode against the provider's own staff: every change that lowers protection
//! needs a statement signed by the tenant's key, whoever asks and through whichever account;
//! plaintext does not outlive the switch; and the tenant verifies its chain offline.

use callvault_shared::api::{KeyChain, KeyChainAction, Recording, StatementToSign};
use callvault_shared::crypto::{Native, RsaBits};
use callvault_shared::key_chain::{SignedStatement, Statement, verify_chain};
use callvault_shared::keys::RsaPrivateKey;
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::fixtures::{create_key, system_key, wav};
use crate::helpers::{Session, TestApp, USER_PASSWORD};
use callvault::infra::entities::recording;

/// A tenant that holds its own keys: `val` administers it, `k0` is its pinned key.
struct HeldTenant {
    id: String,
    val: Session,
    k0: RsaPrivateKey<Native>,
    k0_id: String,
}

fn new_key() -> RsaPrivateKey<Native> {
    RsaPrivateKey::generate(RsaBits::Rsa2048).expect("key")
}

/// `slug`, switched to tenant-held keys with its administrator's public key imported first.
async fn held_tenant(app: &TestApp, root: &Session, slug: &str) -> HeldTenant {
    system_key(app, root).await;
    let tenant = app.create_tenant(root, slug).await;
    app.create_user(root, slug, "val", "tenant_admin").await;
    let val = app.sign_in("val", USER_PASSWORD).await;
    let k0 = new_key();
    let key = create_key(
        app,
        &val,
        slug,
        json!({ "public_key_pem": k0.public_key().to_pem() }),
    )
    .await;
    let switched = app
        .patch_as(
            &format!("/api/v1/tenants/{slug}/encryption"),
            &val,
            &json!({ "mode": "tenant_held" }),
        )
        .await;
    assert_eq!(switched.status(), 200);
    let settings: Value = switched.json().await.expect("JSON");
    assert_eq!(settings["enabled"], true, "the switch turns encryption on");
    HeldTenant {
        id: tenant["id"].as_str().expect("id").to_owned(),
        val,
        k0,
        k0_id: key["id"].as_str().expect("id").to_owned(),
    }
}

/// A statement for `action` on the key `fingerprint` from the server, signed with `signer`.
async fn signed(
    app: &TestApp,
    session: &Session,
    slug: &str,
    action: KeyChainAction,
    fingerprint: &str,
    signer: &RsaPrivateKey<Native>,
) -> SignedStatement {
    let response = app
        .post_as(
            &format!("/api/v1/tenants/{slug}/keys/statements"),
            session,
            &json!({ "action": action, "key_fingerprint": fingerprint }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let issued: StatementToSign = response.json().await.expect("JSON");
    Statement::parse(&issued.statement)
        .expect("a statement")
        .sign(signer)
        .expect("signed")
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    session: &Session,
    body: Value,
    signed: Option<&SignedStatement>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.address))
        .bearer_auth(&session.token)
        .json(&body);
    if let Some(signed) = signed {
        let (statement, signature) = signed.header_values();
        request = request
            .header("Callvault-Statement", statement)
            .header("Callvault-Signature", signature);
    }
    request.send().await.expect("sent")
}

async fn refused(response: reqwest::Response, what: &str) -> String {
    assert_eq!(response.status(), 403, "{what}");
    let detail = response.text().await.expect("text");
    assert!(
        detail.contains("signed by the tenant's key"),
        "{what}: {detail}"
    );
    detail
}

async fn refusals(app: &TestApp, session: &Session, slug: &str) -> usize {
    let page: Value = app
        .get_as(
            &format!("/api/v1/tenants/{slug}/audit?action=key_chain.refused&limit=100"),
            session,
        )
        .await
        .json()
        .await
        .expect("JSON");
    page["events"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn no_staff_account_lowers_a_tenant_held_tenants_protection_without_its_key() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    let held = held_tenant(&app, &root, "heldco").await;
    let keys = "/api/v1/tenants/heldco/keys";
    let provider_key = new_key();
    let provider_pem = provider_key.public_key().to_pem();

    // A puppet administrator made by root.
    app.create_user(&root, "heldco", "puppet", "tenant_admin")
        .await;
    let puppet = app.sign_in("puppet", USER_PASSWORD).await;
    let answer = send(
        &app,
        Method::POST,
        keys,
        &puppet,
        json!({ "public_key_pem": provider_pem }),
        None,
    )
    .await;
    refused(answer, "a puppet adds the provider's key").await;
    // The real administrator's password, reset by root.
    let val_id = held.val.user["id"].as_str().expect("id").to_owned();
    let reset = app
        .post_as(
            &format!("/api/v1/tenants/heldco/users/{val_id}/reset-password"),
            &root,
            &json!({ "password": "a password root chose for val" }),
        )
        .await;
    assert_eq!(reset.status(), 200);
    let hijacked = app.sign_in("val", "a password root chose for val").await;
    let answer = send(
        &app,
        Method::PATCH,
        "/api/v1/tenants/heldco/encryption",
        &hijacked,
        json!({ "mode": "provider_held" }),
        None,
    )
    .await;
    refused(
        answer,
        "a reset administrator switches back to provider-held",
    )
    .await;
    // A user promoted by root.
    let ursula = app.create_user(&root, "heldco", "ursula", "user").await;
    let promoted = app
        .patch_as(
            &format!(
                "/api/v1/tenants/heldco/users/{}",
                ursula["id"].as_str().expect("id")
            ),
            &root,
            &json!({ "role": "tenant_admin" }),
        )
        .await;
    assert_eq!(promoted.status(), 200);
    let ursula = app.sign_in("ursula", USER_PASSWORD).await;
    let answer = send(
        &app,
        Method::PATCH,
        "/api/v1/tenants/heldco/encryption",
        &ursula,
        json!({ "enabled": false }),
        None,
    )
    .await;
    refused(answer, "a promoted user switches encryption off").await;
    // Root itself.
    let k0 = &held.k0_id;
    for (method, path, body, what) in [
        (
            Method::POST,
            format!("{keys}/{k0}/retire"),
            json!({}),
            "root retires the key",
        ),
        (
            Method::POST,
            format!("{keys}/{k0}/destroy"),
            json!({ "recordings_become_unrecoverable": true }),
            "root destroys the key",
        ),
        (
            Method::PATCH,
            "/api/v1/tenants/heldco/encryption".into(),
            json!({ "mode": "provider_held" }),
            "root switches back",
        ),
        (
            Method::PATCH,
            "/api/v1/tenants/heldco/encryption".into(),
            json!({ "enabled": false }),
            "root switches encryption off",
        ),
        (
            Method::POST,
            keys.to_owned(),
            json!({ "public_key_pem": provider_pem }),
            "root adds its key",
        ),
    ] {
        refused(send(&app, method, &path, &root, body, None).await, what).await;
    }
    let rewrap = app
        .post_as("/api/v1/tenants/heldco/rewrap", &root, &json!({}))
        .await;
    assert_eq!(rewrap.status(), 409, "nothing to re-wrap with");
    assert_eq!(
        refusals(&app, &root, "heldco").await,
        8,
        "every refusal is on the record"
    );

    // With the tenant's signature the legitimate rotation goes through, whoever sends it.
    let k1 = new_key();
    let k1_fp = k1.fingerprint().to_hex();
    let add = signed(
        &app,
        &puppet,
        "heldco",
        KeyChainAction::AddKey,
        &k1_fp,
        &held.k0,
    )
    .await;
    let added = send(
        &app,
        Method::POST,
        keys,
        &puppet,
        json!({ "public_key_pem": k1.public_key().to_pem() }),
        Some(&add),
    )
    .await;
    assert_eq!(added.status(), 201);
    let k1_id = added.json::<Value>().await.expect("JSON")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let activate = signed(
        &app,
        &hijacked,
        "heldco",
        KeyChainAction::ActivateKey,
        &k1_fp,
        &held.k0,
    )
    .await;
    let path = format!("{keys}/{k1_id}/activate");
    assert_eq!(
        send(
            &app,
            Method::POST,
            &path,
            &hijacked,
            json!({}),
            Some(&activate)
        )
        .await
        .status(),
        200
    );
    let k0_fp = held.k0.fingerprint().to_hex();
    let retire = signed(
        &app,
        &hijacked,
        "heldco",
        KeyChainAction::RetireKey,
        &k0_fp,
        &k1,
    )
    .await;
    let path = format!("{keys}/{k0}/retire");
    assert_eq!(
        send(
            &app,
            Method::POST,
            &path,
            &hijacked,
            json!({}),
            Some(&retire)
        )
        .await
        .status(),
        200
    );

    // A replayed statement, one signed by another key, and an expired one: refused alike.
    let replayed = send(
        &app,
        Method::POST,
        &path,
        &hijacked,
        json!({}),
        Some(&retire),
    )
    .await;
    let detail = refused(replayed, "a replayed statement").await;
    assert!(detail.contains("nonce was used already"), "{detail}");
    let by_provider = signed(
        &app,
        &root,
        "heldco",
        KeyChainAction::DestroyKey,
        &k0_fp,
        &provider_key,
    )
    .await;
    let destroy = format!("{keys}/{k0}/destroy");
    let body = json!({ "recordings_become_unrecoverable": true });
    let detail = refused(
        send(
            &app,
            Method::POST,
            &destroy,
            &root,
            body.clone(),
            Some(&by_provider),
        )
        .await,
        "signed by the provider's key",
    )
    .await;
    assert!(
        detail.contains("not by the tenant's active key"),
        "{detail}"
    );
    let mut stale = Statement::parse(
        &signed(
            &app,
            &hijacked,
            "heldco",
            KeyChainAction::DestroyKey,
            &k0_fp,
            &k1,
        )
        .await
        .text,
    )
    .expect("statement");
    stale.time -= chrono::Duration::minutes(11);
    let stale = stale.sign(&k1).expect("signed");
    let detail = refused(
        send(
            &app,
            Method::POST,
            &destroy,
            &hijacked,
            body.clone(),
            Some(&stale),
        )
        .await,
        "an expired statement",
    )
    .await;
    assert!(detail.contains("expired"), "{detail}");
    let destroy_signed = signed(
        &app,
        &root,
        "heldco",
        KeyChainAction::DestroyKey,
        &k0_fp,
        &k1,
    )
    .await;
    assert_eq!(
        send(
            &app,
            Method::POST,
            &destroy,
            &root,
            body,
            Some(&destroy_signed)
        )
        .await
        .status(),
        200
    );

    // The chain tells it all, and holds offline.
    let chain: KeyChain = app
        .get_as("/api/v1/tenants/heldco/keys/chain", &root)
        .await
        .json()
        .await
        .expect("chain");
    let actions: Vec<KeyChainAction> = chain.links.iter().map(|link| link.action).collect();
    assert_eq!(
        actions,
        [
            KeyChainAction::Pin,
            KeyChainAction::AddKey,
            KeyChainAction::ActivateKey,
            KeyChainAction::RetireKey,
            KeyChainAction::DestroyKey
        ]
    );
    assert_eq!(chain.tenant_id.to_string(), held.id);
    let verified = verify_chain::<Native>(&chain).expect("the chain holds");
    assert_eq!(verified.signer, Some(k1.fingerprint()));

    // Back to provider-held keys: the tenant's own decision, signed.
    let back = signed(
        &app,
        &hijacked,
        "heldco",
        KeyChainAction::ProviderHeld,
        &k1_fp,
        &k1,
    )
    .await;
    let answer = send(
        &app,
        Method::PATCH,
        "/api/v1/tenants/heldco/encryption",
        &hijacked,
        json!({ "mode": "provider_held" }),
        Some(&back),
    )
    .await;
    assert_eq!(answer.status(), 200);
}

#[tokio::test]
async fn a_chain_altered_in_the_database_stops_every_signed_change() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    let held = held_tenant(&app, &root, "heldco").await;
    // Someone with the database swaps the pinned key for theirs.
    let theirs = new_key();
    let db = app.db().await;
    sea_orm::ConnectionTrait::execute_unprepared(
        &db,
        &format!(
            "UPDATE key_chain_links SET key_fingerprint = '{}' WHERE seq = 1",
            theirs.fingerprint()
        ),
    )
    .await
    .expect("tampered");
    let k1 = new_key();
    let statement = Statement {
        tenant_id: held.id.parse().expect("uuid"),
        action: KeyChainAction::AddKey,
        key: k1.fingerprint(),
        nonce: "0123456789abcdef".into(),
        time: chrono::Utc::now(),
    };
    let signed = statement.sign(&theirs).expect("signed");
    let answer = send(
        &app,
        Method::POST,
        "/api/v1/tenants/heldco/keys",
        &held.val,
        json!({ "public_key_pem": k1.public_key().to_pem() }),
        Some(&signed),
    )
    .await;
    assert_eq!(answer.status(), 409);
    let detail = answer.text().await.expect("text");
    assert!(detail.contains("key chain does not verify"), "{detail}");
}

#[tokio::test]
async fn plaintext_recordings_are_sealed_when_the_tenant_begins_holding_its_keys() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    app.create_tenant(&root, "plainco").await;
    app.create_user(&root, "plainco", "pat", "tenant_admin")
        .await;
    let pat = app.sign_in("pat", USER_PASSWORD).await;
    let audio = [wav(30_000), wav(40_000)];
    let mut uploaded = Vec::new();
    for audio in &audio {
        let recording: Recording = app
            .upload(&pat, "plainco", audio)
            .await
            .json()
            .await
            .expect("JSON");
        assert!(!recording.sealed);
        uploaded.push(recording);
    }
    let db = app.db().await;
    let plaintext_objects: Vec<String> = recording::Entity::find()
        .all(&db)
        .await
        .expect("rows")
        .into_iter()
        .map(|row| row.object_key)
        .collect();
    assert_eq!(
        app.play(&root, "plainco", &uploaded[0].id.to_string())
            .await,
        audio[0]
    );

    // Switched with no key yet: staff get no plaintext, the tenant's own users still do.
    let switched = app
        .patch_as(
            "/api/v1/tenants/plainco/encryption",
            &pat,
            &json!({ "mode": "tenant_held" }),
        )
        .await;
    assert_eq!(switched.status(), 200);
    let id = uploaded[0].id;
    for path in [
        format!("/api/v1/tenants/plainco/recordings/{id}/audio"),
        format!("/api/v1/tenants/plainco/recordings/{id}/file"),
    ] {
        assert_eq!(app.get_as(&path, &root).await.status(), 403, "{path}");
    }
    let export = app
        .post_as(
            "/api/v1/tenants/plainco/recordings/export",
            &root,
            &json!({ "ids": [id] }),
        )
        .await;
    assert_eq!(export.status(), 403, "staff export of plaintext");
    assert_eq!(app.play(&pat, "plainco", &id.to_string()).await, audio[0]);

    // The first public key is pinned, and the plaintext is sealed to it.
    let k0 = new_key();
    create_key(
        &app,
        &pat,
        "plainco",
        json!({ "public_key_pem": k0.public_key().to_pem() }),
    )
    .await;
    let mut sealed = Vec::new();
    for _ in 0..200 {
        sealed = recording::Entity::find().all(&db).await.expect("rows");
        if sealed.iter().all(|row| row.sealed) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        sealed.iter().all(|row| row.sealed),
        "every recording is sealed"
    );
    let store = app.store().await;
    for key in &plaintext_objects {
        let gone = object_store::ObjectStoreExt::head(
            &store,
            &object_store::path::Path::from(key.as_str()),
        )
        .await;
        assert!(gone.is_err(), "the plaintext object {key} is gone");
    }
    for row in &sealed {
        assert_eq!(
            row.key_fingerprint.as_deref(),
            Some(k0.fingerprint().to_hex().as_str())
        );
        let stored = app.object(&row.object_key).await;
        let mut opened = Vec::new();
        callvault_shared::sealed::open(&k0, stored.as_slice(), &mut opened)
            .expect("opens with the tenant's key");
        let original = uploaded
            .iter()
            .position(|r| r.id == row.id)
            .expect("uploaded");
        assert_eq!(opened, audio[original]);
    }
    let played = app
        .get_as(
            &format!("/api/v1/tenants/plainco/recordings/{id}/audio"),
            &root,
        )
        .await;
    assert_eq!(played.status(), 403);
    let settings: Value = app
        .get_as("/api/v1/tenants/plainco/encryption", &pat)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(settings["enabled"], true);
}

#[tokio::test]
async fn callvault_verify_names_a_recording_sealed_to_a_key_outside_the_chain() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    let held = held_tenant(&app, &root, "heldco").await;
    let mut ids = Vec::new();
    for samples in [10_000, 12_000] {
        let recording: Recording = app
            .upload(&held.val, "heldco", &wav(samples))
            .await
            .json()
            .await
            .expect("JSON");
        assert!(recording.sealed);
        ids.push(recording.id);
    }
    let dir = app.data_dir.path();
    let chain = app
        .get_as("/api/v1/tenants/heldco/keys/chain", &held.val)
        .await
        .bytes()
        .await
        .expect("chain");
    std::fs::write(dir.join("chain.json"), &chain).expect("written");
    std::fs::write(dir.join("mine.pem"), held.k0.public_key().to_pem()).expect("written");
    let archive = app
        .post_as(
            "/api/v1/tenants/heldco/recordings/export",
            &held.val,
            &json!({ "ids": ids }),
        )
        .await;
    assert_eq!(archive.status(), 200);
    let honest = archive.bytes().await.expect("archive");
    std::fs::write(dir.join("honest.zip"), &honest).expect("written");

    let verify = |args: &[&str]| {
        let output = app
            .command()
            .arg("verify")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("runs");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned()
                + &String::from_utf8_lossy(&output.stderr),
        )
    };
    let (ok, said) = verify(&["--chain", "chain.json", "--key", "mine.pem", "honest.zip"]);
    assert!(ok, "{said}");
    assert!(
        said.contains("2 checked, 2 sealed only to keys of the chain"),
        "{said}"
    );

    // The same archive, with the second recording sealed to a key a modified server added.
    let foreign = new_key();
    let swapped = swap_second_recording(&honest, ids[1], &foreign);
    std::fs::write(dir.join("swapped.zip"), swapped).expect("written");
    let (ok, said) = verify(&["--chain", "chain.json", "swapped.zip"]);
    assert!(!ok, "{said}");
    assert!(
        said.contains(&format!(
            "recording {} is sealed to a key outside the chain",
            ids[1]
        )),
        "{said}"
    );
    assert!(
        !said.contains(&format!("recording {} is sealed", ids[0])),
        "{said}"
    );
    // A chain pinned to someone else's key is not the tenant's.
    std::fs::write(dir.join("theirs.pem"), foreign.public_key().to_pem()).expect("written");
    let (ok, said) = verify(&["--chain", "chain.json", "--key", "theirs.pem", "honest.zip"]);
    assert!(!ok && said.contains("not your key chain"), "{said}");
    // A script signs with the command line: the statement as the server gave it, the headers
    // as curl takes them.
    let k0_file = dir.join("k0.pem");
    std::fs::write(
        &k0_file,
        held.k0
            .to_encrypted_pem(b"a key file passphrase")
            .expect("PEM")
            .as_bytes(),
    )
    .expect("written");
    std::fs::write(dir.join("passphrase"), "a key file passphrase\n").expect("written");
    let k1 = new_key();
    let issued = app
        .post_as(
            "/api/v1/tenants/heldco/keys/statements",
            &held.val,
            &json!({ "action": "add_key", "key_fingerprint": k1.fingerprint().to_hex() }),
        )
        .await
        .bytes()
        .await
        .expect("statement");
    std::fs::write(dir.join("statement.json"), &issued).expect("written");
    let signed = app
        .command()
        .args([
            "tenant",
            "sign",
            "--key",
            "k0.pem",
            "--passphrase-file",
            "passphrase",
            "--statement",
            "statement.json",
        ])
        .current_dir(dir)
        .output()
        .expect("runs");
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    assert!(
        String::from_utf8_lossy(&signed.stderr).contains("add a public key"),
        "it says what it signs"
    );
    let mut request = app
        .client
        .post(format!("{}/api/v1/tenants/heldco/keys", app.address))
        .bearer_auth(&held.val.token)
        .json(&json!({ "public_key_pem": k1.public_key().to_pem() }));
    for line in String::from_utf8(signed.stdout).expect("text").lines() {
        let (name, value) = line.split_once(": ").expect("a header line");
        request = request.header(name, value);
    }
    assert_eq!(request.send().await.expect("sent").status(), 201);

    // A chain whose link was edited does not hold.
    let mut edited: KeyChain = serde_json::from_slice(&chain).expect("chain");
    edited.links[0].key_fingerprint = foreign.fingerprint().to_hex();
    std::fs::write(
        dir.join("edited.json"),
        serde_json::to_vec(&edited).expect("JSON"),
    )
    .expect("written");
    let (ok, said) = verify(&["--chain", "edited.json", "honest.zip"]);
    assert!(!ok && said.contains("does not hold"), "{said}");
}

/// `archive` with the recording `id` sealed again, to `foreign` alone.
fn swap_second_recording(
    archive: &[u8],
    id: uuid::Uuid,
    foreign: &RsaPrivateKey<Native>,
) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut reader = zip::ZipArchive::new(std::io::Cursor::new(archive)).expect("zip");
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for index in 0..reader.len() {
        let mut entry = reader.by_index(index).expect("entry");
        let name = entry.name().expect("name").into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read");
        if name.contains(&id.to_string()) && name.ends_with(".cvrec") {
            let mut resealed = Vec::new();
            callvault_shared::sealed::seal::<Native, _, _>(
                id.into_bytes(),
                "audio/wav",
                &[foreign.public_key()],
                wav(100).as_slice(),
                &mut resealed,
            )
            .expect("sealed");
            bytes = resealed;
        }
        writer
            .start_file(
                name,
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored),
            )
            .expect("entry");
        writer.write_all(&bytes).expect("written");
    }
    writer.finish().expect("finished").into_inner()
}
