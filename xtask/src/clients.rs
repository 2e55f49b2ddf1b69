//! Generated clients: the proof that integrators can feed `openapi/openapi.json` to the
//! generators they use and get a working client. Python: openapi-python-client (pinned in
//! `clients/python/requirements.txt`, configured by `clients/python/config.yml`) generates a
//! client, and `clients/python/journey.py` goes through an integrator's journey with it against
//! a fresh server. TypeScript: openapi-typescript (pinned in `clients/typescript/package.json`
//! and its lock file) generates the types, and `tsc` checks `clients/typescript/journey.ts`
//! against them.

use std::path::Path;
use std::process::Command;

use anyhow::Context;

use crate::fresh_server::FreshServer;
use crate::shell;

const NODE: &str = "/usr/bin/node";
const NPM: &str = "/usr/bin/npm";

/// `axe-core` (pinned in `e2e/axe/package.json` and its lock file), installed for the
/// browser tests to inject into pages: the path of its script.
pub fn axe_core() -> anyhow::Result<std::path::PathBuf> {
    let work = npm_install(&shell::root(), "e2e/axe", &[])?;
    Ok(work.join("node_modules/axe-core/axe.min.js"))
}

/// `npm ci` of the package in `dir` (with `extra` files beside its manifest and lock), in a
/// copy under `target/` so that `node_modules` never lands in the tree: the copy's path.
fn npm_install(root: &Path, dir: &str, extra: &[&str]) -> anyhow::Result<std::path::PathBuf> {
    crate::test::ensure_packages(
        &[(NODE, "nodejs"), (NPM, "npm")],
        "to type-check the generated TypeScript client",
    )?;
    let sources = root.join(dir);
    let work = root.join("target").join(dir);
    std::fs::create_dir_all(&work)?;
    for file in ["package.json", "package-lock.json"].iter().chain(extra) {
        std::fs::copy(sources.join(file), work.join(file))
            .with_context(|| format!("copying {dir}/{file}"))?;
    }
    shell::run(
        Command::new(NPM)
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&work),
    )?;
    Ok(work)
}

pub fn generated_clients() -> anyhow::Result<()> {
    let root = shell::root();
    python(&root).context("the generated Python client")?;
    typescript(&root).context("the generated TypeScript types")
}

fn python(root: &Path) -> anyhow::Result<()> {
    let sources = root.join("clients/python");
    let work = root.join("target/clients/python");
    let venv = crate::python::venv(&work.join("venv"), &sources.join("requirements.txt"))?;
    let generated = work.join("generated");
    shell::run(
        Command::new(venv.join("bin/openapi-python-client"))
            .arg("generate")
            .arg("--path")
            .arg(root.join("openapi/openapi.json"))
            .arg("--config")
            .arg(sources.join("config.yml"))
            .arg("--output-path")
            .arg(&generated)
            .args(["--overwrite", "--fail-on-warning"]),
    )?;
    let mut server = FreshServer::prepare(&work.join("server"))?;
    server.serve()?;
    shell::run(
        Command::new(venv.join("bin/python"))
            .arg(sources.join("journey.py"))
            .env("PYTHONPATH", &generated)
            .env("CALLVAULT_URL", &server.url)
            .env("CALLVAULT_ROOT_PASSWORD", &server.root_password),
    )
    .with_context(|| {
        format!(
            "the journey failed; the server's log is {}",
            server.work.join("server.log").display()
        )
    })
}

fn typescript(root: &Path) -> anyhow::Result<()> {
    let work = npm_install(
        root,
        "clients/typescript",
        &["generate.mjs", "tsconfig.json", "journey.ts"],
    )?;
    shell::run(
        Command::new(NODE)
            .arg("generate.mjs")
            .arg(root.join("openapi/openapi.json"))
            .arg("schema.d.ts")
            .current_dir(&work),
    )?;
    shell::run(
        Command::new(NODE)
            .args(["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"])
            .current_dir(&work),
    )
}
