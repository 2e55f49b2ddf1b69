//! `cargo xtask bench-format`: seals and opens a large file with each crypto implementation and,
//! in the same run on the same file, with `age` and `gpg`; prints throughput, peak memory and
//! ratios, then OpenSSL's own AES-256-GCM speed and RSA unwraps per second beside
//! `openssl speed`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

use crate::shell;

const IMPLEMENTATIONS: [&str; 2] = ["aws-lc", "rustcrypto"];

struct Measurement {
    tool: String,
    operation: &'static str,
    seconds: f64,
    peak_rss_kib: u64,
}

pub fn bench_format(size_mib: u64) -> anyhow::Result<()> {
    ensure_tools()?;
    shell::run(shell::cargo().args([
        "build",
        "--quiet",
        "--release",
        "--package",
        "callvault-shared",
        "--example",
        "format_bench",
    ]))?;
    let bench = shell::root().join("target/release/examples/format_bench");
    let dir = shell::root().join("target/bench-format");
    std::fs::create_dir_all(&dir)?;
    let input = dir.join("input.bin");
    write_input(&input, size_mib)?;
    for bits in [2048, 3072, 4096] {
        let key = dir.join(format!("rsa{bits}.pem"));
        if !key.exists() {
            run_quiet(
                Command::new("openssl")
                    .args(["genpkey", "-algorithm", "RSA", "-pkeyopt"])
                    .arg(format!("rsa_keygen_bits:{bits}"))
                    .arg("-out")
                    .arg(&key),
            )?;
        }
    }
    let private = dir.join("rsa3072.pem");
    let public = dir.join("rsa3072.pub.pem");
    run_quiet(
        Command::new("openssl")
            .args(["pkey", "-pubout", "-in"])
            .arg(&private)
            .arg("-out")
            .arg(&public),
    )?;

    // Timed runs write to /dev/null, so that the figures are of the crypto and not of this
    // machine's disk; the input is read once before, so it comes from the page cache for all.
    // Untimed runs make the files to open, and check that opening gives the input back.
    let null = Path::new("/dev/null");
    let mut results = Vec::new();
    let sealed = dir.join("sealed.cvr");
    let opened = dir.join("opened.bin");
    run_quiet(
        Command::new(&bench)
            .args(["seal", "aws-lc"])
            .arg(&public)
            .arg(&input)
            .arg(&sealed),
    )?;
    for implementation in IMPLEMENTATIONS {
        let tool = format!("callvault {implementation}");
        results.push(measure(
            tool.clone(),
            "seal",
            Command::new(&bench)
                .args(["seal", implementation])
                .arg(&public)
                .arg(&input)
                .arg(null),
        )?);
        results.push(measure(
            tool,
            "open",
            Command::new(&bench)
                .args(["open", implementation])
                .arg(&private)
                .arg(&sealed)
                .arg(null),
        )?);
        run_quiet(
            Command::new(&bench)
                .args(["open", implementation])
                .arg(&private)
                .arg(&sealed)
                .arg(&opened),
        )?;
        ensure_same(&input, &opened)?;
    }
    let age_key = dir.join("age.key");
    if !age_key.exists() {
        run_quiet(Command::new("age-keygen").arg("-o").arg(&age_key))?;
    }
    let recipient = String::from_utf8(
        Command::new("age-keygen")
            .arg("-y")
            .arg(&age_key)
            .output()?
            .stdout,
    )?;
    let aged = dir.join("input.age");
    run_quiet(
        Command::new("age")
            .args(["-r", recipient.trim(), "-o"])
            .arg(&aged)
            .arg(&input),
    )?;
    results.push(measure(
        "age".into(),
        "seal",
        Command::new("age")
            .args(["-r", recipient.trim(), "-o"])
            .arg(null)
            .arg(&input),
    )?);
    results.push(measure(
        "age".into(),
        "open",
        Command::new("age")
            .arg("-d")
            .arg("-i")
            .arg(&age_key)
            .arg("-o")
            .arg(null)
            .arg(&aged),
    )?);
    let gpg_home = dir.join("gnupg");
    std::fs::create_dir_all(&gpg_home)?;
    let gpg = |args: &[&str]| {
        let mut command = Command::new("gpg");
        command
            .arg("--homedir")
            .arg(&gpg_home)
            .args([
                "--batch",
                "--yes",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "bench",
            ])
            .args(args);
        command
    };
    let gpged = dir.join("input.gpg");
    run_quiet(
        gpg(&[
            "--symmetric",
            "--cipher-algo",
            "AES256",
            "--compress-algo",
            "none",
            "-o",
        ])
        .arg(&gpged)
        .arg(&input),
    )?;
    results.push(measure(
        "gpg".into(),
        "seal",
        gpg(&[
            "--symmetric",
            "--cipher-algo",
            "AES256",
            "--compress-algo",
            "none",
            "-o",
        ])
        .arg(null)
        .arg(&input),
    )?);
    results.push(measure(
        "gpg".into(),
        "open",
        gpg(&["-d", "-o"]).arg(null).arg(&gpged),
    )?);

    print_table(&results, size_mib);
    print_openssl_aes()?;
    print_unwraps(&bench, &dir)?;
    Ok(())
}

fn print_table(results: &[Measurement], size_mib: u64) {
    let bytes = (size_mib * 1024 * 1024) as f64;
    let age = |operation: &str| {
        results
            .iter()
            .find(|m| m.tool == "age" && m.operation == operation)
            .map(|m| m.seconds)
    };
    println!(
        "\nSealing and opening {size_mib} MiB, file in the page cache, output to /dev/null (one process each, wall time, 2 cores):\n"
    );
    println!(
        "{:<22} {:<5} {:>9} {:>10} {:>14} {:>9}",
        "tool", "op", "seconds", "MB/s", "peak RSS MiB", "vs age"
    );
    for m in results {
        let ratio =
            age(m.operation).map_or(String::from("-"), |age| format!("{:.2}x", age / m.seconds));
        println!(
            "{:<22} {:<5} {:>9.2} {:>10.0} {:>14.1} {:>9}",
            m.tool,
            m.operation,
            m.seconds,
            bytes / m.seconds / 1e6,
            m.peak_rss_kib as f64 / 1024.0,
            ratio
        );
    }
}

fn print_openssl_aes() -> anyhow::Result<()> {
    let output = Command::new("openssl")
        .args([
            "speed",
            "-evp",
            "aes-256-gcm",
            "-bytes",
            "16384",
            "-seconds",
            "3",
        ])
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    if let Some(line) = text
        .lines()
        .find(|line| line.to_ascii_lowercase().starts_with("aes-256-gcm"))
    {
        let kilobytes: f64 = line
            .split_whitespace()
            .last()
            .unwrap_or("0")
            .trim_end_matches('k')
            .parse()
            .unwrap_or(0.0);
        println!(
            "\nopenssl speed -evp aes-256-gcm, 16 KiB blocks: {:.0} MB/s (one core, AES only, no I/O)",
            kilobytes / 1000.0
        );
    }
    Ok(())
}

fn print_unwraps(bench: &Path, dir: &Path) -> anyhow::Result<()> {
    println!("\nRSA-OAEP-SHA-256 unwraps of a data key per second (one core):\n");
    println!("{:<10} {:>12} {:>12}", "key", "aws-lc-rs", "RustCrypto");
    for bits in [2048, 3072, 4096] {
        let key = dir.join(format!("rsa{bits}.pem"));
        let mut rates = Vec::new();
        for implementation in IMPLEMENTATIONS {
            let output = Command::new(bench)
                .args(["unwraps", implementation])
                .arg(&key)
                .arg("2")
                .output()?;
            anyhow::ensure!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            rates.push(String::from_utf8(output.stdout)?.trim().to_owned());
        }
        println!(
            "{:<10} {:>12} {:>12}",
            format!("RSA-{bits}"),
            rates[0],
            rates[1]
        );
    }
    let output = Command::new("openssl")
        .args(["speed", "-seconds", "2", "rsa2048", "rsa3072", "rsa4096"])
        .output()?;
    println!(
        "\nopenssl speed rsa2048 rsa3072 rsa4096 (private-key operations are the 'sign/s' column):"
    );
    for line in String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains("sign") || line.starts_with("rsa "))
    {
        println!("  {line}");
    }
    Ok(())
}

/// Runs `command` under `/usr/bin/time`, for wall time and peak resident memory.
fn measure(
    tool: String,
    operation: &'static str,
    command: &mut Command,
) -> anyhow::Result<Measurement> {
    let report = tempfile_path("time");
    let mut timed = Command::new("/usr/bin/time");
    timed
        .args(["-f", "%e %M", "-o"])
        .arg(&report)
        .arg(command.get_program())
        .args(command.get_args());
    run_quiet(&mut timed).with_context(|| format!("{tool} {operation}"))?;
    let text = std::fs::read_to_string(&report)?;
    let mut fields = text.split_whitespace();
    let seconds = fields.next().context("time output")?.parse()?;
    let peak_rss_kib = fields.next().context("time output")?.parse()?;
    eprintln!("{tool} {operation}: {seconds} s, {peak_rss_kib} KiB");
    Ok(Measurement {
        tool,
        operation,
        seconds,
        peak_rss_kib,
    })
}

fn tempfile_path(name: &str) -> PathBuf {
    shell::root().join("target/bench-format").join(name)
}

fn run_quiet(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("cannot run {:?}", command.get_program()))?;
    if !output.status.success() {
        bail!(
            "{:?} failed: {}",
            command.get_program(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn write_input(path: &Path, size_mib: u64) -> anyhow::Result<()> {
    if path
        .metadata()
        .is_ok_and(|meta| meta.len() == size_mib * 1024 * 1024)
    {
        return Ok(());
    }
    // Random bytes: nothing in the pipeline may profit from compressible input.
    run_quiet(
        Command::new("head")
            .arg("-c")
            .arg((size_mib * 1024 * 1024).to_string())
            .arg("/dev/urandom")
            .stdout(std::fs::File::create(path)?),
    )
}

fn ensure_same(expected: &Path, actual: &Path) -> anyhow::Result<()> {
    if !shell::succeeds(Command::new("cmp").arg("-s").arg(expected).arg(actual)) {
        bail!("{} does not match {}", actual.display(), expected.display());
    }
    Ok(())
}

/// age and gpg are Debian packages, installed with apt when missing; so is GNU time.
fn ensure_tools() -> anyhow::Result<()> {
    crate::test::ensure_packages(
        &[
            ("/usr/bin/age", "age"),
            ("/usr/bin/gpg", "gnupg"),
            ("/usr/bin/time", "time"),
        ],
        "to measure the format against age and gpg",
    )
}
