//! Hardening: security headers on every answer, the permission decided before the request's
//! input is read, `Allow` as the document says, the data directory's file modes, and the
//! revoking rule as the permissions document states it.

use std::path::{Path, PathBuf};

use callvault::http::web_app::{CONTENT_SECURITY_POLICY, STRICT_TRANSPORT_SECURITY};
use callvault_shared::api::User;
use reqwest::{Method, header};
use serde_json::{Value, json};

use crate::fixtures::{encrypted_tenant, system_key, wav};
use crate::helpers::{Auth, POSTGRES_URL_VAR, ROOT_PASSWORD, TestApp, TestDatabase, USER_PASSWORD};

fn assert_security_headers(response: &reqwest::Response, what: &str, https: bool) {
    let headers = response.headers();
    assert_eq!(
        headers
            .get(header::CONTENT_SECURITY_POLICY)
            .map(|v| v.to_str().unwrap_or_default()),
        Some(CONTENT_SECURITY_POLICY),
        "{what}: Content-Security-Policy"
    );
    assert_eq!(
        headers
            .get(header::X_CONTENT_TYPE_OPTIONS)
            .map(|v| v.as_bytes()),
        Some(&b"nosniff"[..]),
        "{what}: X-Content-Type-Options"
    );
    assert_eq!(
        headers.get(header::REFERRER_POLICY).map(|v| v.as_bytes()),
        Some(&b"no-referrer"[..]),
        "{what}: Referrer-Policy"
    );
    assert_eq!(
        headers
            .get(header::STRICT_TRANSPORT_SECURITY)
            .map(|v| v.to_str().unwrap_or_default()),
        https.then_some(STRICT_TRANSPORT_SECURITY),
        "{what}: Strict-Transport-Security"
    );
}

async fn send(app: &TestApp, method: &str, path: &str) -> reqwest::Response {
    app.client
        .request(
            Method::from_bytes(method.as_bytes()).expect("method"),
            format!("{}{path}", app.address),
        )
        .send()
        .await
        .expect("sent")
}

/// Answers of every kind: the middleware's 401 and CSRF 403, the router's 404 and 405, a
/// handler's 400, a missing asset, a success.
async fn check_every_kind_of_answer(app: &TestApp, https: bool) {
    let root = app.sign_in_root().await;
    let cases = [
        (
            "401 from the middleware",
            app.request(Method::GET, "/api/v1/auth/me", Auth::None, None)
                .await,
            401,
        ),
        (
            "CSRF 403 from the middleware",
            app.request(
                Method::POST,
                "/api/v1/auth/logout",
                Auth::CookieWithoutCsrf(&root),
                None,
            )
            .await,
            403,
        ),
        (
            "404 under /api",
            send(app, "GET", "/api/v1/no-such-thing").await,
            404,
        ),
        (
            "405 under /api",
            send(app, "PUT", "/api/v1/tenants").await,
            405,
        ),
        ("405 of the app", send(app, "POST", "/").await, 405),
        (
            "missing asset",
            send(app, "GET", "/missing.wasm").await,
            404,
        ),
        (
            "handler's 400",
            app.post_as("/api/v1/tenants", &root, &json!({ "slug": "X" }))
                .await,
            400,
        ),
        (
            "401 for a malformed API token",
            app.request(
                Method::POST,
                "/api/v1/tenants",
                Auth::ApiToken("cvt_not-a-token"),
                None,
            )
            .await,
            401,
        ),
        ("probe", app.healthz().await, 200),
        ("app page", send(app, "GET", "/").await, 200),
    ];
    for (what, response, status) in cases {
        assert_eq!(response.status(), status, "{what}");
        assert_security_headers(&response, what, https);
    }
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    check_every_kind_of_answer(&app, false).await;
}

#[tokio::test]
async fn an_https_public_url_adds_strict_transport_security_to_every_answer() {
    let app = TestApp::spawn_with(|config| {
        config.public_url = Some("https://calls.example.com".into());
    })
    .await;
    check_every_kind_of_answer(&app, true).await;

    let plain = TestApp::spawn_with(|config| {
        config.public_url = Some("http://calls.example.com".into());
    })
    .await;
    let response = plain.healthz().await;
    assert_security_headers(&response, "http public URL", false);
}

#[tokio::test]
async fn an_invalid_public_url_stops_the_start_with_one_line_naming_it() {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_callvault"))
        .arg("serve")
        .env_clear()
        .env("CALLVAULT_BIND", "127.0.0.1:0")
        .env("CALLVAULT_DATA_DIR", data_dir.path())
        .env("CALLVAULT_PUBLIC_URL", "ftp://calls.example.com")
        .output()
        .expect("ran");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("error: CALLVAULT_PUBLIC_URL: "),
        "{stderr}"
    );
}

/// The permission is decided before the query and the body are looked at: a refused request
/// gets its 403 (or 404 for another tenant), never a 400 for what it sent.
#[tokio::test]
async fn the_permission_is_decided_before_the_query_or_the_body_is_read() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    app.create_tenant(&root, "alpha").await;
    app.create_tenant(&root, "beta").await;
    app.create_user(&root, "alpha", "audrey", "auditor").await;
    let auditor = app.sign_in("audrey", USER_PASSWORD).await;
    let admin_name = "alpha-admin";
    app.create_user(&root, "alpha", admin_name, "tenant_admin")
        .await;
    let admin = app.sign_in(admin_name, USER_PASSWORD).await;
    let (read_token, _) = app.create_api_token(&admin, "alpha", &["read"]).await;

    let upload = |tenant: &str, auth: &str, query: &str, body: Vec<u8>, kind: &str| {
        app.client
            .post(format!(
                "{}/api/v1/tenants/{tenant}/recordings{query}",
                app.address
            ))
            .bearer_auth(auth.to_owned())
            .header("content-type", kind.to_owned())
            .body(body)
            .send()
    };
    for (tenant, credential, who, expected) in [
        ("alpha", auditor.token.as_str(), "an auditor", 403),
        (
            "beta",
            auditor.token.as_str(),
            "an auditor of another tenant",
            404,
        ),
        ("alpha", read_token.as_str(), "a read token", 403),
    ] {
        for (query, body, kind) in [
            ("?x=1", wav(800), "audio/wav"),
            ("", b"{not json".to_vec(), "application/json"),
            ("?recorded_at=yesterday", b"not audio".to_vec(), "audio/wav"),
        ] {
            let response = upload(tenant, credential, query, body, kind)
                .await
                .expect("sent");
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            assert_eq!(
                status, expected,
                "{who} uploading to {tenant} with {query:?} as {kind}: {text}"
            );
        }
    }

    // A JSON route with a body that cannot be read, and a query route with a bad query.
    let bad_body = app
        .client
        .post(format!("{}/api/v1/tenants/alpha/users", app.address))
        .bearer_auth(&auditor.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(bad_body.status(), 403);
    let bad_query = app
        .client
        .get(format!(
            "{}/api/v1/tenants/alpha/recordings?from=yesterday&x=1",
            app.address
        ))
        .bearer_auth(&auditor.token)
        .send()
        .await
        .expect("sent");
    assert_eq!(bad_query.status(), 403);

    // The refusals are on the record.
    let audit: Value = app
        .get_as("/api/v1/tenants/alpha/audit?action=access.denied", &root)
        .await
        .json()
        .await
        .expect("JSON");
    assert!(
        audit.to_string().contains("access.denied"),
        "refusals are audited: {audit}"
    );

    // Allowed, the same requests reach the handler, which judges what was sent.
    let response = upload("alpha", &admin.token, "?x=1", wav(800), "audio/wav")
        .await
        .expect("sent");
    assert_eq!(response.status(), 400);
}

/// `Allow` names exactly the methods the OpenAPI document lists for the path: a literal
/// segment (`export`, `import`, `chain`) is never taken for the id a template has there.
#[tokio::test]
async fn allow_lists_exactly_the_documents_methods_for_every_api_path() {
    let app = TestApp::spawn().await;
    for (path, allow) in [
        ("/api/v1/tenants/acme/recordings/export", "POST"),
        ("/api/v1/tenants/acme/recordings/import", "POST"),
        ("/api/v1/tenants/acme/keys/chain", "GET"),
        ("/api/v1/tenants/acme/keys/statements", "POST"),
    ] {
        for method in ["OPTIONS", "GET", "PUT", "DELETE"] {
            if allow.contains(method) {
                continue;
            }
            let response = send(&app, method, path).await;
            assert_eq!(response.status(), 405, "{method} {path}");
            assert_eq!(response.headers()[header::ALLOW], allow, "{method} {path}");
        }
    }

    let document: Value = app
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .expect("JSON");
    let paths = document["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (template, operations) in paths {
        if !template.starts_with("/api/") {
            continue;
        }
        let mut methods: Vec<String> = operations
            .as_object()
            .expect("operations")
            .keys()
            .filter(|key| ["get", "put", "post", "delete", "patch"].contains(&key.as_str()))
            .map(|key| key.to_uppercase())
            .collect();
        methods.sort();
        let path = template
            .replace("{tenant}", "acme")
            .replace("{id}", "0190f1c2-aaaa-7bbb-8ccc-123456789abc")
            .replace("{user}", "0190f1c2-bbbb-7bbb-8ccc-123456789abc");
        let response = send(&app, "OPTIONS", &path).await;
        assert_eq!(response.status(), 405, "OPTIONS {path}");
        assert_eq!(
            response.headers()[header::ALLOW],
            methods.join(", ").as_str(),
            "OPTIONS {template}"
        );
        checked += 1;
    }
    assert!(checked > 30, "only {checked} paths checked");
}

/// A `callvault serve` under umask 022, its log outside the data directory; the address.
async fn serve_under_umask_022(
    data_dir: &Path,
    database_url: &str,
    log_path: &Path,
) -> (std::process::Child, String) {
    let log = std::fs::File::create(log_path).expect("log file");
    let process = std::process::Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" serve")
        .arg(env!("CARGO_BIN_EXE_callvault"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .env("CALLVAULT_BIND", "127.0.0.1:0")
        .env("CALLVAULT_DATA_DIR", data_dir)
        .env("CALLVAULT_DATABASE_URL", database_url)
        .env("CALLVAULT_WEB_DIR", "/nonexistent/web")
        .env("CALLVAULT_ROOT_PASSWORD", ROOT_PASSWORD)
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .expect("the server starts");
    crate::helpers::wait_until_listening(process, log_path, 0).await
}

/// Killed and reaped on drop, whatever the test's outcome.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

fn everything_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(everything_under(&path));
        }
        found.push(path);
    }
    found
}

/// The data directory is created 0700 and every file in it 0600, under a umask of 022: the
/// database holds the token-signing key.
#[tokio::test]
async fn the_data_directory_and_its_files_are_their_owners_only() {
    let parent = tempfile::tempdir().expect("temporary directory");
    let data_dir = parent.path().join("data");
    let database = TestDatabase::create(&data_dir).await;
    let log_path = parent.path().join("server.log");
    let (process, address) = serve_under_umask_022(&data_dir, &database.url, &log_path).await;
    let _server = Server(process);

    // Sign in, make a tenant and store a recording, so that objects are written too.
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{address}/api/v1/auth/login"))
        .json(&json!({ "username": "root", "password": ROOT_PASSWORD }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    let token = login["access_token"].as_str().expect("a token").to_owned();
    let created = client
        .post(format!("{address}/api/v1/tenants"))
        .bearer_auth(&token)
        .json(&json!({ "slug": "acme", "name": "Acme" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), 201);
    let uploaded = client
        .post(format!("{address}/api/v1/tenants/acme/recordings"))
        .bearer_auth(&token)
        .header("content-type", "audio/wav")
        .body(wav(800))
        .send()
        .await
        .expect("sent");
    assert_eq!(uploaded.status(), 201);

    assert_eq!(mode_of(&data_dir), 0o700, "the data directory");
    let everything = everything_under(&data_dir);
    if std::env::var(POSTGRES_URL_VAR).is_err() {
        assert!(
            everything.iter().any(|p| p.ends_with("callvault.db")),
            "{everything:?}"
        );
    }
    assert!(
        everything
            .iter()
            .any(|p| p.ends_with("audit-signing-key.pk8")),
        "{everything:?}"
    );
    assert!(
        everything
            .iter()
            .any(|p| p.is_file() && p.starts_with(data_dir.join("objects")))
    );
    for path in everything {
        let expected = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(
            mode_of(&path),
            expected,
            "{} is {:04o}",
            path.display(),
            mode_of(&path)
        );
    }
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    assert!(!log.contains("data directory is open"), "{log}");
}

/// An existing data directory that its group or others may enter is named, with its mode, in
/// one warning at start; the server leaves it as the operator made it.
#[tokio::test]
async fn an_existing_data_directory_open_to_others_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().expect("temporary directory");
    let data_dir = parent.path().join("data");
    std::fs::create_dir(&data_dir).expect("data directory");
    std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let database = TestDatabase::create(&data_dir).await;
    let log_path = parent.path().join("server.log");
    let (process, _) = serve_under_umask_022(&data_dir, &database.url, &log_path).await;
    let _server = Server(process);

    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let warnings: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("data directory is open"))
        .collect();
    assert_eq!(warnings.len(), 1, "{log}");
    assert!(warnings[0].contains("WARN"), "{}", warnings[0]);
    assert!(
        warnings[0].contains(&data_dir.display().to_string()),
        "{}",
        warnings[0]
    );
    assert!(warnings[0].contains("0755"), "{}", warnings[0]);
    assert_eq!(mode_of(&data_dir), 0o755);
}

/// Revoking takes `keys_manage` alone (docs/decisions.md), and the permissions document says
/// so rather than "holders only".
#[tokio::test]
async fn a_non_holder_with_keys_manage_revokes_as_the_permissions_document_says() {
    let app = TestApp::spawn().await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;
    let sam: User =
        serde_json::from_value(app.create_user(&root, "acme", "sam", "supervisor").await)
            .expect("a user");
    app.create_user(&root, "acme", "tom", "tenant_admin").await;
    let tom = app.sign_in("tom", USER_PASSWORD).await;
    app.sign_in("sam", USER_PASSWORD).await;
    let key_id = acme.key["id"].as_str().expect("key id");
    let grants = format!("/api/v1/tenants/acme/keys/{key_id}/grants");
    let granted = app
        .post_as(&grants, &acme.admin, &json!({ "user_id": sam.id }))
        .await;
    assert_eq!(granted.status(), 201);

    // Tom holds no grant: he may not grant, and may revoke.
    let grant = app
        .post_as(&grants, &tom, &json!({ "user_id": sam.id }))
        .await;
    assert_eq!(grant.status(), 403);
    let revoke = app.delete_as(&format!("{grants}/{}", sam.id), &tom).await;
    assert_eq!(revoke.status(), 204);

    let document = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/permissions.md"
    ))
    .expect("docs/permissions.md");
    assert!(!document.contains("holders only"), "{document}");
    assert!(
        document.contains("| DELETE | `/api/v1/tenants/{tenant}/keys/{id}/grants/{user}` | `keys_manage`, no grant on the key needed |"),
        "{document}"
    );
    assert!(
        document.contains("| POST | `/api/v1/tenants/{tenant}/keys/{id}/grants` | `keys_manage`, and a grant on the key |"),
        "{document}"
    );
    assert!(document.contains("grant (holding the key) and revoke (no grant needed)"));
}
