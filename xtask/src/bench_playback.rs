//! `cargo xtask bench-playback`: ranged playback from a release `callvault`, plain and sealed,
//! against nginx serving the same plaintext file, on SQLite and on PostgreSQL, measured with
//! wrk. This prepares the tools, the build, a 32 MiB WAV file and wrk's script under
//! `target/bench-playback`; the benchmark (`backend/examples/playback_bench.rs`) starts the
//! servers, seeds them, prints the tables and fails if a callvault run had errors.

use std::path::Path;
use std::process::Command;

use anyhow::bail;

use crate::shell;

pub struct Options {
    pub seconds: u64,
    pub connections: u64,
}

const NGINX: &str = "/usr/sbin/nginx";
/// The WAV file's size, header included.
const WAV_BYTES: usize = 32 * 1024 * 1024;
/// 8 kHz, mono, 16-bit: a telephone call's format.
const SAMPLE_RATE: u32 = 8000;

/// Each request a 64 KiB range from a random offset (not aligned) of the file; answers other
/// than 206 with the 64 KiB asked for are counted and reported as "Unexpected answers".
/// Arguments after the URL: the bearer token, the file's size.
const RANGE_SCRIPT: &str = r#"-- Written by `cargo xtask bench-playback`.
local span = 65536
local token, size
unexpected = 0

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("seed", #threads)
end

function init(args)
   token = args[1]
   size = tonumber(args[2])
   math.randomseed(seed)
end

function request()
   local first = math.random(0, size - span)
   return wrk.format(nil, nil, {
      ["Host"] = wrk.headers["Host"],
      ["Authorization"] = "Bearer " .. token,
      ["Range"] = "bytes=" .. first .. "-" .. (first + span - 1),
   })
end

function response(status, headers, body)
   if status ~= 206 or #body ~= span then
      unexpected = unexpected + 1
   end
end

function done(summary, latency, requests)
   local total = 0
   for _, thread in ipairs(threads) do
      total = total + thread:get("unexpected")
   end
   io.write(string.format("Unexpected answers: %d\n", total))
end
"#;

pub fn bench_playback(options: &Options) -> anyhow::Result<()> {
    if options.seconds == 0 || options.connections == 0 {
        bail!("--seconds and --connections must be at least 1");
    }
    ensure_tools()?;
    shell::run(shell::cargo().args([
        "build",
        "--quiet",
        "--release",
        "--package",
        "callvault-backend",
        "--bin",
        "callvault",
        "--example",
        "playback_bench",
    ]))?;
    let dir = shell::root().join("target/bench-playback");
    std::fs::create_dir_all(&dir)?;
    write_wav(&dir.join("recording.wav"))?;
    std::fs::write(dir.join("range.lua"), RANGE_SCRIPT)?;

    let release = shell::root().join("target/release");
    let mut bench = Command::new(release.join("examples/playback_bench"));
    bench
        .env("CALLVAULT_BENCH_SERVER", release.join("callvault"))
        .env("CALLVAULT_BENCH_DIR", &dir)
        .env("CALLVAULT_BENCH_NGINX", NGINX)
        .env("CALLVAULT_BENCH_SECONDS", options.seconds.to_string())
        .env(
            "CALLVAULT_BENCH_CONNECTIONS",
            options.connections.to_string(),
        )
        .env_remove("CALLVAULT_BENCH_POSTGRES_URL");
    let postgres = crate::test::postgres_url();
    if crate::test::postgres_reachable(&postgres) {
        bench.env("CALLVAULT_BENCH_POSTGRES_URL", postgres);
    } else {
        eprintln!(
            "xtask: no PostgreSQL answers at {postgres} (set CALLVAULT_TEST_POSTGRES_URL to one that does); measuring SQLite only"
        );
    }
    shell::run(&mut bench)
}

/// nginx and wrk are Debian packages, installed with apt when missing.
fn ensure_tools() -> anyhow::Result<()> {
    crate::test::ensure_packages(
        &[(NGINX, "nginx-light"), ("/usr/bin/wrk", "wrk")],
        "to serve the same file as a reference and to drive the load",
    )
}

/// A 32 MiB WAV file (PCM, 16-bit, mono, 8 kHz) of pseudo-random samples, the same at every
/// run.
fn write_wav(path: &Path) -> anyhow::Result<()> {
    const HEADER: usize = 44;
    let data = u32::try_from(WAV_BYTES - HEADER)?;
    let mut wav = Vec::with_capacity(WAV_BYTES);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(data + 36).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16_u32.to_le_bytes()); // fmt chunk size
    wav.extend_from_slice(&1_u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1_u16.to_le_bytes()); // channels
    wav.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    wav.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes()); // bytes per second
    wav.extend_from_slice(&2_u16.to_le_bytes()); // bytes per frame
    wav.extend_from_slice(&16_u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data.to_le_bytes());
    // xorshift64*: deterministic, and incompressible enough that nothing can cheat.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    while wav.len() < WAV_BYTES {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let word = state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
        let room = WAV_BYTES - wav.len();
        wav.extend_from_slice(&word[..room.min(word.len())]);
    }
    std::fs::write(path, wav)?;
    Ok(())
}
