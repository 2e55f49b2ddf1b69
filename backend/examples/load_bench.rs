//! The load benchmark behind `cargo xtask bench-load`: real `callvault` processes (release
//! builds) on one PostgreSQL database and one object store, first one instance and then two,
//! each under the same load for the same time: players that seek (ranged requests of sealed
//! recordings, decrypted in flight) and recorders that upload. It prints latency percentiles,
//! throughput, errors and the servers' resident memory, and fails if any request failed.
//!
//! Configured by the environment that `cargo xtask bench-load` sets:
//! `CALLVAULT_BENCH_SERVER` (the binary), `CALLVAULT_BENCH_POSTGRES_URL` (an admin URL; a
//! database is made for the run and dropped after it), `CALLVAULT_BENCH_STORAGE_URL` (with its
//! `AWS_*` credentials; unset: a directory both instances share), `CALLVAULT_BENCH_SECONDS`,
//! `CALLVAULT_BENCH_PLAYERS`, `CALLVAULT_BENCH_RECORDERS`.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark's report is its output"
)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use callvault::cli::demo::synthetic_call;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

const ROOT_PASSWORD: &str = "a root password for the load benchmark";
const ADMIN_PASSWORD: &str = "an administrator password for the load benchmark";
/// Recordings in the catalogue before the load starts: a minute of audio each (about 1 MB).
const SEEDED: usize = 100;
/// What a player asks for per request: 64 KiB from a random offset, as a seek does.
const SEEK_BYTES: u64 = 64 * 1024;
/// Seconds of audio per uploaded recording (8 kHz, 16-bit: about 256 KiB).
const UPLOAD_SECONDS: u32 = 16;

struct Settings {
    server: PathBuf,
    postgres: String,
    storage: Option<String>,
    seconds: u64,
    players: usize,
    recorders: usize,
}

fn settings() -> anyhow::Result<Settings> {
    let var = |name: &str| std::env::var(name).with_context(|| format!("{name} is unset"));
    let number = |name: &str, default: u64| -> anyhow::Result<u64> {
        std::env::var(name).map_or(Ok(default), |value| {
            value.parse().with_context(|| format!("{name}={value:?}"))
        })
    };
    Ok(Settings {
        server: var("CALLVAULT_BENCH_SERVER")?.into(),
        postgres: var("CALLVAULT_BENCH_POSTGRES_URL")?,
        storage: std::env::var("CALLVAULT_BENCH_STORAGE_URL").ok(),
        seconds: number("CALLVAULT_BENCH_SECONDS", 60)?,
        players: usize::try_from(number("CALLVAULT_BENCH_PLAYERS", 200)?)?,
        recorders: usize::try_from(number("CALLVAULT_BENCH_RECORDERS", 50)?)?,
    })
}

/// A `callvault serve` process, killed on drop.
struct Instance {
    address: String,
    process: Child,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Instance {
    async fn start(
        settings: &Settings,
        data_dir: &Path,
        database_url: &str,
    ) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let log = std::fs::File::create(data_dir.join(format!("server-{port}.log")))?;
        let mut command = Command::new(&settings.server);
        command
            .arg("serve")
            .env("CALLVAULT_BIND", format!("127.0.0.1:{port}"))
            .env("CALLVAULT_DATA_DIR", data_dir)
            .env("CALLVAULT_DATABASE_URL", database_url)
            .env("CALLVAULT_WEB_DIR", data_dir.join("web"))
            .env("CALLVAULT_ROOT_PASSWORD", ROOT_PASSWORD)
            .env(
                "CALLVAULT_STORAGE_URL",
                settings
                    .storage
                    .clone()
                    .unwrap_or_else(|| data_dir.join("objects").display().to_string()),
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
    fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.process.id()))
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|line| line.strip_prefix("VmRSS:"))
                    .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            })
            .unwrap_or_default()
    }
}

/// A JSON call that must succeed.
async fn call(request: reqwest::RequestBuilder, expected: u16) -> anyhow::Result<Value> {
    let response = request.send().await?;
    let status = response.status().as_u16();
    let body = response.text().await?;
    if status != expected {
        bail!("expected {expected}, got {status}: {body}");
    }
    Ok(serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A tenant with encryption on, an administrator holding its key, and [`SEEDED`] recordings.
/// Returns the administrator's bearer token and the recordings' ids and sizes.
async fn seed(address: &str) -> anyhow::Result<(String, Vec<(String, u64)>)> {
    let client = reqwest::Client::new();
    let api = |path: &str| format!("{address}/api/v1{path}");
    let login = |username: &'static str, password: &'static str| {
        client
            .post(api("/auth/login"))
            .json(&json!({ "username": username, "password": password }))
    };
    let root = call(login("root", ROOT_PASSWORD), 200).await?["access_token"]
        .as_str()
        .context("no token")?
        .to_owned();
    let as_root = |request: reqwest::RequestBuilder| request.bearer_auth(&root);
    call(
        as_root(
            client
                .post(api("/tenants/system/keys"))
                .json(&json!({ "bits": 3072 })),
        ),
        201,
    )
    .await?;
    call(
        as_root(
            client
                .post(api("/tenants"))
                .json(&json!({ "slug": "bench", "name": "Bench" })),
        ),
        201,
    )
    .await?;
    call(
        as_root(client.post(api("/tenants/bench/users")).json(&json!({
            "username": "bench-admin", "password": ADMIN_PASSWORD, "role": "tenant_admin"
        }))),
        201,
    )
    .await?;
    let admin = call(login("bench-admin", ADMIN_PASSWORD), 200).await?["access_token"]
        .as_str()
        .context("no token")?
        .to_owned();
    let as_admin = |request: reqwest::RequestBuilder| request.bearer_auth(&admin);
    call(
        as_admin(
            client
                .post(api("/tenants/bench/keys"))
                .json(&json!({ "bits": 3072 })),
        ),
        201,
    )
    .await?;
    call(
        as_admin(
            client
                .patch(api("/tenants/bench/encryption"))
                .json(&json!({ "enabled": true })),
        ),
        200,
    )
    .await?;
    let mut recordings = Vec::new();
    for index in 0..SEEDED {
        let audio = synthetic_call("", 60, index);
        let created = call(
            as_admin(
                client
                    .post(api("/tenants/bench/recordings"))
                    .header("content-type", "audio/wav")
                    .body(audio.clone()),
            ),
            201,
        )
        .await?;
        recordings.push((
            created["id"].as_str().context("no id")?.to_owned(),
            audio.len() as u64,
        ));
    }
    Ok((admin, recordings))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Seek,
    Upload,
}

struct Sample {
    operation: Operation,
    latency: Duration,
    bytes: u64,
    ok: bool,
}

/// One run of the load against `instances` for `seconds`; clients are spread evenly.
async fn run_load(
    settings: &Settings,
    instances: &[Instance],
    token: &str,
    recordings: &[(String, u64)],
) -> (Vec<Sample>, Vec<u64>) {
    let samples = Arc::new(Mutex::new(Vec::new()));
    let deadline = Instant::now() + Duration::from_secs(settings.seconds);
    let client = reqwest::Client::new();
    let upload = Arc::new(synthetic_call("", UPLOAD_SECONDS, 7));
    let recordings = Arc::new(recordings.to_vec());
    let mut clients = Vec::new();
    for index in 0..settings.players + settings.recorders {
        let address = instances[index % instances.len()].address.clone();
        let operation = if index < settings.players {
            Operation::Seek
        } else {
            Operation::Upload
        };
        let (client, token, samples) = (client.clone(), token.to_owned(), samples.clone());
        let (recordings, upload) = (recordings.clone(), upload.clone());
        clients.push(tokio::spawn(async move {
            let mut rng = fastrand::Rng::with_seed(index as u64);
            while Instant::now() < deadline {
                let started = Instant::now();
                let (ok, bytes) = match operation {
                    Operation::Seek => {
                        let (id, size) = &recordings[rng.usize(..recordings.len())];
                        let from = rng.u64(0..size - SEEK_BYTES);
                        let sent = client
                            .get(format!(
                                "{address}/api/v1/tenants/bench/recordings/{id}/audio"
                            ))
                            .bearer_auth(&token)
                            .header("range", format!("bytes={from}-{}", from + SEEK_BYTES - 1))
                            .send()
                            .await;
                        match sent {
                            Ok(response) if response.status() == 206 => {
                                let body = response.bytes().await.map(|body| body.len() as u64);
                                (
                                    body.as_ref().is_ok_and(|len| *len == SEEK_BYTES),
                                    SEEK_BYTES,
                                )
                            }
                            _ => (false, 0),
                        }
                    }
                    Operation::Upload => {
                        let sent = client
                            .post(format!("{address}/api/v1/tenants/bench/recordings"))
                            .bearer_auth(&token)
                            .header("content-type", "audio/wav")
                            .body(upload.as_ref().clone())
                            .send()
                            .await;
                        let ok = sent.is_ok_and(|response| response.status() == 201);
                        (ok, upload.len() as u64)
                    }
                };
                samples.lock().expect("samples").push(Sample {
                    operation,
                    latency: started.elapsed(),
                    bytes,
                    ok,
                });
            }
        }));
    }
    // The servers' resident memory, sampled every half second; the peak of each is kept.
    let mut peaks = vec![0; instances.len()];
    while Instant::now() < deadline {
        for (peak, instance) in peaks.iter_mut().zip(instances) {
            *peak = (*peak).max(instance.rss_kib());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for client in clients {
        let _ = client.await;
    }
    let samples = std::mem::take(&mut *samples.lock().expect("samples"));
    (samples, peaks)
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() - 1) as f64 * fraction).round() as usize;
    sorted[at]
}

/// One row per operation; returns the number of failed requests.
fn report(title: &str, seconds: u64, samples: &[Sample], peaks: &[u64]) -> usize {
    println!("\n{title}");
    println!(
        "  {:<18} {:>8} {:>9} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "operation", "requests", "req/s", "MiB/s", "p50 ms", "p99 ms", "max ms", "errors"
    );
    let mut errors = 0;
    for (operation, name) in [
        (Operation::Seek, "seek (64 KiB)"),
        (Operation::Upload, "upload (256 KiB)"),
    ] {
        let of_kind: Vec<&Sample> = samples
            .iter()
            .filter(|s| s.operation == operation)
            .collect();
        let failed = of_kind.iter().filter(|s| !s.ok).count();
        errors += failed;
        let mut latencies: Vec<Duration> = of_kind.iter().map(|s| s.latency).collect();
        latencies.sort_unstable();
        let bytes: u64 = of_kind.iter().filter(|s| s.ok).map(|s| s.bytes).sum();
        let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
        println!(
            "  {:<18} {:>8} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>7}",
            name,
            of_kind.len(),
            of_kind.len() as f64 / seconds as f64,
            bytes as f64 / seconds as f64 / (1024.0 * 1024.0),
            ms(percentile(&latencies, 0.50)),
            ms(percentile(&latencies, 0.99)),
            ms(latencies.last().copied().unwrap_or_default()),
            failed
        );
    }
    let rss: Vec<String> = peaks
        .iter()
        .map(|kib| format!("{:.0} MiB", *kib as f64 / 1024.0))
        .collect();
    println!("  server resident memory, peak: {}", rss.join(", "));
    errors
}

async fn bench(settings: &Settings) -> anyhow::Result<usize> {
    let data_dir = tempfile::tempdir()?;
    std::fs::create_dir_all(data_dir.path().join("web"))?;
    std::fs::write(data_dir.path().join("web/index.html"), "<!doctype html>")?;
    let database = format!("callvault_bench_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&settings.postgres).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {database}"))
        .await?;
    let base = settings
        .postgres
        .rsplit_once('/')
        .map_or(settings.postgres.as_str(), |(base, _)| base);
    let database_url = format!("{base}/{database}");

    let outcome = async {
        let first = Instance::start(settings, data_dir.path(), &database_url).await?;
        let (token, recordings) = seed(&first.address).await?;
        println!(
            "callvault load: {} players seeking in {SEEDED} sealed one-minute recordings, {} recorders uploading, {} s per run; PostgreSQL, {}",
            settings.players,
            settings.recorders,
            settings.seconds,
            if settings.storage.is_some() {
                "S3 (Garage)"
            } else {
                "a local directory"
            }
        );
        let mut errors = 0;
        let (samples, peaks) =
            run_load(settings, std::slice::from_ref(&first), &token, &recordings).await;
        errors += report("one instance", settings.seconds, &samples, &peaks);
        let second = Instance::start(settings, data_dir.path(), &database_url).await?;
        let both = [first, second];
        let (samples, peaks) = run_load(settings, &both, &token, &recordings).await;
        errors += report("two instances", settings.seconds, &samples, &peaks);
        anyhow::Ok(errors)
    }
    .await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        .await?;
    outcome
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = settings()?;
    let errors = bench(&settings).await?;
    if errors > 0 {
        bail!("{errors} requests failed");
    }
    println!("\nno request failed");
    Ok(())
}
