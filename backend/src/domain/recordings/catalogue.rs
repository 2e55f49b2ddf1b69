//! The catalogue: searching a tenant's recordings, changing their metadata, deleting them.

use callvault_shared::api::{OrderBy, RecordingPage, RecordingQuery, RecordingUpdate, Sort};
use object_store::ObjectStoreExt;
use object_store::path::Path as ObjectPath;
use sea_orm::sea_query::{NullOrdering, Order};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, ModelTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use super::metadata;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::infra::database::begin_write;
use crate::infra::entities::{recording, tenant};
use crate::infra::storage::Store;

/// Recordings per page when the query does not say, and at most.
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;

/// The tenant's recordings that pass every filter `query` gives.
pub fn select(
    query: &RecordingQuery,
    tenant_id: Uuid,
) -> Result<Select<recording::Entity>, DomainError> {
    let mut select = recording::Entity::find().filter(recording::Column::TenantId.eq(tenant_id));
    if let Some(from) = query.from {
        select = select.filter(recording::Column::StartedAt.gte(from));
    }
    if let Some(to) = query.to {
        select = select.filter(recording::Column::StartedAt.lt(to));
    }
    for (column, value) in [
        (recording::Column::Caller, &query.caller),
        (recording::Column::Callee, &query.callee),
        (recording::Column::Agent, &query.agent),
        (recording::Column::ExternalId, &query.external_id),
    ] {
        if let Some(value) = value {
            select = select.filter(column.eq(value.as_str()));
        }
    }
    if let Some(direction) = query.direction {
        select = select.filter(recording::Column::Direction.eq(direction));
    }
    if let Some(tag) = &query.tag {
        // Tags are stored as a JSON array of strings; a quoted match finds whole tags only.
        let quoted = serde_json::to_string(tag).map_err(DomainError::internal)?;
        select = select.filter(recording::Column::Tags.contains(quoted.as_str()));
    }
    if let Some(min) = query.min_duration_ms {
        select = select.filter(recording::Column::DurationMs.gte(i64::from(min)));
    }
    if let Some(max) = query.max_duration_ms {
        select = select.filter(recording::Column::DurationMs.lte(i64::from(max)));
    }
    Ok(select)
}

/// The highest page number a query may ask for: deep offsets are slow, and nobody reads
/// that far by page; the cursor goes further.
const MAX_PAGE_NUMBER: u32 = 1_000_000;

/// Refuses a page size, a page number or a cursor that the query's order does not allow.
/// An export, which takes every match, refuses them too: the document states the ranges.
pub fn check_paging(query: &RecordingQuery) -> Result<(), DomainError> {
    if !(1..=MAX_PAGE).contains(&query.limit.unwrap_or(DEFAULT_PAGE)) {
        return Err(DomainError::Invalid(format!(
            "limit must be 1 to {MAX_PAGE}"
        )));
    }
    match (query.page, query.cursor) {
        (Some(_), Some(_)) => Err(DomainError::Invalid(
            "page and cursor do not go together: page by one or the other".into(),
        )),
        (None, Some(_)) if query.order_by.unwrap_or(OrderBy::Uploaded) != OrderBy::Uploaded => {
            Err(DomainError::Invalid(
                "a cursor pages in upload order only: ordered by another column, page by page"
                    .into(),
            ))
        }
        (Some(page), None) if !(1..=MAX_PAGE_NUMBER).contains(&page) => Err(DomainError::Invalid(
            format!("page must be 1 to {MAX_PAGE_NUMBER}"),
        )),
        _ => Ok(()),
    }
}

/// One page of the tenant's recordings, newest upload first unless the query says otherwise,
/// with how many pass the filters. In upload order it pages by cursor (or by page number);
/// ordered by any other column, by page number, with the id as the tie-breaker so that pages
/// neither repeat nor skip a recording.
pub async fn search(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    query: &RecordingQuery,
) -> Result<RecordingPage, DomainError> {
    check_paging(query)?;
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    let order_by = query.order_by.unwrap_or(OrderBy::Uploaded);
    let page = query.page;
    let ascending = query.sort == Some(Sort::Oldest);
    let filtered = select(query, tenant_id)?;
    let total = filtered.clone().count(db).await?;
    let mut select = filtered;
    if let Some(cursor) = query.cursor {
        select = if ascending {
            select.filter(recording::Column::Id.gt(cursor))
        } else {
            select.filter(recording::Column::Id.lt(cursor))
        };
    }
    let order = if ascending { Order::Asc } else { Order::Desc };
    let column = match order_by {
        // Ids are UUIDv7: their order is the order of upload.
        OrderBy::Uploaded => None,
        OrderBy::StartedAt => Some(recording::Column::StartedAt),
        OrderBy::Caller => Some(recording::Column::Caller),
        OrderBy::Callee => Some(recording::Column::Callee),
        OrderBy::Agent => Some(recording::Column::Agent),
        OrderBy::Duration => Some(recording::Column::DurationMs),
    };
    if let Some(column) = column {
        // SQLite and PostgreSQL put NULLs at opposite ends unless told.
        select = select.order_by_with_nulls(column, order.clone(), NullOrdering::Last);
    }
    select = select.order_by(recording::Column::Id, order);
    if let Some(page) = page {
        select = select.offset(u64::from(page - 1) * u64::from(limit));
    }
    let mut rows = select.limit(u64::from(limit) + 1).all(db).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = (more && page.is_none())
        .then(|| rows.last().map(|row| row.id))
        .flatten();
    Ok(RecordingPage {
        recordings: rows.into_iter().map(super::to_api).collect(),
        next_cursor,
        total,
    })
}

/// Changes the metadata `update` names, with its audit record.
pub async fn update(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    id: Uuid,
    update: RecordingUpdate,
    actor: &Actor,
) -> Result<recording::Model, DomainError> {
    let row = super::find_in_tenant(db, tenant, id).await?;
    let RecordingUpdate {
        tags,
        agent,
        external_id,
    } = update;
    metadata::check_text("agent", agent.as_deref())?;
    metadata::check_text("external_id", external_id.as_deref())?;
    let mut active = row.into_active_model();
    if let Some(tags) = tags {
        let tags = metadata::tags(tags.iter().map(String::as_str))?;
        active.tags = Set(serde_json::to_string(&tags).map_err(DomainError::internal)?);
    }
    if agent.is_some() {
        active.agent = Set(agent);
    }
    if external_id.is_some() {
        active.external_id = Set(external_id);
    }
    let txn = begin_write(db).await?;
    let row = active.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "recording.update").object("recording", row.id),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Deletes a recording: the row first, with its audit record, so that once it is gone nothing
/// lists the recording; bytes a failure leaves behind are a stray for the sweeper, never a
/// recording without bytes.
pub async fn remove(
    db: &DatabaseConnection,
    store: &Store,
    tenant: &tenant::Model,
    id: Uuid,
    actor: &Actor,
) -> Result<(), DomainError> {
    let row = super::find_in_tenant(db, tenant, id).await?;
    let object_key = row.object_key.clone();
    let txn = begin_write(db).await?;
    crate::domain::retention::holds::refuse_if_held(
        &txn,
        tenant.id,
        std::slice::from_ref(&row),
        "delete this recording",
    )
    .await?;
    crate::domain::retention::tombstone(&txn, &row, "deleted", chrono::Utc::now()).await?;
    row.delete(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "recording.delete").object("recording", id),
    )
    .await?;
    txn.commit().await?;
    if let Err(error) = store.delete(&ObjectPath::from(object_key.as_str())).await {
        tracing::warn!(recording = %id, error = %error, "deleted recording's bytes stay for the sweeper");
    }
    Ok(())
}
