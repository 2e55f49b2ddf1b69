//! A tenant's users as its administrators manage them. Every query names the tenant, so that
//! a user of another tenant is simply not found; `manager` is the user who acts, whose role
//! bounds which roles they may give and whose holders they may manage.

use callvault_shared::api::{NewUser, PasswordReset, PasswordResetOutcome, Role, User, UserUpdate};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, ModelTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{NewAccount, RESET_NOTICE};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::infra::database::begin_write;
use crate::infra::entities::{encryption_key, key_grant, tenant, user};

/// The tenant's users, by username.
pub async fn list(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
) -> Result<Vec<User>, DomainError> {
    let users = user::Entity::find()
        .filter(user::Column::TenantId.eq(tenant.id))
        .order_by_asc(user::Column::Username)
        .all(db)
        .await?;
    Ok(users.iter().map(user::Model::to_api).collect())
}

/// Creates a user with their own key pair, with its audit record.
pub async fn create(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    manager: &user::Model,
    new: NewUser,
    password_min_length: usize,
    actor: &Actor,
) -> Result<user::Model, DomainError> {
    let NewUser {
        username,
        password,
        role,
    } = new;
    may_assign(manager, role)?;
    let account = NewAccount {
        username,
        password: Zeroizing::new(password),
        role,
    };
    create_account(db, tenant, account, password_min_length, actor).await
}

/// Creates an account with its key pair and its audit record, for whoever may: an
/// administrator through the API, the operator at the command line, the demo.
pub async fn create_account(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    account: NewAccount,
    password_min_length: usize,
    actor: &Actor,
) -> Result<user::Model, DomainError> {
    let role = account.role;
    let prepared = super::prepare(db, tenant, account, password_min_length).await?;
    let txn = begin_write(db).await?;
    let created = super::insert(&txn, prepared).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "user.create")
            .object("user", created.id)
            .details(serde_json::json!({ "username": created.username, "role": role })),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes a user's role; without a role, the user as they are.
pub async fn update(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    manager: &user::Model,
    id: Uuid,
    update: UserUpdate,
    actor: &Actor,
) -> Result<user::Model, DomainError> {
    let target = find_in_tenant(db, tenant, id).await?;
    may_manage(manager, &target)?;
    let Some(role) = update.role else {
        return Ok(target);
    };
    may_assign(manager, role)?;
    super::check_role_fits_tenant(role, tenant)?;
    not_self(manager, &target, "change your own role")?;
    keeps_a_root(db, &target).await?;
    let before = target.role;
    let mut row = target.into_active_model();
    row.role = Set(role);
    let txn = begin_write(db).await?;
    let updated = row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "user.update")
            .object("user", updated.id)
            .details(serde_json::json!({ "role": { "from": before, "to": role } })),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Deletes a user, their sessions and their grants; never the last holder of a key that
/// recordings need.
pub async fn remove(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    manager: &user::Model,
    id: Uuid,
    actor: &Actor,
) -> Result<(), DomainError> {
    let target = find_in_tenant(db, tenant, id).await?;
    may_manage(manager, &target)?;
    not_self(manager, &target, "delete your own account")?;
    keeps_a_root(db, &target).await?;
    let held: Vec<Uuid> = key_grant::Entity::find()
        .filter(key_grant::Column::UserId.eq(target.id))
        .all(db)
        .await?
        .into_iter()
        .map(|grant| grant.key_id)
        .collect();
    let held_keys = encryption_key::Entity::find()
        .filter(encryption_key::Column::Id.is_in(held))
        .all(db)
        .await?;
    crate::domain::encryption_keys::keep_a_holder(db, &held_keys, target.id).await?;
    let (id, username) = (target.id, target.username.clone());
    // Sessions go with the row (ON DELETE CASCADE).
    let txn = begin_write(db).await?;
    target.delete(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, actor, "user.delete")
            .object("user", id)
            .details(serde_json::json!({ "username": username })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// An administrator's reset of a user who lost their password: a new key pair, so the keys
/// they were granted are lost to them until someone who holds each grants it again.
pub async fn reset_password(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    manager: &user::Model,
    id: Uuid,
    reset: PasswordReset,
    password_min_length: usize,
    actor: &Actor,
) -> Result<PasswordResetOutcome, DomainError> {
    let target = find_in_tenant(db, tenant, id).await?;
    may_manage(manager, &target)?;
    not_self(
        manager,
        &target,
        "reset your own password (change it at POST /api/v1/auth/password, which keeps your keys)",
    )?;
    let outcome = reset_account(
        db,
        target,
        Zeroizing::new(reset.password),
        password_min_length,
        actor,
    )
    .await?;
    Ok(PasswordResetOutcome {
        user: outcome.user.to_api(),
        grants_removed: outcome.grants_removed,
        sessions_ended: outcome.sessions_ended,
        notice: RESET_NOTICE.into(),
    })
}

/// Gives `target` a new password and a new key pair, with its audit record: their grants and
/// sessions end. For an administrator through the API and the operator at the command line.
pub async fn reset_account(
    db: &DatabaseConnection,
    target: user::Model,
    password: Zeroizing<String>,
    password_min_length: usize,
    actor: &Actor,
) -> Result<super::ResetOutcome, DomainError> {
    let tenant_id = target.tenant_id;
    let prepared = super::prepare_reset(target, password, password_min_length).await?;
    let txn = begin_write(db).await?;
    let outcome = super::apply_reset(&txn, prepared).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant_id, actor, "user.password_reset")
            .object("user", outcome.user.id)
            .details(serde_json::json!({
                "username": outcome.user.username,
                "grants_removed": outcome.grants_removed,
                "sessions_ended": outcome.sessions_ended,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(outcome)
}

/// A user of exactly this tenant; any other is missing.
pub async fn find_in_tenant(
    db: &impl ConnectionTrait,
    tenant: &tenant::Model,
    id: Uuid,
) -> Result<user::Model, DomainError> {
    crate::domain::find_in_tenant::<user::Entity>(db, tenant, id).await
}

fn may_assign(manager: &user::Model, role: Role) -> Result<(), DomainError> {
    if manager.role.may_assign(role) {
        Ok(())
    } else {
        Err(DomainError::Refused(format!(
            "the role {} may not give the role {role}",
            manager.role
        )))
    }
}

/// Whoever may not give a role may not manage its holders either.
fn may_manage(manager: &user::Model, target: &user::Model) -> Result<(), DomainError> {
    if manager.role.may_assign(target.role) {
        Ok(())
    } else {
        Err(DomainError::Refused(format!(
            "the role {} may not manage a user with the role {}",
            manager.role, target.role
        )))
    }
}

fn not_self(manager: &user::Model, target: &user::Model, what: &str) -> Result<(), DomainError> {
    if manager.id == target.id {
        Err(DomainError::Conflict(format!("you cannot {what}")))
    } else {
        Ok(())
    }
}

/// The instance must keep at least one root administrator.
async fn keeps_a_root(db: &impl ConnectionTrait, target: &user::Model) -> Result<(), DomainError> {
    if target.role != Role::Root {
        return Ok(());
    }
    let roots = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Root))
        .count(db)
        .await?;
    if roots <= 1 {
        return Err(DomainError::Conflict(
            "this is the last root administrator; make another one first".into(),
        ));
    }
    Ok(())
}
