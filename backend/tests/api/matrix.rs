//! The permission matrix, walked: every operation of the OpenAPI document (the route registry)
//! × every role × the caller's own tenant and another one. The expected answer comes from
//! `Role::allows` and the permission the operation declares; the guard is what answers. A new
//! route that forgets its guard, or declares one permission and checks another, fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use callvault::entities::{session, tenant, user};
use callvault::permissions_doc::{Access, Route, routes};
use callvault_shared::api::Role;
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Auth, Session, TestApp, USER_PASSWORD};

/// Routes anyone may call. Anything else without a security requirement fails the test.
const PUBLIC: [(&str, &str); 3] = [
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/api/v1/auth/login"),
];

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A valid body for each operation that takes one. An operation missing here fails the test:
/// teach it the new route.
fn body_for(method: &str, path: &str) -> Option<Value> {
    match (method, path) {
        ("GET" | "DELETE", _) => None,
        ("POST", "/api/v1/auth/logout" | "/api/v1/auth/token") => None,
        // The same password again: every role's account must stay usable.
        ("POST", "/api/v1/auth/password") => Some(json!({
            "current_password": USER_PASSWORD,
            "new_password": USER_PASSWORD,
        })),
        ("POST", "/api/v1/tenants") => {
            Some(json!({ "slug": unique("t"), "name": "Made by the matrix" }))
        }
        ("PATCH", "/api/v1/tenants/{tenant}") => Some(json!({ "name": "Renamed by the matrix" })),
        ("POST", "/api/v1/tenants/{tenant}/users") => Some(json!({
            "username": unique("matrix-user-"),
            "password": USER_PASSWORD,
            "role": "user",
        })),
        ("PATCH", "/api/v1/tenants/{tenant}/users/{id}") => Some(json!({ "role": "auditor" })),
        ("POST", "/api/v1/tenants/{tenant}/users/{id}/reset-password") => {
            Some(json!({ "password": "a reset password for tests" }))
        }
        _ => panic!("the matrix test has no request body for {method} {path}: add one"),
    }
}

/// What the database holds that a refused request must leave alone (not the audit log, which
/// records the refusal, nor sessions' last use).
async fn snapshot(db: &DatabaseConnection) -> BTreeSet<String> {
    let mut rows = BTreeSet::new();
    for t in tenant::Entity::find().all(db).await.expect("tenants") {
        rows.insert(format!("tenant {} {} {}", t.id, t.slug, t.name));
    }
    for u in user::Entity::find().all(db).await.expect("users") {
        rows.insert(format!(
            "user {} {} {} {} {} {:?}",
            u.id, u.tenant_id, u.username, u.role, u.password_hash, u.public_key
        ));
    }
    for s in session::Entity::find().all(db).await.expect("sessions") {
        rows.insert(format!("session {} {} {}", s.id, s.user_id, s.expires_at));
    }
    rows
}

struct World {
    app: TestApp,
    db: DatabaseConnection,
    sessions: BTreeMap<Role, Session>,
    /// The tenant each role belongs to, and another one it is not in.
    own: BTreeMap<Role, String>,
    other: BTreeMap<Role, String>,
    tenant_ids: BTreeMap<String, Uuid>,
    template_user: user::Model,
}

impl World {
    async fn build() -> Self {
        let app = TestApp::spawn().await;
        let root = app.sign_in_root().await;
        let mut tenant_ids = BTreeMap::new();
        for slug in ["alpha", "beta"] {
            let created = app.create_tenant(&root, slug).await;
            tenant_ids.insert(slug.to_owned(), parse_id(&created));
        }
        let system: Value = app
            .get_as("/api/v1/tenants/system", &root)
            .await
            .json()
            .await
            .expect("JSON");
        tenant_ids.insert("system".into(), parse_id(&system));

        let mut sessions = BTreeMap::new();
        let (mut own, mut other) = (BTreeMap::new(), BTreeMap::new());
        for role in Role::ALL {
            let (home, away) = if role.is_provider_staff() {
                ("system", "alpha")
            } else {
                ("alpha", "beta")
            };
            own.insert(role, home.to_owned());
            other.insert(role, away.to_owned());
            let session = if role == Role::Root {
                root.clone()
            } else {
                let username = format!("matrix-{role}");
                app.create_user(&root, home, &username, role.as_str()).await;
                app.sign_in(&username, USER_PASSWORD).await
            };
            sessions.insert(role, session);
        }
        let db = app.db().await;
        let template_user = user::Entity::find_by_id(parse_id(&sessions[&Role::User].user))
            .one(&db)
            .await
            .expect("query")
            .expect("the user");
        Self {
            app,
            db,
            sessions,
            own,
            other,
            tenant_ids,
            template_user,
        }
    }

    /// A user nobody signs in as, to be read, changed, reset or deleted by one request. Its
    /// key material is copied (it is never opened), which spares a key generation per cell.
    async fn disposable_user(&self, tenant: &str) -> Uuid {
        let id = Uuid::now_v7();
        user::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant_ids[tenant]),
            username: Set(unique("disposable-")),
            password_hash: Set(self.template_user.password_hash.clone()),
            role: Set("user".into()),
            created_at: Set(chrono::Utc::now()),
            public_key: Set(self.template_user.public_key.clone()),
            sealed_private_key: Set(self.template_user.sealed_private_key.clone()),
            password_changed_at: Set(None),
        }
        .insert(&self.db)
        .await
        .expect("disposable user");
        id
    }

    /// `route.path` with its parameters filled for a request in `tenant`.
    async fn fill(&self, route: &Route, tenant: &str) -> String {
        let mut path = route.path.replace("{tenant}", tenant);
        if path.contains("{id}") {
            if route
                .path
                .starts_with("/api/v1/tenants/{tenant}/users/{id}")
            {
                let id = self.disposable_user(tenant).await;
                path = path.replace("{id}", &id.to_string());
            } else if route.path == "/api/v1/auth/sessions/{id}" {
                // Only asked without a credential; with one, the caller's own session is used.
                path = path.replace("{id}", &Uuid::now_v7().to_string());
            } else {
                panic!(
                    "the matrix test cannot fill {{id}} in {}: teach it",
                    route.path
                );
            }
        }
        assert!(!path.contains('{'), "unfilled parameter in {path}");
        path
    }

    async fn send(&self, route: &Route, path: &str, auth: Auth<'_>) -> reqwest::Response {
        let method = Method::from_bytes(route.method.as_bytes()).expect("method");
        let body = body_for(&route.method, &route.path);
        self.app.request(method, path, auth, body.as_ref()).await
    }
}

fn parse_id(value: &Value) -> Uuid {
    value["id"]
        .as_str()
        .and_then(|id| Uuid::try_parse(id).ok())
        .expect("an id")
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_matrix_says() {
    let world = World::build().await;
    let mut routes = routes();
    assert!(routes.len() >= 20, "the route registry looks empty");
    // The caller's own account last: a password change there ends the role's other sessions.
    routes.sort_by_key(|route| route.access == Access::SignedIn);
    let mut checked = 0;

    for route in &routes {
        let label = format!("{} {}", route.method, route.path);
        if route.access == Access::Public {
            assert!(
                PUBLIC.contains(&(route.method.as_str(), route.path.as_str())),
                "{label} declares no security requirement: guard it, or list it as public"
            );
            continue;
        }
        // Without a credential: 401, whatever else is wrong with the request.
        let own_tenant = "alpha";
        let path = world.fill(route, own_tenant).await;
        let status = world.send(route, &path, Auth::None).await.status();
        assert_eq!(status, 401, "{label} without a credential");
        let method = Method::from_bytes(route.method.as_bytes()).expect("method");
        let garbage = world
            .app
            .client
            .request(method, format!("{}{path}", world.app.address))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("sent");
        assert_eq!(
            garbage.status(),
            401,
            "{label} without a credential, with a bad body"
        );

        let Access::Permission(permission) = route.access else {
            // The caller's own account: every role may, with a session of its own.
            for role in Role::ALL {
                let username = &world.sessions[&role].user["username"];
                let password = if role == Role::Root {
                    crate::helpers::ROOT_PASSWORD
                } else {
                    USER_PASSWORD
                };
                let session = world
                    .app
                    .sign_in(username.as_str().expect("name"), password)
                    .await;
                let path = if route.path.contains("{id}") {
                    let me: Value = world
                        .app
                        .me(Auth::Bearer(&session))
                        .await
                        .json()
                        .await
                        .expect("JSON");
                    route
                        .path
                        .replace("{id}", me["session"]["id"].as_str().expect("id"))
                } else {
                    route.path.clone()
                };
                let status = world
                    .send(route, &path, Auth::Bearer(&session))
                    .await
                    .status();
                assert!(
                    status.is_success() || (status == 403 && route.path == "/api/v1/auth/password"),
                    "{label} as {role}: {status}"
                );
                checked += 1;
            }
            continue;
        };

        let tenant_scoped = route.path.contains("{tenant}");
        for role in Role::ALL {
            let session = &world.sessions[&role];
            for foreign in [false, true] {
                if foreign && !tenant_scoped {
                    continue;
                }
                let tenant = if foreign {
                    &world.other[&role]
                } else {
                    &world.own[&role]
                };
                let path = world.fill(route, tenant).await;
                let invisible = foreign && !role.is_provider_staff();
                let allowed = role.allows(permission);
                let before = snapshot(&world.db).await;
                let response = world.send(route, &path, Auth::Bearer(session)).await;
                let status = response.status().as_u16();
                let cell = format!("{label} as {role} in {tenant}");
                if invisible || !allowed {
                    let expected = if invisible { 404 } else { 403 };
                    assert_eq!(status, expected, "{cell}");
                    assert_eq!(
                        snapshot(&world.db).await,
                        before,
                        "{cell} changed the database"
                    );
                } else {
                    assert!(
                        (200..300).contains(&status),
                        "{cell}: {status} {}",
                        response.text().await.unwrap_or_default()
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} cells checked");
}

#[tokio::test]
async fn another_tenants_objects_answer_exactly_like_missing_ones() {
    let world = World::build().await;
    let admin = &world.sessions[&Role::TenantAdmin];
    let problem = |value: Value, secret: &str| value.to_string().replace(secret, "<name>");

    // Another tenant in the path, against one that does not exist.
    for suffix in ["", "/users", "/audit", "/audit/verify"] {
        let foreign = world
            .app
            .get_as(&format!("/api/v1/tenants/beta{suffix}"), admin)
            .await;
        let beta_id = world.tenant_ids["beta"].to_string();
        let by_id = world
            .app
            .get_as(&format!("/api/v1/tenants/{beta_id}{suffix}"), admin)
            .await;
        let missing = world
            .app
            .get_as(&format!("/api/v1/tenants/gamma{suffix}"), admin)
            .await;
        assert_eq!(
            (
                foreign.status().as_u16(),
                by_id.status().as_u16(),
                missing.status().as_u16()
            ),
            (404, 404, 404)
        );
        assert_eq!(
            problem(foreign.json().await.expect("JSON"), "beta"),
            problem(missing.json().await.expect("JSON"), "gamma")
        );
        assert_eq!(
            problem(by_id.json().await.expect("JSON"), &beta_id),
            missing_by_id(&world, admin, suffix).await
        );
    }

    // Another tenant's user, asked for inside one's own tenant.
    let foreign_user = world.disposable_user("beta").await;
    let missing_user = Uuid::now_v7();
    let before = snapshot(&world.db).await;
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let body = (method == Method::PATCH).then(|| json!({ "role": "auditor" }));
        let (foreign_path, missing_path) = (
            format!("/api/v1/tenants/alpha/users/{foreign_user}"),
            format!("/api/v1/tenants/alpha/users/{missing_user}"),
        );
        let auth = Auth::Bearer(admin);
        let foreign = world
            .app
            .request(method.clone(), &foreign_path, auth, body.as_ref())
            .await;
        let missing = world
            .app
            .request(method.clone(), &missing_path, auth, body.as_ref())
            .await;
        assert_eq!(foreign.status(), 404, "{method} another tenant's user");
        assert_eq!(missing.status(), 404);
        assert_eq!(
            problem(
                foreign.json().await.expect("JSON"),
                &foreign_user.to_string()
            ),
            problem(
                missing.json().await.expect("JSON"),
                &missing_user.to_string()
            ),
        );
    }
    assert_eq!(snapshot(&world.db).await, before);
}

/// The problem for a tenant id that does not exist, with the id blanked.
async fn missing_by_id(world: &World, session: &Session, suffix: &str) -> String {
    let id = Uuid::now_v7().to_string();
    let value: Value = world
        .app
        .get_as(&format!("/api/v1/tenants/{id}{suffix}"), session)
        .await
        .json()
        .await
        .expect("JSON");
    value.to_string().replace(&id, "<name>")
}

#[test]
fn the_permissions_document_is_what_the_matrix_checks() {
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/permissions.md"
    ))
    .unwrap_or_default();
    assert!(
        committed == callvault::permissions_doc::render(),
        "docs/permissions.md is out of date: run `cargo xtask openapi` and commit the result"
    );
}
