//! What the benchmarks share (`load_bench.rs`, `playback_bench.rs`): a release `callvault serve`
//! started on a free port, a scratch PostgreSQL database, and seeding through the REST API
//! (tenants, their administrators, keys and encryption, uploads).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

pub const ROOT_PASSWORD: &str = "a root password for the benchmarks";
/// The password of every tenant administrator the benchmarks create.
pub const ADMIN_PASSWORD: &str = "an administrator password for the benchmarks";

/// A `callvault serve` process, killed on drop.
pub struct Instance {
    pub address: String,
    process: Child,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Instance {
    /// Starts `server` on a free port of 127.0.0.1 with `data_dir` (its log goes there as
    /// `server-{port}.log`) and `database_url`; objects go to `storage_url`, or unset, to the
    /// directory `objects` of `data_dir`. Returns once `/readyz` answers.
    pub async fn start(
        server: &Path,
        data_dir: &Path,
        database_url: &str,
        storage_url: Option<&str>,
    ) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        std::fs::create_dir_all(data_dir.join("web"))?;
        std::fs::write(data_dir.join("web/index.html"), "<!doctype html>")?;
        let log = std::fs::File::create(data_dir.join(format!("server-{port}.log")))?;
        let mut command = Command::new(server);
        command
            .arg("serve")
            .env("CALLVAULT_BIND", format!("127.0.0.1:{port}"))
            .env("CALLVAULT_DATA_DIR", data_dir)
            .env("CALLVAULT_DATABASE_URL", database_url)
            .env("CALLVAULT_WEB_DIR", data_dir.join("web"))
            .env("CALLVAULT_ROOT_PASSWORD", ROOT_PASSWORD)
            .env(
                "CALLVAULT_STORAGE_URL",
                storage_url.map_or_else(
                    || data_dir.join("objects").display().to_string(),
                    str::to_owned,
                ),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let instance = Self {
            address: format!("http://127.0.0.1:{port}"),
            process: command.spawn().context("starting callvault")?,
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        while client
            .get(format!("{}/readyz", instance.address))
            .send()
            .await
            .map_or(true, |response| !response.status().is_success())
        {
            if started.elapsed() > Duration::from_secs(60) {
                bail!("callvault did not become ready; see {}", data_dir.display());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(instance)
    }

    /// Resident memory now, in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// The most resident memory the process has had since it started, in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        self.status_kib("VmHWM:")
    }

    fn status_kib(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.process.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix(field))
                    .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            })
            .unwrap_or_default()
    }
}

/// A database of its own in a PostgreSQL, made from an administrator's URL; [`Self::drop`]
/// removes it.
pub struct ScratchDatabase {
    admin: DatabaseConnection,
    name: String,
    /// The URL to give the server.
    pub url: String,
}

impl ScratchDatabase {
    pub async fn create(admin_url: &str, prefix: &str) -> anyhow::Result<Self> {
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(base, _)| base);
        let url = format!("{base}/{name}");
        Ok(Self { admin, name, url })
    }

    pub async fn drop(self) -> anyhow::Result<()> {
        self.admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await?;
        Ok(())
    }
}

/// A JSON call that must succeed.
pub async fn call(request: reqwest::RequestBuilder, expected: u16) -> anyhow::Result<Value> {
    let response = request.send().await?;
    let status = response.status().as_u16();
    let body = response.text().await?;
    if status != expected {
        bail!("expected {expected}, got {status}: {body}");
    }
    Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// The REST API of one instance.
pub struct Api {
    pub client: reqwest::Client,
    address: String,
}

impl Api {
    pub fn new(address: &str) -> Self {
        Self {
            client: reqwest::Client::new(),
            address: address.to_owned(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.address)
    }

    /// Signs in; returns the bearer token.
    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let answer = call(
            self.client
                .post(self.url("/auth/login"))
                .json(&json!({ "username": username, "password": password })),
            200,
        )
        .await?;
        Ok(answer["access_token"]
            .as_str()
            .context("no token")?
            .to_owned())
    }

    /// Signs in as root and creates the System account's key, which must exist before any
    /// tenant's; returns root's bearer token.
    pub async fn root_with_system_key(&self) -> anyhow::Result<String> {
        let root = self.login("root", ROOT_PASSWORD).await?;
        call(
            self.client
                .post(self.url("/tenants/system/keys"))
                .bearer_auth(&root)
                .json(&json!({ "bits": 3072 })),
            201,
        )
        .await?;
        Ok(root)
    }

    /// A tenant `slug` with an administrator `{slug}-admin` (password [`ADMIN_PASSWORD`]);
    /// when `sealed`, a key the administrator creates, and so holds the grant on, and
    /// encryption on. Returns the administrator's bearer token.
    pub async fn tenant(&self, root: &str, slug: &str, sealed: bool) -> anyhow::Result<String> {
        call(
            self.client
                .post(self.url("/tenants"))
                .bearer_auth(root)
                .json(&json!({ "slug": slug, "name": slug })),
            201,
        )
        .await?;
        let username = format!("{slug}-admin");
        call(
            self.client
                .post(self.url(&format!("/tenants/{slug}/users")))
                .bearer_auth(root)
                .json(&json!({
                    "username": username, "password": ADMIN_PASSWORD, "role": "tenant_admin"
                })),
            201,
        )
        .await?;
        let admin = self.login(&username, ADMIN_PASSWORD).await?;
        if sealed {
            call(
                self.client
                    .post(self.url(&format!("/tenants/{slug}/keys")))
                    .bearer_auth(&admin)
                    .json(&json!({ "bits": 3072 })),
                201,
            )
            .await?;
            call(
                self.client
                    .patch(self.url(&format!("/tenants/{slug}/encryption")))
                    .bearer_auth(&admin)
                    .json(&json!({ "enabled": true })),
                200,
            )
            .await?;
        }
        Ok(admin)
    }

    /// Uploads a WAV recording to the tenant; returns its id.
    pub async fn upload_wav(
        &self,
        token: &str,
        slug: &str,
        audio: Vec<u8>,
    ) -> anyhow::Result<String> {
        let created = call(
            self.client
                .post(self.url(&format!("/tenants/{slug}/recordings")))
                .bearer_auth(token)
                .header("content-type", "audio/wav")
                .body(audio),
            201,
        )
        .await?;
        Ok(created["id"].as_str().context("no id")?.to_owned())
    }
}
