//! callvault's build helper, run as `cargo xtask <command>` from anywhere in the repository.

#![allow(
    clippy::print_stdout,
    reason = "reports such as the benchmark tables are the build helper's output"
)]

mod apt;
mod bench_format;
mod bench_load;
mod bench_playback;
mod clients;
mod conformance;
mod fresh_server;
mod fuzz;
mod garage;
mod openapi;
mod python;
mod run;
mod secrets;
mod shell;
mod supply_chain;
mod test;
mod wasm_toolchain;
mod web;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Build, run and test callvault")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the web app and the server (release), and start callvault at
    /// http://127.0.0.1:8080.
    Run {
        /// Seed the demo tenant first, when it does not exist yet (as `cargo xtask demo`).
        #[arg(long)]
        demo: bool,
    },
    /// `run --demo`: the same binary and settings, with a demo tenant of synthetic calls
    /// seeded on the first start.
    Demo,
    /// Everything CI checks: formatting, lints, supply chain, every test on SQLite, on
    /// PostgreSQL, and on PostgreSQL with an S3 store (Garage) with the fault tests, the API's
    /// conformance to its OpenAPI document, the web app build and the browser tests.
    Test {
        /// Only the integration and fault tests on PostgreSQL and Garage (started here).
        #[arg(long)]
        scale: bool,
        /// With `--scale`: only the tests whose names contain one of these.
        #[arg(last = true, requires = "scale")]
        filters: Vec<String>,
    },
    /// Build only the web app, into target/web/dist.
    Web,
    /// Only the supply-chain step: cargo deny over licences, bans, sources and advisories (from
    /// the RustSec snapshot, with its age and a self-check), and no rsa in the server.
    SupplyChain,
    /// Run schemathesis over every operation of the API against a fresh, seeded server.
    Conformance {
        /// Reproduce an earlier run's choices.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Generate the Python client and the TypeScript types from openapi/openapi.json, run the
    /// integrator's journey with the client against a fresh server, type-check the TypeScript one.
    Clients,
    /// Regenerate openapi/openapi.json from the code.
    Openapi,
    /// Fuzz sealed-file parsing and opening for a while (cargo-fuzz, nightly).
    Fuzz {
        #[arg(long, default_value_t = 60)]
        seconds: u64,
    },
    /// Load release builds on PostgreSQL and Garage, one instance then two, with players that
    /// seek and recorders that upload; print latency, throughput, errors and memory.
    BenchLoad {
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Concurrent players, each seeking in a sealed recording again and again.
        #[arg(long, default_value_t = 200)]
        players: usize,
        /// Concurrent recorders, each uploading again and again.
        #[arg(long, default_value_t = 50)]
        recorders: usize,
        /// A local directory both instances share, instead of Garage.
        #[arg(long)]
        local_store: bool,
    },
    /// Ranged playback from release builds, plain and sealed, against nginx serving the same
    /// file, with wrk, on SQLite and on PostgreSQL; print req/s, latency, GB/s, errors, memory
    /// and the ratios to nginx. Not part of `cargo xtask test`.
    BenchPlayback {
        #[arg(long, default_value_t = 15)]
        seconds: u64,
        /// Concurrent connections of the ranged runs.
        #[arg(long, default_value_t = 32)]
        connections: u64,
    },
    /// Benchmark sealing and opening against age, gpg and OpenSSL, and print the figures.
    BenchFormat {
        /// Size of the test file in MiB.
        #[arg(long, default_value_t = 1024)]
        size_mib: u64,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Run { demo } => run::run(demo),
        Command::Demo => run::run(true),
        Command::Test {
            scale: false,
            filters: _,
        } => test::test(),
        Command::Test {
            scale: true,
            filters,
        } => test::scale(&filters),
        Command::Web => web::build().map(drop),
        Command::SupplyChain => supply_chain::check(),
        Command::Conformance { seed } => conformance::conformance(seed),
        Command::Clients => clients::generated_clients(),
        Command::Openapi => openapi::write(),
        Command::Fuzz { seconds } => fuzz::fuzz(seconds),
        Command::BenchFormat { size_mib } => bench_format::bench_format(size_mib),
        Command::BenchPlayback {
            seconds,
            connections,
        } => bench_playback::bench_playback(&bench_playback::Options {
            seconds,
            connections,
        }),
        Command::BenchLoad {
            seconds,
            players,
            recorders,
            local_store,
        } => bench_load::bench_load(&bench_load::Options {
            seconds,
            players,
            recorders,
            local_store,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error:#}");
            ExitCode::FAILURE
        }
    }
}
