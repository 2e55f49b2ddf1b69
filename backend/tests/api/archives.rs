//! Archives: export, import into another instance, refusal of bad archives. The backup
//! restore drill is in `restore.rs`.

use std::io::Write;

use callvault_shared::api::{EncryptionKey, ImportOutcome, Recording, RecordingPage};
use serde_json::{Value, json};
use zip::write::SimpleFileOptions;

use crate::fixtures::wav;
use crate::fixtures::{EXPORT_PASSPHRASE, create_key, encrypted_tenant, export, system_key};
use crate::helpers::{Session, TestApp, USER_PASSWORD};

async fn export_archive(app: &TestApp, session: &Session, tenant: &str, body: Value) -> Vec<u8> {
    let response = app
        .post_as(
            &format!("/api/v1/tenants/{tenant}/recordings/export"),
            session,
            &body,
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    response.bytes().await.expect("bytes").to_vec()
}

async fn import_archive(
    app: &TestApp,
    session: &Session,
    tenant: &str,
    archive: Vec<u8>,
) -> reqwest::Response {
    app.import_archive(session, tenant, &archive, None).await
}

async fn count(app: &TestApp, session: &Session, tenant: &str) -> usize {
    let page: RecordingPage = app
        .get_as(&format!("/api/v1/tenants/{tenant}/recordings"), session)
        .await
        .json()
        .await
        .expect("JSON");
    page.recordings.len()
}

#[tokio::test]
async fn an_exported_archive_moves_to_another_instance_and_plays_once_its_key_is_there() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;
    let audio = [wav(12_000), wav(31_000)];
    let mut ids = Vec::new();
    for (index, bytes) in audio.iter().enumerate() {
        let response = app
            .client
            .post(format!(
                "{}/api/v1/tenants/acme/recordings?caller=caller-{index}",
                app.address
            ))
            .bearer_auth(&acme.admin.token)
            .body(bytes.clone())
            .send()
            .await
            .expect("sent");
        let uploaded: Recording = response.json().await.expect("JSON");
        ids.push(uploaded.id.to_string());
    }
    let archive = export_archive(&app, &acme.admin, "acme", json!({ "ids": ids })).await;
    // Nothing decrypted went into it.
    for bytes in &audio {
        assert!(
            !archive
                .windows(256)
                .any(|window| window == &bytes[4096..4352])
        );
    }
    let filtered = export_archive(
        &app,
        &acme.admin,
        "acme",
        json!({ "filter": { "caller": "caller-1" } }),
    )
    .await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(filtered)).expect("a ZIP");
    assert_eq!(zip.len(), 2, "one recording and the manifest");
    // A filter with paging the document does not allow is refused, as the listing refuses it.
    let paged_too_far = app
        .post_as(
            "/api/v1/tenants/acme/recordings/export",
            &acme.admin,
            &json!({ "filter": { "page": 2_000_000 } }),
        )
        .await;
    assert_eq!(paged_too_far.status(), 400);
    let manifest: Value =
        serde_json::from_reader(zip.by_name("manifest.json").expect("manifest")).expect("JSON");
    assert_eq!(manifest["recordings"][0]["id"], ids[1].as_str());
    let acme_key: EncryptionKey = serde_json::from_value(acme.key.clone()).expect("a key");
    assert_eq!(
        manifest["recordings"][0]["key_fingerprint"],
        acme_key.fingerprint
    );
    let key_file = export(&app, &acme.admin, "acme", &acme.key).await;

    // The tenant's own instance.
    let second = TestApp::spawn().await;
    let root2 = second.sign_in_root().await;
    system_key(&second, &root2).await;
    second.create_tenant(&root2, "acme-own").await;
    second
        .create_user(&root2, "acme-own", "owner", "tenant_admin")
        .await;
    let owner = second.sign_in("owner", USER_PASSWORD).await;
    let imported = import_archive(&second, &owner, "acme-own", archive.clone()).await;
    assert_eq!(imported.status(), 200);
    assert_eq!(
        imported.json::<ImportOutcome>().await.expect("JSON"),
        ImportOutcome {
            imported: 2,
            already_present: 0,
            skipped: 0,
        }
    );
    let again = import_archive(&second, &owner, "acme-own", archive).await;
    assert_eq!(
        again.json::<ImportOutcome>().await.expect("JSON"),
        ImportOutcome {
            imported: 0,
            already_present: 2,
            skipped: 0,
        }
    );
    assert_eq!(count(&second, &owner, "acme-own").await, 2);

    let audio_path = format!("/api/v1/tenants/acme-own/recordings/{}/audio", ids[0]);
    let before_key = second.get_as(&audio_path, &owner).await;
    assert_eq!(before_key.status(), 409);
    assert!(
        before_key
            .text()
            .await
            .expect("text")
            .contains("import that key")
    );
    create_key(
        &second,
        &owner,
        "acme-own",
        json!({ "private_key_pem": key_file, "passphrase": EXPORT_PASSPHRASE }),
    )
    .await;
    for (id, bytes) in ids.iter().zip(&audio) {
        assert_eq!(&second.play(&owner, "acme-own", id).await, bytes);
    }
}

/// A valid archive of one recording, as `(archive, manifest, file name, file bytes)`.
async fn one_recording_archive() -> (TestApp, Session, Vec<u8>, Value, String, Vec<u8>) {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    let uploaded: Recording = app
        .upload(&root, "acme", &wav(3_000))
        .await
        .json()
        .await
        .expect("JSON");
    let archive = export_archive(&app, &root, "acme", json!({ "ids": [uploaded.id] })).await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive.clone())).expect("ZIP");
    let manifest: Value =
        serde_json::from_reader(zip.by_name("manifest.json").expect("manifest")).expect("JSON");
    let name = manifest["recordings"][0]["file"]
        .as_str()
        .expect("name")
        .to_owned();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_name(&name).expect("file"), &mut bytes).expect("read");
    app.delete_as(
        &format!("/api/v1/tenants/acme/recordings/{}", uploaded.id),
        &root,
    )
    .await;
    (app, root, archive, manifest, name, bytes)
}

fn build(entries: &[(&str, &[u8])], manifest: &Value) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in entries {
        zip.start_file(*name, options).expect("entry");
        zip.write_all(bytes).expect("written");
    }
    zip.start_file("manifest.json", options).expect("entry");
    zip.write_all(manifest.to_string().as_bytes())
        .expect("written");
    zip.finish().expect("finished").into_inner()
}

#[tokio::test]
async fn bad_archives_are_refused_with_reasons_and_leave_nothing() {
    let (app, root, archive, manifest, name, bytes) = one_recording_archive().await;
    // The genuine archive is accepted: the cases below differ from it in one thing each.
    let mut wrong_size = manifest.clone();
    wrong_size["recordings"][0]["file_size"] = json!(bytes.len() + 1);
    let mut wrong_hash = manifest.clone();
    wrong_hash["recordings"][0]["file_sha256"] = json!("00".repeat(32));
    let mut traversal = manifest.clone();
    traversal["recordings"][0]["file"] = json!("../../etc/evil");
    let mut absolute = manifest.clone();
    absolute["recordings"][0]["file"] = json!("/etc/evil");
    let mut twice = manifest.clone();
    twice["recordings"] = json!([manifest["recordings"][0], manifest["recordings"][0]]);
    let mut as_page = manifest.clone();
    as_page["recordings"][0]["content_type"] = json!("text/html");
    let mut long_caller = manifest.clone();
    long_caller["recordings"][0]["caller"] = json!("x".repeat(201));
    let mut altered = bytes.clone();
    altered[100] ^= 1;

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "not a ZIP",
            b"PK but not really an archive".to_vec(),
            "not a ZIP",
        ),
        (
            "no manifest",
            {
                let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
                zip.start_file("x", SimpleFileOptions::default())
                    .expect("entry");
                zip.finish().expect("done").into_inner()
            },
            "no manifest",
        ),
        (
            "size differs",
            build(&[(&name, &bytes)], &wrong_size),
            "differs",
        ),
        (
            "hash differs",
            build(&[(&name, &bytes)], &wrong_hash),
            "differs",
        ),
        (
            "content altered",
            build(&[(&name, &altered)], &manifest),
            "SHA-256",
        ),
        (
            "traversal",
            build(&[("../../etc/evil", &bytes)], &traversal),
            "not the file name",
        ),
        (
            "absolute",
            build(&[("/etc/evil", &bytes)], &absolute),
            "not the file name",
        ),
        (
            "listed twice",
            build(&[(&name, &bytes)], &twice),
            "listed twice",
        ),
        (
            "not audio",
            build(&[(&name, &bytes)], &as_page),
            "not a supported audio type",
        ),
        (
            "long metadata",
            build(&[(&name, &bytes)], &long_caller),
            "200 characters",
        ),
        (
            "unlisted entry",
            build(&[(&name, &bytes), ("extra.bin", b"hidden")], &manifest),
            "not in the manifest",
        ),
        ("missing entry", build(&[], &manifest), "missing"),
    ];
    for (what, archive, reason) in cases {
        let response = import_archive(&app, &root, "acme", archive).await;
        let status = response.status();
        let text = response.text().await.expect("text");
        assert_eq!(status, 400, "{what}: {text}");
        assert!(text.contains(reason), "{what}: {reason:?} not in {text}");
    }
    let not_zip = app
        .client
        .post(format!(
            "{}/api/v1/tenants/acme/recordings/import",
            app.address
        ))
        .bearer_auth(&root.token)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .expect("sent");
    assert_eq!(not_zip.status(), 415);
    assert_eq!(count(&app, &root, "acme").await, 0);
    assert_eq!(app.object_count("imports").await, 0, "no staged file stays");

    let accepted = import_archive(&app, &root, "acme", archive.clone()).await;
    assert_eq!(accepted.status(), 200);
    assert_eq!(count(&app, &root, "acme").await, 1);

    // Plaintext recordings do not enter a tenant that seals everything, and an id taken by
    // another tenant is not imported twice.
    crate::fixtures::system_key(&app, &root).await;
    let sealed = crate::fixtures::encrypted_tenant(&app, &root, "sealed").await;
    let refused = import_archive(&app, &sealed.admin, "sealed", archive).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.expect("text").contains("taken"));
    let (_, _, other_archive, _, _, _) = one_recording_archive().await;
    let refused = import_archive(&app, &sealed.admin, "sealed", other_archive).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.expect("text").contains("plaintext"));
}
