//! Recordings: what ingest accepts and refuses, plaintext storage, the catalogue, deletion and
//! the sweeper.

use callvault::config::StorageLocation;
use callvault::recordings::sweeper;
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::matrix::wav;

#[tokio::test]
async fn ingest_recognises_audio_by_its_bytes_and_enforces_the_size_limit() {
    let app = TestApp::spawn_with(|config| config.max_upload_bytes = 64 * 1024).await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;

    let upload = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(format!("{}/api/v1/tenants/acme/recordings?caller=%2B4930123&direction=inbound&tags=sales,vip&started_at=2026-11-01T10:00:00Z", app.address))
            .bearer_auth(&root.token)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let pdf = upload(
        b"%PDF-1.7 this is not a recording at all".to_vec(),
        "audio/wav",
    )
    .await
    .expect("sent");
    assert_eq!(pdf.status(), 415);
    let empty = upload(Vec::new(), "audio/wav").await.expect("sent");
    assert_eq!(empty.status(), 400);
    let huge = upload(wav(40_000), "audio/wav").await.expect("sent");
    assert_eq!(huge.status(), 413);
    let bad_direction = app
        .client
        .post(format!(
            "{}/api/v1/tenants/acme/recordings?direction=sideways",
            app.address
        ))
        .bearer_auth(&root.token)
        .body(wav(100))
        .send()
        .await
        .expect("sent");
    assert_eq!(bad_direction.status(), 400);
    let listed: Value = app
        .get_as("/api/v1/tenants/acme/recordings", &root)
        .await
        .json()
        .await
        .expect("JSON");
    assert!(
        listed["recordings"].as_array().expect("list").is_empty(),
        "refused uploads leave nothing"
    );

    // Declared as something else, stored as what the bytes are; plaintext while encryption is off.
    let audio = wav(8_000);
    let stored = upload(audio.clone(), "application/octet-stream")
        .await
        .expect("sent");
    assert_eq!(stored.status(), 201);
    let recording: Value = stored.json().await.expect("JSON");
    assert_eq!(recording["content_type"], "audio/wav");
    assert_eq!(recording["sealed"], false);
    assert_eq!(recording["key_fingerprint"], Value::Null);
    assert_eq!(recording["duration_ms"], 1000);
    assert_eq!(recording["tags"], json!(["sales", "vip"]));
    assert_eq!(recording["size_bytes"], audio.len());
    let id = recording["id"].as_str().expect("id");
    let download = app
        .get_as(
            &format!("/api/v1/tenants/acme/recordings/{id}/audio?download=1"),
            &root,
        )
        .await;
    assert_eq!(download.headers()["content-type"], "audio/wav");
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment; filename=\"recording-")
    );
    assert_eq!(download.bytes().await.expect("bytes"), audio);
}

#[tokio::test]
async fn the_catalogue_filters_pages_and_deletes() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    for (caller, tag) in [("alice", "sales"), ("bob", "support"), ("alice", "support")] {
        let response = app
            .client
            .post(format!(
                "{}/api/v1/tenants/acme/recordings?caller={caller}&tags={tag}",
                app.address
            ))
            .bearer_auth(&root.token)
            .body(wav(500))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 201);
    }
    let page = |query: &str| {
        let path = format!("/api/v1/tenants/acme/recordings{query}");
        let root = &root;
        let app = &app;
        async move {
            app.get_as(&path, root)
                .await
                .json::<Value>()
                .await
                .expect("JSON")
        }
    };
    assert_eq!(
        page("?caller=alice").await["recordings"]
            .as_array()
            .expect("list")
            .len(),
        2
    );
    assert_eq!(
        page("?tag=support").await["recordings"]
            .as_array()
            .expect("list")
            .len(),
        2
    );
    assert_eq!(
        page("?tag=supp").await["recordings"]
            .as_array()
            .expect("list")
            .len(),
        0
    );
    let first = page("?limit=2").await;
    assert_eq!(first["recordings"].as_array().expect("list").len(), 2);
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let second = page(&format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(second["recordings"].as_array().expect("list").len(), 1);
    assert_eq!(second["next_cursor"], Value::Null);
    assert_eq!(
        app.get_as("/api/v1/tenants/acme/recordings?sort=sideways", &root)
            .await
            .status(),
        400
    );

    let id = second["recordings"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let changed = app
        .patch_as(
            &format!("/api/v1/tenants/acme/recordings/{id}"),
            &root,
            &json!({ "tags": ["kept"] }),
        )
        .await;
    assert_eq!(
        changed.json::<Value>().await.expect("JSON")["tags"],
        json!(["kept"])
    );
    assert_eq!(
        app.delete_as(&format!("/api/v1/tenants/acme/recordings/{id}"), &root)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.get_as(&format!("/api/v1/tenants/acme/recordings/{id}"), &root)
            .await
            .status(),
        404
    );
    assert_eq!(
        page("").await["recordings"].as_array().expect("list").len(),
        2
    );
}

#[tokio::test]
async fn the_sweeper_removes_bytes_no_recording_names_and_nothing_else() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    let kept: Value = app
        .upload(&root, "acme", &wav(2_000))
        .await
        .json()
        .await
        .expect("JSON");
    let store = callvault::storage::open(&StorageLocation::Directory(
        app.data_dir.path().join("objects"),
    ))
    .await
    .expect("store");
    let stray = ObjectPath::from("recordings/00000000-0000-0000-0000-000000000000/stray/object");
    store
        .put(&stray, b"left by a crash".to_vec().into())
        .await
        .expect("written");

    let db = app.db().await;
    let young = sweeper::sweep(&db, &store, sweeper::GRACE)
        .await
        .expect("swept");
    assert_eq!(young.removed, 0, "a young stray may still get its row");
    let report = sweeper::sweep(&db, &store, chrono::Duration::zero())
        .await
        .expect("swept");
    assert_eq!(
        report,
        sweeper::SweepReport {
            checked: 2,
            removed: 1
        }
    );
    assert!(store.head(&stray).await.is_err());
    let played = app
        .play(&root, "acme", kept["id"].as_str().expect("id"))
        .await;
    assert_eq!(played, wav(2_000));
}
