use std::path::Path;

use callvault::http::startup::Application;
use callvault::infra::config::{Config, Settings};
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tempfile::TempDir;
use uuid::Uuid;

/// The PostgreSQL server to run against, as a URL of a database the tests may create
/// others from. Unset: every test runs on SQLite.
pub const POSTGRES_URL_VAR: &str = "CALLVAULT_TEST_POSTGRES_URL";

/// An S3 bucket to keep objects in, as a `CALLVAULT_STORAGE_URL` (`s3://bucket?endpoint=…`),
/// with credentials in `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`. Each test server gets a
/// prefix of its own. Unset: a directory in the test's data directory.
pub const S3_URL_VAR: &str = "CALLVAULT_TEST_S3_URL";

/// Where the test server of `data_dir` keeps its objects.
pub fn storage_url(data_dir: &Path) -> String {
    let Ok(bucket) = std::env::var(S3_URL_VAR) else {
        return data_dir.join("objects").display().to_string();
    };
    let prefix = data_dir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    under_prefix(&bucket, &prefix)
}

/// `s3://bucket?…` as `s3://bucket/prefix?…`, so that tests sharing a bucket never meet.
pub fn under_prefix(bucket_url: &str, prefix: &str) -> String {
    let (base, query) = bucket_url.split_once('?').unwrap_or((bucket_url, ""));
    format!("{}/{prefix}?{query}", base.trim_end_matches('/'))
}

/// The environment a `callvault` process needs to reach the object store at `storage_url`.
fn storage_environment(storage_url: &str) -> Vec<(String, String)> {
    let mut environment = vec![("CALLVAULT_STORAGE_URL".to_owned(), storage_url.to_owned())];
    for name in ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] {
        if let Ok(value) = std::env::var(name) {
            environment.push((name.to_owned(), value));
        }
    }
    environment
}

pub const ROOT_PASSWORD: &str = "a root password for tests";
/// What [`TestApp::create_user`] gives every user.
pub const USER_PASSWORD: &str = "a user password for tests";

/// A database for one test, dropped with it.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// The profile's database: SQLite in `data_dir`, or one on the profile's PostgreSQL.
    pub async fn create(data_dir: &Path) -> Self {
        match std::env::var(POSTGRES_URL_VAR) {
            Ok(admin_url) => Self::create_on(&admin_url).await,
            Err(_) => Self {
                url: format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.join("callvault.db").display()
                ),
                postgres: None,
            },
        }
    }

    /// A database of its own on the PostgreSQL server `admin_url` names.
    pub async fn create_on(admin_url: &str) -> Self {
        let admin_url = admin_url.to_owned();
        let name = format!("callvault_test_{}", Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .expect("PostgreSQL for tests is reachable");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("test database created");
        admin.close().await.expect("closed");
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        Self {
            url: format!("{base}/{name}"),
            postgres: Some((admin_url, name)),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside any async context we could borrow; a thread of its own has one.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(async move {
                    let admin = Database::connect(&admin_url).await?;
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                        .map(|_| ())
                })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: a test database could not be dropped");
        }
    }
}

/// A running server and what it runs on.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub data_dir: TempDir,
    pub database_url: String,
    /// The server's `CALLVAULT_STORAGE_URL`.
    pub storage_url: String,
    /// The server's own process, when it runs as one ([`TestApp::spawn_process`]).
    process: Option<std::process::Child>,
    /// Where `/metrics` is served, when the test asked for metrics.
    pub metrics_address: Option<String>,
    _database: TestDatabase,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(process) = &mut self.process {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

/// Where [`TestApp::spawn_process`] sends the server's log (debug level), inside the data dir.
pub const SERVER_LOG: &str = "server.log";

/// A signed-in client: the bearer token, and the browser's cookie and CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub cookie: String,
    pub csrf: String,
    pub user: Value,
}

/// How a request authenticates.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    Bearer(&'a Session),
    /// The cookie, with the CSRF header where the session's page would send it.
    Cookie(&'a Session),
    /// The cookie alone, as a forged cross-site request would carry it.
    CookieWithoutCsrf(&'a Session),
    /// An integrator's API token (`cvt_…`).
    ApiToken(&'a str),
}

/// Another `callvault` process on the same database and object store, killed on drop.
pub struct Instance {
    pub address: String,
    process: std::process::Child,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Settings for a test server: port 0, everything under `data_dir`.
pub fn test_settings(data_dir: &Path, database_url: &str) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.to_path_buf(),
        database_url: Some(database_url.to_owned()),
        storage_url: Some(storage_url(data_dir)),
        web_dir: data_dir.join("web"),
        root_password: Some(ROOT_PASSWORD.into()),
        ..Settings::default()
    }
}

/// The client every test speaks through. It drops idle connections well before the server's
/// keep-alive (5 s) closes them, so that a request is never sent on a connection the server is
/// closing at that moment (reqwest would report `IncompleteMessage`, and the test would fail for
/// a reason that has nothing to do with what it checks).
fn test_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("client")
}

/// The `name=value` of the cookie `name` that `response` sets.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find(|pair| pair.split_once('=').is_some_and(|(key, _)| key == name))
        .map(str::to_owned)
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server after `adjust` has had its say on the configuration.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        callvault::infra::telemetry::init(callvault::infra::config::LogFormat::Text);
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let database = TestDatabase::create(data_dir.path()).await;
        let web_dir = data_dir.path().join("web");
        write_web_app(&web_dir);
        let mut config = test_settings(data_dir.path(), &database.url)
            .validate()
            .expect("test configuration is valid");
        adjust(&mut config);
        let storage_url = storage_url(data_dir.path());
        let app = Application::build(config).await.expect("the server starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let metrics_address = app
            .metrics_port()
            .map(|port| format!("http://127.0.0.1:{port}"));
        tokio::spawn(app.run_until_stopped());
        Self {
            address,
            client: test_client(),
            data_dir,
            database_url: database.url.clone(),
            storage_url,
            process: None,
            metrics_address,
            _database: database,
        }
    }

    /// The real `callvault` binary as its own process, logging at debug level into
    /// [`SERVER_LOG`] in its data directory, so that a test can read everything it logged.
    pub async fn spawn_process() -> Self {
        Self::spawn_process_on(None, None).await
    }

    /// [`TestApp::spawn_process`] on the PostgreSQL server `postgres` (an admin URL) or the
    /// object store `storage_url` that a test runs of its own, instead of the profile's.
    pub async fn spawn_process_on(postgres: Option<&str>, storage_url: Option<String>) -> Self {
        Self::spawn_process_with(postgres, storage_url, &[]).await
    }

    /// [`TestApp::spawn_process_on`] with more settings in the server's environment.
    pub async fn spawn_process_with(
        postgres: Option<&str>,
        storage_url: Option<String>,
        environment: &[(&str, &str)],
    ) -> Self {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let database = match postgres {
            Some(admin_url) => TestDatabase::create_on(admin_url).await,
            None => TestDatabase::create(data_dir.path()).await,
        };
        let storage_url = storage_url.unwrap_or_else(|| self::storage_url(data_dir.path()));
        write_web_app(&data_dir.path().join("web"));
        let (process, address) =
            start_process_with(data_dir.path(), &database.url, &storage_url, environment).await;
        Self {
            address,
            client: test_client(),
            data_dir,
            database_url: database.url.clone(),
            storage_url,
            process: Some(process),
            metrics_address: None,
            _database: database,
        }
    }

    /// The server's process id, when it runs as a process of its own.
    pub fn pid(&self) -> u32 {
        self.process
            .as_ref()
            .expect("a server started with spawn_process")
            .id()
    }

    /// SIGKILL: the process ends at once, whatever it was doing.
    pub fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill().expect("killed");
            process.wait().expect("reaped");
        }
    }

    /// Starts the binary again on the same database and data directory.
    pub async fn restart_process(&mut self) {
        self.kill();
        let (process, address) =
            start_process(self.data_dir.path(), &self.database_url, &self.storage_url).await;
        self.process = Some(process);
        self.address = address;
    }

    /// A second `callvault` process beside [`TestApp::spawn_process`]'s, on the same database
    /// and object store, as a second machine behind a load balancer would run.
    pub async fn another_process(&self) -> Instance {
        let (process, address) =
            start_process(self.data_dir.path(), &self.database_url, &self.storage_url).await;
        Instance { address, process }
    }

    /// Another server on the same database and object store: a restarted instance, or a
    /// second one behind the same load balancer.
    pub async fn another_instance(&self) -> String {
        let config = self
            .settings()
            .validate()
            .expect("test configuration is valid");
        let app = Application::build(config).await.expect("the server starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

    /// The settings this server runs with.
    pub fn settings(&self) -> Settings {
        Settings {
            storage_url: Some(self.storage_url.clone()),
            ..test_settings(self.data_dir.path(), &self.database_url)
        }
    }

    /// Uploads `audio` as WAV, answering as the server does.
    pub async fn upload(&self, session: &Session, tenant: &str, audio: &[u8]) -> reqwest::Response {
        self.upload_as(session, tenant, audio, None).await
    }

    /// Uploads `audio` as WAV with an `Idempotency-Key`, answering as the server does.
    pub async fn upload_with_key(
        &self,
        session: &Session,
        tenant: &str,
        audio: &[u8],
        key: &str,
    ) -> reqwest::Response {
        self.upload_as(session, tenant, audio, Some(key)).await
    }

    async fn upload_as(
        &self,
        session: &Session,
        tenant: &str,
        audio: &[u8],
        key: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!(
                "{}/api/v1/tenants/{tenant}/recordings",
                self.address
            ))
            .bearer_auth(&session.token)
            .header("content-type", "audio/wav");
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.body(audio.to_vec()).send().await.expect("sent")
    }

    /// Imports an archive, with an `Idempotency-Key` when one is given.
    pub async fn import_archive(
        &self,
        session: &Session,
        tenant: &str,
        archive: &[u8],
        key: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!(
                "{}/api/v1/tenants/{tenant}/recordings/import",
                self.address
            ))
            .bearer_auth(&session.token)
            .header("content-type", "application/zip");
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.body(archive.to_vec()).send().await.expect("sent")
    }

    /// The whole audio of a recording, expecting 200.
    pub async fn play(&self, session: &Session, tenant: &str, id: &str) -> Vec<u8> {
        let response = self
            .get_as(
                &format!("/api/v1/tenants/{tenant}/recordings/{id}/audio"),
                session,
            )
            .await;
        assert_eq!(response.status(), 200, "play {id}");
        response.bytes().await.expect("bytes").to_vec()
    }

    /// The `callvault` command line, configured for this server's database and data directory
    /// (and nothing else from the environment).
    pub fn command(&self) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_callvault"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("CALLVAULT_DATABASE_URL", &self.database_url)
            .env("CALLVAULT_DATA_DIR", self.data_dir.path())
            .envs(storage_environment(&self.storage_url));
        command
    }

    /// The server's object store, opened the way the server opens it.
    pub async fn store(&self) -> callvault::infra::storage::Store {
        let config = self
            .settings()
            .validate()
            .expect("test configuration is valid");
        callvault::infra::storage::open(&config.storage)
            .await
            .expect("the test's object store opens")
    }

    /// Runs the sweeper now, taking every stray whatever its age: the staging files of a
    /// directory store too.
    pub async fn sweep_now(&self) -> callvault::domain::recordings::sweeper::SweepReport {
        let local_root =
            (!self.storage_url.starts_with("s3://")).then(|| Path::new(&self.storage_url));
        callvault::domain::recordings::sweeper::sweep(
            &self.db().await,
            &self.store().await,
            local_root,
            chrono::Duration::zero(),
        )
        .await
        .expect("swept")
    }

    /// How many objects the server's store holds under `prefix`.
    pub async fn object_count(&self, prefix: &str) -> usize {
        use futures_util::TryStreamExt;
        use object_store::ObjectStore;
        let listed: Vec<_> = self
            .store()
            .await
            .list(Some(&object_store::path::Path::from(prefix)))
            .try_collect()
            .await
            .expect("listed");
        listed.len()
    }

    /// How many objects the server's store holds, and how many bytes: what an operation that
    /// must leave nothing is checked against.
    pub async fn store_usage(&self) -> (usize, u64) {
        use futures_util::TryStreamExt;
        use object_store::ObjectStore;
        let listed: Vec<_> = self
            .store()
            .await
            .list(None)
            .try_collect()
            .await
            .expect("listed");
        (listed.len(), listed.iter().map(|object| object.size).sum())
    }

    /// The bytes of one object of the server's store.
    pub async fn object(&self, key: &str) -> Vec<u8> {
        use object_store::ObjectStoreExt;
        self.store()
            .await
            .get(&object_store::path::Path::from(key))
            .await
            .expect("the object exists")
            .bytes()
            .await
            .expect("its bytes")
            .to_vec()
    }

    /// A connection of the test's own to the server's database, to look behind the API.
    pub async fn db(&self) -> DatabaseConnection {
        Database::connect(&self.database_url)
            .await
            .expect("the test database is reachable")
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        auth: Auth<'_>,
        body: Option<&Value>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.address));
        match auth {
            Auth::None => {}
            Auth::Bearer(session) => request = request.bearer_auth(&session.token),
            Auth::Cookie(session) => {
                request = request.header("Cookie", &session.cookie);
                if method != Method::GET {
                    request = request.header("X-CSRF-Token", &session.csrf);
                }
            }
            Auth::CookieWithoutCsrf(session) => request = request.header("Cookie", &session.cookie),
            Auth::ApiToken(secret) => request = request.bearer_auth(secret),
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }

    pub async fn get_as(&self, path: &str, session: &Session) -> reqwest::Response {
        self.request(Method::GET, path, Auth::Bearer(session), None)
            .await
    }

    pub async fn post_as(&self, path: &str, session: &Session, body: &Value) -> reqwest::Response {
        self.request(Method::POST, path, Auth::Bearer(session), Some(body))
            .await
    }

    pub async fn patch_as(&self, path: &str, session: &Session, body: &Value) -> reqwest::Response {
        self.request(Method::PATCH, path, Auth::Bearer(session), Some(body))
            .await
    }

    pub async fn delete_as(&self, path: &str, session: &Session) -> reqwest::Response {
        self.request(Method::DELETE, path, Auth::Bearer(session), None)
            .await
    }

    /// `POST /api/v1/auth/login`, as it answers.
    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.request(
            Method::POST,
            "/api/v1/auth/login",
            Auth::None,
            Some(&json!({ "username": username, "password": password })),
        )
        .await
    }

    /// Signs in, expecting success.
    pub async fn sign_in(&self, username: &str, password: &str) -> Session {
        let response = self.login(username, password).await;
        assert_eq!(response.status(), 200, "login of {username}");
        let cookie = set_cookie(&response, "callvault_session").expect("a session cookie");
        let body: Value = response.json().await.expect("JSON");
        Session {
            token: body["access_token"].as_str().expect("token").to_owned(),
            csrf: body["csrf_token"].as_str().expect("csrf").to_owned(),
            user: body["user"].clone(),
            cookie,
        }
    }

    pub async fn sign_in_root(&self) -> Session {
        self.sign_in("root", ROOT_PASSWORD).await
    }

    /// `POST /api/v1/tenants`, expecting 201.
    pub async fn create_tenant(&self, session: &Session, slug: &str) -> Value {
        let response = self
            .post_as(
                "/api/v1/tenants",
                session,
                &json!({ "slug": slug, "name": format!("Tenant {slug}") }),
            )
            .await;
        assert_eq!(response.status(), 201, "create tenant {slug}");
        response.json().await.expect("JSON")
    }

    /// `POST /api/v1/tenants/{tenant}/users`, expecting 201.
    pub async fn create_user(
        &self,
        session: &Session,
        tenant: &str,
        username: &str,
        role: &str,
    ) -> Value {
        let response = self
            .post_as(
                &format!("/api/v1/tenants/{tenant}/users"),
                session,
                &json!({ "username": username, "password": USER_PASSWORD, "role": role }),
            )
            .await;
        assert_eq!(response.status(), 201, "create user {username}");
        response.json().await.expect("JSON")
    }

    /// `POST /api/v1/tenants/{tenant}/tokens`, expecting 201: the token's secret and its id.
    pub async fn create_api_token(
        &self,
        session: &Session,
        tenant: &str,
        scopes: &[&str],
    ) -> (String, String) {
        let response = self
            .post_as(
                &format!("/api/v1/tenants/{tenant}/tokens"),
                session,
                &json!({ "name": format!("{} token", scopes.join("+")), "scopes": scopes }),
            )
            .await;
        assert_eq!(response.status(), 201, "create a {scopes:?} token");
        let created: Value = response.json().await.expect("JSON");
        (
            created["secret"].as_str().expect("secret").to_owned(),
            created["token"]["id"].as_str().expect("id").to_owned(),
        )
    }

    pub async fn me(&self, auth: Auth<'_>) -> reqwest::Response {
        self.request(Method::GET, "/api/v1/auth/me", auth, None)
            .await
    }

    pub async fn audit_verify(&self, session: &Session, tenant: &str) -> Value {
        let response = self
            .get_as(&format!("/api/v1/tenants/{tenant}/audit/verify"), session)
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("JSON")
    }

    /// `GET /api/v1/audit/signing-key`, without a credential (it is public), expecting 200.
    pub async fn audit_signing_key(&self) -> callvault_shared::api::AuditSigningKey {
        let response = self.get("/api/v1/audit/signing-key").await;
        assert_eq!(response.status(), 200, "the audit signing key");
        response.json().await.expect("JSON")
    }

    /// `GET /api/v1/tenants/{tenant}/audit/checkpoint`, as it answers.
    pub async fn audit_checkpoint(&self, session: &Session, tenant: &str) -> reqwest::Response {
        self.get_as(
            &format!("/api/v1/tenants/{tenant}/audit/checkpoint"),
            session,
        )
        .await
    }

    /// `GET /api/v1/tenants/{tenant}/audit/export` without filters, expecting 200: the JSON
    /// Lines.
    pub async fn audit_export(&self, session: &Session, tenant: &str) -> String {
        let response = self
            .get_as(&format!("/api/v1/tenants/{tenant}/audit/export"), session)
            .await;
        assert_eq!(response.status(), 200, "the audit export");
        response.text().await.expect("text")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn healthz(&self) -> reqwest::Response {
        self.get("/healthz").await
    }

    pub async fn readyz(&self) -> reqwest::Response {
        self.get("/readyz").await
    }
}

/// Starts `callvault serve` on a free port and waits until it says which.
pub async fn start_process(
    data_dir: &Path,
    database_url: &str,
    storage_url: &str,
) -> (std::process::Child, String) {
    start_process_with(data_dir, database_url, storage_url, &[]).await
}

/// [`start_process`] with more settings in the server's environment.
pub async fn start_process_with(
    data_dir: &Path,
    database_url: &str,
    storage_url: &str,
    environment: &[(&str, &str)],
) -> (std::process::Child, String) {
    let log_path = data_dir.join(SERVER_LOG);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .expect("log file");
    let already = std::fs::read_to_string(&log_path).unwrap_or_default().len();
    let process = std::process::Command::new(env!("CARGO_BIN_EXE_callvault"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "debug")
        .env("CALLVAULT_BIND", "127.0.0.1:0")
        .env("CALLVAULT_DATA_DIR", data_dir)
        .env("CALLVAULT_DATABASE_URL", database_url)
        .env("CALLVAULT_WEB_DIR", data_dir.join("web"))
        .env("CALLVAULT_ROOT_PASSWORD", ROOT_PASSWORD)
        .envs(storage_environment(storage_url))
        .envs(environment.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().expect("log file"))
        .stderr(log)
        .spawn()
        .expect("the server starts");
    wait_until_listening(process, &log_path, already).await
}

/// Waits until the server `process`, logging into `log_path`, says past byte `from` of the log
/// which port it listens on; its address. Kills it and fails the test if it never does.
pub async fn wait_until_listening(
    mut process: std::process::Child,
    log_path: &Path,
    from: usize,
) -> (std::process::Child, String) {
    for _ in 0..400 {
        let text = std::fs::read_to_string(log_path).unwrap_or_default();
        // `port=8080` in text, `"port":8080` in JSON.
        let port = text[from.min(text.len())..]
            .lines()
            .find(|line| line.contains("callvault is listening"))
            .and_then(|line| {
                line.split("port=")
                    .nth(1)
                    .or(line.split("\"port\":").nth(1))
            })
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|port| port.parse::<u16>().ok());
        if let Some(port) = port {
            return (process, format!("http://127.0.0.1:{port}"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = process.kill();
    let _ = process.wait();
    panic!(
        "the server did not say which port it listens on: {}",
        std::fs::read_to_string(log_path).unwrap_or_default()
    );
}

/// A small built web app: what `cargo xtask web` puts in the web directory, in miniature.
pub fn write_web_app(dir: &Path) {
    std::fs::create_dir_all(dir).expect("web dir");
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><html><head><script type=\"module\" src=\"/boot.js\"></script></head><body></body></html>\n",
    )
    .expect("index.html");
    std::fs::write(
        dir.join("boot.js"),
        "console.log('callvault');\n".repeat(200),
    )
    .expect("boot.js");
    // What the build writes beside an asset: its brotli copy (here, bytes to recognise).
    std::fs::write(dir.join("boot.js.br"), PRECOMPRESSED_BOOT_JS).expect("boot.js.br");
}

/// The stand-in for `boot.js.br` that [`write_web_app`] writes.
pub const PRECOMPRESSED_BOOT_JS: &[u8] = b"\x1b the brotli copy of boot.js";
