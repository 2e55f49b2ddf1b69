//! `callvault retention run [--dry-run]`: the expiry job by hand, for an operator who wants to
//! see what goes before it goes (the server runs it by itself every ten minutes).

use std::path::Path;

use chrono::Utc;

use crate::domain::retention::expiry;
use crate::infra::config::Settings;
use crate::{infra::database, infra::storage};

pub async fn run(config_file: Option<&Path>, dry_run: bool) -> anyhow::Result<()> {
    let config = Settings::load(config_file)?.validate()?;
    let db = database::open_configured(&config).await?;
    let store = storage::open(&config.storage).await?;
    let report = expiry::run(&db, &store, Utc::now(), dry_run, usize::MAX).await?;
    let verb = if dry_run { "would delete" } else { "deleted" };
    for expired in &report.expired {
        eprintln!(
            "{verb}: recording {} of tenant {} ({} bytes, sha256 {}), kept {} days, expired {}",
            expired.recording_id,
            expired.tenant_id,
            expired.size_bytes,
            expired.sha256,
            expired.keep_days,
            expired.expired_at.format("%Y-%m-%d %H:%M UTC"),
        );
    }
    let counted = if dry_run {
        "would be deleted"
    } else {
        "deleted"
    };
    eprintln!(
        "{} recordings {counted}; {} expired but held; {} could not be deleted now",
        report.expired.len(),
        report.held,
        report.failed
    );
    if report.stopped {
        anyhow::bail!(
            "stopped after {} failures in a row (is the store or the database down?); the next run goes on",
            expiry::FAILURES_IN_A_ROW
        );
    }
    if report.failed > 0 {
        anyhow::bail!(
            "{} expired recordings are left for the next run",
            report.failed
        );
    }
    Ok(())
}
