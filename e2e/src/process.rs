use std::net::TcpListener;
use std::process::Child;
use std::time::Duration;

use anyhow::{Context, bail};

/// A child process that is killed when the test is done with it, pass or fail.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Polls `url` until it answers 200, or the child exits, or 30 s pass.
pub async fn wait_until_up(url: &str, child: &mut KillOnDrop) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Some(status) = child.0.try_wait().context("cannot watch the process")? {
            bail!("it exited with {status} before answering {url}");
        }
        if client
            .get(url)
            .send()
            .await
            .is_ok_and(|response| response.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{url} did not answer within 30 s")
}
