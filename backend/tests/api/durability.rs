//! Durability: an upload and its audit record commit as one; a retry with the same
//! `Idempotency-Key` gets the first answer instead of a second copy; a recording whose bytes
//! were lost says so (and `callvault check` finds it); a row commits only after its bytes and
//! their directory entry are on disk.

use callvault_shared::api::{AuditPage, ImportOutcome, Recording, RecordingPage};
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::json;

use crate::fixtures::wav;
use crate::fixtures::{encrypted_tenant, plain_tenant, system_key};
use crate::helpers::{Session, TestApp};

async fn upload_with_key(
    app: &TestApp,
    session: &Session,
    tenant: &str,
    audio: &[u8],
    key: &str,
) -> reqwest::Response {
    app.upload_with_key(session, tenant, audio, key).await
}

async fn import_with_key(
    app: &TestApp,
    session: &Session,
    tenant: &str,
    archive: &[u8],
    key: &str,
) -> reqwest::Response {
    app.import_archive(session, tenant, archive, Some(key))
        .await
}

async fn recordings(app: &TestApp, session: &Session, tenant: &str) -> Vec<Recording> {
    let page: RecordingPage = app
        .get_as(&format!("/api/v1/tenants/{tenant}/recordings"), session)
        .await
        .json()
        .await
        .expect("a page of recordings");
    page.recordings
}

async fn audit_actions(app: &TestApp, session: &Session, tenant: &str, action: &str) -> usize {
    let page: AuditPage = app
        .get_as(
            &format!("/api/v1/tenants/{tenant}/audit?action={action}&limit=500"),
            session,
        )
        .await
        .json()
        .await
        .expect("a page of the audit log");
    page.events.len()
}

#[tokio::test]
async fn an_upload_whose_audit_record_cannot_be_written_is_not_stored_and_its_retry_stores_one() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    let admin = plain_tenant(&app, &root, "acme").await;
    let db = app.db().await;
    // The audit log refuses exactly the upload's record: as a database that failed over
    // between the row and its record would.
    let refuse = match db.get_database_backend() {
        DbBackend::Postgres => vec![
            "CREATE FUNCTION refuse_upload_audit() RETURNS trigger AS $$ BEGIN \
             IF NEW.action = 'recording.upload' THEN \
             RAISE EXCEPTION 'refused by the test' USING ERRCODE = '57P01'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_upload_audit BEFORE INSERT ON audit_events \
             FOR EACH ROW EXECUTE FUNCTION refuse_upload_audit()",
        ],
        _ => vec![
            "CREATE TRIGGER refuse_upload_audit BEFORE INSERT ON audit_events \
             WHEN NEW.action = 'recording.upload' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        ],
    };
    for statement in refuse {
        db.execute_unprepared(statement).await.expect("trigger");
    }

    let audio = wav(8_000);
    let failed = upload_with_key(&app, &admin, "acme", &audio, "call-0001").await;
    assert!(
        failed.status().is_server_error(),
        "the upload fails with its audit record: {}",
        failed.status()
    );
    assert!(
        recordings(&app, &admin, "acme").await.is_empty(),
        "no recording without its audit record"
    );
    assert_eq!(
        app.object_count("recordings").await,
        0,
        "its bytes are gone"
    );

    let drop = match db.get_database_backend() {
        DbBackend::Postgres => "DROP TRIGGER refuse_upload_audit ON audit_events",
        _ => "DROP TRIGGER refuse_upload_audit",
    };
    db.execute_unprepared(drop).await.expect("trigger dropped");
    let stored = upload_with_key(&app, &admin, "acme", &audio, "call-0001").await;
    assert_eq!(stored.status(), 201);
    assert_eq!(recordings(&app, &admin, "acme").await.len(), 1);
    assert_eq!(
        audit_actions(&app, &admin, "acme", "recording.upload").await,
        1
    );
}

#[tokio::test]
async fn retries_with_one_idempotency_key_store_one_recording_and_get_the_first_answer() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;
    let audio = wav(12_000);

    let first = upload_with_key(&app, &acme.admin, "acme", &audio, "pbx-7f3a-0001").await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Recording = first.json().await.expect("a recording");

    // The answer was lost; the recorder sends the same call with the same key, twice.
    for _ in 0..2 {
        let again = upload_with_key(&app, &acme.admin, "acme", &audio, "pbx-7f3a-0001").await;
        assert_eq!(again.status(), 201);
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        let again: Recording = again.json().await.expect("a recording");
        assert_eq!(again, first, "the first attempt's recording");
    }
    assert_eq!(recordings(&app, &acme.admin, "acme").await.len(), 1);
    assert_eq!(
        app.object_count("recordings").await,
        1,
        "a retry's bytes are not kept"
    );
    assert_eq!(
        audit_actions(&app, &acme.admin, "acme", "recording.upload").await,
        1
    );

    // The same key with another call is a client's mistake, said as such.
    let other = upload_with_key(&app, &acme.admin, "acme", &wav(9_000), "pbx-7f3a-0001").await;
    assert_eq!(other.status(), 422);
    assert!(
        other
            .text()
            .await
            .expect("text")
            .contains("Idempotency-Key")
    );
    // A key that is not a visible ASCII string is refused before anything is read.
    let malformed = upload_with_key(&app, &acme.admin, "acme", &audio, "two words").await;
    assert_eq!(malformed.status(), 400);
    // Another key is another recording, even of the same bytes.
    let second = upload_with_key(&app, &acme.admin, "acme", &audio, "pbx-7f3a-0002").await;
    assert_eq!(second.status(), 201);
    assert_eq!(recordings(&app, &acme.admin, "acme").await.len(), 2);

    // Imports: the retry of an import gets the first import's answer, where a new import of
    // the same archive would say that its recording is here already.
    let archive = app
        .post_as(
            "/api/v1/tenants/acme/recordings/export",
            &acme.admin,
            &json!({ "ids": [first.id] }),
        )
        .await
        .bytes()
        .await
        .expect("archive")
        .to_vec();
    let deleted = app
        .delete_as(
            &format!("/api/v1/tenants/acme/recordings/{}", first.id),
            &acme.admin,
        )
        .await;
    assert_eq!(deleted.status(), 204);
    let imported = import_with_key(&app, &acme.admin, "acme", &archive, "move-1").await;
    assert_eq!(imported.status(), 200);
    let imported: ImportOutcome = imported.json().await.expect("outcome");
    assert_eq!((imported.imported, imported.already_present), (1, 0));
    let again = import_with_key(&app, &acme.admin, "acme", &archive, "move-1").await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: ImportOutcome = again.json().await.expect("outcome");
    assert_eq!(again, imported, "the first import's answer");
    assert_eq!(
        audit_actions(&app, &acme.admin, "acme", "recording.import").await,
        1
    );
    let fresh = import_with_key(&app, &acme.admin, "acme", &archive, "move-2").await;
    let fresh: ImportOutcome = fresh.json().await.expect("outcome");
    assert_eq!((fresh.imported, fresh.already_present), (0, 1));
    let foreign = import_with_key(&app, &acme.admin, "acme", b"PK\x05\x06", "move-1").await;
    assert_eq!(foreign.status(), 422);
}

#[tokio::test]
async fn two_requests_racing_with_one_key_store_one_recording() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    let admin = plain_tenant(&app, &root, "acme").await;
    let audio = wav(30_000);

    // The same call, sent twice at once (a recorder that timed out and retried at once).
    let (first, second) = tokio::join!(
        upload_with_key(&app, &admin, "acme", &audio, "race-1"),
        upload_with_key(&app, &admin, "acme", &audio, "race-1"),
    );
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (201, 201)
    );
    let first: Recording = first.json().await.expect("a recording");
    let second: Recording = second.json().await.expect("a recording");
    assert_eq!(first, second, "both get the one recording");
    assert_eq!(recordings(&app, &admin, "acme").await.len(), 1);
    assert_eq!(
        app.object_count("recordings").await,
        1,
        "the loser's bytes are gone"
    );

    // Two different calls under one key: one is stored, the other is told its key is taken.
    let (call_a, call_b) = (wav(31_000), wav(32_000));
    let (one, other) = tokio::join!(
        upload_with_key(&app, &admin, "acme", &call_a, "race-2"),
        upload_with_key(&app, &admin, "acme", &call_b, "race-2"),
    );
    let mut statuses = [one.status().as_u16(), other.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 422]);
    assert_eq!(recordings(&app, &admin, "acme").await.len(), 2);
    assert_eq!(app.object_count("recordings").await, 2);

    // Keys are each user's own: another user's same key neither replays nor blocks.
    app.create_user(&root, "acme", "acme-other", "tenant_admin")
        .await;
    let other_admin = app
        .sign_in("acme-other", crate::helpers::USER_PASSWORD)
        .await;
    let theirs = upload_with_key(&app, &other_admin, "acme", &wav(33_000), "race-2").await;
    assert_eq!(theirs.status(), 201);
    assert!(theirs.headers().get("idempotent-replayed").is_none());
}

#[tokio::test]
async fn a_recording_whose_bytes_are_lost_answers_as_damaged_and_callvault_check_lists_it() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;
    let plain = plain_tenant(&app, &root, "plain").await;
    let whole = uploaded(&app, &acme.admin, "acme").await;
    let truncated = uploaded(&app, &acme.admin, "acme").await;
    let emptied = uploaded(&app, &plain, "plain").await;
    let removed = uploaded(&app, &plain, "plain").await;

    let check = app
        .command()
        .arg("check")
        .output()
        .expect("callvault check");
    assert!(check.status.success(), "{check:?}");

    // Damage as a power cut or a lost disk would leave it.
    let store = app.store().await;
    let db = app.db().await;
    {
        use object_store::ObjectStoreExt;
        let path = |key: &str| object_store::path::Path::from(key);
        let key = object_of(&db, &truncated).await;
        let bytes = app.object(&key).await;
        store
            .put(&path(&key), bytes[..bytes.len() / 2].to_vec().into())
            .await
            .expect("truncated");
        store
            .put(&path(&object_of(&db, &emptied).await), Vec::new().into())
            .await
            .expect("emptied");
        store
            .delete(&path(&object_of(&db, &removed).await))
            .await
            .expect("removed");
    }

    for (session, tenant, recording) in [
        (&acme.admin, "acme", &truncated),
        (&plain, "plain", &emptied),
        (&plain, "plain", &removed),
    ] {
        let path = format!("/api/v1/tenants/{tenant}/recordings/{}/audio", recording.id);
        let response = app.get_as(&path, session).await;
        assert_eq!(response.status(), 500, "{path}");
        assert!(response.headers().get("retry-after").is_none());
        let text = response.text().await.expect("text");
        assert!(
            text.contains(&format!("recording {} is damaged", recording.id)),
            "{text}"
        );
    }
    let sealed_file = app
        .get_as(
            &format!("/api/v1/tenants/plain/recordings/{}/file", removed.id),
            &plain,
        )
        .await;
    assert_eq!(sealed_file.status(), 500);
    assert!(sealed_file.text().await.expect("text").contains("damaged"));
    assert_eq!(
        app.play(&acme.admin, "acme", &whole.id.to_string())
            .await
            .len() as u64,
        whole.size_bytes
    );

    let check = app
        .command()
        .arg("check")
        .output()
        .expect("callvault check");
    assert_eq!(check.status.code(), Some(1));
    let said = String::from_utf8_lossy(&check.stderr);
    for damaged in [&truncated, &emptied, &removed] {
        assert!(said.contains(&damaged.id.to_string()), "{said}");
    }
    assert!(!said.contains(&whole.id.to_string()), "{said}");
    assert!(said.contains("3 of 4 recordings are damaged"), "{said}");
}

async fn uploaded(app: &TestApp, session: &Session, tenant: &str) -> Recording {
    let response = app.upload(session, tenant, &wav(40_000)).await;
    assert_eq!(response.status(), 201);
    response.json().await.expect("a recording")
}

/// Where the store keeps a recording's bytes, from behind the API.
async fn object_of(db: &sea_orm::DatabaseConnection, recording: &Recording) -> String {
    use sea_orm::EntityTrait;
    callvault::infra::entities::recording::Entity::find_by_id(recording.id)
        .one(db)
        .await
        .expect("query")
        .expect("row")
        .object_key
}

/// The system calls of one upload, traced: the object's file is synced, renamed into place and
/// its directory synced before the database makes the row durable (SQLite: the sync of its
/// write-ahead log; PostgreSQL: the row's INSERT leaving for the server at all).
#[tokio::test]
async fn a_row_commits_only_after_its_bytes_and_their_directory_are_on_disk() {
    // A directory store whatever the profile's: a bucket's durability is the bucket's.
    let objects = tempfile::tempdir().expect("objects directory");
    let app = TestApp::spawn_process_on(None, Some(objects.path().display().to_string())).await;
    let root = app.sign_in_root().await;
    let admin = plain_tenant(&app, &root, "acme").await;

    let trace = app.data_dir.path().join("upload.trace");
    let mut strace = std::process::Command::new("strace")
        .args(["-f", "-qq", "-y", "-s", "160", "-o"])
        .arg(&trace)
        .args([
            "-e",
            "trace=fsync,fdatasync,rename,renameat,renameat2,sendto,write,writev,pwrite64",
            "-p",
            &app.pid().to_string(),
        ])
        .spawn()
        .expect("strace (Debian's package strace) runs");
    // strace says nothing when it has attached; its first lines do.
    for _ in 0..100 {
        if std::fs::metadata(&trace).is_ok_and(|meta| meta.len() > 0) {
            break;
        }
        let _ = app.healthz().await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        std::fs::metadata(&trace).is_ok_and(|meta| meta.len() > 0),
        "strace did not attach to the server within 5 s"
    );
    let response = app.upload(&admin, "acme", &wav(48_000)).await;
    assert_eq!(response.status(), 201);
    let recording: Recording = response.json().await.expect("a recording");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let _ = std::process::Command::new("kill")
        .args(["-INT", &strace.id().to_string()])
        .status();
    let _ = strace.wait();

    let text = std::fs::read_to_string(&trace).expect("the trace");
    let lines: Vec<&str> = text.lines().collect();
    let id = recording.id.to_string();
    let is_sync = |line: &str| line.contains(" fsync(") || line.contains(" fdatasync(");
    let find = |from: usize, test: &dyn Fn(&str) -> bool| {
        lines
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, line)| test(line))
            .map(|(at, _)| at)
    };
    let renamed = find(0, &|line| line.contains(" rename") && line.contains(&id))
        .unwrap_or_else(|| panic!("no rename of recording {id}'s object:\n{text}"));
    // The staged file itself (`…/{id}/<name>#<n>`), not the directories made for it.
    let file_synced = lines[..renamed]
        .iter()
        .any(|line| is_sync(line) && line.contains(&format!("/{id}/")) && line.contains('#'));
    assert!(
        file_synced,
        "the object's file is synced before its rename:\n{text}"
    );
    let directory_synced = find(renamed, &|line| {
        is_sync(line) && line.contains(&format!("/{id}>"))
    })
    .unwrap_or_else(|| panic!("the object's directory is never synced after the rename:\n{text}"));
    let committed = if app.database_url.starts_with("postgres") {
        find(renamed, &|line| {
            line.contains(r#"INSERT INTO \"recordings\""#)
        })
    } else {
        find(renamed, &|line| {
            is_sync(line) && line.contains("callvault.db-wal>")
        })
    }
    .unwrap_or_else(|| panic!("the row's commit is not in the trace:\n{text}"));
    assert!(
        directory_synced < committed,
        "the row is made durable (line {committed}) only after the object's directory is synced (line {directory_synced}):\n{text}"
    );
}
