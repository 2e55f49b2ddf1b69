//! Password guessing against the login: the limits of `domain::auth::throttle` under floods,
//! behind a trusted proxy, for an office behind one address, for a sprayer and for a crowd of
//! addresses against one account; and usernames that differ only in case.

use std::collections::BTreeMap;

use callvault::infra::config::TrustedProxies;
use callvault_shared::api::{AuditEvent, AuditPage, FailedSignIn, LoginResponse};
use futures_util::StreamExt;
use futures_util::stream;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ROOT_PASSWORD, Session, TestApp, USER_PASSWORD, set_cookie};

/// A server that believes the test client (on 127.0.0.1) when it names the client's address,
/// as a reverse proxy in front of it would.
async fn behind_proxy() -> TestApp {
    TestApp::spawn_with(|config| {
        config.trusted_proxies = TrustedProxies::parse("127.0.0.1").expect("valid");
    })
    .await
}

/// One login, as a proxy forwards it for `client`, with the browser's device cookie if any.
async fn login_from(
    app: &TestApp,
    client: &str,
    username: &str,
    password: &str,
    device: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/api/v1/auth/login", app.address))
        .header("X-Forwarded-For", client)
        .json(&json!({ "username": username, "password": password }));
    if let Some(device) = device {
        request = request.header("Cookie", device);
    }
    request.send().await.expect("the server answers")
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get("retry-after")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok())
        .expect("Retry-After")
}

/// How many answers had each status.
fn tally(statuses: impl IntoIterator<Item = StatusCode>) -> BTreeMap<u16, usize> {
    let mut counts = BTreeMap::new();
    for status in statuses {
        *counts.entry(status.as_u16()).or_default() += 1;
    }
    counts
}

async fn audit_of(app: &TestApp, root: &Session, tenant: &str, action: &str) -> Vec<AuditEvent> {
    let response = app
        .get_as(
            &format!("/api/v1/tenants/{tenant}/audit?action={action}&limit=500"),
            root,
        )
        .await;
    assert_eq!(response.status(), 200, "the audit log");
    let page: AuditPage = response.json().await.expect("an audit page");
    page.events
}

/// 200 logins at once for one name from one address, 199 wrong and then the right one: no
/// more than 10 reach a password check, every other one (the right one too) is refused, and
/// the server never fails. Before, the lock was checked before the slow hash and counted after
/// it: all 199 were checked, the right one signed in, and SQLite's lock showed as 500 and 503.
#[tokio::test]
async fn a_flood_of_parallel_guesses_checks_ten_and_refuses_the_rest_with_the_right_one() {
    let app = behind_proxy().await;
    let wrong = (0..199).map(|n| {
        let app = &app;
        async move { login_from(app, "198.51.100.7", "root", &format!("guess {n}"), None).await }
    });
    let right = async {
        // Sent while the wrong ones are in flight, after they have all started.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        login_from(&app, "198.51.100.7", "root", ROOT_PASSWORD, None).await
    };
    let (wrong, right) = tokio::join!(futures_util::future::join_all(wrong), right);
    let counts = tally(wrong.iter().map(reqwest::Response::status));
    assert!(
        counts.keys().all(|status| [401, 429].contains(status)),
        "only 401 and 429: {counts:?}"
    );
    assert_eq!(counts.get(&401), Some(&10), "{counts:?}");
    assert_eq!(right.status(), 429, "the right password after ten failures");
    assert!(retry_after(&right) > 14 * 60);
}

/// (a) One office, one mistyper: 100 people behind one address; one of them fails ten times,
/// then the other 99 sign in at once, and none is refused.
#[tokio::test]
async fn an_office_behind_one_address_signs_in_after_one_person_mistypes() {
    let app = behind_proxy().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "office").await;
    let names: Vec<String> = (0..100).map(|n| format!("agent{n:03}")).collect();
    stream::iter(&names)
        .for_each_concurrent(4, |name| {
            let (app, root) = (&app, &root);
            async move {
                app.create_user(root, "office", name, "user").await;
            }
        })
        .await;
    let office = "203.0.113.10";
    for _ in 0..10 {
        let response = login_from(&app, office, &names[0], "not my password", None).await;
        assert_eq!(response.status(), 401);
    }
    let sign_ins = names[1..]
        .iter()
        .map(|name| login_from(&app, office, name, USER_PASSWORD, None));
    let statuses = futures_util::future::join_all(sign_ins)
        .await
        .iter()
        .map(reqwest::Response::status)
        .collect::<Vec<_>>();
    assert_eq!(tally(statuses), BTreeMap::from([(200, 99)]));
    // The mistyper alone waits.
    let mistyper = login_from(&app, office, &names[0], USER_PASSWORD, None).await;
    assert_eq!(mistyper.status(), 429);
}

/// (b) One address against one account, through the proxy: ten failures, then the right
/// password is refused with `Retry-After`, while the same account from another address, and
/// another account from the same address, are not.
#[tokio::test]
async fn one_address_against_one_account_gets_ten_guesses() {
    let app = behind_proxy().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    app.create_user(&root, "acme", "alice", "user").await;
    for _ in 0..10 {
        let response = login_from(&app, "192.0.2.66", "alice", "guess", None).await;
        assert_eq!(response.status(), 401);
    }
    let refused = login_from(&app, "192.0.2.66", "alice", USER_PASSWORD, None).await;
    assert_eq!(refused.status(), 429);
    assert!(retry_after(&refused) > 14 * 60);
    let detail: Value = refused.json().await.expect("JSON");
    assert!(
        detail["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("try again in 15 minutes")),
        "{detail}"
    );
    let elsewhere = login_from(&app, "192.0.2.67", "alice", USER_PASSWORD, None).await;
    assert_eq!(elsewhere.status(), 200);
    let other = login_from(&app, "192.0.2.66", "root", ROOT_PASSWORD, None).await;
    assert_eq!(other.status(), 200);
}

/// An IPv6 client counts by its /64: a fresh address of the same network for every guess does
/// not escape the limit, while the next network is another address.
#[tokio::test]
async fn an_ipv6_guesser_counts_by_its_network_not_its_address() {
    let app = behind_proxy().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    app.create_user(&root, "acme", "alice", "user").await;
    for n in 1..=10 {
        let address = format!("2001:db8:1:2::{n:x}");
        let response = login_from(&app, &address, "alice", "guess", None).await;
        assert_eq!(response.status(), 401);
    }
    let same_network = login_from(&app, "2001:db8:1:2:ffff::1", "alice", USER_PASSWORD, None).await;
    assert_eq!(same_network.status(), 429);
    let next_network = login_from(&app, "2001:db8:1:3::1", "alice", USER_PASSWORD, None).await;
    assert_eq!(next_network.status(), 200);
}

/// (c) One address spraying one common password over 1,000 names, some real: at most 100
/// reach a password check, the answers never tell a real name from an invented one, and
/// people there whose browser signed in before still sign in.
#[tokio::test]
async fn a_sprayer_gets_a_hundred_guesses_and_the_office_keeps_signing_in() {
    let app = behind_proxy().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    let real: Vec<String> = (0..5).map(|n| format!("staff{n}")).collect();
    for name in &real {
        app.create_user(&root, "acme", name, "user").await;
    }
    let network = "203.0.113.77";
    // Before the spray, the people of that network sign in from their browsers.
    let mut devices = Vec::new();
    for name in &real[..2] {
        let response = login_from(&app, network, name, USER_PASSWORD, None).await;
        assert_eq!(response.status(), 200);
        devices.push(set_cookie(&response, "callvault_device").expect("a device cookie"));
    }

    let names: Vec<String> = (0..1000)
        .map(|n| match n % 200 {
            0..5 => real[n % 200].clone(),
            _ => format!("invented{n}"),
        })
        .collect();
    let answers: Vec<(String, StatusCode, Value)> = stream::iter(&names)
        .map(|name| {
            let app = &app;
            async move {
                let response = login_from(app, network, name, "Summer2026!", None).await;
                let status = response.status();
                (
                    name.clone(),
                    status,
                    response.json::<Value>().await.expect("JSON"),
                )
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let counts = tally(answers.iter().map(|(_, status, _)| *status));
    assert!(
        counts.keys().all(|status| [401, 429].contains(status)),
        "{counts:?}"
    );
    assert_eq!(counts.get(&401), Some(&100), "{counts:?}");
    // Real and invented names get the same words for the same status.
    let details_for = |real_name: bool, status: u16| {
        answers
            .iter()
            .filter(|(name, s, _)| real.contains(name) == real_name && s.as_u16() == status)
            .map(|(_, _, body)| body["detail"].as_str().unwrap_or_default().to_owned())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(details_for(true, 429), details_for(false, 429));
    assert_eq!(details_for(false, 401).len(), 1);

    // The network is closed to browsers without a device cookie, open to those with one.
    let stranger = login_from(&app, network, &real[2], USER_PASSWORD, None).await;
    assert_eq!(stranger.status(), 429);
    for (name, device) in real.iter().zip(&devices) {
        let response = login_from(&app, network, name, USER_PASSWORD, Some(device)).await;
        assert_eq!(response.status(), 200, "{name} with their browser");
    }
    // A device cookie speaks for its own account only.
    let borrowed = login_from(&app, network, &real[3], USER_PASSWORD, Some(&devices[0])).await;
    assert_eq!(borrowed.status(), 429);
}

/// (d) 1,000 addresses guessing root's password twice each: the guesses that reach a password
/// check stay bounded (50, then one every 10 seconds). Root's own browser signs in at once
/// throughout, and root is told of the failures; from an address with no failures and no
/// device cookie, root signs in after a wait of seconds, not minutes.
#[tokio::test]
async fn a_crowd_of_addresses_against_root_is_slowed_and_root_still_signs_in() {
    let app = behind_proxy().await;
    let before = login_from(&app, "192.0.2.1", "root", ROOT_PASSWORD, None).await;
    assert_eq!(before.status(), 200);
    let device = set_cookie(&before, "callvault_device").expect("a device cookie");

    let started = std::time::Instant::now();
    let attempts: Vec<(usize, usize)> = (0..1000).flat_map(|a| [(a, 0), (a, 1)]).collect();
    let statuses: Vec<StatusCode> = stream::iter(attempts)
        .map(|(address, guess)| {
            let app = &app;
            async move {
                let client = format!("10.0.{}.{}", address / 256, address % 256);
                login_from(app, &client, "root", &format!("guess {guess}"), None)
                    .await
                    .status()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let elapsed = started.elapsed().as_secs();
    let counts = tally(statuses);
    assert!(
        counts.keys().all(|status| [401, 429].contains(status)),
        "{counts:?}"
    );
    let checked = counts.get(&401).copied().unwrap_or_default() as u64;
    assert!(checked >= 50, "{counts:?}");
    assert!(
        checked <= 50 + elapsed / 10 + 1,
        "{checked} checks in {elapsed} s: {counts:?}"
    );

    // Root's own browser: straight in, and told.
    let with_device = login_from(&app, "192.0.2.1", "root", ROOT_PASSWORD, Some(&device)).await;
    assert_eq!(with_device.status(), 200);
    let login: LoginResponse = with_device.json().await.expect("a login");
    assert_eq!(u64::from(login.failed_sign_ins_since_last), checked);
    let failed: Vec<FailedSignIn> = app
        .client
        .get(format!("{}/api/v1/auth/failed-sign-ins", app.address))
        .bearer_auth(&login.access_token)
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("failed sign-ins");
    assert_eq!(failed.len() as u64, checked.min(50));
    assert!(
        failed
            .iter()
            .all(|failure| failure.origin.starts_with("10.0."))
    );

    // Another browser, from an address that never failed: at most one short wait.
    let mut response = login_from(&app, "192.0.2.2", "root", ROOT_PASSWORD, None).await;
    if response.status() == 429 {
        let wait = retry_after(&response);
        assert!(wait <= 10, "a short wait, not a lock: {wait} s");
        tokio::time::sleep(std::time::Duration::from_secs(wait + 1)).await;
        response = login_from(&app, "192.0.2.2", "root", ROOT_PASSWORD, None).await;
    }
    assert_eq!(response.status(), 200);
}

/// Attempts refused while a lock lasts are counted, not written one by one: a lock writes one
/// record when it begins and one, with the count, when it ends; and an attacker's 200-character
/// name is kept no longer than a real username can be.
#[tokio::test]
async fn a_lock_is_audited_once_however_many_attempts_it_refuses() {
    let app = TestApp::spawn().await;
    let long_name = "x".repeat(200);
    for _ in 0..10 {
        assert_eq!(app.login(&long_name, "guess").await.status(), 401);
    }
    for _ in 0..50 {
        assert_eq!(app.login(&long_name, "guess").await.status(), 429);
    }
    let root = app.sign_in_root().await;
    let denied = audit_of(&app, &root, "system", "auth.login").await;
    let for_long_name: Vec<_> = denied
        .iter()
        .filter(|event| event.actor.starts_with("xxxx"))
        .collect();
    assert_eq!(for_long_name.len(), 10, "one record per password check");
    assert!(
        for_long_name
            .iter()
            .all(|event| event.actor.chars().count() <= 101)
    );
    let began = audit_of(&app, &root, "system", "auth.lock_began").await;
    assert_eq!(began.len(), 1, "{began:?}");
}

/// Usernames are unique whatever their case, the login finds an account however its name is
/// typed, and every spelling counts against the one account.
#[tokio::test]
async fn a_name_in_another_case_is_the_same_account_everywhere() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    app.create_user(&root, "acme", "admin", "tenant_admin")
        .await;
    let admin = app.sign_in("admin", USER_PASSWORD).await;
    let look_alike = app
        .post_as(
            "/api/v1/tenants/acme/users",
            &admin,
            &json!({ "username": "ROOT", "password": USER_PASSWORD, "role": "user" }),
        )
        .await;
    assert_eq!(look_alike.status(), 409, "ROOT is root");

    for spelling in ["root", "ROOT", "Root", "rOOT", "root"] {
        assert_eq!(app.login(spelling, "wrong").await.status(), 401);
        assert_eq!(app.login(spelling, "wrong again").await.status(), 401);
    }
    assert_eq!(app.login("root", ROOT_PASSWORD).await.status(), 429);
    assert_eq!(app.login("Root", ROOT_PASSWORD).await.status(), 429);
}

/// A database with two names that differ only in case cannot be upgraded without a choice:
/// the migration stops and names them, and changes nothing.
#[tokio::test]
async fn the_upgrade_refuses_names_that_differ_only_in_case_and_names_them() {
    use callvault_migrations::{Migrator, MigratorTrait};
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};

    let data_dir = tempfile::tempdir().expect("temporary directory");
    let database = crate::helpers::TestDatabase::create(data_dir.path()).await;
    let db = sea_orm::Database::connect(&database.url)
        .await
        .expect("database");
    let position = Migrator::migrations()
        .iter()
        .position(|migration| migration.name().ends_with("login_hardening"))
        .expect("the migration") as u32;
    Migrator::up(&db, Some(position))
        .await
        .expect("the earlier migrations");
    callvault::domain::bootstrap::ensure_system_account(&db, Some(ROOT_PASSWORD.to_owned().into()))
        .await
        .expect("the System account");
    use callvault::infra::entities::user;
    let root = user::Entity::find()
        .one(&db)
        .await
        .expect("read")
        .expect("root");
    let mut shouting = root.clone().into_active_model();
    shouting.id = sea_orm::ActiveValue::Set(uuid::Uuid::now_v7());
    shouting.username = sea_orm::ActiveValue::Set("ROOT".into());
    shouting
        .insert(&db)
        .await
        .expect("allowed before the upgrade");

    let error = Migrator::up(&db, None).await.expect_err("refused");
    assert!(error.to_string().contains("ROOT = root"), "{error}");
    let pending = Migrator::get_pending_migrations(&db)
        .await
        .expect("pending");
    assert_eq!(
        pending.len(),
        Migrator::migrations().len() - position as usize
    );
    assert_eq!(user::Entity::find().all(&db).await.expect("read").len(), 2);
}
