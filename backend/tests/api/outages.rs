//! Outages of what callvault runs on: its PostgreSQL stopped under load, then its object store,
//! then both under the retention job.
//! Each test runs the dependency it stops itself, so that no other test notices. They need
//! Garage, so `cargo xtask test --scale` runs them; elsewhere they are ignored.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use callvault::domain::audit::Actor;
use callvault::domain::retention::{expiry, policy};
use callvault::infra::entities::tenant;
use callvault_shared::api::RetentionPolicy;
use chrono::{SubsecRound, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::dependencies::{GarageServer, PostgresServer};
use crate::fixtures::wav;
use crate::helpers::{Session, TestApp, under_prefix};

/// A 503 must come at least this fast: the pool waits 3 s for a connection, the store client
/// 2 s to connect and 5 s in all with its retries; the rest is slack for a loaded machine.
const FAST: Duration = Duration::from_secs(8);

/// One answer a load client had, and when.
#[derive(Debug, Clone, Copy)]
struct Answer {
    sent: Instant,
    took: Duration,
    /// 0 when no HTTP answer came at all.
    status: u16,
}

/// Clients listing and playing recordings in a loop until stopped.
struct Load {
    running: Arc<AtomicBool>,
    answers: Arc<Mutex<Vec<Answer>>>,
    clients: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(app: &TestApp, session: &Session, ids: &[String]) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let answers = Arc::new(Mutex::new(Vec::new()));
        let clients = (0..8)
            .map(|client| {
                let (running, answers) = (running.clone(), answers.clone());
                let (http, token) = (app.client.clone(), session.token.clone());
                let base = format!("{}/api/v1/tenants/acme/recordings", app.address);
                let ids = ids.to_vec();
                tokio::spawn(async move {
                    let mut turn = client;
                    while running.load(Ordering::SeqCst) {
                        turn += 1;
                        let url = if turn % 2 == 0 {
                            base.clone()
                        } else {
                            format!("{base}/{}/audio", ids[turn % ids.len()])
                        };
                        let sent = Instant::now();
                        let status = match http.get(url).bearer_auth(&token).send().await {
                            Ok(response) => {
                                let status = response.status().as_u16();
                                let _ = response.bytes().await;
                                status
                            }
                            Err(_) => 0,
                        };
                        answers.lock().expect("lock").push(Answer {
                            sent,
                            took: sent.elapsed(),
                            status,
                        });
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                })
            })
            .collect();
        Self {
            running,
            answers,
            clients,
        }
    }

    async fn stop(self) -> Vec<Answer> {
        self.running.store(false, Ordering::SeqCst);
        for client in self.clients {
            client.await.expect("load client");
        }
        self.answers.lock().expect("lock").clone()
    }
}

async fn upload_some(app: &TestApp, session: &Session, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for index in 0..count {
        let response = app.upload(session, "acme", &wav(4_000 + index)).await;
        assert_eq!(response.status(), 201);
        let created: Value = response.json().await.expect("JSON");
        ids.push(created["id"].as_str().expect("id").to_owned());
    }
    ids
}

async fn listed(app: &TestApp, session: &Session) -> usize {
    let response = app
        .get_as("/api/v1/tenants/acme/recordings?limit=500", session)
        .await;
    assert_eq!(response.status(), 200);
    let listed: Value = response.json().await.expect("JSON");
    listed["recordings"].as_array().expect("list").len()
}

/// Waits until `/readyz` answers 200, and says how long that took.
async fn ready_again(app: &TestApp) -> Duration {
    let since = Instant::now();
    while app.readyz().await.status() != 200 {
        assert!(
            since.elapsed() < Duration::from_secs(60),
            "the server never became ready again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    since.elapsed()
}

async fn readiness_while_down(app: &TestApp) -> Value {
    let response = app.readyz().await;
    assert_eq!(response.status(), 503);
    response.json().await.expect("JSON")
}

fn assert_unavailable(response: &reqwest::Response, what: &str) {
    assert_eq!(response.status(), 503, "{what}");
    assert!(
        response.headers().contains_key("retry-after"),
        "{what}: a 503 says when to retry"
    );
}

#[tokio::test]
#[ignore = "fault test: `cargo xtask test --scale` runs it"]
async fn a_database_outage_under_load_answers_503_fast_and_heals_by_itself() {
    let postgres = PostgresServer::start();
    let app = TestApp::spawn_process_on(Some(&postgres.admin_url()), None).await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    let ids = upload_some(&app, &root, 10).await;

    let load = Load::start(&app, &root, &ids);
    tokio::time::sleep(Duration::from_secs(2)).await;
    postgres.stop();
    let down = Instant::now();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let readiness = readiness_while_down(&app).await;
    assert_eq!(
        (&readiness["database"], &readiness["storage"]),
        (&Value::from("unavailable"), &Value::from("ok"))
    );
    let upload = app.upload(&root, "acme", &wav(9_999)).await;
    assert_unavailable(&upload, "an upload while the database is down");
    let up = Instant::now();
    postgres.resume();
    let healed = ready_again(&app).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let answers = load.stop().await;

    let unexpected: Vec<&Answer> = answers
        .iter()
        .filter(|answer| ![200, 503].contains(&answer.status))
        .collect();
    assert!(unexpected.is_empty(), "only 200 or 503: {unexpected:?}");
    // Sent after the stop and answered before the start: a request still waiting for a
    // connection when PostgreSQL came back may rightly succeed.
    let during: Vec<&Answer> = answers
        .iter()
        .filter(|answer| {
            answer.sent > down + Duration::from_millis(200) && answer.sent + answer.took < up
        })
        .collect();
    assert!(!during.is_empty(), "the load went on during the outage");
    let succeeded: Vec<&&Answer> = during
        .iter()
        .filter(|answer| answer.status != 503)
        .collect();
    assert!(
        succeeded.is_empty(),
        "every request during the outage failed with 503: {succeeded:?}"
    );
    let slowest = during
        .iter()
        .map(|answer| answer.took)
        .max()
        .unwrap_or_default();
    eprintln!(
        "{} answers during the outage, all 503, the slowest in {slowest:?}; ready again {healed:?} after PostgreSQL was",
        during.len()
    );
    assert!(
        slowest < FAST,
        "503s came fast: the slowest took {slowest:?}"
    );
    let after = answers
        .iter()
        .filter(|answer| answer.sent > up + healed + Duration::from_millis(500));
    assert!(
        after.clone().count() > 0 && after.clone().all(|answer| answer.status == 200),
        "once ready again, every request succeeds"
    );

    // Nothing was corrupted or half-written: the same ten recordings, whole.
    assert_eq!(listed(&app, &root).await, ids.len());
    for (index, id) in ids.iter().enumerate() {
        assert!(app.play(&root, "acme", id).await == wav(4_000 + index));
    }
    assert_eq!(app.object_count("recordings").await, ids.len());
}

#[tokio::test]
#[ignore = "fault test: `cargo xtask test --scale` runs it"]
async fn an_object_store_outage_fails_uploads_cleanly_answers_503_and_heals_by_itself() {
    let mut garage = GarageServer::start();
    let prefix = format!("outage-{}", uuid::Uuid::new_v4().simple());
    let app =
        TestApp::spawn_process_on(None, Some(under_prefix(&garage.storage_url, &prefix))).await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    let ids = upload_some(&app, &root, 5).await;

    // An upload under way when the store goes: 1 MiB trickled over two seconds.
    let audio = wav(512 * 1024);
    let pieces: Vec<Vec<u8>> = audio.chunks(64 * 1024).map(<[u8]>::to_vec).collect();
    let trickle =
        futures_util::StreamExt::then(futures_util::stream::iter(pieces), |piece| async {
            tokio::time::sleep(Duration::from_millis(120)).await;
            Ok::<_, std::io::Error>(piece)
        });
    let under_way = tokio::spawn(
        app.client
            .post(format!("{}/api/v1/tenants/acme/recordings", app.address))
            .bearer_auth(&root.token)
            .header("content-type", "audio/wav")
            .body(reqwest::Body::wrap_stream(trickle))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    garage.stop();
    let under_way = under_way.await.expect("task").expect("answered");
    assert_unavailable(&under_way, "an upload under way when the store went");

    let readiness = readiness_while_down(&app).await;
    assert_eq!(
        (&readiness["database"], &readiness["storage"]),
        (&Value::from("ok"), &Value::from("unavailable"))
    );
    let sent = Instant::now();
    let upload = app.upload(&root, "acme", &wav(9_999)).await;
    let upload_took = sent.elapsed();
    assert_unavailable(&upload, "an upload while the store is down");
    let sent = Instant::now();
    let play = app
        .get_as(
            &format!("/api/v1/tenants/acme/recordings/{}/audio", ids[0]),
            &root,
        )
        .await;
    let play_took = sent.elapsed();
    assert_unavailable(&play, "playback while the store is down");
    eprintln!(
        "while the store was down: upload 503 in {upload_took:?}, playback 503 in {play_took:?}"
    );
    assert!(upload_took < FAST && play_took < FAST, "503s came fast");
    assert_eq!(
        listed(&app, &root).await,
        ids.len(),
        "the failed uploads left no row without bytes"
    );

    garage.resume();
    let healed = ready_again(&app).await;
    eprintln!("ready again {healed:?} after Garage was");
    let upload = app.upload(&root, "acme", &wav(9_999)).await;
    assert_eq!(upload.status(), 201, "uploads work again");
    assert!(app.play(&root, "acme", &ids[0]).await == wav(4_000));
    assert_eq!(listed(&app, &root).await, ids.len() + 1);
    assert_eq!(app.object_count("recordings").await, ids.len() + 1);
}

#[tokio::test]
#[ignore = "fault test: `cargo xtask test --scale` runs it"]
async fn expiry_goes_on_through_store_and_database_outages_and_deletes_nothing_by_half() {
    let postgres = PostgresServer::start();
    let mut garage = GarageServer::start();
    let prefix = format!("expiry-{}", uuid::Uuid::new_v4().simple());
    let app = TestApp::spawn_process_on(
        Some(&postgres.admin_url()),
        Some(under_prefix(&garage.storage_url, &prefix)),
    )
    .await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    // As the databases keep it, and the clock the runs below are given.
    let now = Utc::now().trunc_subsecs(6);
    let started =
        (now - chrono::Duration::days(400)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    for index in 0..5 {
        let response = app
            .client
            .post(format!(
                "{}/api/v1/tenants/acme/recordings?started_at={started}",
                app.address
            ))
            .bearer_auth(&root.token)
            .header("content-type", "audio/wav")
            .body(wav(4_000 + index))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 201);
    }
    let (db, store) = (app.db().await, app.store().await);
    let acme = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq("acme"))
        .one(&db)
        .await
        .expect("query")
        .expect("tenant");
    let year = RetentionPolicy {
        keep_days: Some(365),
        rules: vec![],
    };
    let operator = Actor {
        id: None,
        name: "root".into(),
        origin: "test".into(),
    };
    // Set a month ago, so that its week of grace is over.
    policy::set(
        &db,
        &acme,
        year,
        None,
        &operator,
        now - chrono::Duration::days(30),
    )
    .await
    .expect("policy set");

    // The store down: each deletion fails and is rolled back, and the run stops early
    // rather than waiting out the store client's timeouts for every recording.
    garage.stop();
    let report = expiry::run(&db, &store, now, false, usize::MAX)
        .await
        .expect("a run through a store outage ends with its report");
    assert_eq!(
        (report.expired.len(), report.failed, report.stopped),
        (0, expiry::FAILURES_IN_A_ROW, true)
    );
    garage.resume();
    assert_eq!(listed(&app, &root).await, 5, "nothing deleted by half");

    // The database down: the run fails as a whole and changes nothing.
    postgres.stop();
    let during = expiry::run(&db, &store, now, false, usize::MAX).await;
    assert!(during.is_err(), "a run without its database fails");
    postgres.resume();
    ready_again(&app).await;
    assert_eq!(listed(&app, &root).await, 5);
    assert_eq!(app.object_count("recordings").await, 5);

    // Both back: the next run deletes them all, rows and bytes.
    let report = expiry::run(&db, &store, now, false, usize::MAX)
        .await
        .expect("run");
    assert_eq!((report.expired.len(), report.failed), (5, 0));
    assert_eq!(listed(&app, &root).await, 0);
    assert_eq!(app.object_count("recordings").await, 0);
}
