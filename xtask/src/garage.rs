//! Garage, a real S3-compatible object store, for the `--scale` test profile: built from
//! crates.io once (`cargo install garage`, about a quarter of an hour on 2 cores) and then
//! taken from `~/.cargo/bin`; started as a single node in a directory of its own, with one
//! bucket and one access key. The outage tests get a second node of their own, with the same
//! key, which they stop and start themselves.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::shell;

const BUCKET: &str = "callvault-tests";
const VERSION: &str = "2.5.0";
const KEY_NAME: &str = "callvault-tests";
const REGION: &str = "garage";

/// A running single-node Garage, stopped on drop.
pub struct Garage {
    server: Child,
    /// The `CALLVAULT_STORAGE_URL` of its bucket.
    pub storage_url: String,
    /// Its configuration file, with which `garage -c … server` starts the node again.
    pub config: PathBuf,
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl Drop for Garage {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// The `garage` binary, installed from crates.io when it is not there yet.
pub fn binary() -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?;
    let installed = home.join("bin/garage");
    if !installed.is_file() {
        eprintln!("xtask: building Garage from crates.io, once (about 15 minutes on 2 cores)");
        shell::run(shell::cargo().args(["install", "garage", "--locked", "--version", VERSION]))?;
    }
    Ok(installed)
}

/// Starts a node in `dir` with a bucket and an access key: a new key, or `key` (id, secret)
/// imported, so that two nodes can take the same credentials.
pub fn start(dir: &Path, key: Option<(&str, &str)>) -> anyhow::Result<Garage> {
    let garage = binary()?;
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let [rpc, s3, admin] = [free_port()?, free_port()?, free_port()?];
    let config = dir.join("garage.toml");
    std::fs::write(
        &config,
        format!(
            "metadata_dir = \"{meta}\"\n\
             data_dir = \"{data}\"\n\
             db_engine = \"sqlite\"\n\
             replication_factor = 1\n\
             rpc_bind_addr = \"127.0.0.1:{rpc}\"\n\
             rpc_public_addr = \"127.0.0.1:{rpc}\"\n\
             rpc_secret = \"{secret}\"\n\
             [s3_api]\n\
             s3_region = \"{REGION}\"\n\
             api_bind_addr = \"127.0.0.1:{s3}\"\n\
             root_domain = \".s3.garage.localhost\"\n\
             [admin]\n\
             api_bind_addr = \"127.0.0.1:{admin}\"\n",
            meta = dir.join("meta").display(),
            data = dir.join("data").display(),
            secret = crate::secrets::random_hex(32)?,
        ),
    )?;
    let log = std::fs::File::create(dir.join("garage.log"))?;
    let server = Command::new(&garage)
        .arg("-c")
        .arg(&config)
        .arg("server")
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .context("starting Garage")?;
    let mut running = Garage {
        server,
        storage_url: format!(
            "s3://{BUCKET}?endpoint=http://127.0.0.1:{s3}&region={REGION}&path_style=true"
        ),
        access_key_id: String::new(),
        secret_access_key: String::new(),
        config: config.clone(),
    };
    let cli = |args: &[&str]| -> anyhow::Result<String> {
        let output = Command::new(&garage)
            .arg("-c")
            .arg(&config)
            .args(args)
            .stdin(Stdio::null())
            .output()?;
        if !output.status.success() {
            bail!(
                "garage {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let started = Instant::now();
    let node = loop {
        match cli(&["node", "id", "-q"]) {
            Ok(id) => break id.trim().split('@').next().unwrap_or_default().to_owned(),
            Err(error) if started.elapsed() > Duration::from_secs(30) => return Err(error),
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    };
    // The node's id is on disk before the server listens for RPC, which the layout needs: on
    // a busy machine the first attempts find nobody there.
    loop {
        match cli(&["layout", "assign", "-z", "dc1", "-c", "1G", &node]) {
            Ok(_) => break,
            Err(error) if started.elapsed() > Duration::from_secs(60) => return Err(error),
            Err(_) => std::thread::sleep(Duration::from_millis(300)),
        }
    }
    cli(&["layout", "apply", "--version", "1"])?;
    cli(&["bucket", "create", BUCKET])?;
    if let Some((id, secret)) = key {
        cli(&["key", "import", "--yes", "-n", KEY_NAME, id, secret])?;
        running.access_key_id = id.to_owned();
        running.secret_access_key = secret.to_owned();
    } else {
        let key = cli(&["key", "create", KEY_NAME])?;
        let field = |name: &str| {
            key.lines()
                .find_map(|line| {
                    line.trim()
                        .strip_prefix(name)
                        .map(|rest| rest.trim().to_owned())
                })
                .with_context(|| format!("no {name:?} in what `garage key create` printed"))
        };
        running.access_key_id = field("Key ID:")?;
        running.secret_access_key = field("Secret key:")?;
    }
    cli(&[
        "bucket", "allow", "--read", "--write", "--owner", BUCKET, "--key", KEY_NAME,
    ])?;
    Ok(running)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
