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
//! An attempt reserves its place *before* the password is verified, in one transaction that
//! holds the subjects' rows, so that requests in flight together cannot all pass a limit. A
//! wrong password turns the reservation into a failure, a right one gives it back. While a
//! limit is full only because of reservations, a new attempt waits for them to be decided
//! instead of being refused: 99 colleagues signing in at once behind one address must not be
//! refused for each other's attempts in flight. Subjects are counted whether or not the account
//! exists, so that no answer tells a real name from an invented one.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect, TransactionSession, TransactionTrait,
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
/// A reservation older than this belongs to an attempt that never reported back (its instance
/// died): it counts as a failure.
const RESERVATION_TIMEOUT: Duration = Duration::minutes(2);

/// The network an address counts as: an IPv4 address alone, an IPv6 address by its /64, which
/// one subscriber or one machine usually holds whole (a client that could take a fresh address
/// of its /64 for every guess would otherwise never meet a limit). Anything that is not an
/// address counts as itself.
pub fn network_of(address: &str) -> String {
    match address
        .parse::<std::net::IpAddr>()
        .map(|ip| ip.to_canonical())
    {
        Ok(std::net::IpAddr::V6(ip)) => {
            let [a, b, c, d, ..] = ip.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
        Ok(ip) => ip.to_string(),
        Err(_) => address.to_owned(),
    }
}

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
    /// Every place left is reserved by attempts in flight: ask again shortly.
    Wait,
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

/// An admitted attempt's place, kept until [`failed`] or [`succeeded`] decides it (and counted
/// as a failure if neither ever does).
#[derive(Debug)]
pub struct Reservation {
    subjects: Vec<Subject>,
    at_millis: i64,
}

/// Decides whether an attempt against `subjects` may verify a password, and if so reserves its
/// place in each, all in one write transaction.
pub async fn admit(
    db: &impl TransactionTrait,
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
    let mut full = false;
    for (subject, row) in subjects.iter().zip(&rows) {
        let entries = entries_within(row, now);
        if let Some(until) = refusal(subject, &entries, now) {
            refused_until = refused_until.max(Some(until));
        }
        full |= entries.len() >= subject.limit() && !subject.slowed_at_limit();
    }
    if refused_until.is_none() && full {
        txn.commit().await?;
        return Ok(Admission::Wait);
    }

    let admission = match refused_until {
        Some(until) => {
            let (mut refused_by, mut locks_begun) = (Vec::new(), Vec::new());
            for (subject, row) in subjects.iter().zip(rows) {
                if refusal(subject, &entries_within(&row, now), now).is_none() {
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
                let mut failures = entries_within(&row, now);
                failures.push(Entry {
                    at: at_millis,
                    reserved: true,
                });
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
    db: &impl TransactionTrait,
    reservation: Reservation,
) -> Result<(), sea_orm::DbErr> {
    decide(db, reservation, |failures, position| {
        failures.remove(position);
    })
    .await
}

/// The password was wrong: the attempt's place becomes a failure.
pub async fn failed(
    db: &impl TransactionTrait,
    reservation: Reservation,
) -> Result<(), sea_orm::DbErr> {
    decide(db, reservation, |failures, position| {
        failures[position].reserved = false;
    })
    .await
}

/// Applies `decision` to the reservation's entry in each of its subjects.
async fn decide(
    db: &impl TransactionTrait,
    reservation: Reservation,
    decision: impl Fn(&mut Vec<Entry>, usize),
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
        if let Some(position) = failures
            .iter()
            .position(|entry| entry.reserved && entry.at == at_millis)
        {
            decision(&mut failures, position);
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

/// Until when `subject`, with `entries` in the window, refuses a new attempt, if it does.
/// Only decided failures lock; a slowed account counts every attempt it let through.
fn refusal(subject: &Subject, entries: &[Entry], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let until = if subject.slowed_at_limit() {
        if entries.len() < subject.limit() {
            return None;
        }
        at(entries.last()?.at) + SLOWED_INTERVAL
    } else {
        let failures: Vec<i64> = entries
            .iter()
            .filter(|entry| !entry.reserved)
            .map(|entry| entry.at)
            .collect();
        if failures.len() < subject.limit() {
            return None;
        }
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

/// One attempt in a subject's list: a failure, or a reservation still being decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    at: i64,
    reserved: bool,
}

/// The row's entries that are still within the window, oldest first; reservations that never
/// reported back count as failures.
fn entries_within(row: &login_throttle::Model, now: DateTime<Utc>) -> Vec<Entry> {
    let since = (now - WINDOW).timestamp_millis();
    let abandoned_before = (now - RESERVATION_TIMEOUT).timestamp_millis();
    decode(&row.failures)
        .into_iter()
        .filter(|entry| entry.at > since)
        .map(|entry| Entry {
            reserved: entry.reserved && entry.at >= abandoned_before,
            ..entry
        })
        .collect()
}

/// Unix milliseconds separated by spaces, a reservation written as `r<millis>`.
fn decode(failures: &str) -> Vec<Entry> {
    failures
        .split_ascii_whitespace()
        .filter_map(|item| match item.strip_prefix('r') {
            Some(at) => Some(Entry {
                at: at.parse().ok()?,
                reserved: true,
            }),
            None => Some(Entry {
                at: item.parse().ok()?,
                reserved: false,
            }),
        })
        .collect()
}

fn encode(failures: &[Entry]) -> String {
    failures
        .iter()
        .map(|entry| {
            if entry.reserved {
                format!("r{}", entry.at)
            } else {
                entry.at.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn at(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(now: DateTime<Utc>, minutes_ago: i64) -> Entry {
        Entry {
            at: (now - Duration::minutes(minutes_ago)).timestamp_millis(),
            reserved: false,
        }
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64_and_an_ipv4_one_alone() {
        assert_eq!(network_of("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(network_of("2001:db8:1:2:bbbb::2"), "2001:db8:1:2::/64");
        assert_eq!(network_of("2001:db8:1:3::1"), "2001:db8:1:3::/64");
        assert_eq!(network_of("192.0.2.7"), "192.0.2.7");
        assert_eq!(network_of("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(network_of("unknown"), "unknown");
    }

    #[test]
    fn a_pair_refuses_the_eleventh_until_its_oldest_failure_leaves_the_window() {
        let now = Utc::now();
        let pair = Subject::AccountFrom {
            account: "root".into(),
            address: "192.0.2.1".into(),
        };
        let nine: Vec<Entry> = (0..9).map(|m| failure(now, 14 - m)).collect();
        assert_eq!(refusal(&pair, &nine, now), None);
        let mut ten = nine.clone();
        ten.push(failure(now, 0));
        let until = refusal(&pair, &ten, now).expect("refused");
        assert_eq!(
            until.timestamp_millis(),
            ten[0].at + WINDOW.num_milliseconds()
        );
    }

    #[test]
    fn reservations_in_flight_fill_a_limit_without_locking_it() {
        let now = Utc::now();
        let address = Subject::Address("192.0.2.1".into());
        let mut entries: Vec<Entry> = (0..10).map(|_| failure(now, 1)).collect();
        entries.extend((0..90).map(|_| Entry {
            at: now.timestamp_millis(),
            reserved: true,
        }));
        assert_eq!(refusal(&address, &entries, now), None, "wait, not refused");
        assert!(entries.len() >= address.limit());
    }

    #[test]
    fn a_slowed_account_lets_one_attempt_through_per_interval() {
        let now = Utc::now();
        let account = Subject::Account("root".into());
        let mut full: Vec<Entry> = (0..PER_ACCOUNT as i64)
            .map(|n| Entry {
                at: failure(now, 14).at + n,
                reserved: false,
            })
            .collect();
        assert_eq!(refusal(&account, &full, now), None, "the newest is old");
        full.push(failure(now, 0));
        full.remove(0);
        let until = refusal(&account, &full, now).expect("slowed");
        assert_eq!(until, at(now.timestamp_millis()) + SLOWED_INTERVAL);
    }

    #[test]
    fn the_stored_list_reads_back_and_ignores_damage() {
        let entries = [
            Entry {
                at: 1,
                reserved: false,
            },
            Entry {
                at: 2,
                reserved: true,
            },
        ];
        assert_eq!(decode(&encode(&entries)), entries);
        assert_eq!(
            decode(" 5 x r7 r "),
            vec![
                Entry {
                    at: 5,
                    reserved: false
                },
                Entry {
                    at: 7,
                    reserved: true
                },
            ]
        );
        assert_eq!(encode(&[]), "");
    }
}
