//! A database server and an object store that a fault test owns, so that it can stop and start
//! them under a running callvault without disturbing the tests around it.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// A PostgreSQL server in a temporary directory, on a port of its own.
pub struct PostgresServer {
    bin: PathBuf,
    dir: TempDir,
    port: u16,
}

impl PostgresServer {
    /// Creates a cluster with Debian's newest PostgreSQL binaries and starts it.
    pub fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's server binaries (Debian: postgresql) are installed")
            .flatten()
            .map(|version| version.path().join("bin"))
            .filter(|bin| bin.join("initdb").is_file())
            .max()
            .expect("an initdb under /usr/lib/postgresql");
        let dir = tempfile::tempdir().expect("temporary directory");
        if running_as_root() {
            // PostgreSQL refuses to run as root; its own account owns the cluster instead.
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres:postgres")
                .arg(dir.path()));
        }
        let server = Self {
            bin,
            port: free_port(),
            dir,
        };
        run(server
            .as_owner("initdb")
            .arg("--pgdata")
            .arg(server.data())
            .args(["--auth=trust", "--username=postgres", "--no-sync"]));
        server.resume();
        server
    }

    /// An admin URL, for [`crate::helpers::TestDatabase::create_on`].
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server the way a crash or a pulled cable would: at once, without a
    /// checkpoint, every connection cut.
    pub fn stop(&self) {
        run(self
            .as_owner("pg_ctl")
            .arg("stop")
            .arg("--pgdata")
            .arg(self.data())
            .args(["--mode=immediate", "--wait"]));
    }

    /// Starts it again on the same port and data, and waits until it accepts connections.
    pub fn resume(&self) {
        run(self
            .as_owner("pg_ctl")
            .arg("start")
            .arg("--pgdata")
            .arg(self.data())
            .arg("--log")
            .arg(self.dir.path().join("postgres.log"))
            .arg("--options")
            .arg(format!(
                "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={}",
                self.port,
                self.dir.path().display()
            ))
            .arg("--wait"));
        wait_for_port(self.port);
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn as_owner(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let _ = self
            .as_owner("pg_ctl")
            .arg("stop")
            .arg("--pgdata")
            .arg(self.data())
            .args(["--mode=immediate", "--wait"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The second Garage that `cargo xtask test --scale` prepares for outage tests: a bucket and the
/// profile's access key, on a node that is not running until a test starts it.
pub struct GarageServer {
    binary: PathBuf,
    config: PathBuf,
    port: u16,
    /// Its bucket, as a `CALLVAULT_STORAGE_URL`.
    pub storage_url: String,
    process: Option<Child>,
}

pub const GARAGE_BIN_VAR: &str = "CALLVAULT_TEST_GARAGE_BIN";
pub const OUTAGE_GARAGE_CONFIG_VAR: &str = "CALLVAULT_TEST_OUTAGE_GARAGE_CONFIG";
pub const OUTAGE_S3_URL_VAR: &str = "CALLVAULT_TEST_OUTAGE_S3_URL";

impl GarageServer {
    pub fn start() -> Self {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!("{name} is unset: outage tests run in `cargo xtask test --scale`")
            })
        };
        let storage_url = var(OUTAGE_S3_URL_VAR);
        let port = storage_url
            .split("endpoint=http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split(['&', '/']).next())
            .and_then(|port| port.parse().ok())
            .expect("the outage store's URL names its port");
        let mut garage = Self {
            binary: var(GARAGE_BIN_VAR).into(),
            config: var(OUTAGE_GARAGE_CONFIG_VAR).into(),
            port,
            storage_url,
            process: None,
        };
        garage.resume();
        garage
    }

    /// Kills the node: the store stops answering at once.
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill().expect("Garage killed");
            process.wait().expect("Garage reaped");
        }
    }

    /// Starts the node again on its data, and waits until its S3 port accepts connections.
    pub fn resume(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.config.with_file_name("garage.log"))
            .expect("Garage's log");
        let process = Command::new(&self.binary)
            .arg("-c")
            .arg(&self.config)
            .arg("server")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("Garage starts");
        self.process = Some(process);
        wait_for_port(self.port);
    }
}

impl Drop for GarageServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn running_as_root() -> bool {
    Path::new("/proc/self")
        .metadata()
        .map(|meta| std::os::unix::fs::MetadataExt::uid(&meta) == 0)
        .unwrap_or(false)
}

fn run(command: &mut Command) {
    let output = command.output().expect("the command runs");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn wait_for_port(port: u16) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "nothing listens on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
