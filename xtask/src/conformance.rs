//! API conformance: schemathesis (from PyPI), a tool nobody here wrote, against a real server
//! over every operation of the published OpenAPI document. It fails on a server error, an
//! answer the document does not describe, an invalid request the server accepts, or a
//! request without credentials that is not refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

use crate::fresh_server::{FreshServer, quietly};
use crate::shell;

/// The checks that must all pass. `positive_data_acceptance` is left out on purpose (see
/// `conformance/schemathesis.toml`).
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
     response_headers_conformance,response_schema_conformance,negative_data_rejection,\
     ignored_auth,missing_required_header,unsupported_method,use_after_free,\
     ensure_resource_availability";

/// The seed of the run in `cargo xtask test`, so that CI judges the same requests each time;
/// `cargo xtask conformance` without `--seed` explores new ones.
pub const CI_SEED: u64 = 20_261_129;

/// The user the run signs in as: a root administrator made for it, whose name the fuzzer's
/// own login attempts will not lock out.
const USER: &str = "conformance";
/// The user legal holds are asked as: an auditor of the demo tenant, since provider staff may
/// not place or release a tenant's holds.
const HOLDS_USER: &str = "conformance-auditor";

pub fn conformance(seed: Option<u64>) -> anyhow::Result<()> {
    let root = shell::root();
    let st = schemathesis(&root)?;
    let mut server = FreshServer::prepare(&root.join("target/conformance/run"))?;
    let (work, url) = (server.work.clone(), server.url.clone());
    let password = crate::secrets::random_hex(18)?;

    // A tenant with users, a key, encryption on and recordings; and the run's own user.
    quietly(server.command(&["demo"]).stdout(Stdio::null())).context("seeding the demo tenant")?;
    let password_file = work.join("password");
    std::fs::write(&password_file, format!("{password}\n"))?;
    quietly(
        server
            .command(&["admin", "create-user", "--username", USER, "--role", "root"])
            .arg("--password-file")
            .arg(&password_file),
    )
    .context("creating the run's user")?;
    quietly(
        server
            .command(&["admin", "create-user", "--tenant", "demo"])
            .args(["--username", HOLDS_USER, "--role", "auditor"])
            .arg("--password-file")
            .arg(&password_file),
    )
    .context("creating the run's auditor")?;
    server.serve()?;

    let mut run = Command::new(st);
    run.current_dir(&root)
        .env("CALLVAULT_URL", &url)
        .env("CALLVAULT_USER", USER)
        .env("CALLVAULT_HOLDS_USER", HOLDS_USER)
        .env("CALLVAULT_PASSWORD", &password)
        .args(["--config-file", "conformance/schemathesis.toml", "run"])
        .arg(format!("{url}/api/v1/openapi.json"))
        .args(["--url", &url, "--checks", CHECKS])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--max-examples", "50", "--no-shrink"])
        .arg("--report-dir")
        .arg(work.join("report"))
        .args(["--report", "junit"]);
    if let Some(seed) = seed {
        run.args(["--seed", &seed.to_string()]);
    }
    shell::run(&mut run).with_context(|| {
        format!(
            "the API does not conform; the server's log is {}",
            work.join("server.log").display()
        )
    })
}

/// schemathesis in a virtual environment of its own under `target/`, installed from PyPI
/// at the version `conformance/requirements.txt` pins, once.
fn schemathesis(root: &Path) -> anyhow::Result<PathBuf> {
    let venv = crate::python::venv(
        &root.join("target/conformance/venv"),
        &root.join("conformance/requirements.txt"),
    )?;
    Ok(venv.join("bin/st"))
}
