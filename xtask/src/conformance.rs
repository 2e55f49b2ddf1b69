//! API conformance: schemathesis (from PyPI), a tool nobody here wrote, against a real server
//! over every operation of the published OpenAPI document. It fails on a server error, an
//! answer the document does not describe, an invalid request the server accepts, or a
//! request without credentials that is not refused.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

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

/// Stops the server however the run ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn conformance(seed: Option<u64>) -> anyhow::Result<()> {
    let root = shell::root();
    let st = schemathesis(&root)?;
    let binary = shell::build_server()?;
    let work = root.join("target/conformance/run");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let url = format!("http://127.0.0.1:{port}");
    let password = crate::secrets::random_hex(18)?;
    let environment = [
        ("CALLVAULT_DATA_DIR", work.join("data").into_os_string()),
        ("CALLVAULT_BIND", format!("127.0.0.1:{port}").into()),
        (
            "CALLVAULT_ROOT_PASSWORD",
            crate::secrets::random_hex(18)?.into(),
        ),
        (
            "CALLVAULT_WEB_DIR",
            work.join("no-web-app").into_os_string(),
        ),
        ("RUST_LOG", "warn".into()),
    ];
    let callvault = |args: &[&str]| {
        let mut command = Command::new(&binary);
        command
            .args(args)
            .envs(environment.clone())
            .current_dir(&work);
        command
    };

    // A tenant with users, a key, encryption on and recordings; and the run's own user.
    quietly(callvault(&["demo"]).stdout(Stdio::null())).context("seeding the demo tenant")?;
    let password_file = work.join("password");
    std::fs::write(&password_file, format!("{password}\n"))?;
    quietly(
        callvault(&["admin", "create-user", "--username", USER, "--role", "root"])
            .arg("--password-file")
            .arg(&password_file),
    )
    .context("creating the run's user")?;

    let log = std::fs::File::create(work.join("server.log"))?;
    let _server = Server(
        callvault(&["serve"])
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting the server")?,
    );
    wait_until_up(port)?;

    let mut run = Command::new(st);
    run.current_dir(&root)
        .env("CALLVAULT_URL", &url)
        .env("CALLVAULT_USER", USER)
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
    let venv = root.join("target/conformance/venv");
    let st = venv.join("bin/st");
    let requirements = root.join("conformance/requirements.txt");
    let installed = venv.join("installed-requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)?;
    if st.is_file() && std::fs::read_to_string(&installed).ok().as_deref() == Some(&wanted) {
        return Ok(st);
    }
    shell::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
        .context("the conformance run needs python3 with venv")?;
    shell::run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements),
    )?;
    std::fs::write(installed, wanted)?;
    Ok(st)
}

/// Runs `command`; on failure, shows what it printed to standard error.
fn quietly(command: &mut Command) -> anyhow::Result<()> {
    let output = command.stderr(Stdio::piped()).output()?;
    if !output.status.success() {
        bail!(
            "{} failed: {}",
            command.get_program().to_string_lossy(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Until `GET /healthz` answers 200, for at most a minute.
fn wait_until_up(port: u16) -> anyhow::Result<()> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        let answered = TcpStream::connect(("127.0.0.1", port)).and_then(|mut stream| {
            stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
            let mut head = [0u8; 12];
            stream.read_exact(&mut head)?;
            Ok(head.ends_with(b"200"))
        });
        if answered.unwrap_or(false) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("the server did not come up on port {port}")
}
