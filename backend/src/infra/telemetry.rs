//! Structured logs with `tracing`: human-readable text by default, JSON Lines for collectors.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::infra::config::LogFormat;

/// Installs the global subscriber. The filter comes from `RUST_LOG`, else `info`.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // One line per request as its span closes (method, route, status, time): the access
        // log. Spans carry no bodies and no credentials.
        .with_span_events(FmtSpan::CLOSE)
        // Colours for a person at a terminal, none in files and collectors.
        .with_ansi(std::io::stderr().is_terminal());
    // A second call (tests build many apps in one process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
