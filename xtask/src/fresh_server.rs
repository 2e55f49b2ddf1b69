//! A fresh callvault for a tool from outside to talk to (schemathesis, a generated client): the
//! debug build, a data directory of its own under `target/`, a free port, a random root
//! password, no web app. Stopped when dropped.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::shell;

pub struct FreshServer {
    pub url: String,
    pub root_password: String,
    /// Its working directory: the data directory, and `server.log`.
    pub work: PathBuf,
    binary: PathBuf,
    port: u16,
    environment: Vec<(&'static str, OsString)>,
    process: Option<Child>,
}

impl FreshServer {
    /// Builds the server and prepares `work` (emptied first); [`Self::serve`] starts it.
    pub fn prepare(work: &Path) -> anyhow::Result<Self> {
        let binary = shell::build_server()?;
        if work.exists() {
            std::fs::remove_dir_all(work)?;
        }
        std::fs::create_dir_all(work)?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let root_password = crate::secrets::random_hex(18)?;
        let environment = vec![
            ("CALLVAULT_DATA_DIR", work.join("data").into_os_string()),
            ("CALLVAULT_BIND", format!("127.0.0.1:{port}").into()),
            ("CALLVAULT_ROOT_PASSWORD", root_password.clone().into()),
            (
                "CALLVAULT_WEB_DIR",
                work.join("no-web-app").into_os_string(),
            ),
            ("RUST_LOG", "warn".into()),
        ];
        Ok(Self {
            url: format!("http://127.0.0.1:{port}"),
            root_password,
            work: work.to_owned(),
            binary,
            port,
            environment,
            process: None,
        })
    }

    /// `callvault args…` with the server's settings, to seed it before it serves.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .envs(self.environment.iter().cloned())
            .current_dir(&self.work);
        command
    }

    /// Starts serving, logging to `server.log`, and waits until it answers.
    pub fn serve(&mut self) -> anyhow::Result<()> {
        let log = std::fs::File::create(self.work.join("server.log"))?;
        self.process = Some(
            self.command(&["serve"])
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .context("starting the server")?,
        );
        self.wait_until_up()
    }

    /// Until `GET /healthz` answers 200, for at most a minute.
    fn wait_until_up(&self) -> anyhow::Result<()> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            let answered = TcpStream::connect(("127.0.0.1", self.port)).and_then(|mut stream| {
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
        bail!("the server did not come up on port {}", self.port)
    }
}

impl Drop for FreshServer {
    fn drop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }
}

/// Runs `command`; on failure, shows what it printed to standard error.
pub fn quietly(command: &mut Command) -> anyhow::Result<()> {
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
