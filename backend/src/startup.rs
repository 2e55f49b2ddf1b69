//! `Application::build` turns a checked configuration into a bound, ready-to-run server.

use std::net::TcpListener;
use std::path::Path;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use std::sync::Arc;

use crate::auth::token::TokenSigner;
use crate::auth::{self, Auth};
use crate::bootstrap::{self, FirstStart};
use crate::config::{BIND, Config, ConfigError, DATA_DIR};
use crate::state::{AppState, Limits};
use crate::{database, routes, storage, web_app};

pub struct Application {
    port: u16,
    server: Server,
    first_start: FirstStart,
}

impl Application {
    /// Checks the data directory, opens storage and database (migrating it), creates the
    /// System account on the first start, and binds the listener. Port 0 picks a free port.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = database::open_configured(&config).await?;
        let store = storage::open(&config.storage).await?;
        let first_start = bootstrap::ensure_system_account(&db, config.root_password)
            .await
            .context("first start: creating the System account failed")?;

        let listener = TcpListener::bind(config.bind).map_err(|error| {
            ConfigError::new(BIND, format!("cannot listen on {}: {error}", config.bind))
        })?;
        let port = listener
            .local_addr()
            .context("listener has no address")?
            .port();

        let signing_key = auth::signing_key::load_or_create(&db).await?;
        let auth = Arc::new(Auth {
            policy: config.auth,
            tokens: TokenSigner::new(&signing_key, config.auth.access_token_lifetime)?,
        });
        // A bucket's unfinished multipart uploads are its lifecycle rules' business (README).
        let local_root = match &config.storage {
            crate::config::StorageLocation::Directory(dir) => Some(dir.clone()),
            crate::config::StorageLocation::S3(_) => None,
        };
        crate::recordings::sweeper::spawn(db.clone(), store.clone(), local_root);
        let limits = Limits {
            max_upload_bytes: config.max_upload_bytes,
            upload_idle: config.upload_idle,
        };
        let state = web::Data::new(AppState {
            db,
            store,
            auth,
            limits,
            opened: Arc::default(),
        });
        let web_dir = config.web_dir;
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(auth::signed_in_first::require_session))
                .wrap(Compress::default())
                .wrap(web_app::security_headers())
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .configure(routes::configure)
                .configure(web_app::configure(&web_dir))
        })
        .listen(listener)
        .context("cannot serve on the listener")?
        .run();
        tracing::info!(address = %config.bind.ip(), port, "callvault is listening");
        Ok(Self {
            port,
            server,
            first_start,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// What the first start created, for `main` to show the operator once.
    pub fn take_first_start(&mut self) -> FirstStart {
        std::mem::replace(&mut self.first_start, FirstStart::AlreadyDone)
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The data directory must exist and take writes; find out now rather than on the first upload.
pub fn ensure_writable(dir: &Path) -> Result<(), ConfigError> {
    let unwritable = |error: std::io::Error| {
        ConfigError::new(
            DATA_DIR,
            format!("{} cannot be written: {error}", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(unwritable)?;
    let probe = dir.join(".callvault-write-test");
    std::fs::write(&probe, b"ok").map_err(unwritable)?;
    std::fs::remove_file(&probe).map_err(unwritable)
}
