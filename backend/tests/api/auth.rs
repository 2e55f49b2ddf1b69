//! Logins, sessions and what they unlock.

use callvault_shared::api::{
    LoginResponse, Me, PasswordChanged, PasswordResetOutcome, Role, SessionInfo, User,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, ROOT_PASSWORD, TestApp, USER_PASSWORD};

#[tokio::test]
async fn login_gives_a_bearer_token_and_a_strict_cookie() {
    let app = TestApp::spawn().await;
    let response = app.login("root", ROOT_PASSWORD).await;
    assert_eq!(response.status(), 200);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("callvault_session="))
        .expect("a session cookie")
        .to_owned();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing in {cookie}"
        );
    }
    // Raw first: the password hash must be absent from the JSON itself, which no typed
    // reading could tell.
    let body: Value = response.json().await.expect("JSON");
    assert!(body.get("password_hash").is_none() && body["user"].get("password_hash").is_none());
    // `expires_at` must be a timestamp: the typed reading fails otherwise.
    let login: LoginResponse = serde_json::from_value(body).expect("a login response");
    assert_eq!(login.user.username, "root");
    assert_eq!(login.user.role, Role::Root);
    assert!(login.user.key_fingerprint.is_some_and(|f| f.len() == 64));
    assert_eq!(login.access_token.split('.').count(), 3);

    let session = app.sign_in_root().await;
    for auth in [Auth::Bearer(&session), Auth::Cookie(&session)] {
        let me: Me = app.me(auth).await.json().await.expect("JSON");
        assert_eq!(me.user.username, "root");
        assert_eq!(me.tenant.slug, "system");
        assert!(me.permissions.len() >= 6);
    }
    assert_eq!(app.me(Auth::None).await.status(), 401);
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let wrong_password = app.login("root", "not the root password").await;
    let unknown_user = app.login("nobody-here", "not the root password").await;
    assert_eq!(wrong_password.status(), 401);
    assert_eq!(unknown_user.status(), 401);
    let (a, b): (Value, Value) = (
        wrong_password.json().await.expect("JSON"),
        unknown_user.json().await.expect("JSON"),
    );
    assert_eq!(a, b);
    assert_eq!(a["detail"], "wrong username or password");
}

#[tokio::test]
async fn ten_failures_lock_the_name_from_that_address_and_nothing_else() {
    let app = TestApp::spawn().await;
    for attempt in 1..=10 {
        let response = app.login("root", "wrong password number x").await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    // Locked now, even with the right password.
    let locked = app.login("root", ROOT_PASSWORD).await;
    assert_eq!(locked.status(), 429);
    let retry_after: u64 = locked
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!(retry_after > 14 * 60, "{retry_after}");
    let locked_body: Value = locked.json().await.expect("JSON");

    // The address is not locked: anyone else there still gets their answer.
    let unknown = app.login("nobody-here", "whatever password").await;
    assert_eq!(unknown.status(), 401);

    // An invented name is locked exactly like a real one, in the same words.
    for _ in 0..10 {
        assert_eq!(
            app.login("ghost", "some wrong password").await.status(),
            401
        );
    }
    let ghost = app.login("ghost", "some wrong password").await;
    assert_eq!(ghost.status(), 429);
    let ghost_body: Value = ghost.json().await.expect("JSON");
    assert_eq!(locked_body["detail"], ghost_body["detail"]);
}

/// Failures that arrive together (a guesser on several connections) are each counted, and
/// none collides with another: before, two at once could meet a locked SQLite database or a
/// duplicate key on PostgreSQL, a 500.
#[tokio::test]
async fn concurrent_failures_are_all_counted_and_none_fails_the_server() {
    let app = TestApp::spawn().await;
    let attempts: Vec<_> = (0..9)
        .map(|_| app.login("root", "a wrong password at once"))
        .collect();
    for response in futures_util::future::join_all(attempts).await {
        assert_eq!(response.status(), 401);
    }
    assert_eq!(app.login("root", "the tenth wrong one").await.status(), 401);
    assert_eq!(
        app.login("root", ROOT_PASSWORD).await.status(),
        429,
        "nine concurrent failures and a tenth lock the account"
    );
}

#[tokio::test]
async fn an_unsafe_request_by_cookie_needs_the_csrf_token() {
    let app = TestApp::spawn().await;
    let session = app.sign_in_root().await;
    let body = json!({ "slug": "acme", "name": "Acme" });
    let forged = app
        .request(
            Method::POST,
            "/api/v1/tenants",
            Auth::CookieWithoutCsrf(&session),
            Some(&body),
        )
        .await;
    assert_eq!(forged.status(), 403);
    let genuine = app
        .request(
            Method::POST,
            "/api/v1/tenants",
            Auth::Cookie(&session),
            Some(&body),
        )
        .await;
    assert_eq!(genuine.status(), 201);
}

#[tokio::test]
async fn logout_ends_the_session_at_once_for_token_and_cookie() {
    let app = TestApp::spawn().await;
    let session = app.sign_in_root().await;
    let other = app.sign_in_root().await;
    let logout = app
        .request(
            Method::POST,
            "/api/v1/auth/logout",
            Auth::Bearer(&session),
            None,
        )
        .await;
    assert_eq!(logout.status(), 204);
    assert_eq!(app.me(Auth::Bearer(&session)).await.status(), 401);
    assert_eq!(app.me(Auth::Cookie(&session)).await.status(), 401);
    // Another session of the same user lives on.
    assert_eq!(app.me(Auth::Bearer(&other)).await.status(), 200);
}

#[tokio::test]
async fn sessions_are_listed_and_ended_by_their_owner_only() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    let second = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    app.create_user(&root, "acme", "alice", "tenant_admin")
        .await;
    let alice = app.sign_in("alice", USER_PASSWORD).await;

    let sessions: Vec<SessionInfo> = app
        .get_as("/api/v1/auth/sessions", &root)
        .await
        .json()
        .await
        .expect("JSON");
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);
    let second_id = sessions
        .iter()
        .find(|s| !s.current)
        .map(|s| s.id)
        .expect("the other session");

    // Alice cannot end root's session: to her it does not exist.
    let path = format!("/api/v1/auth/sessions/{second_id}");
    assert_eq!(app.delete_as(&path, &alice).await.status(), 404);
    assert_eq!(app.me(Auth::Bearer(&second)).await.status(), 200);
    assert_eq!(app.delete_as(&path, &root).await.status(), 204);
    assert_eq!(app.me(Auth::Bearer(&second)).await.status(), 401);
}

#[tokio::test]
async fn a_password_change_keeps_the_user_key_and_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    let created: User = serde_json::from_value(app.create_user(&root, "acme", "bob", "user").await)
        .expect("a user");
    let bob = app.sign_in("bob", USER_PASSWORD).await;
    let bob_elsewhere = app.sign_in("bob", USER_PASSWORD).await;

    let weak = app
        .post_as(
            "/api/v1/auth/password",
            &bob,
            &json!({ "current_password": USER_PASSWORD, "new_password": "short" }),
        )
        .await;
    assert_eq!(weak.status(), 400);
    let wrong = app
        .post_as(
            "/api/v1/auth/password",
            &bob,
            &json!({ "current_password": "not bob's password", "new_password": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(wrong.status(), 403);

    let changed = app
        .post_as(
            "/api/v1/auth/password",
            &bob,
            &json!({ "current_password": USER_PASSWORD, "new_password": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert_eq!(
        changed
            .json::<PasswordChanged>()
            .await
            .expect("JSON")
            .sessions_ended,
        1
    );
    assert_eq!(app.me(Auth::Bearer(&bob)).await.status(), 200);
    assert_eq!(app.me(Auth::Bearer(&bob_elsewhere)).await.status(), 401);
    assert_eq!(app.login("bob", USER_PASSWORD).await.status(), 401);

    // The same key pair, now opened by the new password (login opens it, or fails).
    let again = app.sign_in("bob", "a brand new passphrase").await;
    let again: User = serde_json::from_value(again.user).expect("a user");
    assert_eq!(again.key_fingerprint, created.key_fingerprint);
}

#[tokio::test]
async fn an_administrator_reset_replaces_the_user_key_and_ends_every_session() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    let admin: User = serde_json::from_value(
        app.create_user(&root, "acme", "carol", "tenant_admin")
            .await,
    )
    .expect("a user");
    let created: User =
        serde_json::from_value(app.create_user(&root, "acme", "dave", "supervisor").await)
            .expect("a user");
    let carol = app.sign_in("carol", USER_PASSWORD).await;
    let dave = app.sign_in("dave", USER_PASSWORD).await;
    let id = created.id;

    let own = app
        .post_as(
            &format!("/api/v1/tenants/acme/users/{}/reset-password", admin.id),
            &carol,
            &json!({ "password": "a new password for carol" }),
        )
        .await;
    assert_eq!(own.status(), 409);

    let reset = app
        .post_as(
            &format!("/api/v1/tenants/acme/users/{id}/reset-password"),
            &carol,
            &json!({ "password": "dave's temporary password" }),
        )
        .await;
    assert_eq!(reset.status(), 200);
    let outcome: PasswordResetOutcome = reset.json().await.expect("JSON");
    assert_eq!(outcome.sessions_ended, 1);
    assert!(outcome.notice.contains("grant"));
    assert_ne!(outcome.user.key_fingerprint, created.key_fingerprint);
    assert_eq!(app.me(Auth::Bearer(&dave)).await.status(), 401);
    let dave = app.sign_in("dave", "dave's temporary password").await;
    let dave: User = serde_json::from_value(dave.user).expect("a user");
    assert_eq!(dave.key_fingerprint, outcome.user.key_fingerprint);
}

#[tokio::test]
async fn the_session_row_holds_the_user_key_only_sealed() {
    use callvault::infra::entities::{session, user};
    use sea_orm::EntityTrait;

    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    let db = app.db().await;
    let sessions = session::Entity::find().all(&db).await.expect("rows");
    let users = user::Entity::find().all(&db).await.expect("rows");
    assert_eq!(sessions.len(), 1);
    // Neither the token's secret nor anything that decodes as a PKCS#8 key is stored.
    let token_secret = root.token.split('.').nth(1).expect("payload");
    for row in &sessions {
        assert!(!String::from_utf8_lossy(&row.secret_hash).contains(token_secret));
        assert_ne!(
            row.sealed_user_key.first(),
            Some(&0x30),
            "not a DER SEQUENCE"
        );
    }
    for row in &users {
        let sealed = row.sealed_private_key.as_deref().expect("sealed");
        assert_ne!(sealed.first(), Some(&0x30));
        assert!(row.password_hash.starts_with("$argon2id$"));
    }
}
