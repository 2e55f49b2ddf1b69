//! `cargo xtask bench-load`: release builds of `callvault` on the local PostgreSQL and a Garage
//! started here, under players that seek and recorders that upload, one instance and then two;
//! the benchmark (`backend/examples/load_bench.rs`) prints the table and fails on any error.

use anyhow::bail;

use crate::shell;

pub struct Options {
    pub seconds: u64,
    pub players: usize,
    pub recorders: usize,
    /// A directory both instances share instead of Garage.
    pub local_store: bool,
}

pub fn bench_load(options: &Options) -> anyhow::Result<()> {
    let postgres = crate::test::postgres_url();
    if !crate::test::postgres_reachable(&postgres) {
        bail!(
            "no PostgreSQL answers at {postgres}; set CALLVAULT_TEST_POSTGRES_URL to one that does"
        );
    }
    shell::run(shell::cargo().args([
        "build",
        "--quiet",
        "--release",
        "--package",
        "callvault-backend",
        "--bin",
        "callvault",
        "--example",
        "load_bench",
    ]))?;
    let release = shell::root().join("target/release");
    let mut bench = std::process::Command::new(release.join("examples/load_bench"));
    bench
        .env("CALLVAULT_BENCH_SERVER", release.join("callvault"))
        .env("CALLVAULT_BENCH_POSTGRES_URL", postgres)
        .env("CALLVAULT_BENCH_SECONDS", options.seconds.to_string())
        .env("CALLVAULT_BENCH_PLAYERS", options.players.to_string())
        .env("CALLVAULT_BENCH_RECORDERS", options.recorders.to_string());
    // Kept alive until the benchmark ends; stopped on drop.
    let _garage = if options.local_store {
        None
    } else {
        let garage = crate::garage::start(&shell::root().join("target/garage-bench"), None)?;
        bench
            .env("CALLVAULT_BENCH_STORAGE_URL", &garage.storage_url)
            .env("AWS_ACCESS_KEY_ID", &garage.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &garage.secret_access_key);
        Some(garage)
    };
    shell::run(&mut bench)
}
