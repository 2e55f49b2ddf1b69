//! What may enter the dependency tree: cargo-deny over licences, bans and sources (and
//! advisories, from a local copy of the RustSec database when there is one), and no `rsa`
//! crate in the server's tree, whose RSA is not constant-time.

use std::path::PathBuf;

use anyhow::{Context, bail};

use crate::shell;

pub fn check() -> anyhow::Result<()> {
    if !shell::succeeds(shell::cargo().args(["deny", "--version"])) {
        eprintln!("xtask: installing cargo-deny, once");
        shell::run(shell::cargo().args(["install", "cargo-deny", "--locked"]))?;
    }
    shell::run(shell::cargo().args(["deny", "check", "licenses", "bans", "sources"]))?;
    match local_advisory_database() {
        Some(_) => {
            shell::run(shell::cargo().args(["deny", "check", "--disable-fetch", "advisories"]))?
        }
        None => eprintln!(
            "xtask: advisories not checked: no local RustSec database (run `cargo deny fetch` where GitHub is reachable)"
        ),
    }
    server_holds_no_rsa()
}

fn local_advisory_database() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))?;
    let databases = home.join("advisory-dbs");
    std::fs::read_dir(&databases)
        .ok()?
        .next()
        .is_some()
        .then_some(databases)
}

fn server_holds_no_rsa() -> anyhow::Result<()> {
    let output = shell::cargo()
        .args([
            "tree",
            "--package",
            "callvault-backend",
            "--edges",
            "normal",
            "--prefix",
            "none",
        ])
        .output()
        .context("cargo tree")?;
    if !output.status.success() {
        bail!(
            "cargo tree failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let tree = String::from_utf8_lossy(&output.stdout);
    if tree.lines().any(|line| line.starts_with("rsa v")) {
        bail!(
            "the server's dependency tree holds the rsa crate: `cargo tree -p callvault-backend -i rsa` shows why"
        );
    }
    eprintln!("xtask: the server's dependency tree holds no rsa crate");
    Ok(())
}
