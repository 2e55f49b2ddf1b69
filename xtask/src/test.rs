//! `cargo xtask test`: everything CI checks, in one command. Every step runs even when an
//! earlier one failed, so that one run shows every problem; the summary comes last.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::bail;

use crate::{shell, web};

/// The PostgreSQL the integration tests run against a second time, unless
/// `CALLVAULT_TEST_POSTGRES_URL` names another. Tests create and drop databases of their own.
const LOCAL_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const POSTGRES_URL_VAR: &str = "CALLVAULT_TEST_POSTGRES_URL";

const BROWSER: &str = "/usr/bin/chromium";
const WEBDRIVER: &str = "/usr/bin/chromedriver";
/// The durability test traces the system calls of an upload.
const STRACE: &str = "/usr/bin/strace";
/// The operations tests: Prometheus scrapes the metrics, promtool checks the exposition,
/// systemd-analyze verifies the service unit.
const OPERATIONS_TOOLS: [(&str, &str); 3] = [
    ("/usr/bin/prometheus", "prometheus"),
    ("/usr/bin/promtool", "prometheus"),
    ("/usr/bin/systemd-analyze", "systemd"),
];

fn ensure_operations_tools() -> anyhow::Result<()> {
    ensure_packages(
        &OPERATIONS_TOOLS,
        "for the operations tests (Prometheus, promtool, systemd-analyze)",
    )
}

struct Outcome {
    step: &'static str,
    result: anyhow::Result<()>,
    took: Duration,
}

pub fn test() -> anyhow::Result<()> {
    let mut outcomes = Vec::new();
    let mut step = |step: &'static str, work: &mut dyn FnMut() -> anyhow::Result<()>| {
        eprintln!("\n{}", shell::styled("1;34", &format!("==> {step}")));
        let started = Instant::now();
        let result = work();
        if let Err(error) = &result {
            eprintln!(
                "{}",
                shell::styled("1;31", &format!("{step} failed: {error:#}"))
            );
        }
        outcomes.push(Outcome {
            step,
            result,
            took: started.elapsed(),
        });
    };

    step("formatting (cargo fmt --check)", &mut || {
        shell::run(shell::cargo().args(["fmt", "--all", "--", "--check"]))
    });
    step("lints (cargo clippy -D warnings)", &mut || {
        shell::run(shell::cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ]))
    });
    step(
        "supply chain (cargo deny, advisories from the RustSec snapshot; no rsa in the server)",
        &mut || crate::supply_chain::check(),
    );
    step("unit and integration tests on SQLite", &mut || {
        ensure_packages(
            &[(STRACE, "strace")],
            "for the durability test's system-call trace",
        )?;
        ensure_operations_tools()?;
        shell::run(
            test_runner()
                .args(["--workspace", "--exclude", "callvault-e2e"])
                .env_remove(POSTGRES_URL_VAR),
        )
    });
    step("integration tests on PostgreSQL", &mut || {
        let url = postgres_url();
        if !postgres_reachable(&url) {
            bail!("no PostgreSQL answers at {url}; set {POSTGRES_URL_VAR} to one that does");
        }
        shell::run(
            test_runner()
                .args(["--package", "callvault-backend", "--test", "api"])
                .env(POSTGRES_URL_VAR, url),
        )
    });
    step(
        "at scale: PostgreSQL, S3 (Garage), fault tests",
        &mut || scale(&[]),
    );
    step("API conformance (schemathesis)", &mut || {
        crate::conformance::conformance(Some(crate::conformance::CI_SEED))
    });
    step(
        "generated clients (openapi-python-client, openapi-typescript)",
        &mut || crate::clients::generated_clients(),
    );
    let mut web_dir = None;
    step("web app build (wasm32)", &mut || {
        web_dir = Some(web::build()?);
        Ok(())
    });
    step("browser tests (Chromium)", &mut || {
        let Some(web_dir) = &web_dir else {
            bail!("skipped: the web app did not build");
        };
        ensure_packages(
            &[(BROWSER, "chromium"), (WEBDRIVER, "chromium-driver")],
            "for the browser tests",
        )?;
        let axe = crate::clients::axe_core()?;
        let server = shell::build_server()?;
        shell::run(
            test_runner()
                .args(["--package", "callvault-e2e"])
                .env("CALLVAULT_E2E_SERVER", server)
                .env("CALLVAULT_E2E_WEB_DIR", web_dir)
                .env("CALLVAULT_E2E_AXE", axe),
        )
    });

    eprintln!("\n{}", shell::styled("1", "callvault test summary"));
    let mut failed = 0;
    for outcome in &outcomes {
        let verdict = match &outcome.result {
            Ok(()) => shell::styled("32", "passed"),
            Err(_) => {
                failed += 1;
                shell::styled("31", "FAILED")
            }
        };
        eprintln!(
            "  {verdict}  {:>6.1}s  {}",
            outcome.took.as_secs_f64(),
            outcome.step
        );
    }
    if failed > 0 {
        bail!("{failed} of {} steps failed", outcomes.len());
    }
    eprintln!("all {} steps passed", outcomes.len());
    Ok(())
}

/// The `--scale` profile: the integration suite against PostgreSQL and Garage, an
/// S3-compatible store, as several instances would run in production; and the fault tests
/// (ignored elsewhere), which stop a PostgreSQL and a Garage of their own under a server.
/// `filters` choose tests by name, as the test runner's own filters do.
pub fn scale(filters: &[String]) -> anyhow::Result<()> {
    let url = postgres_url();
    if !postgres_reachable(&url) {
        bail!("no PostgreSQL answers at {url}; set {POSTGRES_URL_VAR} to one that does");
    }
    ensure_operations_tools()?;
    let target = shell::root().join("target");
    let garage = crate::garage::start(&target.join("garage"), None)?;
    eprintln!("xtask: Garage is up; its bucket is {}", garage.storage_url);
    // Prepared, then stopped: the outage tests start and stop it themselves.
    let outage = crate::garage::start(
        &target.join("garage-outage"),
        Some((&garage.access_key_id, &garage.secret_access_key)),
    )?;
    let (outage_url, outage_config) = (outage.storage_url.clone(), outage.config.clone());
    drop(outage);
    let mut tests = test_runner();
    tests.args(["--package", "callvault-backend", "--test", "api"]);
    if is_nextest(&tests) {
        tests.args(filters).args(["--run-ignored", "all"]);
    } else {
        tests.args(["--", "--include-ignored"]).args(filters);
    }
    shell::run(
        tests
            .env(POSTGRES_URL_VAR, url)
            .env("CALLVAULT_TEST_S3_URL", &garage.storage_url)
            .env("AWS_ACCESS_KEY_ID", &garage.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &garage.secret_access_key)
            .env("CALLVAULT_TEST_GARAGE_BIN", crate::garage::binary()?)
            .env("CALLVAULT_TEST_OUTAGE_GARAGE_CONFIG", outage_config)
            .env("CALLVAULT_TEST_OUTAGE_S3_URL", outage_url),
    )
}

fn is_nextest(command: &Command) -> bool {
    command.get_args().any(|arg| arg == "nextest")
}

/// cargo-nextest where it is installed (it runs each test in its own process, in parallel,
/// and prints a summary), else `cargo test`.
fn test_runner() -> Command {
    let mut command = shell::cargo();
    if shell::succeeds(shell::cargo().args(["nextest", "--version"])) {
        command.args(["nextest", "run", "--no-fail-fast"]);
    } else {
        command.args(["test", "--no-fail-fast"]);
    }
    command
}

/// The PostgreSQL to run against: `CALLVAULT_TEST_POSTGRES_URL`, else the local one.
pub fn postgres_url() -> String {
    std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| LOCAL_POSTGRES.to_owned())
}

pub fn postgres_reachable(url: &str) -> bool {
    // host:port between the `@` (or `//`) and the next `/`.
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.split('/').next().unwrap_or_default();
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    let address = host_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut addresses| addresses.next());
    address
        .is_some_and(|address| TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok())
}

/// Debian's packages that provide `files` (file, package), installed with apt when a file is
/// missing; `why` says what for.
pub fn ensure_packages(files: &[(&str, &str)], why: &str) -> anyhow::Result<()> {
    let mut missing: Vec<&str> = files
        .iter()
        .filter(|(file, _)| !Path::new(file).exists())
        .map(|(_, package)| *package)
        .collect();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    crate::apt::install(&missing, why)
}
