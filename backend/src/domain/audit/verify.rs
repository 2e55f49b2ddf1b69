//! Walks a tenant's chain from the first record to the head kept on the tenant's row.

use callvault_shared::api::{AuditProblem, AuditVerification};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::chain;
use crate::infra::entities::{audit_event, tenant};

const PAGE: u64 = 500;
const MAX_PROBLEMS: usize = 100;

/// The verdict on a chain, and the head it was judged up to.
#[derive(Debug)]
pub struct Verified {
    pub verdict: AuditVerification,
    /// The number of records the tenant's row claimed when the walk began.
    pub length: i64,
    /// The hash of record `length` as the tenant's row names it; [`chain::GENESIS`] for an
    /// empty chain. Only vouched for when `verdict.intact`.
    pub head: [u8; 32],
}

pub async fn verify(
    db: &impl ConnectionTrait,
    tenant_id: uuid::Uuid,
) -> Result<AuditVerification, sea_orm::DbErr> {
    Ok(verify_to_head(db, tenant_id).await?.verdict)
}

/// [`verify`], also saying which head the verdict is about: what a checkpoint signs.
pub async fn verify_to_head(
    db: &impl ConnectionTrait,
    tenant_id: uuid::Uuid,
) -> Result<Verified, sea_orm::DbErr> {
    // The head first: records appended while we walk are beyond it and not judged.
    let tenant = tenant::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("tenant".into()))?;
    let mut problems = Vec::new();
    let mut report = |seq: i64, problem: String| {
        if problems.len() < MAX_PROBLEMS {
            problems.push(AuditProblem { seq, problem });
        }
    };

    let mut expected_seq = 1;
    let mut previous = chain::GENESIS.to_vec();
    let mut checked = 0u64;
    loop {
        let page = audit_event::Entity::find()
            .filter(audit_event::Column::TenantId.eq(tenant_id))
            .filter(audit_event::Column::Seq.gte(expected_seq))
            .filter(audit_event::Column::Seq.lte(tenant.audit_seq))
            .order_by_asc(audit_event::Column::Seq)
            .limit(PAGE)
            .all(db)
            .await?;
        let Some(last) = page.last().map(|event| event.seq) else {
            break;
        };
        for event in page {
            if event.seq != expected_seq {
                report(
                    expected_seq,
                    format!("records {expected_seq} to {} are missing", event.seq - 1),
                );
            }
            if event.prev_hash != previous {
                report(
                    event.seq,
                    "does not follow the record before it (one was removed or replaced)".into(),
                );
            }
            if chain::hash(&event).as_slice() != event.hash.as_slice() {
                report(event.seq, "was altered after it was written".into());
            }
            previous = event.hash;
            expected_seq = event.seq + 1;
            checked += 1;
        }
        if last >= tenant.audit_seq {
            break;
        }
    }
    if expected_seq <= tenant.audit_seq {
        report(
            expected_seq,
            format!(
                "the newest records ({expected_seq} to {}) are missing",
                tenant.audit_seq
            ),
        );
    } else if tenant.audit_seq > 0 && tenant.audit_head.as_deref() != Some(previous.as_slice()) {
        report(
            tenant.audit_seq,
            "the newest record is not the one the chain's head names".into(),
        );
    }
    let head = match tenant.audit_head.as_deref() {
        Some(head) if tenant.audit_seq > 0 => head.try_into().unwrap_or_else(|_| {
            report(
                tenant.audit_seq,
                "the chain's head is not a SHA-256 hash".into(),
            );
            chain::GENESIS
        }),
        _ => chain::GENESIS,
    };
    Ok(Verified {
        verdict: AuditVerification {
            intact: problems.is_empty(),
            records_checked: checked,
            problems,
        },
        length: tenant.audit_seq,
        head,
    })
}
