//! Recordings: what ingest accepts and refuses, plaintext storage, the catalogue, deletion and
//! the sweeper.

use std::path::Path;

use callvault::domain::recordings::sweeper;
use callvault_shared::api::{Direction, Recording, RecordingPage};
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use serde_json::{Value, json};

use crate::fixtures::wav;
use crate::helpers::TestApp;

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
    let listed: RecordingPage = app
        .get_as("/api/v1/tenants/acme/recordings", &root)
        .await
        .json()
        .await
        .expect("JSON");
    assert!(
        listed.recordings.is_empty(),
        "refused uploads leave nothing"
    );

    // Declared as something else, stored as what the bytes are; plaintext while encryption is off.
    let audio = wav(8_000);
    let stored = upload(audio.clone(), "application/octet-stream")
        .await
        .expect("sent");
    assert_eq!(stored.status(), 201);
    let recording: Recording = stored.json().await.expect("JSON");
    assert_eq!(recording.content_type, "audio/wav");
    assert!(!recording.sealed);
    assert_eq!(recording.key_fingerprint, None);
    assert_eq!(recording.duration_ms, Some(1000));
    assert_eq!(recording.tags, ["sales", "vip"]);
    assert_eq!(recording.size_bytes, audio.len() as u64);
    let id = recording.id;
    let download = app
        .get_as(
            &format!("/api/v1/tenants/acme/recordings/{id}/audio?download=true"),
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

/// Every column sorts on the server, both ways, with the id breaking ties; pages by number
/// come with the total; missing values come last either way; bad combinations are refused.
#[tokio::test]
async fn the_catalogue_orders_by_any_column_and_pages_by_number_with_a_total() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    // Uploaded in this order; started, callers and lengths in other orders; one without a
    // start time.
    let calls = [
        ("carol", Some("2026-11-02T10:00:00Z"), 900),
        ("alice", Some("2026-11-03T10:00:00Z"), 300),
        ("bob", None, 600),
        ("dave", Some("2026-11-01T10:00:00Z"), 1200),
    ];
    for (caller, started, ms) in calls {
        let started = started
            .map(|at| format!("&started_at={at}"))
            .unwrap_or_default();
        let response = app
            .client
            .post(format!(
                "{}/api/v1/tenants/acme/recordings?caller={caller}{started}",
                app.address
            ))
            .bearer_auth(&root.token)
            .body(wav(ms))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 201);
    }
    let callers = |query: &'static str| {
        let path = format!("/api/v1/tenants/acme/recordings?{query}");
        let (root, app) = (&root, &app);
        async move {
            let page = app
                .get_as(&path, root)
                .await
                .json::<RecordingPage>()
                .await
                .expect("JSON");
            let names = page
                .recordings
                .iter()
                .map(|r| r.caller.clone().unwrap_or_default())
                .collect::<Vec<_>>();
            (names, page.total, page.next_cursor)
        }
    };
    let (names, total, _) = callers("").await;
    assert_eq!(
        (names, total),
        (
            vec!["dave", "bob", "alice", "carol"]
                .into_iter()
                .map(String::from)
                .collect(),
            4
        )
    );
    assert_eq!(
        callers("order_by=caller&sort=oldest").await.0,
        ["alice", "bob", "carol", "dave"]
    );
    assert_eq!(
        callers("order_by=caller").await.0,
        ["dave", "carol", "bob", "alice"]
    );
    assert_eq!(
        callers("order_by=started_at&sort=oldest").await.0,
        ["dave", "carol", "alice", "bob"]
    );
    assert_eq!(
        callers("order_by=started_at").await.0,
        ["alice", "carol", "dave", "bob"]
    );
    assert_eq!(
        callers("order_by=duration&sort=oldest").await.0,
        ["alice", "bob", "carol", "dave"]
    );
    // Pages by number: the total on each, no cursor, nothing repeated or skipped.
    let (first, total, cursor) = callers("order_by=caller&sort=oldest&limit=3&page=1").await;
    assert_eq!((first.len(), total, cursor), (3, 4, None));
    let (second, total, _) = callers("order_by=caller&sort=oldest&limit=3&page=2").await;
    assert_eq!((second, total), (vec!["dave".to_owned()], 4));
    assert_eq!(callers("caller=bob&page=1").await.1, 1);
    for bad in [
        "order_by=caller&cursor=0190a5a0-0000-7000-8000-000000000000",
        "page=1&cursor=0190a5a0-0000-7000-8000-000000000000",
        "page=0",
        "order_by=loudness",
    ] {
        let path = format!("/api/v1/tenants/acme/recordings?{bad}");
        assert_eq!(app.get_as(&path, &root).await.status(), 400, "{bad}");
    }
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
                .json::<RecordingPage>()
                .await
                .expect("JSON")
        }
    };
    assert_eq!(page("?caller=alice").await.recordings.len(), 2);
    assert_eq!(page("?tag=support").await.recordings.len(), 2);
    assert_eq!(page("?tag=supp").await.recordings.len(), 0);
    let first = page("?limit=2").await;
    assert_eq!(first.recordings.len(), 2);
    let cursor = first.next_cursor.expect("a next page");
    let second = page(&format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(second.recordings.len(), 1);
    assert_eq!(second.next_cursor, None);
    assert_eq!(
        app.get_as("/api/v1/tenants/acme/recordings?sort=sideways", &root)
            .await
            .status(),
        400
    );

    let id = second.recordings[0].id;
    let changed = app
        .patch_as(
            &format!("/api/v1/tenants/acme/recordings/{id}"),
            &root,
            &json!({ "tags": ["kept"] }),
        )
        .await;
    assert_eq!(
        changed.json::<Recording>().await.expect("JSON").tags,
        ["kept"]
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
    assert_eq!(page("").await.recordings.len(), 2);
}

#[tokio::test]
async fn the_sweeper_removes_bytes_no_recording_names_and_nothing_else() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    let kept: Recording = app
        .upload(&root, "acme", &wav(2_000))
        .await
        .json()
        .await
        .expect("JSON");
    let store = app.store().await;
    let stray = ObjectPath::from("recordings/00000000-0000-0000-0000-000000000000/stray/object");
    store
        .put(&stray, b"left by a crash".to_vec().into())
        .await
        .expect("written");

    let db = app.db().await;
    let young = sweeper::sweep(&db, &store, None, sweeper::GRACE)
        .await
        .expect("swept");
    assert_eq!(young.removed, 0, "a young stray may still get its row");
    let report = sweeper::sweep(&db, &store, None, chrono::Duration::zero())
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
    let played = app.play(&root, "acme", &kept.id.to_string()).await;
    assert_eq!(played, wav(2_000));
}

#[tokio::test]
async fn a_multipart_upload_takes_json_metadata_and_the_file() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    let audio = wav(4_000);
    let form = reqwest::multipart::Form::new()
        .part(
            "metadata",
            reqwest::multipart::Part::text(
                json!({ "caller": "+4930111", "direction": "outbound", "tags": ["a", "b"] })
                    .to_string(),
            )
            .mime_str("application/json")
            .expect("mime"),
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(audio.clone()).file_name("call.wav"),
        );
    let response = app
        .client
        .post(format!("{}/api/v1/tenants/acme/recordings", app.address))
        .bearer_auth(&root.token)
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    let recording: Recording = response.json().await.expect("JSON");
    assert_eq!(recording.caller.as_deref(), Some("+4930111"));
    assert_eq!(recording.direction, Some(Direction::Outbound));
    assert_eq!(recording.tags, ["a", "b"]);
    assert_eq!(
        app.play(&root, "acme", &recording.id.to_string()).await,
        audio
    );

    let wrong_order = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(audio))
        .text("metadata", "{}");
    let response = app
        .client
        .post(format!("{}/api/v1/tenants/acme/recordings", app.address))
        .bearer_auth(&root.token)
        .multipart(wrong_order)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 400);
}

/// 50 uploads at once, some quick, some trickling; the server is killed (SIGKILL) while they
/// run. After a restart: every acknowledged upload plays back intact, nothing half-written is
/// listed, and after a sweep every stored object belongs to a listed recording.
#[tokio::test]
async fn a_sigkill_during_50_concurrent_uploads_loses_nothing_acknowledged() {
    use futures_util::StreamExt;

    let mut app = TestApp::spawn_process().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;

    let mut uploads = Vec::new();
    let landed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for index in 0..50usize {
        let landed = landed.clone();
        let audio = wav(2_000 + index * 997);
        let slow = index % 2 == 1;
        let pieces: Vec<Vec<u8>> = audio.chunks(4096).map(<[u8]>::to_vec).collect();
        let body = futures_util::stream::iter(pieces).then(move |piece| async move {
            if slow {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Ok::<_, std::io::Error>(piece)
        });
        let request = app
            .client
            .post(format!("{}/api/v1/tenants/acme/recordings", app.address))
            .bearer_auth(&root.token)
            .header("content-type", "audio/wav")
            .body(reqwest::Body::wrap_stream(body));
        uploads.push(tokio::spawn(async move {
            let response = request.send().await.ok()?;
            if response.status() != 201 {
                return None;
            }
            // An answer cut off by the kill is no acknowledgement; a whole one that is not a
            // recording fails the test.
            let recording: Value = response.json().await.ok()?;
            let recording: Recording = serde_json::from_value(recording).expect("a recording");
            landed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Some((recording, audio))
        }));
    }
    // Kill once a few have landed, while the trickling ones (up to 2.5 s each) are in flight.
    for _ in 0..500 {
        if landed.load(std::sync::atomic::Ordering::SeqCst) >= 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    app.kill();
    let mut acknowledged = Vec::new();
    for upload in uploads {
        if let Some(done) = upload.await.expect("task") {
            acknowledged.push(done);
        }
    }
    let log = std::fs::read_to_string(app.data_dir.path().join(crate::helpers::SERVER_LOG))
        .unwrap_or_default();
    let errors: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("ERROR") || line.contains("status_code=5"))
        .take(5)
        .collect();
    assert!(
        !acknowledged.is_empty() && acknowledged.len() < 50,
        "the kill came mid-way: {} acknowledged; server errors: {errors:#?}",
        acknowledged.len()
    );

    app.restart_process().await;
    let root = app.sign_in_root().await;
    let listed: RecordingPage = app
        .get_as("/api/v1/tenants/acme/recordings?limit=500", &root)
        .await
        .json()
        .await
        .expect("JSON");
    let listed = listed.recordings;
    for (recording, audio) in &acknowledged {
        assert!(
            listed.iter().any(|r| r.id == recording.id),
            "an acknowledged upload is listed"
        );
        assert_eq!(
            &app.play(&root, "acme", &recording.id.to_string()).await,
            audio
        );
    }
    // Every listed recording is whole, acknowledged or not (its row was written after its bytes).
    for recording in &listed {
        let played = app.play(&root, "acme", &recording.id.to_string()).await;
        assert_eq!(played.len() as u64, recording.size_bytes);
        assert_eq!(crate::fixtures::sha256(&played), recording.sha256);
    }

    app.sweep_now().await;
    assert_eq!(
        app.object_count("recordings").await,
        listed.len(),
        "one object per listed recording, no orphan"
    );
    if !app.storage_url.starts_with("s3://") {
        // An upload cut off by the kill leaves a staging file that the sweep must remove.
        let mut directories = vec![Path::new(&app.storage_url).join("recordings")];
        while let Some(directory) = directories.pop() {
            for entry in std::fs::read_dir(&directory).expect("dir") {
                let path = entry.expect("entry").path();
                assert!(
                    !path.to_string_lossy().contains('#'),
                    "a staging file stays: {}",
                    path.display()
                );
                if path.is_dir() {
                    directories.push(path);
                }
            }
        }
    }
}

#[tokio::test]
async fn the_demo_seeds_a_tenant_whose_calls_play_for_its_supervisor() {
    let app = TestApp::spawn().await;
    let demo = || app.command().arg("demo").output().expect("runs");
    let output = demo();
    let said = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{said}");
    let password = said
        .lines()
        .find_map(|line| line.trim().strip_prefix("demo-supervisor"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .expect("the supervisor's password is shown");
    let supervisor = app.sign_in("demo-supervisor", password).await;
    let page: RecordingPage = app
        .get_as("/api/v1/tenants/demo/recordings?limit=100", &supervisor)
        .await
        .json()
        .await
        .expect("JSON");
    let recordings = &page.recordings;
    assert_eq!(recordings.len(), 36);
    assert!(recordings.iter().all(|r| r.sealed));
    let first = &recordings[0];
    let played = app.play(&supervisor, "demo", &first.id.to_string()).await;
    assert_eq!(crate::fixtures::sha256(&played), first.sha256);
    assert!(first.duration_ms.expect("duration") >= 4000);

    let again = demo();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    // What `cargo xtask run --demo` runs before every start: seeds once, then leaves it be.
    let if_absent = app
        .command()
        .args(["demo", "--if-absent"])
        .output()
        .expect("runs");
    let said = String::from_utf8_lossy(&if_absent.stderr);
    assert!(if_absent.status.success(), "{said}");
    assert!(said.contains("nothing to seed"), "{said}");
}

/// A client that stops sending in the middle of an upload is cut off with a 408 once the idle
/// limit passes, and leaves no recording and no object behind; the server goes on serving.
#[tokio::test]
async fn a_stalled_upload_is_cut_off_and_leaves_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(|config| {
        config.upload_idle = std::time::Duration::from_secs(1);
    })
    .await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;

    let audio = wav(20_000);
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connected");
    let head = format!(
        "POST /api/v1/tenants/acme/recordings HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\nContent-Type: audio/wav\r\nContent-Length: {}\r\n\r\n",
        root.token,
        audio.len()
    );
    stream.write_all(head.as_bytes()).await.expect("sent");
    stream.write_all(&audio[..4096]).await.expect("sent");
    // And then nothing, for longer than the limit.
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("the server answers within the limit, not never")
    .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");

    let page: RecordingPage = app
        .get_as("/api/v1/tenants/acme/recordings", &root)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(page.recordings.len(), 0);
    assert_eq!(app.object_count("recordings").await, 0);
    assert_eq!(app.upload(&root, "acme", &audio).await.status(), 201);
}

/// MP3 and Ogg/Opus say their length nowhere in a header: it is read from their packets as
/// the plaintext streams in to be sealed, and the sealed recording plays back byte for byte.
#[tokio::test]
async fn compressed_calls_get_their_length_from_the_stream_while_sealed() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    crate::fixtures::system_key(&app, &root).await;
    let acme = crate::fixtures::encrypted_tenant(&app, &root, "acme").await;
    for (audio, content_type, length_ms) in [
        (callvault_shared::synthetic::mp3(250), "audio/mpeg", 6531),
        (
            callvault_shared::synthetic::ogg_opus(150),
            "audio/ogg",
            3000,
        ),
    ] {
        let response = app
            .client
            .post(format!("{}/api/v1/tenants/acme/recordings", app.address))
            .bearer_auth(&acme.admin.token)
            .header("content-type", content_type)
            .body(audio.clone())
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 201);
        let recording: Recording = response.json().await.expect("JSON");
        assert!(recording.sealed);
        assert_eq!(recording.content_type, content_type);
        assert_eq!(recording.duration_ms, Some(length_ms), "{content_type}");
        let played = app
            .play(&acme.admin, "acme", &recording.id.to_string())
            .await;
        assert_eq!(played, audio);
    }
}
