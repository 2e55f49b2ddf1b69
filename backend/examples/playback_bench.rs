//! The playback benchmark behind `cargo xtask bench-playback`: ranged playback of one 32 MiB
//! WAV file from a release `callvault` (a tenant with encryption off, and one with encryption
//! on, whose copy is decrypted in flight) against nginx serving the same plaintext file, on
//! SQLite and then on PostgreSQL, measured with `wrk`. It prints Markdown tables (32
//! connections, one connection, whole-file downloads, the server's peak memory) and fails if
//! any callvault run had an error.
//!
//! Configured by the environment that `cargo xtask bench-playback` sets:
//! `CALLVAULT_BENCH_SERVER` (the binary), `CALLVAULT_BENCH_DIR` (a scratch directory that holds
//! the WAV file `recording.wav` and the wrk script `range.lua`), `CALLVAULT_BENCH_NGINX`,
//! `CALLVAULT_BENCH_POSTGRES_URL` (an admin URL; a database is made for the run and dropped
//! after it; unset: SQLite only), `CALLVAULT_BENCH_SECONDS`, `CALLVAULT_BENCH_CONNECTIONS`.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark's report is its output"
)]

#[allow(dead_code, reason = "each benchmark uses its part of what they share")]
mod bench_support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bench_support::{ADMIN_PASSWORD, Api, Instance, ScratchDatabase};

/// What one ranged request asks for, as the `range.lua` script does.
const SPAN: usize = 64 * 1024;

struct Settings {
    server: PathBuf,
    dir: PathBuf,
    nginx: PathBuf,
    postgres: Option<String>,
    seconds: u64,
    connections: u64,
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
        dir: var("CALLVAULT_BENCH_DIR")?.into(),
        nginx: std::env::var("CALLVAULT_BENCH_NGINX")
            .unwrap_or_else(|_| "/usr/sbin/nginx".to_owned())
            .into(),
        postgres: std::env::var("CALLVAULT_BENCH_POSTGRES_URL").ok(),
        seconds: number("CALLVAULT_BENCH_SECONDS", 15)?,
        connections: number("CALLVAULT_BENCH_CONNECTIONS", 32)?,
    })
}

/// nginx serving the directory of the WAV file, stopped on drop.
struct Nginx {
    address: String,
    binary: PathBuf,
    prefix: PathBuf,
    config: PathBuf,
    process: Child,
}

impl Nginx {
    fn start(settings: &Settings) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let prefix = settings.dir.join("nginx");
        std::fs::create_dir_all(&prefix)?;
        let config = prefix.join("nginx.conf");
        let in_prefix = |name: &str| prefix.join(name).display().to_string();
        std::fs::write(
            &config,
            format!(
                "worker_processes 1;
daemon off;
pid {pid};
error_log {error_log};
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    client_body_temp_path {temp};
    types {{ audio/wav wav; }}
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
",
                pid = in_prefix("nginx.pid"),
                error_log = in_prefix("error.log"),
                temp = in_prefix("client_body"),
                root = settings.dir.display(),
            ),
        )?;
        let output = std::fs::File::create(prefix.join("output.log"))?;
        let process = Command::new(&settings.nginx)
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(output.try_clone()?)
            .stderr(output)
            .spawn()
            .with_context(|| format!("starting {}", settings.nginx.display()))?;
        let mut nginx = Self {
            address: format!("http://127.0.0.1:{port}"),
            binary: settings.nginx.clone(),
            prefix,
            config,
            process,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if nginx.process.try_wait()?.is_some() || started.elapsed() > Duration::from_secs(10) {
                bail!(
                    "nginx did not start; see {}",
                    nginx.prefix.join("output.log").display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(nginx)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // The master stops its worker; killing the master alone would leave the worker serving.
        let _ = Command::new(&self.binary)
            .arg("-p")
            .arg(&self.prefix)
            .arg("-c")
            .arg(&self.config)
            .args(["-s", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.process.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// What wrk reports of one run.
#[derive(Clone, Copy, Default)]
struct Figures {
    requests_per_second: f64,
    bytes_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// Socket errors, answers other than 2xx or 3xx, and (ranged runs) answers that were not
    /// 206 with the range asked for.
    errors: u64,
}

#[derive(Clone, Copy)]
enum Load {
    /// Random 64 KiB ranges, from this many connections on this many threads.
    Ranges { threads: u64, connections: u64 },
    /// The whole file again and again, on one connection.
    WholeFile,
}

fn wrk(
    settings: &Settings,
    load: Load,
    url: &str,
    token: &str,
    size: usize,
) -> anyhow::Result<Figures> {
    let mut command = Command::new("wrk");
    let (threads, connections) = match load {
        Load::Ranges {
            threads,
            connections,
        } => (threads, connections),
        Load::WholeFile => (1, 1),
    };
    command
        .arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{}s", settings.seconds))
        .arg("--latency");
    match load {
        Load::Ranges { .. } => {
            command
                .arg("-s")
                .arg(settings.dir.join("range.lua"))
                .arg(url)
                .args(["--", token, &size.to_string()]);
        }
        Load::WholeFile => {
            command
                .args(["-H", &format!("Authorization: Bearer {token}")])
                .arg(url);
        }
    }
    let output = command.output().context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed ({}): {text}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    parse_wrk(&text).with_context(|| format!("reading wrk's report:\n{text}"))
}

/// The figures of wrk's report (with `--latency`, and `range.lua`'s count of bad answers).
fn parse_wrk(text: &str) -> anyhow::Result<Figures> {
    let mut figures = Figures::default();
    let (mut p50, mut p99, mut requests) = (None, None, None);
    let mut bad_answers = 0;
    let mut non_success = 0;
    for line in text.lines().map(str::trim) {
        if let Some(value) = line.strip_prefix("Requests/sec:") {
            requests = Some(value.trim().parse::<f64>()?);
        } else if let Some(value) = line.strip_prefix("Transfer/sec:") {
            figures.bytes_per_second = bytes(value.trim())?;
        } else if let Some(value) = line.strip_prefix("50%") {
            p50 = Some(milliseconds(value.trim())?);
        } else if let Some(value) = line.strip_prefix("99%") {
            p99 = Some(milliseconds(value.trim())?);
        } else if let Some(counts) = line.strip_prefix("Socket errors:") {
            // "connect 0, read 0, write 0, timeout 0"
            for count in counts.split(',') {
                let number = count
                    .split_whitespace()
                    .last()
                    .context("a socket error count")?;
                figures.errors += number.parse::<u64>()?;
            }
        } else if let Some(value) = line.strip_prefix("Non-2xx or 3xx responses:") {
            non_success = value.trim().parse()?;
        } else if let Some(value) = line.strip_prefix("Unexpected answers:") {
            bad_answers = value.trim().parse()?;
        }
    }
    // The script's count includes the non-2xx answers wrk counts itself.
    figures.errors += non_success.max(bad_answers);
    figures.requests_per_second = requests.context("no Requests/sec")?;
    figures.p50_ms = p50.context("no 50% latency")?;
    figures.p99_ms = p99.context("no 99% latency")?;
    Ok(figures)
}

/// A number followed by its unit: `suffixes` pairs each unit with its factor.
fn with_unit(value: &str, suffixes: &[(&str, f64)]) -> anyhow::Result<f64> {
    let split = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let factor = suffixes
        .iter()
        .find(|(suffix, _)| *suffix == unit.trim())
        .with_context(|| format!("unknown unit in {value:?}"))?
        .1;
    Ok(number.parse::<f64>()? * factor)
}

/// wrk's latencies: `812.00us`, `1.23ms`, `2.01s`, `1.50m`.
fn milliseconds(value: &str) -> anyhow::Result<f64> {
    with_unit(
        value,
        &[
            ("us", 0.001),
            ("ms", 1.0),
            ("s", 1000.0),
            ("m", 60_000.0),
            ("h", 3_600_000.0),
        ],
    )
}

/// wrk's byte counts, in powers of 1024: `412.34MB`, `1.51GB`.
fn bytes(value: &str) -> anyhow::Result<f64> {
    const KIB: f64 = 1024.0;
    with_unit(
        value,
        &[
            ("B", 1.0),
            ("KB", KIB),
            ("MB", KIB * KIB),
            ("GB", KIB * KIB * KIB),
            ("TB", KIB * KIB * KIB * KIB),
        ],
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Nginx,
    Plain,
    Sealed,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Self::Nginx => "nginx",
            Self::Plain => "callvault plain",
            Self::Sealed => "callvault sealed",
        }
    }
}

#[derive(Clone, Copy)]
struct Row {
    store: &'static str,
    target: Target,
    figures: Figures,
}

/// Everything measured on one store.
struct StoreRun {
    store: &'static str,
    ranges: Vec<Row>,
    one_connection: Vec<Row>,
    whole_file: Vec<Row>,
    /// VmHWM once seeded (the uploads), then at the end of the runs.
    seeded_rss_kib: u64,
    peak_rss_kib: u64,
}

/// The server on `database_url`, seeded, under each load; nginx beside it.
async fn run_store(
    settings: &Settings,
    store: &'static str,
    audio: &[u8],
    data_dir: &Path,
    database_url: &str,
) -> anyhow::Result<StoreRun> {
    let instance = Instance::start(&settings.server, data_dir, database_url, None).await?;
    let api = Api::new(&instance.address);
    let root = api.root_with_system_key().await?;
    let mut ids = Vec::new();
    for (slug, sealed) in [("plain", false), ("sealed", true)] {
        let admin = api.tenant(&root, slug, sealed).await?;
        ids.push(api.upload_wav(&admin, slug, audio.to_vec()).await?);
    }
    let nginx = Nginx::start(settings)?;
    let url = |target: Target| match target {
        Target::Nginx => format!("{}/recording.wav", nginx.address),
        Target::Plain => api.url(&format!("/tenants/plain/recordings/{}/audio", ids[0])),
        Target::Sealed => api.url(&format!("/tenants/sealed/recordings/{}/audio", ids[1])),
    };
    // Grants stay within a tenant, so each tenant's administrator plays its own recording. A
    // fresh sign-in before each run, so that no access token expires during one.
    let token = async |target: Target| match target {
        Target::Nginx => Ok("none".to_owned()),
        Target::Plain => api.login("plain-admin", ADMIN_PASSWORD).await,
        Target::Sealed => api.login("sealed-admin", ADMIN_PASSWORD).await,
    };
    for target in [Target::Nginx, Target::Plain, Target::Sealed] {
        let from = 12_345;
        let answer = api
            .client
            .get(url(target))
            .bearer_auth(token(target).await?)
            .header("range", format!("bytes={from}-{}", from + SPAN - 1))
            .send()
            .await?;
        let status = answer.status();
        let body = answer.bytes().await?;
        if status != 206 || body[..] != audio[from..from + SPAN] {
            bail!(
                "{} did not answer a range with its bytes ({status}, {} bytes)",
                target.name(),
                body.len()
            );
        }
    }

    let mut run = StoreRun {
        store,
        ranges: Vec::new(),
        one_connection: Vec::new(),
        whole_file: Vec::new(),
        seeded_rss_kib: instance.peak_rss_kib(),
        peak_rss_kib: 0,
    };
    let all = [Target::Nginx, Target::Plain, Target::Sealed];
    let threads = settings.connections.clamp(1, 2);
    let loads: [(Load, &[Target]); 3] = [
        (
            Load::Ranges {
                threads,
                connections: settings.connections,
            },
            &all,
        ),
        (
            Load::Ranges {
                threads: 1,
                connections: 1,
            },
            &[Target::Nginx, Target::Sealed],
        ),
        (Load::WholeFile, &all),
    ];
    for (index, (load, targets)) in loads.into_iter().enumerate() {
        for &target in targets {
            let what = match load {
                Load::Ranges { connections: 1, .. } => "64 KiB ranges, 1 connection".to_owned(),
                Load::Ranges { connections, .. } => {
                    format!("64 KiB ranges, {connections} connections")
                }
                Load::WholeFile => "whole file, 1 connection".to_owned(),
            };
            eprintln!("{store}: {} ({what})", target.name());
            let figures = wrk(
                settings,
                load,
                &url(target),
                &token(target).await?,
                audio.len(),
            )?;
            let row = Row {
                store,
                target,
                figures,
            };
            match index {
                0 => run.ranges.push(row),
                1 => run.one_connection.push(row),
                _ => run.whole_file.push(row),
            }
        }
    }
    run.peak_rss_kib = instance.peak_rss_kib();
    drop(nginx);
    drop(instance);
    Ok(run)
}

fn ms(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.2} ms")
    } else if value < 100.0 {
        format!("{value:.1} ms")
    } else {
        format!("{value:.0} ms")
    }
}

/// `value` over the same store's nginx figure.
fn versus_nginx(rows: &[Row], row: &Row, figure: fn(&Figures) -> f64) -> String {
    if row.target == Target::Nginx {
        return "1.00".to_owned();
    }
    rows.iter()
        .find(|other| other.store == row.store && other.target == Target::Nginx)
        .map(|nginx| ratio(figure(&row.figures), figure(&nginx.figures)))
        .unwrap_or_default()
}

fn ratio(value: f64, base: f64) -> String {
    if base > 0.0 {
        format!("{:.2}", value / base)
    } else {
        "–".to_owned()
    }
}

fn latency_table(rows: &[Row]) {
    println!("| store | target | req/s | × nginx | p50 | p99 | errors |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for row in rows {
        let figures = &row.figures;
        println!(
            "| {} | {} | {:.0} | {} | {} | {} | {} |",
            row.store,
            row.target.name(),
            figures.requests_per_second,
            versus_nginx(rows, row, |f| f.requests_per_second),
            ms(figures.p50_ms),
            ms(figures.p99_ms),
            figures.errors
        );
    }
}

fn report(settings: &Settings, runs: &[StoreRun]) {
    let rows = |pick: fn(&StoreRun) -> &Vec<Row>| -> Vec<Row> {
        runs.iter()
            .flat_map(|run| pick(run).iter().copied())
            .collect()
    };
    println!(
        "\n### Ranged playback: random 64 KiB ranges of a 32 MiB WAV, {} connections, {} s each\n",
        settings.connections, settings.seconds
    );
    latency_table(&rows(|run| &run.ranges));
    println!(
        "\n### One connection: random 64 KiB ranges, {} s each\n",
        settings.seconds
    );
    latency_table(&rows(|run| &run.one_connection));
    println!(
        "\n### Whole file: the 32 MiB WAV again and again, one connection, {} s each\n",
        settings.seconds
    );
    let whole = rows(|run| &run.whole_file);
    println!("| store | target | GB/s | × nginx | p50 | p99 | errors |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for row in &whole {
        println!(
            "| {} | {} | {:.2} | {} | {} | {} | {} |",
            row.store,
            row.target.name(),
            row.figures.bytes_per_second / 1e9,
            versus_nginx(&whole, row, |f| f.bytes_per_second),
            ms(row.figures.p50_ms),
            ms(row.figures.p99_ms),
            row.figures.errors
        );
    }
    println!("\n### Sealed/plain, and the server's memory\n");
    println!(
        "| store | sealed/plain req/s ({} connections) | sealed/plain GB/s (whole file) | server peak RSS | its peak once seeded, before wrk |",
        settings.connections
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    for run in runs {
        let figure = |rows: &[Row], target: Target, of: fn(&Figures) -> f64| {
            rows.iter()
                .find(|row| row.target == target)
                .map_or(0.0, |row| of(&row.figures))
        };
        let sealed_over_plain = |rows: &[Row], of: fn(&Figures) -> f64| {
            ratio(
                figure(rows, Target::Sealed, of),
                figure(rows, Target::Plain, of),
            )
        };
        println!(
            "| {} | {} | {} | {:.0} MiB | {:.0} MiB |",
            run.store,
            sealed_over_plain(&run.ranges, |f| f.requests_per_second),
            sealed_over_plain(&run.whole_file, |f| f.bytes_per_second),
            run.peak_rss_kib as f64 / 1024.0,
            run.seeded_rss_kib as f64 / 1024.0
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = settings()?;
    let audio = std::fs::read(settings.dir.join("recording.wav"))
        .context("reading recording.wav in CALLVAULT_BENCH_DIR")?;
    let mut runs = Vec::new();

    let sqlite_dir = settings.dir.join("sqlite");
    if sqlite_dir.exists() {
        std::fs::remove_dir_all(&sqlite_dir)?;
    }
    std::fs::create_dir_all(&sqlite_dir)?;
    let sqlite_url = format!(
        "sqlite://{}?mode=rwc",
        sqlite_dir.join("callvault.db").display()
    );
    runs.push(run_store(&settings, "SQLite", &audio, &sqlite_dir, &sqlite_url).await?);

    match &settings.postgres {
        Some(admin_url) => {
            let postgres_dir = settings.dir.join("postgres");
            if postgres_dir.exists() {
                std::fs::remove_dir_all(&postgres_dir)?;
            }
            std::fs::create_dir_all(&postgres_dir)?;
            let database = ScratchDatabase::create(admin_url, "callvault_playback").await?;
            let run = run_store(
                &settings,
                "PostgreSQL",
                &audio,
                &postgres_dir,
                &database.url,
            )
            .await;
            database.drop().await?;
            runs.push(run?);
        }
        None => eprintln!("PostgreSQL skipped: CALLVAULT_BENCH_POSTGRES_URL is unset"),
    }

    report(&settings, &runs);
    if settings.postgres.is_none() {
        println!("\nPostgreSQL: not measured (none reachable).");
    }
    let failed: u64 = runs
        .iter()
        .flat_map(|run| {
            run.ranges
                .iter()
                .chain(&run.one_connection)
                .chain(&run.whole_file)
        })
        .filter(|row| row.target != Target::Nginx)
        .map(|row| row.figures.errors)
        .sum();
    if failed > 0 {
        bail!("callvault's runs had {failed} errors");
    }
    println!("\nno callvault run had an error");
    Ok(())
}
