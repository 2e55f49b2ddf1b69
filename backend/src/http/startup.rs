//! `Application::build` turns a checked configuration into a bound, ready-to-run server.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, Condition, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::service_config::ServiceConfig;

use std::sync::Arc;

use crate::domain::access_cache::AccessCache;
use crate::domain::auth::token::TokenSigner;
use crate::domain::auth::{self, Auth};
use crate::domain::bootstrap::{self, FirstStart};
use crate::domain::recordings::playback_log::PlaybackLog;
use crate::http::api_docs;
use crate::http::metrics_endpoint::MetricsServer;
use crate::http::openapi;
use crate::http::request_span::RequestSpan;
use crate::http::route_table::RouteTable;
use crate::http::state::{AppState, Limits};
use crate::infra::commit_lane::CommitLane;
use crate::infra::config::{BIND, Config, ConfigError, DATA_DIR};
use crate::{http::routes, http::web_app, infra::audit_key, infra::database, infra::storage};

/// What an answer's body gathers before it is written to the socket. With actix's 32 KiB a
/// sealed seek's 64 KiB, a slice per chunk, went out in two or three writes, each waking the
/// client; now it is one write, as nginx sends it, and a download writes a whole piece. The
/// buffer already grew to that for a recording stored in plaintext, whose piece is one slice
/// of 256 KiB, so no connection holds more than before.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;

pub struct Application {
    port: u16,
    server: Server,
    first_start: FirstStart,
    /// Written out when the server stops.
    playbacks: Arc<PlaybackLog>,
    db: sea_orm::DatabaseConnection,
    metrics: Option<MetricsServer>,
}

impl Application {
    /// Checks the data directory, opens storage and database (migrating it), creates the
    /// System account on the first start, and binds the listener. Port 0 picks a free port.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        prepare_data_dir(&config.data_dir)?;
        let mut db = database::open_configured(&config).await?;
        if config.server_timing {
            crate::infra::statement_count::install(&mut db);
        }
        let audit_key = Arc::new(audit_key::load_or_create(&config.audit_signing_key)?);
        tracing::info!(fingerprint = %audit_key.fingerprint(), "audit signing key loaded");
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

        // Before anything counts: without a listener the recorder is never installed, and
        // every count is a no-op.
        let metrics = match config.metrics {
            Some(settings) => Some(MetricsServer::start(
                settings.bind,
                crate::infra::metrics::install(settings.tenant_label),
                db.clone(),
            )?),
            None => None,
        };
        let signing_key = auth::signing_key::load_or_create(&db).await?;
        let auth = Arc::new(Auth {
            policy: config.auth,
            tokens: TokenSigner::new(&signing_key, config.auth.access_token_lifetime)?,
            devices: auth::device::DeviceCookies::new(&signing_key),
        });
        // A bucket's unfinished multipart uploads are its lifecycle rules' business (README).
        let local_root = match &config.storage {
            crate::infra::config::StorageLocation::Directory(dir) => Some(dir.clone()),
            crate::infra::config::StorageLocation::S3(_) => None,
        };
        crate::domain::recordings::sweeper::spawn(db.clone(), store.clone(), local_root);
        crate::domain::retention::expiry::spawn(db.clone(), store.clone());
        // Sealing a tenant's plaintext needs no key from anyone: an instance that died in it
        // left the rest to whichever starts next.
        crate::domain::jobs::seal_plaintext::resume(crate::domain::jobs::Handles {
            db: db.clone(),
            store: store.clone(),
        });
        let limits = Limits {
            max_upload_bytes: config.max_upload_bytes,
            upload_idle: config.upload_idle,
        };
        let access = Arc::new(AccessCache::default());
        access
            .sync(&db)
            .await
            .context("cannot read the access epoch")?;
        let lane = CommitLane::start(&db, &config.database_url, config.server_timing)
            .await
            .context("cannot start the commit lane")?;
        access.spawn_poller(&lane);
        let playbacks = Arc::new(PlaybackLog::new(config.playback_idle));
        playbacks.spawn_closer(&lane);
        let reads =
            storage::RangeReads::new(store.clone(), &config.storage, config.playback_cache_bytes)?;
        let state = web::Data::new(AppState {
            db,
            lane,
            store,
            reads,
            auth,
            limits,
            opened: Arc::default(),
            access,
            playbacks: playbacks.clone(),
            audit_key,
        });
        let db = state.db.clone();
        let server_timing = config.server_timing;
        let web_dir = config.web_dir;
        // Only when clients reach the server over HTTPS (a proxy may terminate TLS before it).
        let strict_transport = config
            .public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"));
        let route_table = web::Data::new(RouteTable::from_document(&openapi::document()));
        let trusted_proxies = web::Data::new(config.trusted_proxies);
        let trust_request_id = config.trust_request_id;
        let server = HttpServer::new(move || {
            let security_headers = web_app::SecurityHeaders::new(strict_transport);
            App::new()
                .wrap(from_fn(crate::http::access_sync::after_changes))
                .wrap(from_fn(
                    crate::http::guards::authenticate_first::require_session,
                ))
                .wrap(Condition::new(
                    server_timing,
                    from_fn(crate::http::server_timing::report_statements),
                ))
                .wrap(Compress::default())
                .wrap(TracingLogger::<RequestSpan>::new())
                .wrap(from_fn(crate::http::access_log::observe))
                .wrap(from_fn(move |request, next| {
                    crate::http::request_id::assign(request, next, trust_request_id)
                }))
                // Last, so outermost: every answer passes it, the middleware's refusals too.
                .wrap_fn(move |request, service| security_headers.apply(request, service))
                .app_data(state.clone())
                .app_data(route_table.clone())
                .app_data(trusted_proxies.clone())
                .service(web::resource("/api/v1/openapi.json").get(openapi::serve))
                .configure(api_docs::configure)
                .configure(|cfg| routes::configure(&mut ServiceConfig::new(cfg)))
                .configure(web_app::configure(&web_dir))
        })
        // An answer's last few bytes go out at once rather than wait for the client's
        // delayed acknowledgement of the ones before (Nagle's algorithm): a seek's body is
        // several slices, and each seek waited 40 ms for it. nginx does the same
        // (`tcp_nodelay on`).
        .on_connect(|connection, _| {
            if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
                let _ = tcp.set_nodelay(true);
            }
        })
        .h1_write_buffer_size(WRITE_BUFFER_BYTES)
        .listen(listener)
        .context("cannot serve on the listener")?
        .run();
        tracing::info!(address = %config.bind.ip(), port, "callvault is listening");
        Ok(Self {
            port,
            server,
            first_start,
            playbacks,
            db,
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, when metrics are served.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|metrics| metrics.port)
    }

    /// What the first start created, for `main` to show the operator once.
    pub fn take_first_start(&mut self) -> FirstStart {
        std::mem::replace(&mut self.first_start, FirstStart::AlreadyDone)
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        // The tallies of playbacks still open, so that a stop loses none.
        self.playbacks.close(&self.db, true).await;
        if let Some(metrics) = &self.metrics {
            metrics.stop().await;
        }
        served
    }
}

/// The data directory holds the database (with the token-signing key) and the audit signing
/// key: it is made readable by its owner only (0700) when this start creates it, and one that
/// already exists and lets its group or others in is named in a warning (it is the operator's
/// directory; the server does not change it). The files in it are the umask's business: the
/// binary sets 077 before anything else (`main`).
fn prepare_data_dir(dir: &std::path::Path) -> Result<(), ConfigError> {
    let problem = |error: std::io::Error| {
        ConfigError::new(
            DATA_DIR,
            format!("{} cannot be written: {error}", dir.display()),
        )
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(problem)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)
            .map_err(problem)?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                dir = %dir.display(),
                mode = format!("{mode:04o}"),
                "the data directory is open to its group or others; it holds the database and \
                 the signing keys: chmod 700 it"
            );
        }
    }
    Ok(())
}
