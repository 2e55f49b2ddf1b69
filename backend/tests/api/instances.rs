//! Several instances on one database and one object store (PostgreSQL and an S3 bucket in the
//! `--scale` profile): a session opened on one works on the other, a grant made on one plays on
//! the other, and a rewrap the first instance died in is finished by the second.

use std::time::Duration;

use callvault_shared::api::{EncryptionKey, Job, Recording, User};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::wav;
use crate::fixtures::{create_key, encrypted_tenant, system_key};
use crate::helpers::{Session, TestApp, USER_PASSWORD};
use crate::rewrap_job::RewrapJob;

/// Enough recordings that a rewrap is still under way when its instance is killed.
const RECORDINGS: usize = 200;

async fn post(app: &TestApp, address: &str, path: &str, session: &Session) -> reqwest::Response {
    app.client
        .post(format!("{address}{path}"))
        .bearer_auth(&session.token)
        .json(&json!({}))
        .send()
        .await
        .expect("sent")
}

/// The recording's audio, asked of the instance at `address`.
async fn play_at(app: &TestApp, address: &str, session: &Session, id: Uuid) -> reqwest::Response {
    app.client
        .get(format!(
            "{address}/api/v1/tenants/acme/recordings/{id}/audio"
        ))
        .bearer_auth(&session.token)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn two_instances_share_sessions_grants_and_a_rewrap_the_first_one_died_in() {
    let mut first = TestApp::spawn_process().await;
    let second = first.another_process().await;
    let root = first.sign_in_root().await;

    // A session opened on the first works on the second.
    let me = first
        .client
        .get(format!("{}/api/v1/auth/me", second.address))
        .bearer_auth(&root.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(me.status(), 200);

    // A grant made on the first plays on the second.
    system_key(&first, &root).await;
    let acme = encrypted_tenant(&first, &root, "acme").await;
    let sam: User =
        serde_json::from_value(first.create_user(&root, "acme", "sam", "supervisor").await)
            .expect("a user");
    let key_id = serde_json::from_value::<EncryptionKey>(acme.key.clone())
        .expect("a key")
        .id;
    let granted = first
        .post_as(
            &format!("/api/v1/tenants/acme/keys/{key_id}/grants"),
            &acme.admin,
            &json!({ "user_id": sam.id }),
        )
        .await;
    assert_eq!(granted.status(), 201);
    let sam = first.sign_in("sam", USER_PASSWORD).await;
    let audio = wav(8_000);
    let uploaded: Recording = first
        .upload(&acme.admin, "acme", &audio)
        .await
        .json()
        .await
        .expect("JSON");
    let played = play_at(&first, &second.address, &sam, uploaded.id).await;
    assert_eq!(played.status(), 200);
    assert_eq!(played.bytes().await.expect("bytes"), audio);

    // A rewrap to a new key, begun on the first instance, which is killed in the middle of it.
    for _ in 1..RECORDINGS {
        assert_eq!(
            first.upload(&acme.admin, "acme", &wav(400)).await.status(),
            201
        );
    }
    let new_key: EncryptionKey = serde_json::from_value(
        create_key(&first, &acme.admin, "acme", json!({ "bits": 2048 })).await,
    )
    .expect("a key");
    let new_id = new_key.id.to_string();
    let activate = format!("/api/v1/tenants/acme/keys/{new_id}/activate");
    assert_eq!(
        post(&first, &first.address, &activate, &acme.admin)
            .await
            .status(),
        200
    );
    let rewrap = "/api/v1/tenants/acme/rewrap";
    // Kept as JSON too for the shared `RewrapJob`, which reads it so.
    let started_json: Value = post(&first, &first.address, rewrap, &acme.admin)
        .await
        .json()
        .await
        .expect("JSON");
    let started: Job = serde_json::from_value(started_json.clone()).expect("a job");
    let job = RewrapJob::of(&first, &started_json).await;
    job.reach(1).await;
    first.kill();
    let at_kill = job.now().await;
    eprintln!("killed at {} of {}", at_kill.done, at_kill.total);
    assert!(
        at_kill.state != callvault_shared::api::JobState::Done && at_kill.done < at_kill.total,
        "the rewrap ended before the kill ({} of {}): give it more recordings",
        at_kill.done,
        at_kill.total
    );

    // The second instance takes the job over once the dead instance's lease has run out:
    // until then it says the rewrap runs elsewhere.
    let mut resumed = None;
    for _ in 0..30 {
        let response = post(&first, &second.address, rewrap, &acme.admin).await;
        if response.status() == 202 {
            resumed = Some(response.json::<Job>().await.expect("JSON"));
            break;
        }
        assert_eq!(
            response.status(),
            409,
            "while the dead instance's lease lasts"
        );
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let resumed = resumed.expect("the second instance took the rewrap over");
    assert_eq!(resumed.id, started.id, "the same job, resumed");
    job.finish().await;
    assert_eq!(
        job.left_off(&new_id).await,
        0,
        "recordings left on the old key"
    );
    let replayed = play_at(&first, &second.address, &sam, uploaded.id).await;
    assert_eq!(replayed.status(), 403, "sam holds no grant on the new key");
    let by_admin = play_at(&first, &second.address, &acme.admin, uploaded.id).await;
    assert_eq!(by_admin.bytes().await.expect("bytes"), audio);
}
