use std::path::Path;

use callvault::config::{Config, Settings};
use callvault::startup::Application;
use sea_orm::{ConnectionTrait, Database};
use tempfile::TempDir;
use uuid::Uuid;

/// The PostgreSQL server to run against, as a URL of a database the tests may create
/// others from. Unset: every test runs on SQLite.
pub const POSTGRES_URL_VAR: &str = "CALLVAULT_TEST_POSTGRES_URL";

pub const ROOT_PASSWORD: &str = "a root password for tests";

/// A database for one test, dropped with it.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn create(data_dir: &Path) -> Self {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            return Self {
                url: format!(
                    "sqlite://{}?mode=rwc",
                    data_dir.join("callvault.db").display()
                ),
                postgres: None,
            };
        };
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
    _database: TestDatabase,
}

/// Settings for a test server: port 0, everything under `data_dir`.
pub fn test_settings(data_dir: &Path, database_url: &str) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        data_dir: data_dir.to_path_buf(),
        database_url: Some(database_url.to_owned()),
        web_dir: data_dir.join("web"),
        root_password: Some(ROOT_PASSWORD.into()),
        ..Settings::default()
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server after `adjust` has had its say on the configuration.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        callvault::telemetry::init(callvault::config::LogFormat::Text);
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let database = TestDatabase::create(data_dir.path()).await;
        let web_dir = data_dir.path().join("web");
        write_web_app(&web_dir);
        let mut config = test_settings(data_dir.path(), &database.url)
            .validate()
            .expect("test configuration is valid");
        adjust(&mut config);
        let app = Application::build(config).await.expect("the server starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self {
            address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            data_dir,
            _database: database,
        }
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

/// A small built web app: what `cargo xtask web` puts in the web directory, in miniature.
fn write_web_app(dir: &Path) {
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
}
