//! Structured logs with `tracing`: human-readable text by default, JSON Lines for collectors.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::infra::config::LogFormat;

/// Installs the global subscriber. The filter comes from `RUST_LOG`, else `info`.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // The access log is one event per request (`crate::http::access_log`); spans only give
        // the request's context (route, request id) to what is logged while it runs.
        // Colours for a person at a terminal, none in files and collectors.
        .with_ansi(std::io::stderr().is_terminal());
    // A second call (tests build many apps in one process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
