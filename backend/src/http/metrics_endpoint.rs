//! The Prometheus endpoint, `GET /metrics`, on a listener of its own
//! (`CALLVAULT_METRICS_BIND`): never on the public port, so that only the operator's network
//! reaches it. Gauges of the database (this instance's pool, every instance's jobs) are read
//! at each scrape, the way a collector does; everything else is counted as it happens.

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use metrics::gauge;
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;

use crate::infra::config::{ConfigError, METRICS_BIND};
use crate::infra::database;

/// The text exposition format Prometheus scrapes.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

struct Scrape {
    handle: PrometheusHandle,
    db: DatabaseConnection,
}

pub struct MetricsServer {
    pub port: u16,
    handle: ServerHandle,
}

impl MetricsServer {
    /// Binds `bind` and serves the exposition on one worker until [`MetricsServer::stop`].
    pub fn start(
        bind: SocketAddr,
        handle: PrometheusHandle,
        db: DatabaseConnection,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(bind).map_err(|error| {
            ConfigError::new(METRICS_BIND, format!("cannot listen on {bind}: {error}"))
        })?;
        let port = listener.local_addr().context("no address")?.port();
        let scrape = web::Data::new(Scrape { handle, db });
        let server: Server = HttpServer::new(move || {
            App::new()
                .app_data(scrape.clone())
                .route("/metrics", web::get().to(render))
        })
        .workers(1)
        // The API's server stops this one; it does not listen for signals itself.
        .disable_signals()
        .listen(listener)
        .context("cannot serve metrics on the listener")?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        tracing::info!(address = %bind.ip(), port, "metrics are served at /metrics");
        Ok(Self { port, handle })
    }

    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

async fn render(scrape: web::Data<Scrape>) -> HttpResponse {
    sample_database(&scrape.db).await;
    scrape.handle.run_upkeep();
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(scrape.handle.render())
}

async fn sample_database(db: &DatabaseConnection) {
    if let Some(pool) = database::pool_census(db) {
        gauge!("callvault_db_pool_connections", "state" => "in_use").set(pool.in_use);
        gauge!("callvault_db_pool_connections", "state" => "idle").set(pool.idle);
        gauge!("callvault_db_pool_max_connections").set(pool.max);
    }
    match crate::domain::jobs::census(db).await {
        Ok(census) => {
            for row in census {
                let (kind, state) = (row.kind.as_str(), row.state.as_str());
                gauge!("callvault_jobs", "kind" => kind, "state" => state).set(row.jobs as f64);
                for (progress, items) in [
                    ("done", row.done),
                    ("failed", row.failed),
                    ("total", row.total),
                ] {
                    gauge!(
                        "callvault_job_items",
                        "kind" => kind,
                        "state" => state,
                        "progress" => progress
                    )
                    .set(items.unwrap_or_default() as f64);
                }
            }
        }
        // The scrape still answers with what this instance counted itself.
        Err(error) => {
            tracing::warn!(error = %error, "the jobs could not be counted for the metrics")
        }
    }
}
