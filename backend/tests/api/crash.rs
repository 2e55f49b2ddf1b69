//! SIGKILL at random moments: three times during 200 uploads, and once during the rewrap of
//! them to a new key. After every restart nothing acknowledged is lost, nothing half-written is
//! listed, the sweeper leaves no orphan object, and the rewrap completes. The moments come from
//! a seed that the test prints; `CALLVAULT_TEST_SEED` replays one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use callvault_shared::api::{AuditPage, RecordingPage};
use serde_json::{Value, json};

use crate::fixtures::wav;
use crate::fixtures::{create_key, encrypted_tenant, sha256, system_key};
use crate::helpers::{Session, TestApp};
use crate::rewrap_job::RewrapJob;

const UPLOADS: usize = 200;
/// Uploads in flight at once.
const CLIENTS: usize = 10;
const KILLS_DURING_UPLOADS: usize = 3;

fn audio(index: usize) -> Vec<u8> {
    wav(2_000 + index * 53)
}

pub fn seed() -> u64 {
    std::env::var("CALLVAULT_TEST_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|since| since.as_nanos() as u64)
                .unwrap_or_default()
        })
}

#[tokio::test]
async fn sigkills_at_random_moments_lose_nothing_acknowledged_and_the_rewrap_completes() {
    let seed = seed();
    eprintln!("CALLVAULT_TEST_SEED={seed}");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut app = TestApp::spawn_process().await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;

    // Uploads, by clients that retry whatever fails while the server is down.
    let address = Arc::new(RwLock::new(app.address.clone()));
    let acknowledged = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (address, acknowledged, next) =
                (address.clone(), acknowledged.clone(), next.clone());
            let (client, token) = (app.client.clone(), acme.admin.token.clone());
            tokio::spawn(async move {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    if index >= UPLOADS {
                        return;
                    }
                    loop {
                        let url = format!(
                            "{}/api/v1/tenants/acme/recordings",
                            address.read().expect("address")
                        );
                        let sent = client
                            .post(url)
                            .bearer_auth(&token)
                            .header("content-type", "audio/wav")
                            // What a recorder does: one key per call, sent again with every
                            // retry, so that an upload whose answer the kill cut is not stored
                            // twice.
                            .header("idempotency-key", format!("crash-call-{index}"))
                            .body(audio(index))
                            .send()
                            .await;
                        match sent {
                            Ok(response) if response.status() == 201 => {
                                let Ok(created) = response.json::<Value>().await else {
                                    continue;
                                };
                                let id = created["id"].as_str().expect("id").to_owned();
                                acknowledged.lock().expect("lock").insert(id, index);
                                break;
                            }
                            Ok(response) => assert!(
                                response.status() == 503,
                                "upload {index}: {} {:?}",
                                response.status(),
                                response.text().await
                            ),
                            Err(_) => {}
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            })
        })
        .collect();
    let mut kill_after: Vec<usize> = (0..KILLS_DURING_UPLOADS)
        .map(|_| rng.usize(10..UPLOADS - 10))
        .collect();
    kill_after.sort_unstable();
    for landed in kill_after {
        wait_until(|| acknowledged.lock().expect("lock").len() >= landed).await;
        tokio::time::sleep(Duration::from_millis(rng.u64(0..40))).await;
        app.kill();
        eprintln!(
            "killed after {} acknowledged uploads",
            acknowledged.lock().expect("lock").len()
        );
        tokio::time::sleep(Duration::from_millis(rng.u64(0..300))).await;
        app.restart_process().await;
        *address.write().expect("address") = app.address.clone();
    }
    for client in clients {
        client.await.expect("client");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert_eq!(
        acknowledged.len(),
        UPLOADS,
        "every upload landed in the end"
    );
    assert_whole(&app, &acme.admin, &acknowledged).await;
    assert_once_each(&app, &acme.admin).await;

    a_rewrap_killed_midway_is_taken_over_and_finished(&mut app, &acme.admin, &mut rng).await;
    assert_whole(&app, &acme.admin, &acknowledged).await;
}

/// A rewrap to a new key, killed at a random point of its progress: the restarted instance
/// takes the job over once the dead one's lease runs out, and moves every recording.
async fn a_rewrap_killed_midway_is_taken_over_and_finished(
    app: &mut TestApp,
    admin: &Session,
    rng: &mut fastrand::Rng,
) {
    let new_key = create_key(app, admin, "acme", json!({ "bits": 2048 })).await;
    let new_id = new_key["id"].as_str().expect("id").to_owned();
    let activated = app
        .post_as(
            &format!("/api/v1/tenants/acme/keys/{new_id}/activate"),
            admin,
            &json!({}),
        )
        .await;
    assert_eq!(activated.status(), 200);
    let started = app
        .post_as("/api/v1/tenants/acme/rewrap", admin, &json!({}))
        .await;
    assert_eq!(started.status(), 202);
    let started: Value = started.json().await.expect("JSON");
    let job = RewrapJob::of(app, &started).await;
    job.reach(rng.i64(1..(UPLOADS as i64) / 2)).await;
    app.kill();
    let at_kill = job.now().await;
    eprintln!("rewrap killed at {} of {}", at_kill.done, at_kill.total);
    assert!(
        at_kill.state != callvault_shared::api::JobState::Done,
        "the rewrap ended before the kill ({} of {})",
        at_kill.done,
        at_kill.total
    );
    app.restart_process().await;
    // The restarted instance is a new one: the job is its again once the lease runs out.
    let mut resumed = false;
    for _ in 0..60 {
        let response = app
            .post_as("/api/v1/tenants/acme/rewrap", admin, &json!({}))
            .await;
        if response.status() == 202 {
            resumed = true;
            break;
        }
        assert_eq!(
            response.status(),
            409,
            "while the dead instance's lease lasts"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert!(resumed, "the rewrap was taken over");
    job.finish().await;
    assert_eq!(
        job.left_off(&new_id).await,
        0,
        "recordings left on the old key"
    );
}

/// Every acknowledged upload is listed and plays as sent; every listed recording plays whole;
/// after a sweep the store holds exactly one object per listed recording.
async fn assert_whole(app: &TestApp, admin: &Session, acknowledged: &HashMap<String, usize>) {
    let listed: Value = app
        .get_as("/api/v1/tenants/acme/recordings?limit=500", admin)
        .await
        .json()
        .await
        .expect("JSON");
    let listed = listed["recordings"].as_array().expect("list").clone();
    let listed_ids: HashMap<&str, &Value> = listed
        .iter()
        .map(|recording| (recording["id"].as_str().expect("id"), recording))
        .collect();
    for (id, index) in acknowledged {
        assert!(listed_ids.contains_key(id.as_str()), "upload {index} lost");
    }
    for (id, recording) in &listed_ids {
        let played = app.play(admin, "acme", id).await;
        assert_eq!(
            played.len() as u64,
            recording["size_bytes"].as_u64().expect("size"),
            "{id} is whole"
        );
        assert_eq!(sha256(&played), recording["sha256"], "{id} is whole");
        if let Some(index) = acknowledged.get(*id) {
            assert!(played == audio(*index), "upload {index} plays as sent");
        }
    }
    app.sweep_now().await;
    assert_eq!(
        app.object_count("recordings").await,
        listed.len(),
        "one object per listed recording, no orphan"
    );
}

/// Exactly one recording per call, however many attempts its answer took, and an audit record
/// for each: the row and its record commit together, and a retry with the call's key gets the
/// first attempt's recording.
async fn assert_once_each(app: &TestApp, admin: &Session) {
    let listed: RecordingPage = app
        .get_as("/api/v1/tenants/acme/recordings?limit=500", admin)
        .await
        .json()
        .await
        .expect("a page of recordings");
    assert_eq!(listed.recordings.len(), UPLOADS, "no call stored twice");
    let audited: AuditPage = app
        .get_as(
            "/api/v1/tenants/acme/audit?action=recording.upload&limit=1000",
            admin,
        )
        .await
        .json()
        .await
        .expect("a page of the audit log");
    assert_eq!(
        audited.events.len(),
        UPLOADS,
        "every stored upload has its audit record"
    );
}

async fn wait_until(condition: impl Fn() -> bool) {
    for _ in 0..3_000 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out");
}
