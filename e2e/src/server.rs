use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::Context;
use tempfile::TempDir;

use crate::process::{KillOnDrop, free_port, wait_until_up};

pub const ROOT_PASSWORD: &str = "an end-to-end root password";

/// The `callvault` binary, serving the built web app, with SQLite and objects in a fresh
/// temporary directory.
pub struct Server {
    pub url: String,
    /// The binary, for its command line against the same data.
    binary: Option<PathBuf>,
    /// A recorder in front of the server, when the browser goes through one.
    proxy: Option<std::sync::Arc<crate::RecordingProxy>>,
    _process: Option<KillOnDrop>,
    _data_dir: Option<TempDir>,
}

impl Server {
    pub async fn start() -> anyhow::Result<Self> {
        let binary = from_env("CALLVAULT_E2E_SERVER")?;
        let web_dir = from_env("CALLVAULT_E2E_WEB_DIR")?;
        anyhow::ensure!(
            web_dir.join("index.html").is_file(),
            "{} holds no built web app: run `cargo xtask web`",
            web_dir.display()
        );
        let data_dir = tempfile::tempdir()?;
        let port = free_port()?;
        let child = Command::new(&binary)
            .arg("serve")
            .env("CALLVAULT_BIND", format!("127.0.0.1:{port}"))
            .env("CALLVAULT_DATA_DIR", data_dir.path())
            .env("CALLVAULT_WEB_DIR", &web_dir)
            .env("CALLVAULT_ROOT_PASSWORD", ROOT_PASSWORD)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut process = KillOnDrop(child);
        let url = format!("http://127.0.0.1:{port}");
        wait_until_up(&format!("{url}/healthz"), &mut process)
            .await
            .context("the callvault server did not come up")?;
        Ok(Self {
            url,
            binary: Some(binary),
            proxy: None,
            _process: Some(process),
            _data_dir: Some(data_dir),
        })
    }

    /// The server as seen through `proxy`: the steps use its address, the proxy records.
    pub fn at(proxy: &std::sync::Arc<crate::RecordingProxy>) -> Self {
        Self {
            url: proxy.url.clone(),
            binary: None,
            proxy: Some(proxy.clone()),
            _process: None,
            _data_dir: None,
        }
    }

    /// Runs the command line with `args` on the server's data (an operator at its console),
    /// and returns what it said.
    pub fn command_line(&self, args: &[&str]) -> anyhow::Result<String> {
        let (Some(binary), Some(data_dir)) = (&self.binary, &self._data_dir) else {
            anyhow::bail!("a server seen through a proxy has no command line here");
        };
        let output = Command::new(binary)
            .args(args)
            .env("CALLVAULT_DATA_DIR", data_dir.path())
            .stdin(Stdio::null())
            .output()?;
        let said = String::from_utf8_lossy(&output.stderr).into_owned();
        anyhow::ensure!(output.status.success(), "{args:?} failed: {said}");
        Ok(said)
    }

    /// What the recorder in front of this server saw.
    pub fn traffic(&self) -> Vec<u8> {
        self.proxy
            .as_ref()
            .map(|proxy| proxy.traffic())
            .unwrap_or_default()
    }
}

fn from_env(name: &str) -> anyhow::Result<PathBuf> {
    std::env::var_os(name).map(PathBuf::from).with_context(|| {
        format!("{name} is not set: run the browser tests with `cargo xtask test`")
    })
}
