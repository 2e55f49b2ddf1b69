//! A TCP forwarder that keeps a copy of every byte between the browser and the server, so
//! that a test can search the whole traffic of a journey (HTTP/1.1 on loopback, in the clear).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub struct RecordingProxy {
    pub url: String,
    traffic: Arc<Mutex<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingProxy {
    /// Listens on a free port and forwards every connection to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let traffic = Arc::new(Mutex::new(Vec::new()));
        let (recorded, upstream) = (traffic.clone(), upstream.to_owned());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (recorded, upstream) = (recorded.clone(), upstream.clone());
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        let (client_read, client_write) = client.into_split();
                        let (server_read, server_write) = server.into_split();
                        tokio::join!(
                            pump(client_read, server_write, recorded.clone()),
                            pump(server_read, client_write, recorded),
                        );
                    }
                });
            }
        });
        Ok(Self { url, traffic, task })
    }

    /// Everything that went through so far, both directions.
    pub fn traffic(&self) -> Vec<u8> {
        self.traffic
            .lock()
            .map(|bytes| bytes.clone())
            .unwrap_or_default()
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    recorded: Arc<Mutex<Vec<u8>>>,
) {
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if let Ok(mut bytes) = recorded.lock() {
            bytes.extend_from_slice(&buffer[..read]);
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
