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

#[allow(dead_code, reason = "each benchmark uses its part of what they share")]
mod bench_support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bench_support::{Api, Instance, ScratchDatabase};
use callvault::cli::demo::synthetic_call;

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

/// A tenant with encryption on, an administrator holding its key, and [`SEEDED`] recordings.
/// Returns the administrator's bearer token and the recordings' ids and sizes.
async fn seed(address: &str) -> anyhow::Result<(String, Vec<(String, u64)>)> {
    let api = Api::new(address);
    let root = api.root_with_system_key().await?;
    let admin = api.tenant(&root, "bench", true).await?;
    let mut recordings = Vec::new();
    for index in 0..SEEDED {
        let audio = synthetic_call("", 60, index);
        let size = audio.len() as u64;
        recordings.push((api.upload_wav(&admin, "bench", audio).await?, size));
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
    let database = ScratchDatabase::create(&settings.postgres, "callvault_bench").await?;
    let start = || {
        Instance::start(
            &settings.server,
            data_dir.path(),
            &database.url,
            settings.storage.as_deref(),
        )
    };

    let outcome = async {
        let first = start().await?;
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
        let second = start().await?;
        let both = [first, second];
        let (samples, peaks) = run_load(settings, &both, &token, &recordings).await;
        errors += report("two instances", settings.seconds, &samples, &peaks);
        anyhow::Ok(errors)
    }
    .await;
    database.drop().await?;
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
