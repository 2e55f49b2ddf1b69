//! A user changing their own password. Their key pair stays (re-sealed under the new
//! password), so every grant they hold still works; their other sessions end.

use callvault_shared::api::{AuditOutcome, PasswordChange, PasswordChanged};
use callvault_shared::crypto::SecretBytes;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::domain::accounts::{password_policy, user_key};
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::error::DomainError;
use crate::infra::database::begin_write;
use crate::infra::entities::{session, user};
use crate::infra::password;

/// Changes `user`'s password. `user_key` is their private key as the current session holds
/// it (`None` when the session no longer opens it), so the old password need not open it;
/// every session but `current_session` ends.
pub async fn change(
    db: &DatabaseConnection,
    user: &user::Model,
    current_session: Uuid,
    user_key: Option<SecretBytes>,
    change: PasswordChange,
    password_min_length: usize,
    actor: &Actor,
) -> Result<PasswordChanged, DomainError> {
    let PasswordChange {
        current_password,
        new_password,
    } = change;
    let (current, new) = (
        Zeroizing::new(current_password),
        Zeroizing::new(new_password),
    );
    password_policy::check(&new, password_min_length).map_err(DomainError::Invalid)?;
    if !password::verify(Some(user.password_hash.clone()), current).await? {
        audit::record(
            db,
            AuditEntry::new(user.tenant_id, actor, "auth.password_change")
                .outcome(AuditOutcome::Denied),
        )
        .await?;
        return Err(DomainError::Refused("the current password is wrong".into()));
    }
    let private_key = user_key
        .ok_or_else(|| DomainError::SignedOut("the session has ended; sign in again".into()))?;
    let sealed = user_key::reseal(user.id, private_key, new.clone()).await?;
    let password_hash = password::hash(new).await?;

    let txn = begin_write(db).await?;
    let mut row = user.clone().into_active_model();
    row.password_hash = Set(password_hash);
    row.sealed_private_key = Set(Some(sealed));
    row.password_changed_at = Set(Some(Utc::now()));
    row.update(&txn).await?;
    let sessions_ended = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user.id))
        .filter(session::Column::Id.ne(current_session))
        .exec(&txn)
        .await?
        .rows_affected;
    audit::record(
        &txn,
        AuditEntry::new(user.tenant_id, actor, "auth.password_change")
            .object("user", user.id)
            .details(serde_json::json!({ "sessions_ended": sessions_ended })),
    )
    .await?;
    txn.commit().await?;
    Ok(PasswordChanged { sessions_ended })
}
