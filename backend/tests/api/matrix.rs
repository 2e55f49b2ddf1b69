//! The permission matrix, walked: every operation of the OpenAPI document (the route registry)
//! × every role × the caller's own tenant and another one. The expected answer comes from
//! `Role::allows` and the permission the operation declares; the guard is what answers. A new
//! route that forgets its guard, or declares one permission and checks another, fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use callvault::http::permissions_doc::{Access, Route, routes};
use callvault::infra::entities::{
    api_token, encryption_key, job, key_grant, legal_hold, recording, retention_policy, session,
    tenant, user,
};
use callvault_shared::api::{Role, TokenScope};
use callvault_shared::crypto::{Native, RsaBits};
use callvault_shared::keys::RsaPrivateKey;
use reqwest::Method;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, DatabaseConnection, EntityTrait, IntoActiveModel,
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::fixtures::wav;
use crate::helpers::{Auth, Session, TestApp, USER_PASSWORD};

/// Routes anyone may call. Anything else without a security requirement fails the test.
const PUBLIC: [(&str, &str); 4] = [
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/api/v1/auth/login"),
    ("GET", "/api/v1/audit/signing-key"),
];

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A request's body.
#[derive(Clone)]
enum Body {
    None,
    Json(Value),
    Raw(Vec<u8>, &'static str),
}

/// What the database holds that a refused request must leave alone (not the audit log, which
/// records the refusal, nor sessions' last use).
async fn snapshot(db: &DatabaseConnection) -> BTreeSet<String> {
    let mut rows = BTreeSet::new();
    for t in tenant::Entity::find().all(db).await.expect("tenants") {
        rows.insert(format!(
            "tenant {} {} {} {} {} {:?}",
            t.id,
            t.slug,
            t.name,
            t.encryption_enabled,
            t.key_mode.as_str(),
            t.active_key_id
        ));
    }
    for k in encryption_key::Entity::find().all(db).await.expect("keys") {
        rows.insert(format!(
            "key {} {} {:?}",
            k.id,
            k.state.as_str(),
            k.exported_at
        ));
    }
    for g in key_grant::Entity::find().all(db).await.expect("grants") {
        rows.insert(format!("grant {} {}", g.key_id, g.user_id));
    }
    for r in recording::Entity::find().all(db).await.expect("recordings") {
        rows.insert(format!(
            "recording {} {:?} {} {}",
            r.id, r.key_id, r.tags, r.object_key
        ));
    }
    for j in job::Entity::find().all(db).await.expect("jobs") {
        // Not its state: a job an earlier cell started may still be running in the background.
        rows.insert(format!("job {}", j.id));
    }
    for u in user::Entity::find().all(db).await.expect("users") {
        rows.insert(format!(
            "user {} {} {} {} {} {:?}",
            u.id, u.tenant_id, u.username, u.role, u.password_hash, u.public_key
        ));
    }
    for t in api_token::Entity::find().all(db).await.expect("API tokens") {
        rows.insert(format!("api token {} {} {}", t.id, t.scopes, t.expires_at));
    }
    for s in session::Entity::find().all(db).await.expect("sessions") {
        rows.insert(format!("session {} {} {}", s.id, s.user_id, s.expires_at));
    }
    for p in retention_policy::Entity::find()
        .all(db)
        .await
        .expect("policies")
    {
        rows.insert(format!(
            "retention {} {} {:?}",
            p.tenant_id, p.policy, p.pending_policy
        ));
    }
    for h in legal_hold::Entity::find().all(db).await.expect("holds") {
        rows.insert(format!("hold {} {:?}", h.id, h.released_at));
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
    /// A public key to import and to stand in for keys' public halves.
    public_key_pem: String,
    public_key_der: Vec<u8>,
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
        let key = RsaPrivateKey::<Native>::generate(RsaBits::Rsa2048).expect("a key");
        let public_key_pem = key.public_key().to_pem();
        let public_key_der = key.public_key().spki_der().to_vec();
        Self {
            app,
            db,
            sessions,
            own,
            other,
            tenant_ids,
            template_user,
            public_key_pem,
            public_key_der,
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
            role: Set(callvault_shared::api::Role::User),
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

    /// A public-only key with a made-up fingerprint, to be read, changed or destroyed.
    async fn disposable_key(&self, tenant: &str) -> Uuid {
        let id = Uuid::now_v7();
        encryption_key::Model {
            id,
            tenant_id: self.tenant_ids[tenant],
            fingerprint: format!("{:064x}", id.as_u128()),
            bits: 2048,
            origin: callvault_shared::api::KeyOrigin::PublicOnly,
            state: callvault_shared::api::KeyState::Active,
            public_key: self.public_key_der.clone(),
            created_at: chrono::Utc::now(),
            created_by: None,
            exported_at: None,
            retired_at: None,
            destroyed_at: None,
        }
        .into_active_model()
        .insert(&self.db)
        .await
        .expect("disposable key");
        id
    }

    async fn disposable_grant(&self, tenant: &str, key_id: Uuid, user_id: Uuid) {
        key_grant::ActiveModel {
            key_id: Set(key_id),
            user_id: Set(user_id),
            tenant_id: Set(self.tenant_ids[tenant]),
            sealed_private_key: Set(vec![1; 64]),
            granted_by: Set(None),
            created_at: Set(chrono::Utc::now()),
        }
        .insert(&self.db)
        .await
        .expect("disposable grant");
    }

    async fn disposable_recording(&self, tenant: &str) -> Uuid {
        let response = self
            .app
            .client
            .post(format!(
                "{}/api/v1/tenants/{tenant}/recordings",
                self.app.address
            ))
            .bearer_auth(&self.sessions[&Role::Root].token)
            .header("content-type", "audio/wav")
            .body(wav(800))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 201, "disposable recording");
        parse_id(&response.json().await.expect("JSON"))
    }

    async fn disposable_job(&self, tenant: &str) -> Uuid {
        let id = Uuid::now_v7();
        job::Model {
            id,
            tenant_id: self.tenant_ids[tenant],
            kind: callvault_shared::api::JobKind::Rewrap,
            state: callvault_shared::api::JobState::Done,
            done: 0,
            total: 0,
            failed: 0,
            lease_owner: None,
            lease_expires_at: None,
            error: None,
            created_by: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
        .into_active_model()
        .insert(&self.db)
        .await
        .expect("disposable job");
        id
    }

    /// A token of a user of `tenant` nobody uses, to be revoked by one request.
    async fn disposable_token(&self, tenant: &str) -> Uuid {
        let holder = self.disposable_user(tenant).await;
        let id = Uuid::now_v7();
        api_token::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant_ids[tenant]),
            user_id: Set(holder),
            name: Set(unique("disposable token ")),
            scopes: Set("read".into()),
            secret_hash: Set(vec![0; 32]),
            sealed_user_key: Set(None),
            created_at: Set(chrono::Utc::now()),
            expires_at: Set(chrono::Utc::now() + chrono::Duration::days(1)),
            last_used_at: Set(None),
        }
        .insert(&self.db)
        .await
        .expect("disposable token");
        id
    }

    async fn disposable_hold(&self, tenant: &str) -> Uuid {
        let id = Uuid::now_v7();
        legal_hold::ActiveModel {
            id: Set(id),
            tenant_id: Set(self.tenant_ids[tenant]),
            name: Set(unique("disposable hold ")),
            reason: Set("held by the matrix".into()),
            criteria: Set(r#"{"recording_ids":[]}"#.into()),
            placed_by: Set("matrix".into()),
            placed_at: Set(chrono::Utc::now()),
            released_by: Set(None),
            released_at: Set(None),
        }
        .insert(&self.db)
        .await
        .expect("disposable hold");
        id
    }

    /// `route.path` with its parameters filled for a request in `tenant`, and a valid body.
    /// A route it does not know fails the test: teach it the new route.
    async fn prepare(&self, route: &Route, tenant: &str) -> (String, Body) {
        let template = route.path.as_str();
        let mut path = template.replace("{tenant}", tenant);
        let mut body = Body::None;
        let mut user = None;
        if template.starts_with("/api/v1/tenants/{tenant}/users/{id}") {
            let id = self.disposable_user(tenant).await;
            path = path.replace("{id}", &id.to_string());
        } else if template.starts_with("/api/v1/tenants/{tenant}/keys/{id}") {
            let id = self.disposable_key(tenant).await;
            path = path.replace("{id}", &id.to_string());
            let holder = self.disposable_user(tenant).await;
            if template.ends_with("{user}") {
                self.disposable_grant(tenant, id, holder).await;
                path = path.replace("{user}", &holder.to_string());
            }
            user = Some(holder);
        } else if template.starts_with("/api/v1/tenants/{tenant}/recordings/{id}") {
            let id = self.disposable_recording(tenant).await;
            path = path.replace("{id}", &id.to_string());
        } else if template == "/api/v1/jobs/{id}" {
            let id = self.disposable_job(tenant).await;
            path = path.replace("{id}", &id.to_string());
        } else if template.starts_with("/api/v1/tenants/{tenant}/holds/{id}") {
            let id = self.disposable_hold(tenant).await;
            path = path.replace("{id}", &id.to_string());
        } else if template == "/api/v1/tenants/{tenant}/tokens/{id}" {
            let id = self.disposable_token(tenant).await;
            path = path.replace("{id}", &id.to_string());
        } else if template == "/api/v1/auth/sessions/{id}" {
            // Only asked without a credential; with one, the caller's own session is used.
            path = path.replace("{id}", &Uuid::now_v7().to_string());
        }
        assert!(
            !path.contains('{'),
            "the matrix test cannot fill {template}: teach it"
        );

        match (route.method.as_str(), template) {
            ("GET" | "DELETE", _) => {}
            ("POST", "/api/v1/auth/logout" | "/api/v1/auth/token") => {}
            // The same password again: every role's account must stay usable.
            ("POST", "/api/v1/auth/password") => {
                body = Body::Json(json!({
                    "current_password": USER_PASSWORD,
                    "new_password": USER_PASSWORD,
                }))
            }
            ("POST", "/api/v1/tenants") => {
                body = Body::Json(json!({ "slug": unique("t"), "name": "Made by the matrix" }))
            }
            ("PATCH", "/api/v1/tenants/{tenant}") => {
                body = Body::Json(json!({ "name": "Renamed by the matrix" }))
            }
            ("POST", "/api/v1/tenants/{tenant}/users") => {
                body = Body::Json(json!({
                    "username": unique("matrix-user-"),
                    "password": USER_PASSWORD,
                    "role": "user",
                }))
            }
            ("PATCH", "/api/v1/tenants/{tenant}/users/{id}") => {
                body = Body::Json(json!({ "role": "auditor" }))
            }
            ("POST", "/api/v1/tenants/{tenant}/users/{id}/reset-password") => {
                body = Body::Json(json!({ "password": "a reset password for tests" }))
            }
            ("POST", "/api/v1/tenants/{tenant}/keys") => {
                body = Body::Json(json!({ "public_key_pem": self.public_key_pem }))
            }
            // Refused in a tenant whose keys the provider holds, but past the guard.
            ("POST", "/api/v1/tenants/{tenant}/keys/statements") => {
                body = Body::Json(json!({
                    "action": "retire_key",
                    "key_fingerprint": "0".repeat(64),
                }))
            }
            ("POST", "/api/v1/tenants/{tenant}/keys/{id}/export") => {
                body = Body::Json(json!({ "passphrase": "a long export passphrase" }))
            }
            ("POST", "/api/v1/tenants/{tenant}/keys/{id}/destroy") => body = Body::Json(json!({})),
            ("POST", "/api/v1/tenants/{tenant}/keys/{id}/grants") => {
                body = Body::Json(json!({ "user_id": user.expect("a user") }))
            }
            (
                "POST",
                "/api/v1/tenants/{tenant}/keys/{id}/activate"
                | "/api/v1/tenants/{tenant}/keys/{id}/retire",
            ) => {}
            ("PATCH", "/api/v1/tenants/{tenant}/encryption") => {
                body = Body::Json(json!({ "enabled": false }))
            }
            ("POST", "/api/v1/tenants/{tenant}/recordings") => {
                body = Body::Raw(wav(800), "audio/wav")
            }
            ("POST", "/api/v1/tenants/{tenant}/recordings/export") => {
                body = Body::Json(json!({ "filter": {} }))
            }
            // Refused as an archive, but past the guard.
            ("POST", "/api/v1/tenants/{tenant}/recordings/import") => {
                body = Body::Raw(b"PK not an archive".to_vec(), "application/zip")
            }
            ("PATCH", "/api/v1/tenants/{tenant}/recordings/{id}") => {
                body = Body::Json(json!({ "tags": ["matrix"] }))
            }
            ("POST", "/api/v1/tenants/{tenant}/rewrap") => {}
            (
                "PUT" | "POST",
                "/api/v1/tenants/{tenant}/retention" | "/api/v1/tenants/{tenant}/retention/preview",
            ) => body = Body::Json(json!({ "policy": { "keep_days": 36_500 } })),
            ("POST", "/api/v1/tenants/{tenant}/holds") => {
                body = Body::Json(json!({
                    "name": unique("matrix hold "),
                    "reason": "held by the matrix",
                    "recording_ids": [Uuid::now_v7()],
                }))
            }
            ("POST", "/api/v1/tenants/{tenant}/holds/{id}/release") => {}
            ("POST", "/api/v1/tenants/{tenant}/tokens") => {
                body = Body::Json(json!({ "name": unique("matrix token "), "scopes": ["read"] }))
            }
            (method, _) => {
                panic!("the matrix test has no request body for {method} {template}: add one")
            }
        }
        (path, body)
    }

    async fn send(
        &self,
        route: &Route,
        path: &str,
        body: &Body,
        auth: Auth<'_>,
    ) -> reqwest::Response {
        let method = Method::from_bytes(route.method.as_bytes()).expect("method");
        match body {
            Body::None => self.app.request(method, path, auth, None).await,
            Body::Json(json) => self.app.request(method, path, auth, Some(json)).await,
            Body::Raw(bytes, content_type) => {
                let mut request = self
                    .app
                    .client
                    .request(method, format!("{}{path}", self.app.address))
                    .header("content-type", *content_type)
                    .body(bytes.clone());
                match auth {
                    Auth::Bearer(session) => request = request.bearer_auth(&session.token),
                    Auth::ApiToken(secret) => request = request.bearer_auth(secret),
                    _ => {}
                }
                request.send().await.expect("sent")
            }
        }
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
        let (path, body) = world.prepare(route, own_tenant).await;
        let status = world.send(route, &path, &body, Auth::None).await.status();
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
                let (_, body) = world.prepare(route, "alpha").await;
                let status = world
                    .send(route, &path, &body, Auth::Bearer(&session))
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

        // Jobs belong to a tenant through the object, not the path.
        let tenant_scoped =
            route.path.contains("{tenant}") || route.path.starts_with("/api/v1/jobs/");
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
                let (path, body) = world.prepare(route, tenant).await;
                let invisible = foreign && !role.is_provider_staff();
                let allowed = role.allows(permission);
                let before = snapshot(&world.db).await;
                let response = world.send(route, &path, &body, Auth::Bearer(session)).await;
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                let cell = format!("{label} as {role} in {tenant}");
                // The guard's refusal of a role, as opposed to a grant the caller lacks.
                let role_refused = status == 403 && text.contains("does not allow this");
                if invisible || !allowed {
                    let expected = if invisible { 404 } else { 403 };
                    assert_eq!(status, expected, "{cell}: {text}");
                    assert!(invisible || role_refused, "{cell}: {text}");
                    assert_eq!(
                        snapshot(&world.db).await,
                        before,
                        "{cell} changed the database"
                    );
                } else {
                    // Past the guard: whatever the route then says, never the guard's answers.
                    assert!(
                        !matches!(status, 401 | 404) && status < 500 && !role_refused,
                        "{cell}: {status} {text}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} cells checked");
}

/// API tokens, one per scope, of a tenant administrator (whose role allows everything in the
/// tenant): each reaches exactly what its scope allows, in its own tenant only, and never a
/// person's account routes. A recorder's `upload` token thus gets 403 on every read, play,
/// export and key operation.
#[tokio::test]
async fn every_route_answers_every_api_token_as_its_scopes_say() {
    let world = World::build().await;
    let admin = &world.sessions[&Role::TenantAdmin];
    let mut tokens = Vec::new();
    for scope in TokenScope::ALL {
        let (secret, _) = world
            .app
            .create_api_token(admin, "alpha", &[scope.as_str()])
            .await;
        tokens.push((scope, secret));
    }
    let mut checked = 0;
    for route in routes() {
        let label = format!("{} {}", route.method, route.path);
        let permission = match route.access {
            Access::Public => continue,
            Access::SignedIn => None,
            Access::Permission(permission) => Some(permission),
        };
        let tenant_scoped =
            route.path.contains("{tenant}") || route.path.starts_with("/api/v1/jobs/");
        for (scope, secret) in &tokens {
            for tenant in ["alpha", "beta"] {
                if tenant == "beta" && !tenant_scoped {
                    continue;
                }
                let (path, body) = world.prepare(&route, tenant).await;
                let before = snapshot(&world.db).await;
                let response = world
                    .send(&route, &path, &body, Auth::ApiToken(secret))
                    .await;
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                let cell = format!("{label} with a {scope} token in {tenant}");
                let allowed = permission.is_some_and(|p| scope.permissions().contains(&p));
                if tenant == "beta" || !allowed {
                    let expected = if tenant == "beta" { 404 } else { 403 };
                    assert_eq!(status, expected, "{cell}: {text}");
                    assert_eq!(
                        snapshot(&world.db).await,
                        before,
                        "{cell} changed the database"
                    );
                } else {
                    assert!(
                        !matches!(status, 401 | 403 | 404) && status < 500,
                        "{cell}: {status} {text}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 150, "only {checked} cells checked");
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
        committed == callvault::http::permissions_doc::render(),
        "docs/permissions.md is out of date: run `cargo xtask openapi` and commit the result"
    );
}
