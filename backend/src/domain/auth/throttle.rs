//! Password guessing: per account and per client address, 10 failures within 15 minutes lock
//! that subject for 15 minutes. Subjects are counted whether or not the account exists, so a
//! locked unknown user looks exactly like a locked real one.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter,
    SqliteTransactionMode, TransactionOptions, TransactionSession, TransactionTrait,
};

use crate::infra::entities::login_throttle;

pub const MAX_FAILURES: i32 = 10;
pub const LOCK: Duration = Duration::minutes(15);
const WINDOW: Duration = Duration::minutes(15);

pub fn account(username: &str) -> String {
    format!("account:{}", username.to_lowercase())
}

pub fn address(ip: &str) -> String {
    format!("address:{ip}")
}

/// The latest lock among `subjects` that is still in force.
pub async fn locked_until(
    db: &impl TransactionTrait,
    subjects: &[String],
) -> Result<Option<DateTime<Utc>>, sea_orm::DbErr> {
    let txn = db.begin().await?;
    let now = Utc::now();
    let mut until = None;
    for subject in subjects {
        let row = login_throttle::Entity::find_by_id(subject.clone())
            .one(&txn)
            .await?;
        if let Some(locked) = row.and_then(|row| row.locked_until).filter(|l| *l > now) {
            until = until.max(Some(locked));
        }
    }
    txn.commit().await?;
    Ok(until)
}

/// Counts one failure against `subject`. Concurrent failures (the same attacker on several
/// connections) must neither be lost nor collide: the transaction writes before it reads, so
/// it holds the write lock (SQLite, `BEGIN IMMEDIATE`) or the row's lock (PostgreSQL) first.
pub async fn record_failure(
    db: &impl TransactionTrait,
    subject: String,
) -> Result<(), sea_orm::DbErr> {
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    let now = Utc::now();
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        subject: Set(subject.clone()),
        failures: Set(0),
        first_failure_at: Set(now),
        locked_until: Set(None),
    })
    .on_conflict(
        OnConflict::column(login_throttle::Column::Subject)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Failures,
            Expr::col(login_throttle::Column::Failures),
        )
        .filter(login_throttle::Column::Subject.eq(subject.as_str()))
        .exec(&txn)
        .await?;
    let row = login_throttle::Entity::find_by_id(subject)
        .one(&txn)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("the throttle row just written".into()))?;
    let fresh =
        row.first_failure_at < now - WINDOW && row.locked_until.is_none_or(|locked| locked <= now);
    let failures = if fresh { 1 } else { row.failures + 1 };
    let mut row = row.into_active_model();
    if fresh {
        row.first_failure_at = Set(now);
        row.locked_until = Set(None);
    }
    row.failures = Set(failures);
    if failures >= MAX_FAILURES {
        row.locked_until = Set(Some(now + LOCK));
    }
    row.update(&txn).await?;
    txn.commit().await
}

/// A successful login forgets the account's failures (not the address's: an attacker must
/// not be able to reset their count with an account of their own).
pub async fn clear(db: &impl TransactionTrait, subject: String) -> Result<(), sea_orm::DbErr> {
    let txn = db.begin().await?;
    login_throttle::Entity::delete_by_id(subject)
        .exec(&txn)
        .await?;
    txn.commit().await
}
