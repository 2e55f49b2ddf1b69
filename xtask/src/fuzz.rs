//! `cargo xtask fuzz`: libFuzzer over sealed-file parsing and opening (`fuzz/`), with the
//! nightly toolchain cargo-fuzz needs, installing cargo-fuzz when it is missing.

use std::process::Command;

use anyhow::Context;

use crate::shell;

const TARGET: &str = "open_sealed";

pub fn fuzz(seconds: u64) -> anyhow::Result<()> {
    if !shell::succeeds(nightly_cargo().args(["fuzz", "--version"])) {
        shell::run(Command::new("cargo").args(["install", "cargo-fuzz"]))
            .context("cargo-fuzz is missing and could not be installed")?;
    }
    let dir = shell::root().join("fuzz");
    let corpus = dir.join("corpus").join(TARGET);
    std::fs::create_dir_all(&corpus)?;
    for seed in std::fs::read_dir(dir.join("seeds").join(TARGET))? {
        let seed = seed?;
        std::fs::copy(seed.path(), corpus.join(seed.file_name()))?;
    }
    shell::run(
        nightly_cargo()
            .current_dir(&dir)
            .args(["fuzz", "run", TARGET])
            .arg(&corpus)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-max_len=70000"),
    )
}

/// `cargo +nightly`, free of the stable toolchain that `cargo xtask` pinned for itself.
fn nightly_cargo() -> Command {
    let mut command = Command::new("cargo");
    command
        .arg("+nightly")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO")
        .env_remove("RUSTC");
    command
}
