//! Tenants and users: the checks on what is created, and the operator's command line.

use callvault_shared::api::{AuditVerification, Role, User};
use serde_json::{Value, json};

use crate::helpers::{ROOT_PASSWORD, TestApp, USER_PASSWORD};

#[tokio::test]
async fn bad_tenants_and_users_are_refused_with_reasons() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    for (slug, status) in [
        ("A", 400),
        ("x", 400),
        ("ok-slug-", 400),
        ("0abc", 400),
        ("abcdefab-cdef-abcd-efab-cdefabcdefab", 400),
        ("system", 409),
    ] {
        let response = app
            .post_as(
                "/api/v1/tenants",
                &root,
                &json!({ "slug": slug, "name": "N" }),
            )
            .await;
        assert_eq!(response.status(), status, "slug {slug:?}");
    }
    app.create_tenant(&root, "acme").await;

    let (app, root) = (&app, &root);
    let create = |username: &str, password: &str, role: &str| {
        let body = json!({ "username": username, "password": password, "role": role });
        async move { app.post_as("/api/v1/tenants/acme/users", root, &body).await }
    };
    let weak = create("frank", "short", "user").await;
    assert_eq!(weak.status(), 400);
    assert!(
        weak.json::<Value>().await.expect("JSON")["detail"]
            .as_str()
            .expect("detail")
            .contains("at least 12")
    );
    let common = create("frank", "qwertyuiop123", "user").await;
    assert_eq!(common.status(), 400);
    assert!(
        common.json::<Value>().await.expect("JSON")["detail"]
            .as_str()
            .expect("detail")
            .contains("common")
    );
    assert_eq!(
        create("frank", USER_PASSWORD, "provider_admin")
            .await
            .status(),
        400
    );
    assert_eq!(create("root", USER_PASSWORD, "user").await.status(), 409);
    assert_eq!(
        create("bad name", USER_PASSWORD, "user").await.status(),
        400
    );
    assert_eq!(create("frank", USER_PASSWORD, "wizard").await.status(), 400);
    let long = "a long passphrase, never truncated ".repeat(4);
    assert_eq!(create("frank", &long, "user").await.status(), 201);
    assert_eq!(
        app.login("frank", &long[..long.len() - 1]).await.status(),
        401
    );
    assert_eq!(app.login("frank", &long).await.status(), 200);
}

#[tokio::test]
async fn tenant_administrators_cannot_make_provider_staff_or_touch_themselves() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "acme").await;
    let grace: User = serde_json::from_value(
        app.create_user(&root, "acme", "grace", "tenant_admin")
            .await,
    )
    .expect("a user");
    let grace_session = app.sign_in("grace", USER_PASSWORD).await;
    let id = grace.id;
    let response = app
        .post_as(
            "/api/v1/tenants/acme/users",
            &grace_session,
            &json!({ "username": "heidi", "password": USER_PASSWORD, "role": "root" }),
        )
        .await;
    assert_eq!(response.status(), 403);
    let own = app
        .patch_as(
            &format!("/api/v1/tenants/acme/users/{id}"),
            &grace_session,
            &json!({ "role": "user" }),
        )
        .await;
    assert_eq!(own.status(), 409);
    let own = app
        .delete_as(&format!("/api/v1/tenants/acme/users/{id}"), &grace_session)
        .await;
    assert_eq!(own.status(), 409);
    // The last root stays.
    let root_id = serde_json::from_value::<User>(root.user.clone())
        .expect("a user")
        .id;
    // A user, with an id: the typed reading fails otherwise.
    let _padmin: User = serde_json::from_value(
        app.create_user(&root, "system", "ivan", "provider_admin")
            .await,
    )
    .expect("a user with an id");
    let ivan = app.sign_in("ivan", USER_PASSWORD).await;
    let response = app
        .delete_as(&format!("/api/v1/tenants/system/users/{root_id}"), &ivan)
        .await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn the_operator_creates_users_and_resets_passwords_from_the_command_line() {
    let app = TestApp::spawn().await;
    let password_file = app.data_dir.path().join("password");
    std::fs::write(&password_file, "an operator's new password\n").expect("written");

    let output = app
        .command()
        .args([
            "admin",
            "create-user",
            "--username",
            "judy",
            "--role",
            "root",
            "--password-file",
        ])
        .arg(&password_file)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let judy = app.sign_in("judy", "an operator's new password").await;
    let judy_user: User = serde_json::from_value(judy.user.clone()).expect("a user");
    assert_eq!(judy_user.role, Role::Root);

    std::fs::write(&password_file, "root's rescued password\n").expect("written");
    let root = app.sign_in_root().await;
    let output = app
        .command()
        .args(["admin", "reset-password", "root", "--password-file"])
        .arg(&password_file)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("grant"));
    assert_eq!(
        app.me(crate::helpers::Auth::Bearer(&root)).await.status(),
        401
    );
    assert_eq!(app.login("root", ROOT_PASSWORD).await.status(), 401);
    app.sign_in("root", "root's rescued password").await;

    let log: AuditVerification =
        serde_json::from_value(app.audit_verify(&judy, "system").await).expect("a verification");
    assert!(log.intact);
    let output = app
        .command()
        .args(["admin", "reset-password", "nobody", "--password-file"])
        .arg(&password_file)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no user \"nobody\""));
}

/// serde would read a JSON array as a struct's fields in order; the API takes objects only.
#[tokio::test]
async fn a_json_array_is_not_a_request_body() {
    let app = crate::helpers::TestApp::spawn().await;
    let root = app.sign_in_root().await;

    let tenants = app
        .post_as(
            "/api/v1/tenants",
            &root,
            &serde_json::json!(["arrays", "Array Tenant"]),
        )
        .await;
    assert_eq!(tenants.status(), 400);
    let login = app
        .client
        .post(format!("{}/api/v1/auth/login", app.address))
        .json(&serde_json::json!(["root", crate::helpers::ROOT_PASSWORD]))
        .send()
        .await
        .expect("sent");
    assert_eq!(login.status(), 400);
    assert_eq!(
        app.get_as("/api/v1/tenants/arrays", &root).await.status(),
        404
    );
}

/// Lengths are measured as sent, as the OpenAPI document's limits are: a name of 201
/// characters whose first is whitespace is too long, though trimmed it would fit.
#[tokio::test]
async fn a_name_too_long_as_sent_is_refused_even_when_trimming_would_fit() {
    let app = crate::helpers::TestApp::spawn().await;
    let root = app.sign_in_root().await;
    let name = format!("\u{b}{}", "*".repeat(200));

    let tenant = app
        .post_as(
            "/api/v1/tenants",
            &root,
            &serde_json::json!({ "slug": "padded", "name": name }),
        )
        .await;
    assert_eq!(tenant.status(), 400);
    let token = app
        .post_as(
            "/api/v1/tenants/system/tokens",
            &root,
            &serde_json::json!({ "name": format!(" {}", "t".repeat(100)), "scopes": ["read"] }),
        )
        .await;
    assert_eq!(token.status(), 400);
}
