//! `callvault check`: the catalogue against the object store, for an operator after a crash,
//! a restore or a disk replaced. Lists every damaged recording; exits 1 if there is one.

use std::path::Path;

use anyhow::bail;

use crate::domain::recordings::check;
use crate::infra::config::Settings;
use crate::{infra::database, infra::storage};

pub async fn run(config_file: Option<&Path>) -> anyhow::Result<()> {
    let config = Settings::load(config_file)?.validate()?;
    let db = database::open_configured(&config).await?;
    let store = storage::open(&config.storage).await?;
    let report = check::check(&db, &store).await?;
    for damage in &report.damaged {
        let found = match damage.found_bytes {
            Some(bytes) => format!("{bytes} of {} bytes stored", damage.expected_bytes),
            None => "its object is missing".to_owned(),
        };
        eprintln!(
            "damaged: recording {} of tenant {}: {found} ({})",
            damage.recording_id, damage.tenant_id, damage.object_key
        );
    }
    if !report.damaged.is_empty() {
        bail!(
            "{} of {} recordings are damaged; restore them from a backup (`callvault backup restore` brings back what is missing)",
            report.damaged.len(),
            report.checked
        );
    }
    eprintln!("checked {} recordings: every one is whole", report.checked);
    Ok(())
}
