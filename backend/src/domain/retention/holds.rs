//! Legal holds: placed and released by name, with a reason and who did it, audited. A hold in
//! force keeps every recording it covers from deletion of any kind.

use callvault_shared::api::{HoldCriteria, LegalHold, Searched};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::infra::database::begin_write;
use crate::infra::entities::{legal_hold, recording, tenant};

/// A hold in force, its criteria read.
#[derive(Debug, Clone)]
pub struct Hold {
    pub row: legal_hold::Model,
    pub criteria: HoldCriteria,
}

/// What a new hold says.
pub struct NewHold {
    pub name: String,
    pub reason: String,
    pub criteria: HoldCriteria,
}

/// Places a hold; audited with what it covers.
pub async fn place(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    new: NewHold,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<legal_hold::Model, DomainError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(DomainError::Invalid(
            "a hold's name is 1 to 200 characters, without control characters".into(),
        ));
    }
    // A reason may run over several lines; other control characters are refused.
    let reason_ok = |c: char| !c.is_control() || matches!(c, '\n' | '\r' | '\t');
    if new.reason.trim().is_empty()
        || new.reason.chars().count() > 2000
        || !new.reason.chars().all(reason_ok)
    {
        return Err(DomainError::Invalid(
            "a hold's reason is 1 to 2000 characters, without control characters but line breaks"
                .into(),
        ));
    }
    if let Some(problem) = new.criteria.problem() {
        return Err(DomainError::Invalid(problem));
    }
    let criteria = serde_json::to_string(&new.criteria).map_err(DomainError::internal)?;
    // What the databases keep (microseconds), so that the answer is what a read gives back.
    let now = now.trunc_subsecs(6);
    let txn = begin_write(db).await?;
    let hold = legal_hold::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        name: name.to_owned(),
        reason: new.reason.trim().to_owned(),
        criteria,
        placed_by: actor.name.clone(),
        placed_at: now,
        released_by: None,
        released_at: None,
    }
    .into_active_model()
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "hold.place")
            .object("hold", hold.id)
            .details(serde_json::json!({
                "name": hold.name,
                "reason": hold.reason,
                "criteria": new.criteria,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(hold)
}

/// Releases a hold in force; audited. The hold stays on record.
pub async fn release(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    id: Uuid,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<legal_hold::Model, DomainError> {
    let now = now.trunc_subsecs(6);
    let txn = begin_write(db).await?;
    let hold = legal_hold::Entity::find_by_id(id)
        .filter(legal_hold::Column::TenantId.eq(tenant.id))
        .one(&txn)
        .await?
        .ok_or_else(|| DomainError::NotFound(format!("no hold {id} in this tenant")))?;
    if hold.released_at.is_some() {
        return Err(DomainError::Conflict(
            "this hold was released already".into(),
        ));
    }
    let mut row = hold.into_active_model();
    row.released_at = Set(Some(now));
    row.released_by = Set(Some(actor.name.clone()));
    let hold = row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "hold.release")
            .object("hold", hold.id)
            .details(serde_json::json!({ "name": hold.name })),
    )
    .await?;
    txn.commit().await?;
    Ok(hold)
}

/// Every hold of the tenant, newest first, released ones included.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Vec<legal_hold::Model>, DomainError> {
    Ok(legal_hold::Entity::find()
        .filter(legal_hold::Column::TenantId.eq(tenant_id))
        .order_by_desc(legal_hold::Column::PlacedAt)
        .all(db)
        .await?)
}

/// The recordings of the tenant that hold `id` covers today, newest first: how many, and the
/// first `shown` of them. A released hold covers none.
pub async fn covered(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    id: Uuid,
    shown: usize,
) -> Result<(u64, Vec<recording::Model>), DomainError> {
    let row = legal_hold::Entity::find_by_id(id)
        .filter(legal_hold::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or_else(|| DomainError::NotFound(format!("no hold {id} in this tenant")))?;
    if row.released_at.is_some() {
        return Ok((0, Vec::new()));
    }
    let criteria: HoldCriteria =
        serde_json::from_str(&row.criteria).map_err(DomainError::internal)?;
    // The database narrows by what it can compare exactly; `covers` decides, tags included.
    let mut narrowed = Condition::any();
    if !criteria.recording_ids.is_empty() {
        narrowed = narrowed.add(recording::Column::Id.is_in(criteria.recording_ids.clone()));
    }
    if let Some(search) = &criteria.search {
        let mut all = Condition::all();
        for (column, value) in [
            (recording::Column::Caller, &search.caller),
            (recording::Column::Callee, &search.callee),
            (recording::Column::Agent, &search.agent),
        ] {
            if let Some(value) = value {
                all = all.add(column.eq(value.as_str()));
            }
        }
        if let Some(from) = search.from {
            all = all.add(recording::Column::StartedAt.gte(from));
        }
        if let Some(to) = search.to {
            all = all.add(recording::Column::StartedAt.lt(to));
        }
        narrowed = narrowed.add(all);
    }
    let hold = Hold { row, criteria };
    let held: Vec<recording::Model> = recording::Entity::find()
        .filter(recording::Column::TenantId.eq(tenant_id))
        .filter(narrowed)
        .order_by_desc(recording::Column::CreatedAt)
        .order_by_desc(recording::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|recording| !covering(std::slice::from_ref(&hold), recording).is_empty())
        .collect();
    let total = held.len() as u64;
    Ok((total, held.into_iter().take(shown).collect()))
}

/// The tenant's holds in force.
pub async fn in_force(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Vec<Hold>, DomainError> {
    legal_hold::Entity::find()
        .filter(legal_hold::Column::TenantId.eq(tenant_id))
        .filter(legal_hold::Column::ReleasedAt.is_null())
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let criteria = serde_json::from_str(&row.criteria).map_err(DomainError::internal)?;
            Ok(Hold { row, criteria })
        })
        .collect()
}

/// The API's view of a hold.
pub fn to_api(row: legal_hold::Model) -> Result<LegalHold, DomainError> {
    Ok(LegalHold {
        criteria: serde_json::from_str(&row.criteria).map_err(DomainError::internal)?,
        id: row.id,
        name: row.name,
        reason: row.reason,
        placed_by: row.placed_by,
        placed_at: row.placed_at,
        released_by: row.released_by,
        released_at: row.released_at,
    })
}

/// The names of the holds among `holds` that cover `row`.
pub fn covering<'a>(holds: &'a [Hold], row: &recording::Model) -> Vec<&'a str> {
    let tags = super::tags_of(row);
    covering_searched(holds, &super::searched(row, &tags))
}

/// The names of the holds among `holds` that cover a recording described by `searched` (one
/// in an archive, say, before it is a row).
pub fn covering_searched<'a>(holds: &'a [Hold], searched: &Searched<'_>) -> Vec<&'a str> {
    holds
        .iter()
        .filter(|hold| hold.criteria.covers(searched))
        .map(|hold| hold.row.name.as_str())
        .collect()
}

/// Refuses (409) when a hold in force covers any of `rows`, naming the holds; `what` is the
/// deletion refused ("delete this recording").
pub async fn refuse_if_held(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    rows: &[recording::Model],
    what: &str,
) -> Result<(), DomainError> {
    let holds = in_force(db, tenant_id).await?;
    if holds.is_empty() {
        return Ok(());
    }
    let mut names: Vec<&str> = rows.iter().flat_map(|row| covering(&holds, row)).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Ok(());
    }
    Err(DomainError::Conflict(format!(
        "cannot {what}: held by {}; release the hold first",
        names
            .iter()
            .map(|name| format!("“{name}”"))
            .collect::<Vec<_>>()
            .join(", ")
    )))
}
