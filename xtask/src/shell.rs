//! Running commands from the repository root, with what is run shown first.

use std::io::{BufRead, BufReader, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The repository root: xtask's manifest lives one folder below it.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `cargo` as the one running us, so that the same toolchain builds everything.
pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root());
    command
}

/// Builds the `callvault` binary (debug) and returns its path.
pub fn build_server() -> anyhow::Result<PathBuf> {
    build_binary(&[], "the server (debug)")
}

/// Builds the `callvault` binary with `profile_args` (`--release`, or none for debug) and
/// returns the path cargo reports for it.
pub fn build_binary(profile_args: &[&str], what: &str) -> anyhow::Result<PathBuf> {
    let built = build_with_progress(
        cargo()
            .args([
                "build",
                "--package",
                "callvault-backend",
                "--bin",
                "callvault",
            ])
            .args(profile_args),
        what,
    )?;
    built
        .into_iter()
        .last()
        .context("cargo reported no executable for callvault")
}

/// How often a build's progress line is repeated when no terminal redraws it.
const PROGRESS_EVERY: Duration = Duration::from_secs(30);

/// Runs a `cargo build` that may take minutes with one line of progress, instead of cargo's
/// hundreds of lines (or, quiet, nothing at all): crates compiled so far and the time taken,
/// redrawn in place on a terminal, repeated every 30 s in a log. Warnings and errors print as
/// they always do. Returns the executables built.
pub fn build_with_progress(command: &mut Command, what: &str) -> anyhow::Result<Vec<PathBuf>> {
    command
        .args(["--quiet", "--message-format=json-render-diagnostics"])
        .stdout(Stdio::piped());
    let shown = show(command);
    eprintln!("{}", styled("1", &format!("$ {shown}")));
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start `{shown}`"))?;
    let messages = BufReader::new(child.stdout.take().context("no output")?);
    let terminal = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut reported = Instant::now();
    let mut compiled = 0;
    let mut executables = Vec::new();
    for line in messages.lines() {
        let line = line?;
        // Cargo writes one JSON object per line; only finished crates matter here.
        if !line.starts_with("{\"reason\":\"compiler-artifact\"") {
            continue;
        }
        if line.contains("\"fresh\":false") {
            compiled += 1;
        }
        if let Some(executable) = executable_of(&line) {
            executables.push(executable);
        }
        let progress = format!(
            "xtask: building {what}: {compiled} crates compiled, {} s",
            started.elapsed().as_secs()
        );
        if terminal {
            eprint!("\r\x1b[2K{progress}");
        } else if reported.elapsed() >= PROGRESS_EVERY {
            eprintln!("{progress}");
            reported = Instant::now();
        }
    }
    let status = child.wait()?;
    if terminal {
        eprint!("\r\x1b[2K");
    }
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    eprintln!(
        "xtask: built {what} in {} s ({compiled} crates compiled)",
        started.elapsed().as_secs()
    );
    Ok(executables)
}

/// The `"executable":"…"` of an artefact message (absent or null for libraries).
fn executable_of(message: &str) -> Option<PathBuf> {
    let start = message.find("\"executable\":\"")? + "\"executable\":\"".len();
    let end = start + message[start..].find('"')?;
    Some(PathBuf::from(&message[start..end]))
}

/// Runs `command`, failing with its name when it fails.
pub fn run(command: &mut Command) -> anyhow::Result<()> {
    let shown = show(command);
    eprintln!("{}", styled("1", &format!("$ {shown}")));
    let status = command
        .status()
        .with_context(|| format!("cannot start `{shown}`"))?;
    if !status.success() {
        bail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// Whether `command` runs and succeeds, quietly.
pub fn succeeds(command: &mut Command) -> bool {
    command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn show(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` in an ANSI style (`"1"` bold, `"31"` red, …) when a person is watching; plain in logs.
pub fn styled(code: &str, text: &str) -> String {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}
