//! Retention and legal hold, with a clock the tests move: recordings expire exactly when their
//! tenant's policy says, a shortened policy waits out its grace, holds keep recordings from
//! every kind of deletion, and each expiry leaves a certificate in the audit chain.

use callvault::domain::audit::Actor;
use callvault::domain::retention::holds::{self, NewHold};
use callvault::domain::retention::{expiry, policy};
use callvault::infra::entities::{deleted_recording, recording, tenant};
use callvault::infra::storage::Store;
use callvault_shared::api::{
    HeldRecordings, HoldCriteria, HoldSearch, LegalHold, Recording, RetentionPolicy,
    RetentionPreview, RetentionRule, RetentionSettings,
};
use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::fixtures::{EXPORT_PASSPHRASE, Tenant, encrypted_tenant, export, system_key, wav};
use crate::helpers::{Session, TestApp};

fn admin() -> Actor {
    Actor {
        id: None,
        name: "acme-admin".into(),
        origin: "test".into(),
    }
}

/// A server with an encrypted tenant `acme` whose administrator holds its key, and what the
/// tests drive the domain with: its database, its store, the tenant's row and the test's now.
struct World {
    app: TestApp,
    root: Session,
    system: Value,
    acme: Tenant,
    db: DatabaseConnection,
    store: Store,
    tenant: tenant::Model,
    now: DateTime<Utc>,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    let system = system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;
    let db = app.db().await;
    let store = app.store().await;
    let tenant = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq("acme"))
        .one(&db)
        .await
        .expect("query")
        .expect("tenant");
    World {
        app,
        root,
        system,
        acme,
        db,
        store,
        tenant,
        // As the databases keep it (microseconds), so that times read back compare equal.
        now: Utc::now().trunc_subsecs(6),
    }
}

/// Uploads a call that started `days_ago` before `now`, with an agent and tags.
async fn call(
    app: &TestApp,
    session: &Session,
    now: DateTime<Utc>,
    days_ago: i64,
    agent: &str,
    tags: &str,
) -> Recording {
    let started =
        (now - Duration::days(days_ago)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let response = app
        .client
        .post(format!(
            "{}/api/v1/tenants/acme/recordings?agent={agent}&tags={tags}&started_at={started}",
            app.address
        ))
        .bearer_auth(&session.token)
        .body(wav(2_000))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201, "upload");
    response.json().await.expect("JSON")
}

async fn exists(db: &DatabaseConnection, recording: &Recording) -> bool {
    recording::Entity::find_by_id(recording.id)
        .one(db)
        .await
        .expect("query")
        .is_some()
}

fn one_year_and_trading_seven() -> RetentionPolicy {
    RetentionPolicy {
        keep_days: Some(365),
        rules: vec![RetentionRule {
            tag: Some("trading".into()),
            direction: None,
            keep_days: Some(7 * 365),
        }],
    }
}

/// Sets `policy` as the tenant's a month before `now`: a shortening from "forever" has waited
/// out the week's grace long since, so it is in force at `now`.
async fn set_a_month_ago(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    policy: RetentionPolicy,
    now: DateTime<Utc>,
) -> policy::Policies {
    policy::set(db, tenant, policy, None, &admin(), now - Duration::days(30))
        .await
        .expect("policy set")
}

#[tokio::test]
async fn recordings_expire_by_their_policy_each_with_a_certificate_in_the_chain() {
    let World {
        app,
        acme,
        db,
        store,
        tenant,
        now,
        ..
    } = world().await;
    let old = call(&app, &acme.admin, now, 400, "bob", "sales").await;
    let young = call(&app, &acme.admin, now, 100, "bob", "sales").await;
    let trading = call(&app, &acme.admin, now, 400, "bob", "trading").await;

    // Set a month ago: shortening from "forever", it waited out the week's grace long since.
    let set = set_a_month_ago(&db, &tenant, one_year_and_trading_seven(), now).await;
    assert!(set.pending.is_some(), "a shortening waits for its grace");

    // The operator's dry run names what would go, and deletes nothing.
    let said = app
        .command()
        .args(["retention", "run", "--dry-run"])
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&said.stderr);
    assert!(said.status.success(), "{text}");
    assert!(
        text.contains(&format!("would delete: recording {}", old.id))
            && text.contains("1 recordings would be deleted; 0 expired but held"),
        "{text}"
    );
    let dry = expiry::run(&db, &store, now, true, usize::MAX)
        .await
        .expect("dry run");
    assert_eq!(
        dry.expired
            .iter()
            .map(|e| e.recording_id)
            .collect::<Vec<_>>(),
        vec![old.id]
    );
    assert!(exists(&db, &old).await, "a dry run deletes nothing");

    let report = expiry::run(&db, &store, now, false, usize::MAX)
        .await
        .expect("run");
    assert_eq!(report.expired.len(), 1);
    assert_eq!(report.expired[0].recording_id, old.id);
    assert!(!exists(&db, &old).await);
    assert!(exists(&db, &young).await && exists(&db, &trading).await);
    assert_eq!(
        app.object_count(&format!("recordings/{}", tenant.id)).await,
        2
    );
    let gone = app
        .get_as(
            &format!("/api/v1/tenants/acme/recordings/{}", old.id),
            &acme.admin,
        )
        .await;
    assert_eq!(gone.status(), 404);
    let tombstone = deleted_recording::Entity::find_by_id(old.id)
        .one(&db)
        .await
        .expect("query")
        .expect("a tombstone, so that no restore brings it back");
    assert_eq!(tombstone.cause, "retention");

    // The certificate: in the chain, with the hash and size, the policy and the times.
    let export = app.audit_export(&acme.admin, "acme").await;
    let certificate: Value = export
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("JSON"))
        .find(|event| event["action"] == "recording.expired")
        .expect("a deletion certificate");
    assert_eq!(certificate["object_id"], old.id.to_string());
    let details: Value = match &certificate["details"] {
        Value::String(text) => serde_json::from_str(text).expect("JSON details"),
        other => other.clone(),
    };
    assert_eq!(details["sha256"], old.sha256);
    assert_eq!(details["size_bytes"], old.size_bytes);
    assert_eq!(details["keep_days"], 365);
    assert_eq!(details["sealed"], true);
    assert!(
        details["bytes"]
            .as_str()
            .is_some_and(|said| said.contains("nobody can recover")),
        "{details}"
    );
    assert_eq!(app.audit_verify(&acme.admin, "acme").await["intact"], true);

    // Run again: nothing more has expired.
    let again = expiry::run(&db, &store, now, false, usize::MAX)
        .await
        .expect("run");
    assert!(again.expired.is_empty());
}

#[tokio::test]
async fn a_shortened_policy_waits_out_its_grace_and_can_be_undone_meanwhile() {
    let World {
        app,
        acme,
        db,
        store,
        tenant,
        now,
        ..
    } = world().await;
    let month_old = call(&app, &acme.admin, now, 60, "bob", "sales").await;
    let thirty_days = RetentionPolicy {
        keep_days: Some(30),
        rules: vec![],
    };

    let set = policy::set(&db, &tenant, thirty_days.clone(), Some(7), &admin(), now)
        .await
        .expect("set");
    let (_, from) = set.pending.expect("pending");
    assert_eq!(from, now + Duration::days(7));
    let preview = policy::preview(&db, tenant.id, &thirty_days, now, from)
        .await
        .expect("preview");
    assert_eq!(preview, 1, "the change would delete the one call");
    for day in [0, 6] {
        let report = expiry::run(&db, &store, now + Duration::days(day), false, usize::MAX)
            .await
            .expect("run");
        assert!(report.expired.is_empty(), "day {day}: within the grace");
    }
    // Undone on day 1: forever again, at once (it shortens nothing), and nothing goes later.
    policy::set(
        &db,
        &tenant,
        RetentionPolicy::forever(),
        None,
        &admin(),
        now + Duration::days(1),
    )
    .await
    .expect("undone");
    let report = expiry::run(&db, &store, now + Duration::days(8), false, usize::MAX)
        .await
        .expect("run");
    assert!(report.expired.is_empty());
    assert!(exists(&db, &month_old).await);

    // Set again on day 10: it goes once the grace ends, on day 17.
    policy::set(
        &db,
        &tenant,
        thirty_days,
        None,
        &admin(),
        now + Duration::days(10),
    )
    .await
    .expect("set again");
    let early = expiry::run(&db, &store, now + Duration::days(16), false, usize::MAX)
        .await
        .expect("run");
    assert!(early.expired.is_empty());
    let due = expiry::run(&db, &store, now + Duration::days(17), false, usize::MAX)
        .await
        .expect("run");
    assert_eq!(due.expired.len(), 1);
    assert!(!exists(&db, &month_old).await);

    // Bad policies are refused in words.
    let refused = policy::set(
        &db,
        &tenant,
        RetentionPolicy {
            keep_days: Some(0),
            rules: vec![],
        },
        None,
        &admin(),
        now,
    )
    .await
    .expect_err("refused");
    assert!(refused.to_string().contains("keep_days"), "{refused}");
}

#[tokio::test]
async fn a_hold_keeps_recordings_from_expiry_deletion_and_key_destroy_until_released() {
    let World {
        app,
        acme,
        db,
        store,
        tenant,
        now,
        ..
    } = world().await;
    let by_id = call(&app, &acme.admin, now, 400, "alice", "sales").await;
    let by_search = call(&app, &acme.admin, now, 400, "bob", "dispute").await;
    let free = call(&app, &acme.admin, now, 400, "carol", "sales").await;
    set_a_month_ago(&db, &tenant, one_year_and_trading_seven(), now).await;

    let case_17 = holds::place(
        &db,
        &tenant,
        NewHold {
            name: "Case 17".into(),
            reason: "Subpoena of 2026-11-30".into(),
            criteria: HoldCriteria {
                recording_ids: vec![by_id.id],
                search: None,
            },
        },
        &admin(),
        now,
    )
    .await
    .expect("placed");
    let disputes = holds::place(
        &db,
        &tenant,
        NewHold {
            name: "Bob's disputes".into(),
            reason: "Internal review".into(),
            criteria: HoldCriteria {
                recording_ids: vec![],
                search: Some(HoldSearch {
                    agent: Some("bob".into()),
                    tag: Some("dispute".into()),
                    ..HoldSearch::default()
                }),
            },
        },
        &admin(),
        now,
    )
    .await
    .expect("placed");
    // The search finds bob's call tagged `dispute`, not his others nor carol's.
    let (total, found) = holds::covered(&db, tenant.id, disputes.id, 10)
        .await
        .expect("covered");
    assert_eq!(
        (total, found.iter().map(|r| r.id).collect::<Vec<_>>()),
        (1, vec![by_search.id])
    );

    let report = expiry::run(&db, &store, now, false, usize::MAX)
        .await
        .expect("run");
    assert_eq!(
        report
            .expired
            .iter()
            .map(|e| e.recording_id)
            .collect::<Vec<_>>(),
        vec![free.id]
    );
    assert_eq!(report.held, 2);
    assert!(exists(&db, &by_id).await && exists(&db, &by_search).await);

    // Nobody deletes a held recording by hand.
    let deleted = app
        .delete_as(
            &format!("/api/v1/tenants/acme/recordings/{}", by_id.id),
            &acme.admin,
        )
        .await;
    assert_eq!(deleted.status(), 409);
    let said: Value = deleted.json().await.expect("problem");
    assert!(
        said["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Case 17")),
        "{said}"
    );
    // Nor destroys the key that opens it.
    let key_id = acme.key["id"].as_str().expect("id");
    let destroy = app
        .post_as(
            &format!("/api/v1/tenants/acme/keys/{key_id}/destroy"),
            &acme.admin,
            &json!({ "recordings_become_unrecoverable": true }),
        )
        .await;
    assert_eq!(destroy.status(), 409);
    let said: Value = destroy.json().await.expect("problem");
    let detail = said["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("Case 17") && detail.contains("Bob's disputes"),
        "{detail}"
    );

    // Released, the first goes at the next run; the search's hold still keeps the other.
    holds::release(&db, &tenant, case_17.id, &admin(), now)
        .await
        .expect("released");
    let again = holds::release(&db, &tenant, case_17.id, &admin(), now).await;
    assert!(again.is_err(), "released once only");
    let report = expiry::run(&db, &store, now, false, usize::MAX)
        .await
        .expect("run");
    assert_eq!(
        report
            .expired
            .iter()
            .map(|e| e.recording_id)
            .collect::<Vec<_>>(),
        vec![by_id.id]
    );
    assert_eq!(report.held, 1);
    let actions: Vec<String> = app
        .audit_export(&acme.admin, "acme")
        .await
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter_map(|event| event["action"].as_str().map(str::to_owned))
        .filter(|action| action.starts_with("hold.") || action.starts_with("retention."))
        .collect();
    assert_eq!(
        actions,
        [
            "retention.policy",
            "hold.place",
            "hold.place",
            "hold.release"
        ]
    );

    // A recording deleted by hand while no hold covers it gets a tombstone too.
    let other = call(&app, &acme.admin, now, 1, "dave", "sales").await;
    let deleted = app
        .delete_as(
            &format!("/api/v1/tenants/acme/recordings/{}", other.id),
            &acme.admin,
        )
        .await;
    assert!(deleted.status().is_success());
    let tombstone = deleted_recording::Entity::find_by_id(other.id)
        .one(&db)
        .await
        .expect("query")
        .expect("tombstone");
    assert_eq!(tombstone.cause, "deleted");
}

#[tokio::test]
async fn a_restore_never_brings_back_what_was_deleted_or_has_expired() {
    let World {
        app,
        root,
        system,
        acme,
        db,
        store,
        tenant,
        now,
    } = world().await;
    let kept = call(&app, &acme.admin, now, 10, "alice", "sales").await;
    let deleted = call(&app, &acme.admin, now, 20, "bob", "sales").await;
    let expired = call(&app, &acme.admin, now, 400, "carol", "sales").await;
    let files = tempfile::tempdir().expect("dir");
    let (key_file, pass_file, backup) = (
        files.path().join("system.pem"),
        files.path().join("pass"),
        files.path().join("backup.zip"),
    );
    std::fs::write(&key_file, export(&app, &root, "system", &system).await).expect("written");
    std::fs::write(&pass_file, format!("{EXPORT_PASSPHRASE}\n")).expect("written");
    let made = app
        .command()
        .args(["backup", "create", "--all", "-o"])
        .arg(&backup)
        .output()
        .expect("runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );

    // After the backup: one deleted by hand, one expired by its policy.
    let gone = app
        .delete_as(
            &format!("/api/v1/tenants/acme/recordings/{}", deleted.id),
            &acme.admin,
        )
        .await;
    assert!(gone.status().is_success());
    set_a_month_ago(
        &db,
        &tenant,
        RetentionPolicy {
            keep_days: Some(365),
            rules: vec![],
        },
        now,
    )
    .await;
    let report = expiry::run(&db, &store, now, false, usize::MAX)
        .await
        .expect("run");
    assert_eq!(report.expired.len(), 1);

    let restore = || {
        app.command()
            .args(["backup", "restore"])
            .arg(&backup)
            .arg("--key")
            .arg(&key_file)
            .arg("--passphrase-file")
            .arg(&pass_file)
            .output()
            .expect("runs")
    };
    let restored = restore();
    let said = String::from_utf8_lossy(&restored.stderr).into_owned();
    assert!(restored.status.success(), "{said}");
    assert!(
        said.contains("Restored 0 recordings (1 were here already). 2 were not brought back"),
        "{said}"
    );
    assert!(!exists(&db, &deleted).await && !exists(&db, &expired).await);
    assert!(exists(&db, &kept).await);

    // On an instance that never saw them deleted (no tombstones), the policy still keeps the
    // expired one out; the one deleted by hand, within its retention, comes back.
    deleted_recording::Entity::delete_many()
        .exec(&db)
        .await
        .expect("tombstones gone");
    let restored = restore();
    let said = String::from_utf8_lossy(&restored.stderr).into_owned();
    assert!(restored.status.success(), "{said}");
    assert!(
        said.contains("Restored 1 recordings (1 were here already). 1 were not brought back"),
        "{said}"
    );
    assert!(exists(&db, &deleted).await && !exists(&db, &expired).await);
}

#[tokio::test]
async fn the_retention_api_previews_sets_and_holds_for_the_roles_that_may() {
    use crate::helpers::USER_PASSWORD;

    let World {
        app,
        root,
        acme,
        now,
        ..
    } = world().await;
    let old = call(&app, &acme.admin, now, 400, "bob", "sales").await;
    call(&app, &acme.admin, now, 10, "bob", "sales").await;
    let one_year = json!({ "policy": { "keep_days": 365 } });

    // Before saving: what it would delete, and from when.
    let preview = app
        .post_as(
            "/api/v1/tenants/acme/retention/preview",
            &acme.admin,
            &one_year,
        )
        .await;
    assert_eq!(preview.status(), 200);
    let preview: RetentionPreview = preview.json().await.expect("JSON");
    assert_eq!(preview.recordings, 1);
    let grace = preview.applies_from - now;
    assert!(
        grace > Duration::days(7) - Duration::minutes(5)
            && grace <= Duration::days(7) + Duration::minutes(5)
    );

    let set = put_retention(&app, &acme.admin, one_year.clone()).await;
    assert_eq!(set.status(), 200);
    let set: RetentionSettings = set.json().await.expect("JSON");
    assert_eq!(
        set.policy,
        RetentionPolicy::forever(),
        "in force until the grace ends"
    );
    assert_eq!(
        set.pending.as_ref().map(|pending| pending.policy.keep_days),
        Some(Some(365))
    );
    let shown: RetentionSettings = app
        .get_as("/api/v1/tenants/acme/retention", &acme.admin)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(shown, set);
    let zero = put_retention(&app, &acme.admin, json!({ "policy": { "keep_days": 0 } })).await;
    assert_eq!(zero.status(), 400);

    // Holds: a tenant administrator or an auditor; not a supervisor, nor the provider's staff.
    app.create_user(&acme.admin, "acme", "acme-auditor", "auditor")
        .await;
    app.create_user(&acme.admin, "acme", "acme-supervisor", "supervisor")
        .await;
    let auditor = app.sign_in("acme-auditor", USER_PASSWORD).await;
    let supervisor = app.sign_in("acme-supervisor", USER_PASSWORD).await;
    let hold = json!({
        "name": "Case 17",
        "reason": "Subpoena of 2026-11-30",
        "recording_ids": [old.id],
    });
    for refused in [&supervisor, &root] {
        let answer = app
            .post_as("/api/v1/tenants/acme/holds", refused, &hold)
            .await;
        assert_eq!(answer.status(), 403);
    }
    let placed = app
        .post_as("/api/v1/tenants/acme/holds", &auditor, &hold)
        .await;
    assert_eq!(placed.status(), 201);
    let placed: LegalHold = placed.json().await.expect("JSON");
    assert_eq!(placed.placed_by, "acme-auditor");
    let control = app
        .post_as(
            "/api/v1/tenants/acme/holds",
            &auditor,
            &json!({ "name": "a\u{0}b", "reason": "r", "recording_ids": [old.id] }),
        )
        .await;
    assert_eq!(control.status(), 400);
    let listed: Vec<LegalHold> = app
        .get_as("/api/v1/tenants/acme/holds", &acme.admin)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed, vec![placed.clone()]);
    let deleted = app
        .delete_as(
            &format!("/api/v1/tenants/acme/recordings/{}", old.id),
            &acme.admin,
        )
        .await;
    assert_eq!(deleted.status(), 409);
    let held_recordings = format!("/api/v1/tenants/acme/holds/{}/recordings", placed.id);
    let held: HeldRecordings = app
        .get_as(&held_recordings, &auditor)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(held.total, 1);
    assert_eq!(
        held.recordings.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![old.id]
    );
    let release = format!("/api/v1/tenants/acme/holds/{}/release", placed.id);
    let released = app.post_as(&release, &acme.admin, &json!({})).await;
    assert_eq!(released.status(), 200);
    let released: LegalHold = released.json().await.expect("JSON");
    assert_eq!(released.released_by.as_deref(), Some("acme-admin"));
    assert_eq!(
        app.post_as(&release, &acme.admin, &json!({}))
            .await
            .status(),
        409
    );
    let held: HeldRecordings = app
        .get_as(&held_recordings, &acme.admin)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(held.total, 0, "a released hold keeps nothing");
}

async fn put_retention(app: &TestApp, session: &Session, body: Value) -> reqwest::Response {
    app.request(
        reqwest::Method::PUT,
        "/api/v1/tenants/acme/retention",
        crate::helpers::Auth::Bearer(session),
        Some(&body),
    )
    .await
}

/// Recordings that expire in the crash test: enough that a kill lands inside the batch.
const EXPIRING: usize = 60;

#[tokio::test]
async fn a_run_killed_in_the_middle_of_its_batch_loses_nothing_and_the_next_run_finishes() {
    let seed = crate::crash::seed();
    eprintln!("CALLVAULT_TEST_SEED={seed}");
    let mut rng = fastrand::Rng::with_seed(seed);
    let World {
        app,
        acme,
        db,
        tenant,
        now,
        ..
    } = world().await;
    let mut expiring = Vec::with_capacity(EXPIRING);
    for index in 0..EXPIRING {
        expiring.push(call(&app, &acme.admin, now, 400 + index as i64, "bob", "sales").await);
    }
    let young = call(&app, &acme.admin, now, 10, "bob", "sales").await;
    set_a_month_ago(&db, &tenant, one_year_and_trading_seven(), now).await;

    // The operator's run, killed once it has deleted some but not all.
    let kill_after = rng.usize(1..EXPIRING / 2);
    let mut run = app
        .command()
        .args(["retention", "run"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("runs");
    loop {
        if tombstones(&db, &tenant).await >= kill_after {
            break;
        }
        assert!(
            run.try_wait().expect("waits").is_none(),
            "the run ended before it was killed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    run.kill().expect("killed");
    run.wait().expect("reaped");
    let deleted_before = tombstones(&db, &tenant).await;
    eprintln!("killed after {deleted_before} of {EXPIRING} deletions");
    assert!(deleted_before < EXPIRING, "killed in the middle");

    // Whatever the kill interrupted: a recording is listed, or it is gone with its tombstone.
    for recording in &expiring {
        let listed = exists(&db, recording).await;
        let tombstone = deleted_recording::Entity::find_by_id(recording.id)
            .one(&db)
            .await
            .expect("query");
        assert!(
            listed != tombstone.is_some(),
            "{} is both listed and gone, or neither",
            recording.id
        );
    }

    let finished = app
        .command()
        .args(["retention", "run"])
        .output()
        .expect("runs");
    assert!(
        finished.status.success(),
        "{}",
        String::from_utf8_lossy(&finished.stderr)
    );
    for recording in &expiring {
        assert!(!exists(&db, recording).await, "{} expired", recording.id);
    }
    assert!(exists(&db, &young).await);
    assert_eq!(tombstones(&db, &tenant).await, EXPIRING);
    assert_eq!(
        app.object_count(&format!("recordings/{}", tenant.id)).await,
        1,
        "only the young recording's bytes are left"
    );
    // One certificate per recording, none twice, and the chain intact around the kill.
    let export = app.audit_export(&acme.admin, "acme").await;
    let mut certified: Vec<String> = export
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("JSON"))
        .filter(|event| event["action"] == "recording.expired")
        .map(|event| event["object_id"].as_str().expect("id").to_owned())
        .collect();
    certified.sort_unstable();
    let mut expected: Vec<String> = expiring.iter().map(|r| r.id.to_string()).collect();
    expected.sort_unstable();
    assert_eq!(certified, expected);
    assert_eq!(app.audit_verify(&acme.admin, "acme").await["intact"], true);
}

async fn tombstones(db: &DatabaseConnection, tenant: &tenant::Model) -> usize {
    deleted_recording::Entity::find()
        .filter(deleted_recording::Column::TenantId.eq(tenant.id))
        .all(db)
        .await
        .expect("query")
        .len()
}
