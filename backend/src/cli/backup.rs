//! `callvault backup create` and `callvault backup restore`: the archive format of bulk
//! downloads, for whole tenants or the whole instance, with progress bars. Recordings stored in
//! plaintext are sealed on the fly with the System key: a backup never holds audio anyone could
//! play without a key. A restore opens those with the System key's file (`--key`) and puts
//! them back as they were stored, so the System key never enters a tenant.

use std::path::Path;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use callvault_shared::keys::KeyFile;

use super::key_file::Unlock;
use crate::domain::archive::backup;
use crate::domain::archive::read::{ArchiveError, Destination, Witness, import_archive};
use crate::domain::archive::write::write_archive;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::lease::{self, Held};
use crate::infra::config::{Config, Settings};
use crate::infra::entities::tenant;
use crate::{infra::database, infra::storage};

pub use crate::domain::archive::backup::Scope;

/// The cluster writes one backup at a time: schedules on two hosts may fire together.
const LEASE: &str = "backup";
/// Renewed every third of this while the backup runs; a killed backup frees it this soon.
const LEASE_LENGTH: chrono::Duration = chrono::Duration::minutes(2);

pub async fn create(config_file: Option<&Path>, scope: Scope, output: &Path) -> anyhow::Result<()> {
    let config = Settings::load(config_file)?.validate()?;
    let db = database::open_configured(&config).await?;
    let Some(held) = Held::try_take(&db, LEASE, LEASE_LENGTH).await? else {
        let holder = lease::holder(&db, LEASE)
            .await?
            .map(|held| format!(" ({}, until {})", held.owner, held.expires_at))
            .unwrap_or_default();
        bail!("another backup is running{holder}; try again when it has finished");
    };
    let written = write(&config, &db, scope, output).await;
    held.release().await?;
    written
}

async fn write(
    config: &Config,
    db: &DatabaseConnection,
    scope: Scope,
    output: &Path,
) -> anyhow::Result<()> {
    let store = storage::open(&config.storage).await?;
    let tenants = backup::tenants(db, &scope).await?;
    let (items, total) = backup::items(db, &tenants).await?;
    let count = items.len();
    if count > crate::domain::archive::read::MAX_ENTRIES {
        bail!(
            "{count} recordings are more than one archive holds ({}): back up tenant by tenant",
            crate::domain::archive::read::MAX_ENTRIES
        );
    }

    // The personal metadata (caller, callee, agent, ...) is sealed to the backup's key too.
    let metadata_key = backup::backup_key(db).await?;
    if metadata_key.is_none() && count > 0 {
        bail!(
            "the System account has no active key to seal the backup's metadata with: create the System key first"
        );
    }
    let directory = output
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temporary = tempfile::NamedTempFile::new_in(directory)
        .with_context(|| format!("cannot write in {}", directory.display()))?;
    let bar = progress_bar(total, "backing up");
    let handle = tokio::runtime::Handle::current();
    let (file, progress) = (temporary.reopen()?, bar.clone());
    let manifest = tokio::task::spawn_blocking(move || {
        write_archive(
            &handle,
            &store,
            items,
            metadata_key.as_deref(),
            std::io::BufWriter::new(file),
            |bytes| progress.inc(bytes),
        )
    })
    .await??;
    bar.finish_and_clear();
    temporary.as_file().sync_all()?;
    temporary
        .persist(output)
        .with_context(|| format!("cannot write {}", output.display()))?;
    for tenant in &tenants {
        let in_tenant = manifest
            .recordings
            .iter()
            .filter(|entry| entry.tenant_slug == tenant.slug)
            .count();
        audit::record(
            db,
            AuditEntry::new(tenant.id, &Actor::command_line(), "backup.create")
                .details(serde_json::json!({ "recordings": in_tenant })),
        )
        .await?;
    }
    eprintln!(
        "Backed up {count} recordings of {} tenants into {}.",
        tenants.len(),
        output.display()
    );
    Ok(())
}

pub async fn restore(
    config_file: Option<&Path>,
    input: &Path,
    key_files: &[std::path::PathBuf],
    passphrase_file: Option<&Path>,
) -> anyhow::Result<()> {
    let mut backup_keys = Vec::with_capacity(key_files.len());
    for path in key_files {
        // Reading the file runs argon2/PBKDF2 and RSA parsing: off the executor.
        let (path, passphrase_file) = (path.clone(), passphrase_file.map(Path::to_path_buf));
        let key = tokio::task::spawn_blocking(move || {
            super::key_file::load(&path, Unlock::Passphrase(passphrase_file.as_deref()))
                .map(|key| (path, key))
        })
        .await??;
        match key {
            (_, KeyFile::Private(key)) => backup_keys.push(key),
            (path, _) => bail!(
                "{} holds a public key only: opening the backup's recordings needs the private key",
                path.display()
            ),
        }
    }
    let config = Settings::load(config_file)?.validate()?;
    let db = database::open_configured(&config).await?;
    let store = storage::open(&config.storage).await?;
    let file =
        std::fs::File::open(input).with_context(|| format!("cannot read {}", input.display()))?;
    let bar = progress_bar(file.metadata()?.len(), "restoring");
    // The restore is recorded in the System tenant's log, in the transaction that registers it.
    let witness = tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(tenant::SYSTEM_SLUG))
        .one(&db)
        .await?
        .map(|system| Witness {
            log_tenant_id: system.id,
            actor: Actor::command_line(),
            action: "backup.restore",
            idempotency: None,
            opened_with: backup_keys
                .iter()
                .map(|key| key.fingerprint().to_hex())
                .collect(),
        });
    let handle = tokio::runtime::Handle::current();
    let (worker_db, progress) = (db.clone(), bar.clone());
    let report = tokio::task::spawn_blocking(move || {
        import_archive(
            &handle,
            &worker_db,
            &store,
            file,
            &Destination::Origin,
            &backup_keys,
            witness.as_ref(),
            |bytes| progress.inc(bytes),
        )
    })
    .await?;
    bar.finish_and_clear();
    let report = match report {
        Ok(report) => report,
        Err(ArchiveError::Invalid(reason)) => bail!(
            "{} is refused: {reason}; nothing was restored",
            input.display()
        ),
        Err(ArchiveError::Failed(error)) => return Err(error),
    };
    eprintln!(
        "Restored {} recordings ({} were here already). {} were not brought back: deleted here before, or past their retention. They play once their keys are imported and granted.",
        report.imported, report.already_present, report.skipped
    );
    Ok(())
}

fn progress_bar(total: u64, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(total).with_message(message);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}
