//! Password guessing, slowed without handing attackers a lock-out button.
//!
//! Every attempt is counted against several subjects at once, each with its own limit over any
//! 15 minutes (see `docs/decisions.md`, "Sign-in throttling"):
//!
//! - an account from one address: 10 failures, then that pair is locked;
//! - an address, whatever the names: 100 failures, then the address is locked for everyone
//!   without a device cookie (a sprayer's network, not an office's one mistyper);
//! - an account, from anywhere: 50 failures, then one attempt without a device cookie is let
//!   through every 10 seconds (many addresses against one account are slowed, never stopped);
//! - a device cookie (a browser that signed in to the account before): 10 failures.
//!
//! An attempt reserves its place as a failure *before* the password is verified, in one
//! transaction that holds the subjects' rows, so that requests in flight together cannot all
//! pass a limit; a success gives its reservation back. Subjects are counted whether or not the
//! account exists, so that no answer tells a real name from an invented one.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
};

use crate::infra::database::begin_write;
use crate::infra::entities::login_throttle;

/// Every limit counts failures over the last 15 minutes.
pub const WINDOW: Duration = Duration::minutes(15);
/// Failures of one account from one address, or from one device cookie.
pub const PER_ACCOUNT_AND_ADDRESS: usize = 10;
/// Failures from one address, whatever the names.
pub const PER_ADDRESS: usize = 100;
/// Failures of one account from everywhere, before it is slowed.
pub const PER_ACCOUNT: usize = 50;
/// A slowed account lets one attempt through this often.
pub const SLOWED_INTERVAL: Duration = Duration::seconds(10);

/// What is counted: the key under which a subject's row is kept.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    /// An account (by its name as typed at the login, lower-cased) from one address.
    AccountFrom { account: String, address: String },
    /// An address, whatever the names.
    Address(String),
    /// An account from everywhere.
    Account(String),
    /// A device cookie, by its id.
    Device(String),
}

impl Subject {
    fn key(&self) -> String {
        match self {
            Subject::AccountFrom { account, address } => format!("pair:{address} {account}"),
            Subject::Address(address) => format!("address:{address}"),
            Subject::Account(account) => format!("account:{account}"),
            Subject::Device(id) => format!("device:{id}"),
        }
    }

    /// How many failures the subject takes over [`WINDOW`].
    fn limit(&self) -> usize {
        match self {
            Subject::AccountFrom { .. } | Subject::Device(_) => PER_ACCOUNT_AND_ADDRESS,
            Subject::Address(_) => PER_ADDRESS,
            Subject::Account(_) => PER_ACCOUNT,
        }
    }

    /// An account is slowed at its limit, not locked: a lock would let anyone shut it.
    fn slowed_at_limit(&self) -> bool {
        matches!(self, Subject::Account(_))
    }

    /// The kind, as the audit log names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Subject::AccountFrom { .. } => "account from address",
            Subject::Address(_) => "address",
            Subject::Account(_) => "account",
            Subject::Device(_) => "device",
        }
    }
}

/// What the throttle decided about one attempt.
#[derive(Debug)]
pub enum Admission {
    /// Verify the password. `reservation` gives the place back if it is right.
    Admitted {
        reservation: Reservation,
        /// Locks that ended since the last attempt, with how many attempts they refused.
        locks_ended: Vec<(Subject, u32)>,
    },
    /// Refused without verifying anything.
    Refused {
        until: DateTime<Utc>,
        /// The subjects that refused it.
        refused_by: Vec<Subject>,
        /// Locks that began with this attempt: the only refusal the audit log records one by
        /// one; later refusals are counted in the row.
        locks_begun: Vec<Subject>,
    },
}

/// An admitted attempt's place, counted as a failure until [`succeeded`] gives it back.
#[derive(Debug)]
pub struct Reservation {
    subjects: Vec<Subject>,
    at_millis: i64,
}

/// Decides whether an attempt against `subjects` may verify a password, and if so reserves its
/// place in each, all in one write transaction.
pub async fn admit(
    db: &DatabaseConnection,
    mut subjects: Vec<Subject>,
) -> Result<Admission, sea_orm::DbErr> {
    // One order for every transaction, so that two of them never wait on each other's rows.
    subjects.sort_by_key(Subject::key);
    subjects.dedup();
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let mut rows = Vec::with_capacity(subjects.len());
    for subject in &subjects {
        rows.push(locked_row(&txn, subject, now).await?);
    }

    let mut refused_until: Option<DateTime<Utc>> = None;
    for (subject, row) in subjects.iter().zip(&rows) {
        if let Some(until) = refusal(subject, &failures_within(row, now), now) {
            refused_until = refused_until.max(Some(until));
        }
    }

    let admission = match refused_until {
        Some(until) => {
            let (mut refused_by, mut locks_begun) = (Vec::new(), Vec::new());
            for (subject, row) in subjects.iter().zip(rows) {
                if refusal(subject, &failures_within(&row, now), now).is_none() {
                    continue;
                }
                refused_by.push(subject.clone());
                if row.locked_since.is_none() {
                    locks_begun.push(subject.clone());
                }
                let refused = row.refused.saturating_add(1);
                let locked_since = row.locked_since.unwrap_or(now);
                let mut row = row.into_active_model();
                row.locked_since = Set(Some(locked_since));
                row.refused = Set(refused);
                row.updated_at = Set(now);
                row.update(&txn).await?;
            }
            Admission::Refused {
                until,
                refused_by,
                locks_begun,
            }
        }
        None => {
            let at_millis = now.timestamp_millis();
            let mut locks_ended = Vec::new();
            for (subject, row) in subjects.iter().zip(rows) {
                let mut failures = failures_within(&row, now);
                failures.push(at_millis);
                // A slowed account keeps only its newest; everything else is within its limit.
                let excess = failures.len().saturating_sub(subject.limit());
                failures.drain(..excess);
                if row.locked_since.is_some() {
                    locks_ended.push((subject.clone(), row.refused.max(0) as u32));
                }
                let mut row = row.into_active_model();
                row.failures = Set(encode(&failures));
                row.locked_since = Set(None);
                row.refused = Set(0);
                row.updated_at = Set(now);
                row.update(&txn).await?;
            }
            Admission::Admitted {
                reservation: Reservation {
                    subjects,
                    at_millis,
                },
                locks_ended,
            }
        }
    };
    txn.commit().await?;
    Ok(admission)
}

/// The password was right: the attempt's reserved place is given back, so that sign-ins
/// never use up a limit. Failures before it stay counted.
pub async fn succeeded(
    db: &DatabaseConnection,
    reservation: Reservation,
) -> Result<(), sea_orm::DbErr> {
    let Reservation {
        subjects,
        at_millis,
    } = reservation;
    let now = Utc::now();
    let txn = begin_write(db).await?;
    for subject in &subjects {
        let row = locked_row(&txn, subject, now).await?;
        let mut failures = decode(&row.failures);
        if let Some(position) = failures.iter().position(|&at| at == at_millis) {
            failures.remove(position);
        }
        let mut row = row.into_active_model();
        row.failures = Set(encode(&failures));
        row.updated_at = Set(now);
        row.update(&txn).await?;
    }
    txn.commit().await
}

/// Forgets subjects untouched for longer than any window: nothing in them counts any more.
pub async fn forget_stale(db: &impl ConnectionTrait) -> Result<u64, sea_orm::DbErr> {
    let cutoff = Utc::now() - WINDOW - WINDOW;
    let deleted = login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::UpdatedAt.lt(cutoff))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Until when `subject`, with `failures` in the window, refuses a new attempt, if it does.
fn refusal(subject: &Subject, failures: &[i64], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if failures.len() < subject.limit() {
        return None;
    }
    let until = if subject.slowed_at_limit() {
        at(*failures.last()?) + SLOWED_INTERVAL
    } else {
        // The oldest counted failure leaving the window makes room for one more.
        at(failures[failures.len() - subject.limit()]) + WINDOW
    };
    (until > now).then_some(until)
}

/// The subject's row, made if it is new, and held until the transaction ends (PostgreSQL
/// `FOR UPDATE`; SQLite's write transaction already holds the whole database).
async fn locked_row(
    txn: &impl ConnectionTrait,
    subject: &Subject,
    now: DateTime<Utc>,
) -> Result<login_throttle::Model, sea_orm::DbErr> {
    let key = subject.key();
    login_throttle::Entity::insert(login_throttle::ActiveModel {
        subject: Set(key.clone()),
        failures: Set(String::new()),
        locked_since: Set(None),
        refused: Set(0),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(login_throttle::Column::Subject)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    login_throttle::Entity::find_by_id(key)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| sea_orm::DbErr::RecordNotFound("the throttle row just written".into()))
}

/// The row's failures that are still within the window, oldest first.
fn failures_within(row: &login_throttle::Model, now: DateTime<Utc>) -> Vec<i64> {
    let since = (now - WINDOW).timestamp_millis();
    decode(&row.failures)
        .into_iter()
        .filter(|&at| at > since)
        .collect()
}

fn decode(failures: &str) -> Vec<i64> {
    failures
        .split_ascii_whitespace()
        .filter_map(|at| at.parse().ok())
        .collect()
}

fn encode(failures: &[i64]) -> String {
    failures
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn at(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis_ago(now: DateTime<Utc>, minutes: i64) -> i64 {
        (now - Duration::minutes(minutes)).timestamp_millis()
    }

    #[test]
    fn a_pair_refuses_the_eleventh_until_its_oldest_failure_leaves_the_window() {
        let now = Utc::now();
        let pair = Subject::AccountFrom {
            account: "root".into(),
            address: "192.0.2.1".into(),
        };
        let nine: Vec<i64> = (0..9).map(|m| millis_ago(now, 14 - m)).collect();
        assert_eq!(refusal(&pair, &nine, now), None);
        let mut ten = nine.clone();
        ten.push(now.timestamp_millis());
        let until = refusal(&pair, &ten, now).expect("refused");
        assert_eq!(until.timestamp_millis(), ten[0] + WINDOW.num_milliseconds());
    }

    #[test]
    fn a_slowed_account_lets_one_attempt_through_per_interval() {
        let now = Utc::now();
        let account = Subject::Account("root".into());
        let mut full: Vec<i64> = (0..PER_ACCOUNT as i64)
            .map(|n| millis_ago(now, 14) + n)
            .collect();
        assert_eq!(refusal(&account, &full, now), None, "the newest is old");
        full.push(now.timestamp_millis());
        full.remove(0);
        let until = refusal(&account, &full, now).expect("slowed");
        assert_eq!(until, at(now.timestamp_millis()) + SLOWED_INTERVAL);
    }

    #[test]
    fn the_stored_list_reads_back_and_ignores_damage() {
        assert_eq!(decode(&encode(&[1, 2, 3])), vec![1, 2, 3]);
        assert_eq!(decode(" 5 x 7 "), vec![5, 7]);
        assert_eq!(encode(&[]), "");
    }
}
