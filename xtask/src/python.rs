//! Python tools from PyPI, each in a virtual environment of its own under `target/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use crate::shell;

/// A virtual environment at `dir` holding what `requirements` pins, installed once and again
/// whenever the file changes. Returns `dir`.
pub fn venv(dir: &Path, requirements: &Path) -> anyhow::Result<PathBuf> {
    let installed = dir.join("installed-requirements.txt");
    let wanted = std::fs::read_to_string(requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    if std::fs::read_to_string(&installed).ok().as_deref() == Some(&wanted) {
        return Ok(dir.to_owned());
    }
    shell::run(Command::new("python3").args(["-m", "venv"]).arg(dir))
        .context("needs python3 with venv")?;
    shell::run(
        Command::new(dir.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(requirements),
    )?;
    std::fs::write(installed, wanted)?;
    Ok(dir.to_owned())
}
