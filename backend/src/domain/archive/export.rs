//! Bulk download: the recordings a request selects, recorded in the audit log, written as an
//! archive into a stream of pieces while the client reads it.

use std::io::Write;

use bytes::Bytes;
use callvault_shared::api::ExportRequest;
use futures_util::{Stream, stream};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use tokio::sync::mpsc;

use super::channel_writer::ChannelWriter;
use super::write::{Item, write_archive};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::domain::recordings::catalogue;
use crate::domain::tenant_held::refuse_plaintext_to_staff;
use crate::infra::entities::{recording, tenant};
use crate::infra::storage::Store;

/// At most this many recordings per archive download.
pub const MAX_EXPORT: usize = 10_000;

/// The recordings `request` selects in `tenant` (by id, or by a filter), once the export is in
/// the audit log: no record, no archive.
pub async fn select(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    request: ExportRequest,
    provider_staff: bool,
    actor: &Actor,
) -> Result<Vec<Item>, DomainError> {
    let rows = match request {
        ExportRequest {
            ids: Some(ids),
            filter: None,
        } => {
            if ids.is_empty() || ids.len() > MAX_EXPORT {
                return Err(DomainError::Invalid(format!("1 to {MAX_EXPORT} ids")));
            }
            let rows = recording::Entity::find()
                .filter(recording::Column::TenantId.eq(tenant.id))
                .filter(recording::Column::Id.is_in(ids.iter().copied()))
                .order_by_asc(recording::Column::Id)
                .all(db)
                .await?;
            if let Some(missing) = ids.iter().find(|id| !rows.iter().any(|row| row.id == **id)) {
                return Err(DomainError::Invalid(format!(
                    "no recording {missing} in this tenant"
                )));
            }
            rows
        }
        ExportRequest {
            ids: None,
            filter: Some(filter),
        } => {
            catalogue::check_paging(&filter)?;
            let rows = catalogue::select(&filter, tenant.id)?
                .order_by_asc(recording::Column::Id)
                .all(db)
                .await?;
            if rows.len() > MAX_EXPORT {
                return Err(DomainError::Invalid(format!(
                    "{} recordings match: narrow the filter to at most {MAX_EXPORT}",
                    rows.len()
                )));
            }
            rows
        }
        _ => {
            return Err(DomainError::Invalid(
                "send either {\"ids\": [...]} or {\"filter\": {...}}".into(),
            ));
        }
    };
    if rows.iter().any(|row| !row.sealed) {
        refuse_plaintext_to_staff(tenant, provider_staff)?;
    }
    audit::record(
        db,
        AuditEntry::new(tenant.id, actor, "recording.export").details(serde_json::json!({
            "recordings": rows.len(),
            "ids": rows.iter().map(|row| row.id).collect::<Vec<_>>(),
        })),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Item {
            row,
            tenant_slug: tenant.slug.clone(),
            tenant_name: tenant.name.clone(),
            seal_with: None,
        })
        .collect())
}

/// The archive of `items`, written on a blocking thread as the stream is read. A failure
/// midway ends the stream with an error: the client sees a cut-off download, which a ZIP
/// reader rejects, and the log says why.
pub fn stream(store: Store, items: Vec<Item>) -> impl Stream<Item = std::io::Result<Bytes>> {
    let (sender, receiver) = mpsc::channel(8);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let failure = sender.clone();
        let mut writer = ChannelWriter::new(sender);
        let written = write_archive(&handle, &store, items, None, &mut writer, |_| {})
            .and_then(|_| writer.flush().map_err(Into::into));
        if let Err(error) = written {
            tracing::warn!(
                error = format!("{error:#}"),
                "an archive download broke off"
            );
            let _ = failure.blocking_send(Err(std::io::Error::other("the archive broke off")));
        }
    });
    stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|piece| (piece, receiver))
    })
}
