//! Installing Debian's packages the build helper needs, quietly: one line saying what and
//! why, apt's own output in a log file, and that file's path if apt fails.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};

use crate::shell;

/// apt's output, kept for when an install fails.
pub fn log_path() -> PathBuf {
    shell::root().join("target/xtask/apt.log")
}

/// Installs `packages`, which the helper needs `why`.
pub fn install(packages: &[&str], why: &str) -> anyhow::Result<()> {
    if !Path::new("/usr/bin/apt-get").exists() {
        bail!(
            "callvault's build helper needs Debian's {} {why} (apt-get install {})",
            packages.join(", "),
            packages.join(" ")
        );
    }
    eprintln!(
        "{}",
        shell::styled(
            "1",
            &format!("xtask: installing {} with apt, {why}", packages.join(", "))
        )
    );
    let log = log_path();
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let started = Instant::now();
    apt(&["update"], &log)?;
    apt(&[&["install", "-y"][..], packages].concat(), &log)?;
    eprintln!(
        "xtask: installed {} in {:.0} s",
        packages.join(", "),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn apt(args: &[&str], log: &Path) -> anyhow::Result<()> {
    let output = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot write {}", log.display()))?;
    let status = Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .arg("-q")
        .args(args)
        .stdin(Stdio::null())
        .stdout(output.try_clone()?)
        .stderr(output)
        .status()
        .context("cannot start apt-get")?;
    if !status.success() {
        bail!(
            "`apt-get {}` failed ({status}); its output is in {}",
            args.join(" "),
            log.display()
        );
    }
    Ok(())
}
