//! Seeking in a sealed recording: a seek sends the database a bounded number of statements,
//! none once its playback is on record, and a playback is one `recording.play` record when it
//! begins and one `recording.played` tally when it is over, not a record per range.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fixtures::{encrypted_tenant, system_key, wav};
use crate::helpers::{Session, TestApp};

/// Statements a seek may send at most: the first of a playback looks up the session, the
/// tenant, the recording, its key and the grant, and appends the audit record.
const BOUND: u32 = 16;
/// Bytes per seek.
const SPAN: u64 = 4096;

async fn upload(app: &TestApp, session: &Session) -> String {
    let response = app.upload(session, "acme", &wav(200_000)).await;
    assert_eq!(response.status(), 201, "upload");
    let recording: Value = response.json().await.expect("JSON");
    recording["id"].as_str().expect("id").to_owned()
}

/// `SPAN` bytes of the recording from `start`.
async fn ranged(app: &TestApp, session: &Session, id: &str, start: u64) -> reqwest::Response {
    app.client
        .get(format!(
            "{}/api/v1/tenants/acme/recordings/{id}/audio",
            app.address
        ))
        .bearer_auth(&session.token)
        .header("Range", format!("bytes={start}-{}", start + SPAN - 1))
        .send()
        .await
        .expect("sent")
}

/// A ranged request's status, the statements it sent (from `Server-Timing`) and its length.
async fn seek(app: &TestApp, session: &Session, id: &str, start: u64) -> (u16, u32, usize) {
    let response = ranged(app, session, id, start).await;
    let status = response.status().as_u16();
    let statements = response
        .headers()
        .get("server-timing")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split('"').nth(1))
        .and_then(|description| description.split(' ').next())
        .and_then(|count| count.parse().ok())
        .expect("Server-Timing: db;desc=\"N statements\"");
    let body = response.bytes().await.expect("body");
    (status, statements, body.len())
}

async fn records(app: &TestApp, session: &Session, action: &str, id: &str) -> Vec<Value> {
    let page: Value = app
        .get_as(
            &format!("/api/v1/tenants/acme/audit?action={action}&limit=1000"),
            session,
        )
        .await
        .json()
        .await
        .expect("JSON");
    page["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|event| event["object_id"] == id)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_seek_sends_a_bounded_number_of_statements_and_none_once_its_playback_is_on_record() {
    let app = TestApp::spawn_with(|config| config.server_timing = true).await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;
    let id = upload(&app, &acme.admin).await;

    let mut statements = Vec::new();
    for seek_number in 0..20 {
        let (status, sent, length) = seek(&app, &acme.admin, &id, seek_number * 17_000).await;
        assert_eq!((status, length), (206, SPAN as usize), "seek {seek_number}");
        statements.push(sent);
    }
    eprintln!("statements per seek: {statements:?}");
    assert!(
        statements.iter().all(|&sent| sent <= BOUND),
        "every seek sends at most {BOUND} statements: {statements:?}"
    );
    assert!(
        statements[0] > 0,
        "the first seek of a playback writes its record"
    );
    // The cache serves only while its last look at the database is fresh; on a starved
    // machine a seek may now and then read afresh, but most must not.
    let warm = &statements[1..];
    let none = warm.iter().filter(|&&sent| sent == 0).count();
    assert!(
        none * 4 >= warm.len() * 3,
        "seeks after the first send no statement: {statements:?}"
    );
}

#[tokio::test]
async fn a_playback_is_one_record_when_it_begins_and_one_tally_when_it_is_over() {
    let app = TestApp::spawn_with(|config| config.playback_idle = Duration::from_secs(1)).await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;
    let id = upload(&app, &acme.admin).await;

    let starts = [
        0, 50_000, 4_096, 120_000, 8_192, 300_000, 12_288, 50_000, 0, 390_000,
    ];
    for start in starts {
        assert_eq!(ranged(&app, &acme.admin, &id, start).await.status(), 206);
    }
    let opened = records(&app, &acme.admin, "recording.play", &id).await;
    assert_eq!(opened.len(), 1, "one record opens the playback: {opened:?}");
    assert_eq!(opened[0]["details"]["range"], "bytes=0-4095");
    let playback = opened[0]["details"]["playback"].clone();

    // Idle for a second, the playback is over and its tally is written.
    let deadline = Instant::now() + Duration::from_secs(10);
    let tally = loop {
        let tallies = records(&app, &acme.admin, "recording.played", &id).await;
        if let Some(tally) = tallies.first() {
            assert_eq!(tallies.len(), 1, "one tally: {tallies:?}");
            break tally.clone();
        }
        assert!(Instant::now() < deadline, "no recording.played record");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let details = &tally["details"];
    assert_eq!(details["playback"], playback);
    assert_eq!(details["requests"], starts.len());
    assert_eq!(details["bytes"], starts.len() as u64 * SPAN);
    // 0-16383 joined from four adjacent seeks, the rest apart; repeats counted once.
    assert_eq!(
        details["ranges"],
        serde_json::json!([
            "0-16383",
            "50000-54095",
            "120000-124095",
            "300000-304095",
            "390000-394095"
        ])
    );
    assert_eq!(tally["actor"], opened[0]["actor"]);

    // The next request begins another playback.
    assert_eq!(ranged(&app, &acme.admin, &id, 0).await.status(), 206);
    assert_eq!(
        records(&app, &acme.admin, "recording.play", &id)
            .await
            .len(),
        2
    );
    assert_eq!(app.audit_verify(&acme.admin, "acme").await["intact"], true);
}
