//! The `callvault` binary as an operator runs it.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{ROOT_PASSWORD, TestDatabase};

const CALLVAULT: &str = env!("CARGO_BIN_EXE_callvault");

fn callvault_serve(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(CALLVAULT);
    command
        .arg("serve")
        .env_clear()
        .env("CALLVAULT_DATA_DIR", data_dir)
        .env("CALLVAULT_WEB_DIR", data_dir.join("web"))
        .env("CALLVAULT_ROOT_PASSWORD", ROOT_PASSWORD)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[test]
fn an_unparsable_bind_address_stops_the_server_with_one_line_naming_it() {
    let data_dir = tempfile::tempdir().expect("temporary directory");

    let output = callvault_serve(data_dir.path())
        .env("CALLVAULT_BIND", "not-an-address")
        .output()
        .expect("runs");

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: CALLVAULT_BIND: \"not-an-address\""),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unknown_setting_in_the_config_file_is_refused() {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let file = data_dir.path().join("callvault.toml");
    std::fs::write(&file, "bnd = \"127.0.0.1:9\"\n").expect("written");

    let output = callvault_serve(data_dir.path())
        .arg("--config")
        .arg(&file)
        .output()
        .expect("runs");

    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("error: configuration: "), "{stderr}");
    assert!(stderr.contains("bnd"), "{stderr}");
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully() {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let database = TestDatabase::create(data_dir.path()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let mut server = callvault_serve(data_dir.path())
        .env("CALLVAULT_BIND", format!("127.0.0.1:{port}"))
        .env("CALLVAULT_DATABASE_URL", &database.url)
        .spawn()
        .expect("starts");

    let health = format!("http://127.0.0.1:{port}/healthz");
    let mut up = false;
    for _ in 0..100 {
        if reqwest::get(&health).await.is_ok_and(|r| r.status() == 200) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "the server answered /healthz");

    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let status = tokio::task::spawn_blocking(move || server.wait())
        .await
        .expect("joined")
        .expect("waited");
    assert!(status.success(), "exit status after SIGTERM: {status}");
}
