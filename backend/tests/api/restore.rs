//! The restore drill of issue #23, through the command line as an operator runs it: a tenant
//! that seals everything and one with encryption off, a backup, a brand-new instance, a restore
//! with the System key's file, and every recording played byte for byte. The System key never
//! enters a tenant: no tenant user of the new instance can reach it, or another tenant's key.

use std::path::{Path, PathBuf};

use callvault_shared::api::{EncryptionKey, Recording};
use serde_json::{Value, json};

use crate::fixtures::{
    EXPORT_PASSPHRASE, create_key, enable, encrypted_tenant, export, plain_tenant, sha256,
    system_key, wav,
};
use crate::helpers::{Session, TestApp, USER_PASSWORD};

/// What the old instance left the operator: the backup, the key files and their passphrase.
struct Drill {
    old: TestApp,
    files: tempfile::TempDir,
    backup: PathBuf,
    system_fingerprint: String,
    acme_fingerprint: String,
    /// (tenant, recording as uploaded, its audio).
    originals: Vec<(&'static str, Recording, Vec<u8>)>,
}

impl Drill {
    fn path(&self, name: &str) -> PathBuf {
        self.files.path().join(name)
    }
}

fn fingerprint(key: &Value) -> String {
    serde_json::from_value::<EncryptionKey>(key.clone())
        .expect("a key")
        .fingerprint
}

async fn old_instance_and_backup() -> Drill {
    let old = TestApp::spawn().await;
    let root = old.sign_in_root().await;
    let system = system_key(&old, &root).await;
    let acme = encrypted_tenant(&old, &root, "acme").await;
    let plain = plain_tenant(&old, &root, "plainco").await;
    let mut originals = Vec::new();
    for (tenant, session, size) in [
        ("acme", &acme.admin, 14_000),
        ("acme", &acme.admin, 2_000),
        ("plainco", &plain, 9_000),
        ("plainco", &plain, 40_000),
    ] {
        let audio = wav(size);
        let response = old
            .client
            .post(format!(
                "{}/api/v1/tenants/{tenant}/recordings?caller=%2B4930{size}&agent=agent-{size}",
                old.address
            ))
            .bearer_auth(&session.token)
            .body(audio.clone())
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 201);
        let uploaded: Recording = response.json().await.expect("JSON");
        assert_eq!(uploaded.sealed, tenant == "acme");
        originals.push((tenant, uploaded, audio));
    }
    let files = tempfile::tempdir().expect("temporary directory");
    std::fs::write(files.path().join("pass"), format!("{EXPORT_PASSPHRASE}\n")).expect("written");
    std::fs::write(
        files.path().join("acme.pem"),
        export(&old, &acme.admin, "acme", &acme.key).await,
    )
    .expect("written");
    std::fs::write(
        files.path().join("system.pem"),
        export(&old, &root, "system", &system).await,
    )
    .expect("written");
    let backup = files.path().join("backup.zip");
    let output = old
        .command()
        .args(["backup", "create", "--all", "-o"])
        .arg(&backup)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Drill {
        old,
        files,
        backup,
        system_fingerprint: fingerprint(&system),
        acme_fingerprint: fingerprint(&acme.key),
        originals,
    }
}

fn manifest(backup: &Path) -> Value {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(backup).expect("backup")).expect("ZIP");
    serde_json::from_reader(zip.by_name("manifest.json").expect("manifest")).expect("JSON")
}

fn restore(app: &TestApp, backup: &Path, extra: &[&std::ffi::OsStr]) -> std::process::Output {
    app.command()
        .args(["backup", "restore"])
        .arg(backup)
        .args(extra)
        .output()
        .expect("runs")
}

fn with_system_key(drill: &Drill) -> Vec<std::ffi::OsString> {
    vec![
        "--key".into(),
        drill.path("system.pem").into(),
        "--passphrase-file".into(),
        drill.path("pass").into(),
    ]
}

/// The operator imports the System key into the System account (provider staff's, where it
/// was): tenant keys cannot be made or imported before it exists.
async fn import_system_key(app: &TestApp, root: &Session, drill: &Drill) -> Value {
    let file = std::fs::read_to_string(drill.path("system.pem")).expect("key file");
    let system = create_key(
        app,
        root,
        "system",
        json!({ "private_key_pem": file, "passphrase": EXPORT_PASSPHRASE }),
    )
    .await;
    assert_eq!(fingerprint(&system), drill.system_fingerprint);
    system
}

fn os(args: &[std::ffi::OsString]) -> Vec<&std::ffi::OsStr> {
    args.iter().map(std::ffi::OsString::as_os_str).collect()
}

#[tokio::test]
async fn restore_drill_puts_plaintext_back_as_stored_and_plays_everything_byte_identical() {
    let drill = old_instance_and_backup().await;

    // The manifest says which files were sealed for the backup (the plaintext tenant's, with
    // the System key) and which were stored sealed (acme's, with its own key).
    let manifest = manifest(&drill.backup);
    for entry in manifest["recordings"].as_array().expect("recordings") {
        let plain = entry["tenant_slug"] == "plainco";
        assert_eq!(entry["sealed"], true);
        assert_eq!(entry["sealed_for_backup"].as_bool().unwrap_or(false), plain);
        let expected = if plain {
            &drill.system_fingerprint
        } else {
            &drill.acme_fingerprint
        };
        assert_eq!(entry["key_fingerprint"], expected.as_str());
        // Who spoke is not in the clear: it is sealed to the backup's key.
        for field in ["caller", "callee", "agent", "external_id"] {
            assert!(entry[field].is_null(), "{field} in the clear: {entry}");
        }
    }
    assert_eq!(manifest["sealed_metadata"]["file"], "metadata.sealed");
    assert_eq!(
        manifest["sealed_metadata"]["key_fingerprint"],
        drill.system_fingerprint.as_str()
    );
    let written = std::fs::read(&drill.backup).expect("backup");
    for (_, uploaded, _) in &drill.originals {
        let caller = uploaded.caller.as_deref().expect("a caller");
        assert!(
            !written
                .windows(caller.len())
                .any(|w| w == caller.as_bytes()),
            "{caller} is in the backup in the clear"
        );
    }
    let body = &wav(9_000)[4096..4352];
    assert!(
        !written.windows(256).any(|w| w == body),
        "plaintext recordings are sealed in a backup"
    );

    let fresh = TestApp::spawn().await;
    // Without the key that opens the backup-sealed files: refused before anything is written,
    // naming the key.
    let refused = restore(&fresh, &drill.backup, &[]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains(&drill.system_fingerprint), "{said}");
    assert!(said.contains("--key"), "{said}");
    assert!(said.contains("nothing was restored"), "{said}");
    // A key file that is not the backup's is as good as none.
    let wrong = vec![
        "--key".into(),
        drill.path("acme.pem").into(),
        "--passphrase-file".into(),
        drill.path("pass").into(),
    ];
    let refused = restore(&fresh, &drill.backup, &os(&wrong));
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains(&drill.system_fingerprint));

    let keys = with_system_key(&drill);
    let restored = restore(&fresh, &drill.backup, &os(&keys));
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    assert!(
        String::from_utf8_lossy(&restored.stderr)
            .contains("Restored 4 recordings (0 were here already)"),
        "the refused attempts wrote nothing: {}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let again = restore(&fresh, &drill.backup, &os(&keys));
    assert!(
        String::from_utf8_lossy(&again.stderr)
            .contains("Restored 0 recordings (4 were here already)")
    );

    let root = fresh.sign_in_root().await;
    // The System account's log says which key opened what the backup had sealed.
    let log = fresh.audit_export(&root, "system").await;
    let restore_record = log
        .lines()
        .find(|line| line.contains("backup.restore") && line.contains("\"imported\":4"))
        .expect("the restore is logged");
    assert!(
        restore_record.contains("opened_with")
            && restore_record.contains(&drill.system_fingerprint),
        "{restore_record}"
    );
    import_system_key(&fresh, &root, &drill).await;
    fresh
        .create_user(&root, "acme", "acme-owner", "tenant_admin")
        .await;
    fresh
        .create_user(&root, "plainco", "plain-owner", "tenant_admin")
        .await;
    let acme_owner = fresh.sign_in("acme-owner", USER_PASSWORD).await;
    let plain_owner = fresh.sign_in("plain-owner", USER_PASSWORD).await;
    let acme_key_file = std::fs::read_to_string(drill.path("acme.pem")).expect("key file");
    create_key(
        &fresh,
        &acme_owner,
        "acme",
        json!({ "private_key_pem": acme_key_file, "passphrase": EXPORT_PASSPHRASE }),
    )
    .await;
    // The plaintext tenant needs no key at all: its recordings are back in plaintext.
    for (tenant, uploaded, audio) in &drill.originals {
        let session = if *tenant == "acme" {
            &acme_owner
        } else {
            &plain_owner
        };
        let id = uploaded.id.to_string();
        let shown: Recording = fresh
            .get_as(
                &format!("/api/v1/tenants/{tenant}/recordings/{id}"),
                session,
            )
            .await
            .json()
            .await
            .expect("JSON");
        assert_eq!(
            shown.sealed,
            *tenant == "acme",
            "{tenant}: stored as before"
        );
        assert_eq!(shown.caller, uploaded.caller, "metadata restored");
        assert_eq!(shown.agent, uploaded.agent, "metadata restored");
        let played = fresh.play(session, tenant, &id).await;
        assert_eq!(&played, audio, "{tenant}: byte-identical");
        assert_eq!(sha256(&played), uploaded.sha256);
    }
    let plain_keys = fresh
        .get_as("/api/v1/tenants/plainco/keys", &plain_owner)
        .await
        .text()
        .await
        .expect("text");
    assert!(!plain_keys.contains(&drill.system_fingerprint));

    // A backup is not a tenant's archive: importing it through the API is refused, and says how
    // it is restored.
    let refused = fresh
        .import_archive(
            &plain_owner,
            "plainco",
            &std::fs::read(&drill.backup).expect("backup"),
            None,
        )
        .await;
    assert_eq!(refused.status(), 400);
    assert!(
        refused
            .text()
            .await
            .expect("text")
            .contains("callvault backup restore")
    );
}

#[tokio::test]
async fn a_tenant_whose_encryption_is_now_on_gets_its_recordings_sealed_to_its_own_key() {
    let drill = old_instance_and_backup().await;
    let fresh = TestApp::spawn().await;
    let root = fresh.sign_in_root().await;
    import_system_key(&fresh, &root, &drill).await;
    fresh.create_tenant(&root, "plainco").await;
    fresh
        .create_user(&root, "plainco", "plain-owner", "tenant_admin")
        .await;
    let owner = fresh.sign_in("plain-owner", USER_PASSWORD).await;
    let own_key = create_key(&fresh, &owner, "plainco", json!({ "bits": 2048 })).await;
    enable(&fresh, &owner, "plainco").await;

    let keys = with_system_key(&drill);
    let restored = restore(&fresh, &drill.backup, &os(&keys));
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    for (tenant, uploaded, audio) in drill.originals.iter().filter(|(t, ..)| *t == "plainco") {
        let id = uploaded.id.to_string();
        let shown: Recording = fresh
            .get_as(&format!("/api/v1/tenants/{tenant}/recordings/{id}"), &owner)
            .await
            .json()
            .await
            .expect("JSON");
        assert!(shown.sealed);
        assert_eq!(
            shown.key_fingerprint.as_deref(),
            Some(fingerprint(&own_key).as_str()),
            "sealed to the tenant's own key, not the System key"
        );
        assert_eq!(&fresh.play(&owner, tenant, &id).await, audio);
    }
}

#[tokio::test]
async fn every_sealed_file_of_a_backup_opens_offline_with_its_key_file() {
    let drill = old_instance_and_backup().await;
    let out = tempfile::tempdir().expect("temporary directory");
    let manifest = manifest(&drill.backup);
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(&drill.backup).expect("backup")).expect("ZIP");
    let mut opened = 0;
    for entry in manifest["recordings"].as_array().expect("recordings") {
        let name = entry["file"].as_str().expect("file");
        let id = entry["id"].as_str().expect("id");
        let sealed = out.path().join(format!("{id}.cvrec"));
        let mut file = std::fs::File::create(&sealed).expect("created");
        std::io::copy(&mut zip.by_name(name).expect("entry"), &mut file).expect("copied");
        let key = if entry["tenant_slug"] == "acme" {
            "acme.pem"
        } else {
            "system.pem"
        };
        let audio = out.path().join(format!("{id}.wav"));
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_callvault"))
            .arg("open")
            .arg("--key")
            .arg(drill.path(key))
            .arg("--passphrase-file")
            .arg(drill.path("pass"))
            .arg(&sealed)
            .arg(&audio)
            .output()
            .expect("runs");
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let original = drill
            .originals
            .iter()
            .find(|(_, uploaded, _)| uploaded.id.to_string() == id)
            .expect("an original");
        assert_eq!(std::fs::read(&audio).expect("opened"), original.2);
        opened += 1;
    }
    assert_eq!(opened, drill.originals.len());

    // The personal metadata too: the System key's file opens it into JSON, by recording id.
    let sealed = out.path().join("metadata.sealed");
    let mut file = std::fs::File::create(&sealed).expect("created");
    std::io::copy(
        &mut zip.by_name("metadata.sealed").expect("entry"),
        &mut file,
    )
    .expect("copied");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_callvault"))
        .arg("open")
        .arg("--key")
        .arg(drill.path("system.pem"))
        .arg("--passphrase-file")
        .arg(drill.path("pass"))
        .arg(&sealed)
        .arg("-")
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    for (_, uploaded, _) in &drill.originals {
        let id = uploaded.id.to_string();
        assert_eq!(
            metadata[&id]["caller"].as_str(),
            uploaded.caller.as_deref(),
            "{id}"
        );
        assert_eq!(metadata[&id]["agent"].as_str(), uploaded.agent.as_deref());
    }
}

/// Every tenant role of every tenant, after the restore, asks for every key of every tenant:
/// list, show and export. No answer carries the System key's fingerprint to a tenant user, and
/// nobody exports a key that is not their own tenant's.
#[tokio::test]
async fn no_tenant_user_of_the_new_instance_can_obtain_the_system_key_or_another_tenants() {
    let drill = old_instance_and_backup().await;
    let fresh = TestApp::spawn().await;
    let keys = with_system_key(&drill);
    let restored = restore(&fresh, &drill.backup, &os(&keys));
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let root = fresh.sign_in_root().await;
    // The System key as the operator imports it again, into the System account only.
    let system = import_system_key(&fresh, &root, &drill).await;
    fresh
        .create_user(&root, "acme", "acme-holder", "tenant_admin")
        .await;
    let holder = fresh.sign_in("acme-holder", USER_PASSWORD).await;
    let acme_file = std::fs::read_to_string(drill.path("acme.pem")).expect("key file");
    let acme = create_key(
        &fresh,
        &holder,
        "acme",
        json!({ "private_key_pem": acme_file, "passphrase": EXPORT_PASSPHRASE }),
    )
    .await;
    let mut all_keys: Vec<(&str, Value)> = vec![("system", system), ("acme", acme)];
    // The plaintext tenant makes a key of its own too, later.
    fresh
        .create_user(&root, "plainco", "plainco-holder", "tenant_admin")
        .await;
    let plain_holder = fresh.sign_in("plainco-holder", USER_PASSWORD).await;
    all_keys.push((
        "plainco",
        create_key(&fresh, &plain_holder, "plainco", json!({ "bits": 2048 })).await,
    ));

    let mut users: Vec<(&str, Session)> = vec![("acme", holder), ("plainco", plain_holder)];
    for tenant in ["acme", "plainco"] {
        for role in ["tenant_admin", "supervisor", "user", "auditor"] {
            let name = format!("{tenant}-{role}");
            fresh.create_user(&root, tenant, &name, role).await;
            users.push((tenant, fresh.sign_in(&name, USER_PASSWORD).await));
        }
    }
    // Not even staff see it among a tenant's keys: it was never put there.
    for tenant in ["acme", "plainco"] {
        let listed = fresh
            .get_as(&format!("/api/v1/tenants/{tenant}/keys"), &root)
            .await;
        assert_eq!(listed.status(), 200);
        let text = listed.text().await.expect("text");
        assert!(
            !text.contains(&drill.system_fingerprint),
            "{tenant}: {text}"
        );
    }
    for (own, session) in &users {
        for tenant in ["system", "acme", "plainco"] {
            let listed = fresh
                .get_as(&format!("/api/v1/tenants/{tenant}/keys"), session)
                .await;
            let status = listed.status();
            let text = listed.text().await.expect("text");
            assert!(
                !text.contains(&drill.system_fingerprint),
                "{own} user listing {tenant}'s keys ({status}) sees the System key"
            );
            if tenant != *own {
                assert_ne!(status, 200, "{own} user lists {tenant}'s keys");
            }
            for (key_tenant, key) in &all_keys {
                let id = key["id"].as_str().expect("id");
                let shown = fresh
                    .get_as(&format!("/api/v1/tenants/{tenant}/keys/{id}"), session)
                    .await;
                let status = shown.status();
                let text = shown.text().await.expect("text");
                assert!(
                    !text.contains(&drill.system_fingerprint),
                    "{own} user shows {key_tenant}'s key through {tenant} ({status})"
                );
                let exported = fresh
                    .post_as(
                        &format!("/api/v1/tenants/{tenant}/keys/{id}/export"),
                        session,
                        &json!({ "passphrase": EXPORT_PASSPHRASE }),
                    )
                    .await;
                if exported.status() == 200 {
                    assert!(
                        key_tenant == own && tenant == *own,
                        "{own} user exported {key_tenant}'s key through {tenant}"
                    );
                }
            }
        }
    }
}

/// A backup written before `sealed_for_backup` and `metadata.sealed` existed: its manifest has
/// neither, and its metadata is in the clear. It is read as before: every sealed file is kept
/// sealed as it is, with no key file needed.
#[tokio::test]
async fn an_older_backup_without_the_new_fields_is_restored_as_before() {
    let drill = old_instance_and_backup().await;
    let mut manifest = manifest(&drill.backup);
    for entry in manifest["recordings"].as_array_mut().expect("recordings") {
        let id = entry["id"].as_str().expect("id").to_owned();
        let original = &drill
            .originals
            .iter()
            .find(|(_, uploaded, _)| uploaded.id.to_string() == id)
            .expect("an original")
            .1;
        let entry = entry.as_object_mut().expect("an object");
        entry.remove("sealed_for_backup");
        entry.insert("caller".into(), json!(original.caller));
        entry.insert("agent".into(), json!(original.agent));
    }
    manifest
        .as_object_mut()
        .expect("an object")
        .remove("sealed_metadata");
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(&drill.backup).expect("backup")).expect("ZIP");
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for entry in manifest["recordings"].as_array().expect("recordings") {
        let name = entry["file"].as_str().expect("file");
        writer.start_file(name, options).expect("entry");
        std::io::copy(&mut zip.by_name(name).expect("entry"), &mut writer).expect("copied");
    }
    writer.start_file("manifest.json", options).expect("entry");
    std::io::Write::write_all(&mut writer, manifest.to_string().as_bytes()).expect("written");
    let older = drill.path("older.zip");
    std::fs::write(&older, writer.finish().expect("finished").into_inner()).expect("written");

    let fresh = TestApp::spawn().await;
    let restored = restore(&fresh, &older, &[]);
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let root = fresh.sign_in_root().await;
    for (tenant, uploaded, _) in &drill.originals {
        let shown: Recording = fresh
            .get_as(
                &format!("/api/v1/tenants/{tenant}/recordings/{}", uploaded.id),
                &root,
            )
            .await
            .json()
            .await
            .expect("JSON");
        assert!(
            shown.sealed,
            "{tenant}: kept sealed as it was in the archive"
        );
        let expected = if *tenant == "acme" {
            &drill.acme_fingerprint
        } else {
            &drill.system_fingerprint
        };
        assert_eq!(shown.key_fingerprint.as_deref(), Some(expected.as_str()));
        assert_eq!(shown.caller, uploaded.caller);
    }
}

/// A public key file cannot open anything, and sealed metadata that is not what the manifest
/// says is refused: in both cases nothing is restored.
#[tokio::test]
async fn a_public_key_file_or_altered_sealed_metadata_restores_nothing() {
    let drill = old_instance_and_backup().await;
    let fresh = TestApp::spawn().await;

    let root_old = drill.old.sign_in_root().await;
    let system: Vec<Value> = drill
        .old
        .get_as("/api/v1/tenants/system/keys", &root_old)
        .await
        .json()
        .await
        .expect("JSON");
    let public = drill
        .old
        .get_as(
            &format!(
                "/api/v1/tenants/system/keys/{}/public-key",
                system[0]["id"].as_str().expect("id")
            ),
            &root_old,
        )
        .await
        .text()
        .await
        .expect("PEM");
    std::fs::write(drill.path("system-public.pem"), public).expect("written");
    let args: Vec<std::ffi::OsString> =
        vec!["--key".into(), drill.path("system-public.pem").into()];
    let refused = restore(&fresh, &drill.backup, &os(&args));
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("public key only"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // The manifest's hash of metadata.sealed no longer matches it.
    let mut manifest = manifest(&drill.backup);
    manifest["sealed_metadata"]["file_sha256"] = json!("00".repeat(32));
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(&drill.backup).expect("backup")).expect("ZIP");
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for index in 0..zip.len() {
        let mut entry = zip.by_index(index).expect("entry");
        let name = entry.name().expect("a name").into_owned();
        if name == "manifest.json" {
            continue;
        }
        writer.start_file(name, options).expect("entry");
        std::io::copy(&mut entry, &mut writer).expect("copied");
    }
    writer.start_file("manifest.json", options).expect("entry");
    std::io::Write::write_all(&mut writer, manifest.to_string().as_bytes()).expect("written");
    let altered = drill.path("altered.zip");
    std::fs::write(&altered, writer.finish().expect("finished").into_inner()).expect("written");
    let keys = with_system_key(&drill);
    let refused = restore(&fresh, &altered, &os(&keys));
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("metadata.sealed"), "{said}");
    assert!(said.contains("nothing was restored"), "{said}");

    let restored = restore(&fresh, &drill.backup, &os(&keys));
    assert!(
        String::from_utf8_lossy(&restored.stderr)
            .contains("Restored 4 recordings (0 were here already)"),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
}
