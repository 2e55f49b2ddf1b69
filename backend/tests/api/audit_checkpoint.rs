//! Signed audit checkpoints: the signing key lives in a file, never in the database; a
//! checkpoint verifies with the published key; and an export checked offline against an
//! earlier checkpoint (`callvault audit verify`, the real binary) finds what the server's own
//! verification cannot: a chain rewritten together with its head, or its newest records
//! deleted with the head moved back.

use std::path::Path;
use std::process::{Command, Output};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use callvault::domain::audit::chain;
use callvault::http::startup::Application;
use callvault::infra::entities::{audit_event, tenant};
use callvault_shared::api::{AuditCheckpoint, AuditSigningKey, AuditVerification, User};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, ModelTrait, QueryFilter, QueryOrder,
};
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use uuid::Uuid;

use crate::helpers::{Session, TestApp};

const CALLVAULT: &str = env!("CARGO_BIN_EXE_callvault");
const KEY_FILE: &str = "audit-signing-key.pk8";

/// What a tenant keeps outside the provider: the published key, checkpoints, exports.
struct Evidence {
    dir: TempDir,
}

impl Evidence {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    fn keep(&self, name: &str, contents: &str) {
        std::fs::write(self.dir.path().join(name), contents).expect("written");
    }

    /// `callvault audit verify --checkpoint <checkpoint> --signing-key <key> <export>`, in the
    /// evidence directory.
    fn verify_with(&self, checkpoint: &str, key: &str, export: &str) -> Output {
        Command::new(CALLVAULT)
            .args([
                "audit",
                "verify",
                "--checkpoint",
                checkpoint,
                "--signing-key",
                key,
                export,
            ])
            .current_dir(self.dir.path())
            .env_clear()
            .output()
            .expect("runs")
    }

    fn verify(&self, export: &str) -> Output {
        self.verify_with("checkpoint.json", "signing-key.json", export)
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fails the test unless the verifier failed, naming `problem`.
fn assert_refused(output: &Output, problem: &str) {
    assert!(
        !output.status.success(),
        "the verifier passed: {}",
        stdout(output)
    );
    assert!(
        stderr(output).contains(problem),
        "expected {problem:?} in: {}",
        stderr(output)
    );
}

/// `GET …/audit/checkpoint`, expecting 200.
async fn checkpoint(app: &TestApp, session: &Session, tenant: &str) -> (AuditCheckpoint, String) {
    let response = app.audit_checkpoint(session, tenant).await;
    assert_eq!(response.status(), 200, "a checkpoint of {tenant}");
    let text = response.text().await.expect("text");
    (serde_json::from_str(&text).expect("a checkpoint"), text)
}

async fn verify(app: &TestApp, session: &Session, tenant: &str) -> AuditVerification {
    serde_json::from_value(app.audit_verify(session, tenant).await).expect("a verification")
}

fn tenant_of(session: &Session) -> Uuid {
    serde_json::from_value::<User>(session.user.clone())
        .expect("a user")
        .tenant_id
}

async fn records(db: &DatabaseConnection, tenant_id: Uuid) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::TenantId.eq(tenant_id))
        .order_by_asc(audit_event::Column::Seq)
        .all(db)
        .await
        .expect("records")
}

/// A System log of some records, a checkpoint of it kept with the published key, then more
/// records: where every tampering scenario starts.
struct Certified {
    app: TestApp,
    root: Session,
    system: Uuid,
    evidence: Evidence,
    /// The checkpoint's length.
    length: i64,
}

async fn certified_log() -> Certified {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    for slug in ["one", "two", "three"] {
        app.create_tenant(&root, slug).await;
    }
    let evidence = Evidence::new();
    let (checkpoint, text) = checkpoint(&app, &root, "system").await;
    evidence.keep("checkpoint.json", &text);
    let key = serde_json::to_string(&app.audit_signing_key().await).expect("JSON");
    evidence.keep("signing-key.json", &key);
    for slug in ["four", "five"] {
        app.create_tenant(&root, slug).await;
    }
    let length = i64::try_from(checkpoint.length).expect("a length");
    assert!(length >= 6, "{checkpoint:?}");
    let system = tenant_of(&root);
    assert_eq!(checkpoint.tenant_id, system);
    Certified {
        app,
        root,
        system,
        evidence,
        length,
    }
}

/// Rehashes every record of the tenant from `from` on, as someone with write access to the
/// database and the chain's (public) hashing function would, and moves the head along.
async fn rechain_from(db: &DatabaseConnection, tenant_id: Uuid, from: i64) {
    let all = records(db, tenant_id).await;
    let mut previous = all
        .iter()
        .find(|event| event.seq == from - 1)
        .map_or(chain::GENESIS.to_vec(), |event| event.hash.clone());
    let mut last_seq = from - 1;
    for mut event in all.into_iter().filter(|event| event.seq >= from) {
        event.prev_hash = previous.clone();
        event.hash = chain::hash(&event).to_vec();
        previous = event.hash.clone();
        last_seq = event.seq;
        event
            .into_active_model()
            .reset_all()
            .update(db)
            .await
            .expect("rehashed");
    }
    move_head(db, tenant_id, last_seq, previous).await;
}

async fn move_head(db: &DatabaseConnection, tenant_id: Uuid, seq: i64, head: Vec<u8>) {
    let mut row = tenant::Entity::find_by_id(tenant_id)
        .one(db)
        .await
        .expect("query")
        .expect("the tenant")
        .into_active_model();
    row.audit_seq = Set(seq);
    row.audit_head = Set(Some(head));
    row.update(db).await.expect("head moved");
}

/// Edits one `tenant.create` record inside the certified part of the log: the second one.
async fn edit_a_certified_record(db: &DatabaseConnection, certified: &Certified) -> i64 {
    let edited = records(db, certified.system)
        .await
        .into_iter()
        .filter(|event| event.action == "tenant.create" && event.seq < certified.length)
        .nth(1)
        .expect("a second tenant.create record");
    let seq = edited.seq;
    let mut row = edited.into_active_model();
    row.details = Set("{\"slug\":\"innocent\"}".into());
    row.update(db).await.expect("edited");
    seq
}

#[tokio::test]
async fn the_signing_key_file_is_made_owner_only_at_first_start_and_kept() {
    let app = TestApp::spawn().await;
    let path = app.data_dir.path().join(KEY_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("the key file exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    }
    let document = std::fs::read(&path).expect("read");
    let pair = Ed25519KeyPair::from_pkcs8(&document).expect("an Ed25519 PKCS#8 document");
    let published = app.audit_signing_key().await;
    let public_key = aws_lc_rs::signature::KeyPair::public_key(&pair)
        .as_ref()
        .to_vec();
    assert_eq!(
        published,
        AuditSigningKey {
            algorithm: "ed25519".into(),
            public_key: STANDARD.encode(&public_key),
            fingerprint: hex::encode(Sha256::digest(&public_key)),
        }
    );

    // A restart (another instance on the same data directory) signs with the same key.
    let restarted = app.another_instance().await;
    let again: AuditSigningKey = app
        .client
        .get(format!("{restarted}/api/v1/audit/signing-key"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(again, published);
    assert_eq!(std::fs::read(&path).expect("read"), document);
    let leftovers = std::fs::read_dir(app.data_dir.path())
        .expect("listed")
        .filter(|entry| {
            let name = entry.as_ref().expect("entry").file_name();
            name.to_string_lossy().starts_with(".audit-signing-key")
        })
        .count();
    assert_eq!(leftovers, 0, "a temporary key file was left behind");
}

#[tokio::test]
async fn a_configured_signing_key_file_is_used_and_a_bad_one_stops_the_start() {
    let app = TestApp::spawn().await;
    let elsewhere = tempfile::tempdir().expect("temporary directory");
    let configured = elsewhere.path().join("shared-audit-key.pk8");
    let start_with = |file: &Path| {
        let mut settings = app.settings();
        settings.audit_signing_key_file = Some(file.to_path_buf());
        Application::build(settings.validate().expect("valid settings"))
    };

    // Missing: not made (every instance must share one key), and the start stops.
    let error = start_with(&configured).await.err().expect("refused");
    let message = format!("{error:#}");
    assert!(
        message.contains("CALLVAULT_AUDIT_SIGNING_KEY_FILE") && message.contains("does not exist"),
        "{message}"
    );
    assert!(!configured.exists());

    let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("a key");
    std::fs::write(&configured, document.as_ref()).expect("written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&configured, std::fs::Permissions::from_mode(0o644))
            .expect("chmod");
        let error = start_with(&configured).await.err().expect("refused");
        assert!(format!("{error:#}").contains("chmod 600"), "{error:#}");
        std::fs::set_permissions(&configured, std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
    }
    let server = start_with(&configured).await.expect("starts");
    let address = format!("http://127.0.0.1:{}", server.port());
    tokio::spawn(server.run_until_stopped());
    let published: AuditSigningKey = app
        .client
        .get(format!("{address}/api/v1/audit/signing-key"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    let pair = Ed25519KeyPair::from_pkcs8(document.as_ref()).expect("parsed");
    assert_eq!(
        published.public_key,
        STANDARD.encode(aws_lc_rs::signature::KeyPair::public_key(&pair))
    );
    assert_ne!(published, app.audit_signing_key().await);

    std::fs::write(&configured, b"not a key").expect("written");
    let error = start_with(&configured).await.err().expect("refused");
    assert!(format!("{error:#}").contains("unusable"), "{error:#}");
}

#[tokio::test]
async fn a_checkpoint_signs_the_documented_text_with_the_published_key() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    let system = tenant_of(&root);
    let checked = verify(&app, &root, "system").await.records_checked;

    let row = tenant::Entity::find_by_id(system)
        .one(&app.db().await)
        .await
        .expect("query")
        .expect("the System tenant");
    let (checkpoint, json) = checkpoint(&app, &root, "system").await;
    let published = app.audit_signing_key().await;
    assert_eq!(checkpoint.version, 1);
    assert_eq!(checkpoint.length, checked);
    assert_eq!(
        checkpoint.length,
        u64::try_from(row.audit_seq).expect("length")
    );
    assert_eq!(
        checkpoint.head,
        hex::encode(row.audit_head.expect("a head"))
    );
    assert_eq!(checkpoint.signing_key, published.public_key);
    assert_eq!(checkpoint.time.timestamp_subsec_nanos(), 0);

    // The text, spelled out here as docs/audit.md spells it.
    let text = format!(
        "callvault audit checkpoint v1\ntenant: {system}\nlength: {}\nhead: {}\ntime: {}\n",
        checkpoint.length,
        checkpoint.head,
        checkpoint.time.format("%Y-%m-%dT%H:%M:%SZ")
    );
    assert_eq!(checkpoint.signed_text(), text);
    // The JSON's own strings are the text's values, for verifiers in other languages.
    let raw: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    for field in ["tenant_id", "head", "time"] {
        let value = raw[field].as_str().expect("a string");
        assert!(text.contains(&format!(": {value}\n")), "{field}: {value}");
    }
    let key = UnparsedPublicKey::new(
        &ED25519,
        STANDARD.decode(&published.public_key).expect("base64"),
    );
    let signature = STANDARD.decode(&checkpoint.signature).expect("base64");
    key.verify(text.as_bytes(), &signature)
        .expect("the signature verifies with the published key");
    let claimed_more = text.replace(
        &format!("length: {}\n", checkpoint.length),
        &format!("length: {}\n", checkpoint.length + 1),
    );
    assert!(key.verify(claimed_more.as_bytes(), &signature).is_err());

    // Taking it was recorded, just beyond the head it signed.
    let after = records(&app.db().await, system).await;
    let recorded = after
        .iter()
        .find(|event| event.seq == row.audit_seq + 1)
        .expect("a record after the checkpoint's head");
    assert_eq!(recorded.action, "audit.checkpoint");
    assert!(recorded.details.contains(&checkpoint.head), "{recorded:?}");
}

#[tokio::test]
async fn the_verifier_accepts_an_honest_export_that_grew_since_the_checkpoint() {
    let certified = certified_log().await;
    let export = certified.app.audit_export(&certified.root, "system").await;
    certified.evidence.keep("export.jsonl", &export);
    let lines = export.lines().count();
    assert!(lines as i64 > certified.length + 2);

    let output = certified.evidence.verify("export.jsonl");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(&format!(
            "the export extends the checkpoint: {lines} records, the first {} as certified",
            certified.length
        )),
        "{}",
        stdout(&output)
    );
    // The key as plain base64, in a file or on the command line, does as well.
    let key = certified.app.audit_signing_key().await.public_key;
    certified
        .evidence
        .keep("signing-key.b64", &format!("{key}\n"));
    for given in ["signing-key.b64", key.as_str()] {
        let output = certified
            .evidence
            .verify_with("checkpoint.json", given, "export.jsonl");
        assert!(output.status.success(), "{given}: {}", stderr(&output));
    }
}

#[tokio::test]
async fn a_rewritten_chain_passes_the_servers_verify_but_not_the_checkpoint() {
    let certified = certified_log().await;
    let db = certified.app.db().await;
    let seq = edit_a_certified_record(&db, &certified).await;
    rechain_from(&db, certified.system, seq).await;
    // The database's own head went along: the server finds nothing wrong.
    let verdict = verify(&certified.app, &certified.root, "system").await;
    assert!(verdict.intact, "{verdict:?}");
    let edited = records(&db, certified.system)
        .await
        .into_iter()
        .find(|event| event.seq == seq)
        .expect("the edited record");
    assert!(edited.details.contains("innocent"));

    let export = certified.app.audit_export(&certified.root, "system").await;
    certified.evidence.keep("export.jsonl", &export);
    let output = certified.evidence.verify("export.jsonl");
    assert_refused(
        &output,
        &format!(
            "record {0}'s chain differs from the checkpoint: the log was rewritten",
            certified.length
        ),
    );
}

#[tokio::test]
async fn deleting_the_newest_records_and_moving_the_head_back_is_caught() {
    let certified = certified_log().await;
    let db = certified.app.db().await;
    // Everything from two records before the checkpoint's head on goes, and the head follows.
    let keep = certified.length - 2;
    let all = records(&db, certified.system).await;
    let new_head = all
        .iter()
        .find(|event| event.seq == keep)
        .expect("the record kept last")
        .hash
        .clone();
    for event in all.into_iter().filter(|event| event.seq > keep) {
        event.delete(&db).await.expect("deleted");
    }
    move_head(&db, certified.system, keep, new_head).await;
    let verdict = verify(&certified.app, &certified.root, "system").await;
    assert!(verdict.intact, "{verdict:?}");

    // The export appends its own record, at `keep + 1`: still short of the checkpoint.
    let export = certified.app.audit_export(&certified.root, "system").await;
    assert_eq!(export.lines().count() as i64, keep + 1);
    certified.evidence.keep("export.jsonl", &export);
    let output = certified.evidence.verify("export.jsonl");
    assert_refused(
        &output,
        &format!(
            "the export ends at record {} but the checkpoint covers {} records: the newest records were deleted",
            keep + 1,
            certified.length
        ),
    );
}

#[tokio::test]
async fn an_edited_record_is_caught_by_the_verifier() {
    let certified = certified_log().await;
    let db = certified.app.db().await;
    let seq = edit_a_certified_record(&db, &certified).await;
    assert!(
        !verify(&certified.app, &certified.root, "system")
            .await
            .intact
    );

    let export = certified.app.audit_export(&certified.root, "system").await;
    certified.evidence.keep("export.jsonl", &export);
    let output = certified.evidence.verify("export.jsonl");
    assert_refused(&output, &format!("record {seq} was altered"));

    // An edit in the export file itself, after it left the server, is caught the same way.
    let forged: Vec<String> = export
        .lines()
        .map(|line| line.replace("\"actor\":\"root\"", "\"actor\":\"nobody\""))
        .collect();
    assert_ne!(forged.join("\n") + "\n", export);
    certified
        .evidence
        .keep("forged.jsonl", &(forged.join("\n") + "\n"));
    let output = certified.evidence.verify("forged.jsonl");
    assert_refused(&output, "was altered");
}

#[tokio::test]
async fn the_verifier_refuses_a_forged_checkpoint_another_key_and_a_filtered_export() {
    let certified = certified_log().await;
    let export = certified.app.audit_export(&certified.root, "system").await;
    certified.evidence.keep("export.jsonl", &export);

    // A checkpoint claiming fewer records than it was signed for.
    let mut forged: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(certified.evidence.dir.path().join("checkpoint.json"))
            .expect("read"),
    )
    .expect("JSON");
    forged["length"] = serde_json::json!(certified.length - 1);
    certified
        .evidence
        .keep("forged-checkpoint.json", &forged.to_string());
    let output = certified.evidence.verify_with(
        "forged-checkpoint.json",
        "signing-key.json",
        "export.jsonl",
    );
    assert_refused(&output, "signature does not verify");

    // A key other than the server's.
    let other = Ed25519KeyPair::generate().expect("a key");
    let other = STANDARD.encode(aws_lc_rs::signature::KeyPair::public_key(&other));
    let output = certified
        .evidence
        .verify_with("checkpoint.json", &other, "export.jsonl");
    assert_refused(&output, "signed by another key");

    // A filtered export does not start at record 1.
    let filtered = certified
        .app
        .get_as(
            "/api/v1/tenants/system/audit/export?action=auth.login",
            &certified.root,
        )
        .await
        .text()
        .await
        .expect("text");
    certified.evidence.keep("filtered.jsonl", &filtered);
    let output = certified.evidence.verify("filtered.jsonl");
    assert_refused(&output, "without filters");
}

#[tokio::test]
async fn no_checkpoint_is_signed_for_a_broken_chain() {
    let certified = certified_log().await;
    let db = certified.app.db().await;
    let seq = edit_a_certified_record(&db, &certified).await;

    let response = certified
        .app
        .audit_checkpoint(&certified.root, "system")
        .await;
    assert_eq!(response.status(), 409);
    let problem: serde_json::Value = response.json().await.expect("a problem");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("not intact") && detail.contains(&format!("record {seq}")),
        "{problem}"
    );
    // The refusal is recorded; no checkpoint was.
    let last = records(&db, certified.system)
        .await
        .pop()
        .expect("a record");
    assert_eq!(last.action, "audit.checkpoint");
    assert_eq!(last.outcome, callvault_shared::api::AuditOutcome::Failure);
}
