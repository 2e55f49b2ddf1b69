//! What may enter the dependency tree: cargo-deny over licences, bans, sources and advisories,
//! and no `rsa` crate in the server's tree, whose RSA is not constant-time.
//!
//! Advisories come from a snapshot of the RustSec database kept as a git bundle next to the
//! repository (`../shared/advisory-db/advisory-db.bundle`, or `CALLVAULT_ADVISORY_BUNDLE`):
//! these machines reach crates.io, not GitHub, so `cargo deny fetch` cannot run. The bundle is
//! cloned where cargo-deny looks for its database whenever that copy is missing or older, and
//! the check runs offline. Two guards keep an empty verdict honest: the snapshot may be at most
//! [`MAX_SNAPSHOT_AGE_DAYS`] older than the newest change to `Cargo.lock`, and a self-check adds
//! a synthetic advisory to a copy of the database and requires that the check then fails.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};

use crate::shell;

/// Where the snapshot is, relative to the repository root, unless [`BUNDLE_VAR`] names another.
const BUNDLE: &str = "../shared/advisory-db/advisory-db.bundle";
const BUNDLE_VAR: &str = "CALLVAULT_ADVISORY_BUNDLE";
/// The database cargo-deny uses when `deny.toml` names none, and where `cargo deny fetch` gets it.
const DEFAULT_DB_URL: &str = "https://github.com/RustSec/advisory-db";
/// cargo-deny 0.20 keeps that database in `<CARGO_HOME>/advisory-dbs/` under this name (the
/// URL's last segment and its xxHash64). Should a later cargo-deny name it otherwise, the check
/// fails for want of a database and the self-check fails too: neither passes by mistake.
const DEFAULT_DB_DIR: &str = "advisory-db-3157b0e258782691";
/// The snapshot may be this much older than the newest change to `Cargo.lock`.
const MAX_SNAPSHOT_AGE_DAYS: u64 = 180;
/// The self-check's advisory: an id no real advisory has, against a crate in the tree.
const SYNTHETIC_ID: &str = "RUSTSEC-9999-0001";
const SYNTHETIC_CRATE: &str = "itoa";

pub fn check() -> anyhow::Result<()> {
    if !shell::succeeds(shell::cargo().args(["deny", "--version"])) {
        eprintln!("xtask: installing cargo-deny, once");
        shell::run(shell::cargo().args(["install", "cargo-deny", "--locked"]))?;
    }
    shell::run(shell::cargo().args(["deny", "check", "licenses", "bans", "sources"]))?;
    advisories()?;
    server_holds_no_rsa()
}

/// Brings the snapshot in, checks its age, runs the check, and proves the check can fail.
/// Every part runs even when an earlier one failed, so that one run shows every problem.
fn advisories() -> anyhow::Result<()> {
    let bundle = bundle_path()?;
    let database = cargo_home()?.join("advisory-dbs").join(DEFAULT_DB_DIR);
    refresh_database(&bundle, &database)?;

    let snapshot = commit_time(&database, None)
        .with_context(|| format!("reading the snapshot's date in {}", database.display()))?;
    eprintln!(
        "xtask: RustSec advisory database snapshot of {} ({})",
        snapshot.iso,
        database.display()
    );

    let mut problems = Vec::new();
    if let Err(error) = snapshot_is_recent(&snapshot) {
        problems.push(format!("{error:#}"));
    }
    if let Err(error) =
        shell::run(shell::cargo().args(["deny", "--offline", "check", "advisories"]))
    {
        problems.push(format!("{error:#}"));
    }
    match self_check(&database) {
        Ok(()) => eprintln!(
            "xtask: self-check passed: a synthetic advisory ({SYNTHETIC_ID}, {SYNTHETIC_CRATE}) makes the advisory check fail"
        ),
        Err(error) => problems.push(format!("self-check: {error:#}")),
    }
    if !problems.is_empty() {
        bail!("advisories: {}", problems.join("; "));
    }
    Ok(())
}

fn bundle_path() -> anyhow::Result<PathBuf> {
    let (bundle, named_by) = match std::env::var_os(BUNDLE_VAR) {
        Some(path) => (shell::root().join(path), BUNDLE_VAR.to_owned()),
        None => (
            shell::root().join(BUNDLE),
            format!("the default; {BUNDLE_VAR} names another"),
        ),
    };
    if !bundle.is_file() {
        bail!(
            "no RustSec advisory database bundle at {} ({named_by}): the advisories cannot be checked without it",
            bundle.display()
        );
    }
    Ok(std::fs::canonicalize(&bundle).unwrap_or(bundle))
}

/// `$CARGO_HOME`, else `~/.cargo`, as cargo-deny finds it.
fn cargo_home() -> anyhow::Result<PathBuf> {
    if let Some(home) = std::env::var_os("CARGO_HOME").filter(|home| !home.is_empty()) {
        return Ok(shell::root().join(home));
    }
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(|home| PathBuf::from(home).join(".cargo"))
        .context("neither CARGO_HOME nor HOME is set: cannot find cargo-deny's database directory")
}

/// Clones the bundle into `database` when that is missing, broken or older than the bundle. A
/// newer database (a `cargo deny fetch` where GitHub is reachable) is kept.
fn refresh_database(bundle: &Path, database: &Path) -> anyhow::Result<()> {
    let bundle_head = capture(git().args(["bundle", "list-heads"]).arg(bundle).arg("HEAD"))?;
    let bundle_head = bundle_head
        .split_whitespace()
        .next()
        .with_context(|| format!("{} has no HEAD", bundle.display()))?
        .to_owned();
    let current = database
        .join(".git")
        .is_dir()
        .then(|| capture(git().arg("-C").arg(database).args(["rev-parse", "HEAD"])).ok())
        .flatten();
    if current.as_deref().map(str::trim) == Some(bundle_head.as_str()) {
        eprintln!(
            "xtask: the advisory database is the bundle's snapshot ({})",
            bundle.display()
        );
        return Ok(());
    }

    let incoming = database.with_extension("incoming");
    remove_dir(&incoming)?;
    if let Some(parent) = incoming.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    capture(
        git()
            .args(["-c", "init.defaultBranch=main", "clone", "--quiet"])
            .arg(bundle)
            .arg(&incoming),
    )?;
    let offered = commit_time(&incoming, None)?;
    if current.is_some()
        && let Ok(present) = commit_time(database, None)
        && present.seconds >= offered.seconds
    {
        eprintln!(
            "xtask: keeping the advisory database at {}: its snapshot ({}) is not older than the bundle's ({})",
            database.display(),
            present.iso,
            offered.iso
        );
        return remove_dir(&incoming);
    }
    // So that `cargo deny fetch`, where GitHub is reachable, updates this copy from upstream.
    capture(
        git()
            .arg("-C")
            .arg(&incoming)
            .args(["remote", "set-url", "origin", DEFAULT_DB_URL]),
    )?;
    remove_dir(database)?;
    std::fs::rename(&incoming, database)
        .with_context(|| format!("moving {} to {}", incoming.display(), database.display()))?;
    eprintln!(
        "xtask: cloned the advisory database snapshot of {} from {} into {}",
        offered.iso,
        bundle.display(),
        database.display()
    );
    Ok(())
}

/// Fails when the snapshot is more than [`MAX_SNAPSHOT_AGE_DAYS`] older than `Cargo.lock`'s
/// newest change: an old database would find nothing and look like a clean bill.
fn snapshot_is_recent(snapshot: &Time) -> anyhow::Result<()> {
    let (lock, source) = lock_changed()?;
    let behind_days = lock.seconds.saturating_sub(snapshot.seconds) / 86_400;
    eprintln!(
        "xtask: Cargo.lock last changed {} ({source}); the snapshot is {behind_days} days older (at most {MAX_SNAPSHOT_AGE_DAYS})",
        lock.iso
    );
    if behind_days > MAX_SNAPSHOT_AGE_DAYS {
        bail!(
            "the advisory database snapshot of {} is {behind_days} days older than Cargo.lock's last change ({}), more than {MAX_SNAPSHOT_AGE_DAYS}: refresh {} (or run `cargo deny fetch` where GitHub is reachable)",
            snapshot.iso,
            lock.iso,
            BUNDLE
        );
    }
    Ok(())
}

/// When `Cargo.lock` last changed: its last commit, or its modification time when git history is
/// unavailable or the file has uncommitted changes; with which of them it is.
fn lock_changed() -> anyhow::Result<(Time, &'static str)> {
    let root = shell::root();
    let committed = commit_time(&root, Some("Cargo.lock"));
    let dirty =
        capture(
            git()
                .arg("-C")
                .arg(&root)
                .args(["status", "--porcelain", "--", "Cargo.lock"]),
        )
        .is_ok_and(|status| !status.trim().is_empty());
    let source = match committed {
        Ok(time) if !dirty => return Ok((time, "its last commit, git log")),
        Ok(_) => "uncommitted changes: its modification time",
        Err(_) => "no git history: its modification time",
    };
    let path = root.join("Cargo.lock");
    let modified = std::fs::metadata(&path)
        .and_then(|metadata| metadata.modified())
        .with_context(|| format!("reading the modification time of {}", path.display()))?;
    let seconds = modified
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    Ok((
        Time {
            seconds,
            iso: utc_iso(seconds),
        },
        source,
    ))
}

/// Copies the database, adds an advisory against a crate in the tree, and requires that cargo
/// deny, reading that copy through a copy of `deny.toml`, fails and names it.
fn self_check(database: &Path) -> anyhow::Result<()> {
    let root = shell::root();
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    if !lock
        .lines()
        .any(|line| line == format!("name = \"{SYNTHETIC_CRATE}\""))
    {
        bail!(
            "{SYNTHETIC_CRATE} is no longer in Cargo.lock: pick another crate of the tree for SYNTHETIC_CRATE in xtask/src/supply_chain.rs"
        );
    }
    let scratch = std::env::temp_dir().join(format!(
        "callvault-advisory-self-check-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos())
    ));
    let result = run_self_check(&root, database, &scratch);
    let cleaned = remove_dir(&scratch);
    result.and(cleaned)
}

fn run_self_check(root: &Path, database: &Path, scratch: &Path) -> anyhow::Result<()> {
    let databases = scratch.join("advisory-dbs");
    let copy = databases.join(DEFAULT_DB_DIR);
    capture(
        git()
            .args(["clone", "--quiet", "--no-hardlinks"])
            .arg(database)
            .arg(&copy),
    )?;
    let advisory = copy.join("crates").join(SYNTHETIC_CRATE);
    std::fs::create_dir_all(&advisory)?;
    std::fs::write(
        advisory.join(format!("{SYNTHETIC_ID}.md")),
        format!(
            "```toml\n[advisory]\nid = \"{SYNTHETIC_ID}\"\npackage = \"{SYNTHETIC_CRATE}\"\n\
             date = \"2026-01-01\"\nurl = \"https://example.invalid/callvault-self-check\"\n\n\
             [versions]\npatched = []\n```\n\n\
             # Synthetic advisory: callvault's advisory check must fail on it\n\n\
             Not a real advisory: `cargo xtask supply-chain` adds it to a copy of the database.\n"
        ),
    )?;

    let config = std::fs::read_to_string(root.join("deny.toml")).context("reading deny.toml")?;
    if config
        .lines()
        .any(|line| line.trim_start().starts_with("db-path"))
    {
        bail!("deny.toml sets db-path; the self-check sets its own");
    }
    let databases_text = databases.to_str().context("temporary path is not UTF-8")?;
    if databases_text.contains(['\'', '$', '~']) {
        bail!("temporary path {databases_text} cannot be written as a db-path");
    }
    let mut replaced = false;
    let config: String = config
        .lines()
        .map(|line| {
            if line.trim() == "[advisories]" && !replaced {
                replaced = true;
                format!("{line}\ndb-path = '{databases_text}'\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    if !replaced {
        bail!("deny.toml has no [advisories] table");
    }
    let config_path = scratch.join("deny.toml");
    std::fs::write(&config_path, config)?;

    let output = shell::cargo()
        .args(["deny", "--offline", "--color", "never", "--config"])
        .arg(&config_path)
        .args(["check", "advisories"])
        .output()
        .context("cannot start cargo deny")?;
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let named = report.contains(&format!("ID: {SYNTHETIC_ID}"));
    if output.status.success() || !named {
        bail!(
            "the advisory check cannot fail: with a synthetic advisory ({SYNTHETIC_ID}, {SYNTHETIC_CRATE}) in a copy of the database, cargo deny {} and {} it; its output:\n{report}",
            if output.status.success() {
                "passed"
            } else {
                "failed"
            },
            if named { "named" } else { "did not name" },
        );
    }
    Ok(())
}

/// A moment, in seconds since the epoch and as git or we print it.
struct Time {
    seconds: u64,
    iso: String,
}

/// The committer time of the last commit in `repository`, or of the last one to change `path`.
fn commit_time(repository: &Path, path: Option<&str>) -> anyhow::Result<Time> {
    let mut command = git();
    command
        .arg("-C")
        .arg(repository)
        .args(["log", "-1", "--format=%ct %cI"]);
    if let Some(path) = path {
        command.args(["--", path]);
    }
    let output = capture(&mut command)?;
    let (seconds, iso) = output
        .trim()
        .split_once(' ')
        .with_context(|| format!("no commit found in {}", repository.display()))?;
    Ok(Time {
        seconds: seconds.parse().context("commit time")?,
        iso: iso.to_owned(),
    })
}

fn git() -> Command {
    let mut command = Command::new("git");
    command.current_dir(shell::root());
    command
}

/// Runs `command` quietly and returns its standard output, failing with its standard error.
fn capture(command: &mut Command) -> anyhow::Result<String> {
    let shown = format!("{command:?}");
    let output = command
        .output()
        .with_context(|| format!("cannot start {shown}"))?;
    if !output.status.success() {
        bail!(
            "{shown} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn remove_dir(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_dir_all(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(error).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// `seconds` since the epoch as an ISO 8601 UTC time (days to a civil date: Howard Hinnant's
/// algorithm).
fn utc_iso(seconds: u64) -> String {
    let days = i64::try_from(seconds / 86_400).unwrap_or(i64::MAX);
    let of_day = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60
    )
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

#[cfg(test)]
mod tests {
    use super::utc_iso;

    #[test]
    fn utc_iso_formats_civil_dates() {
        assert_eq!(utc_iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_iso(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_iso(1_796_220_183), "2026-12-02T14:03:03Z");
    }
}
