//! Retention policies and legal holds: how long a tenant keeps its recordings, and which ones
//! are kept whatever the policy says.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Direction;

/// The longest a policy may keep a recording: a hundred years.
pub const LONGEST_KEEP_DAYS: u32 = 36_500;
/// The grace a tenant gets before a shortened policy applies, unless it sets another.
pub const DEFAULT_GRACE_DAYS: u32 = 7;
/// The longest grace a tenant may set.
pub const LONGEST_GRACE_DAYS: u32 = 365;

/// How long a tenant keeps its recordings, counted from when each call started (or, when the
/// recorder did not say, from its upload). `keep_days` absent: forever.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetentionPolicy {
    /// Days to keep a recording no rule matches; absent: forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_days: Option<u32>,
    /// Rules for some recordings (by tag or direction). When several match a recording, the
    /// longest of them applies; when one matches, it overrides `keep_days`, longer or shorter.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RetentionRule>,
}

/// Recordings with this tag and/or in this direction are kept `keep_days` (absent: forever).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetentionRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_days: Option<u32>,
}

/// What a policy looks at in a recording.
#[derive(Debug, Clone, Copy)]
pub struct Retained<'a> {
    pub tags: &'a [String],
    pub direction: Option<Direction>,
    /// When the call started, else when it was uploaded.
    pub since: DateTime<Utc>,
}

impl RetentionRule {
    fn matches(&self, recording: &Retained<'_>) -> bool {
        self.tag
            .as_ref()
            .is_none_or(|tag| recording.tags.iter().any(|t| t == tag))
            && self
                .direction
                .is_none_or(|direction| recording.direction == Some(direction))
    }
}

/// Days kept, where `None` is forever: the longer of two.
fn longer(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    a.zip(b).map(|(a, b)| a.max(b))
}

impl RetentionPolicy {
    /// Keeps everything forever: a tenant that never set a policy.
    pub fn forever() -> Self {
        Self::default()
    }

    /// The days `recording` is kept (`None`: forever).
    pub fn keep_days_for(&self, recording: &Retained<'_>) -> Option<u32> {
        let mut matching = self.rules.iter().filter(|rule| rule.matches(recording));
        match matching.next() {
            None => self.keep_days,
            Some(first) => {
                matching.fold(first.keep_days, |days, rule| longer(days, rule.keep_days))
            }
        }
    }

    /// When `recording` expires under this policy (`None`: never).
    pub fn expires_at(&self, recording: &Retained<'_>) -> Option<DateTime<Utc>> {
        self.keep_days_for(recording)
            .map(|days| recording.since + Duration::days(i64::from(days)))
    }

    /// Whether some recording would be kept for less time under `self` than under `before`:
    /// then the change waits out the tenant's grace period. Each kind of recording the two
    /// policies tell apart (no tag, and each rule's tag and direction) is compared.
    pub fn shortens(&self, before: &RetentionPolicy) -> bool {
        let probes = std::iter::once((None, None)).chain(
            self.rules
                .iter()
                .chain(&before.rules)
                .map(|rule| (rule.tag.clone(), rule.direction)),
        );
        probes.into_iter().any(|(tag, direction)| {
            let tags: Vec<String> = tag.into_iter().collect();
            let directions: Vec<Option<Direction>> = match direction {
                Some(direction) => vec![Some(direction)],
                None => std::iter::once(None)
                    .chain(Direction::ALL.into_iter().map(Some))
                    .collect(),
            };
            directions.into_iter().any(|direction| {
                let probe = Retained {
                    tags: &tags,
                    direction,
                    since: DateTime::<Utc>::UNIX_EPOCH,
                };
                match (self.keep_days_for(&probe), before.keep_days_for(&probe)) {
                    (Some(_), None) => true,
                    (Some(now), Some(was)) => now < was,
                    (None, _) => false,
                }
            })
        })
    }

    /// What is wrong with the policy, in words, if anything.
    pub fn problem(&self) -> Option<String> {
        let out_of_range =
            |days: Option<u32>| days.is_some_and(|d| !(1..=LONGEST_KEEP_DAYS).contains(&d));
        if out_of_range(self.keep_days) {
            return Some(format!(
                "keep_days must be 1 to {LONGEST_KEEP_DAYS}, or left out for forever"
            ));
        }
        if self.rules.len() > 100 {
            return Some("at most 100 rules".into());
        }
        for rule in &self.rules {
            if rule.tag.is_none() && rule.direction.is_none() {
                return Some("every rule names a tag, a direction or both".into());
            }
            if rule.tag.as_ref().is_some_and(|tag| {
                tag.trim().is_empty() || tag.len() > 64 || tag.chars().any(char::is_control)
            }) {
                return Some(
                    "a rule's tag is 1 to 64 characters, without control characters".into(),
                );
            }
            if out_of_range(rule.keep_days) {
                return Some(format!(
                    "a rule's keep_days must be 1 to {LONGEST_KEEP_DAYS}, or left out for forever"
                ));
            }
        }
        None
    }
}

/// `GET`/`PUT …/retention`: the policy in force, and a shortened one waiting for its grace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetentionSettings {
    /// What applies now.
    pub policy: RetentionPolicy,
    /// A shortened policy and when it begins to apply; setting another policy first replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingPolicy>,
    /// Days a shortening waits before it applies.
    pub grace_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingPolicy {
    pub policy: RetentionPolicy,
    pub from: DateTime<Utc>,
}

/// `PUT …/retention` and `POST …/retention/preview`: a policy, and the grace period to set with
/// it (left out: the tenant's, 7 days unless set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RetentionUpdate {
    pub policy: RetentionPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_days: Option<u32>,
}

/// What saving a policy would do, before it is saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetentionPreview {
    /// Recordings it would delete that the policy in force keeps, held ones not counted.
    pub recordings: u64,
    /// When it would apply: now, or after the grace period if it shortens.
    pub applies_from: DateTime<Utc>,
}

/// A legal hold, in force or released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LegalHold {
    pub id: Uuid,
    pub name: String,
    pub reason: String,
    pub criteria: HoldCriteria,
    pub placed_by: String,
    pub placed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_at: Option<DateTime<Utc>>,
}

/// `GET …/holds/{id}/recordings`: the recordings a hold covers today, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeldRecordings {
    /// How many recordings it covers in all.
    pub total: u64,
    /// The newest of them, at most [`HeldRecordings::SHOWN`].
    pub recordings: Vec<super::Recording>,
}

impl HeldRecordings {
    pub const SHOWN: usize = 200;
}

/// `POST …/holds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewLegalHold {
    pub name: String,
    pub reason: String,
    /// Recordings held by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recording_ids: Vec<Uuid>,
    /// And every recording this search finds, now and later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<HoldSearch>,
}

/// Which recordings a legal hold covers: those named by id, and those a saved search finds
/// (now and later: a call uploaded after the hold that fits the search is held too).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HoldCriteria {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recording_ids: Vec<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<HoldSearch>,
}

/// A saved search: every field given must match; text fields match exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HoldSearch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Calls that started at or after this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<DateTime<Utc>>,
    /// Calls that started before this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<DateTime<Utc>>,
}

/// What a hold's search looks at in a recording.
#[derive(Debug, Clone, Copy)]
pub struct Searched<'a> {
    pub id: Uuid,
    pub caller: Option<&'a str>,
    pub callee: Option<&'a str>,
    pub agent: Option<&'a str>,
    pub tags: &'a [String],
    pub started_at: Option<DateTime<Utc>>,
}

impl HoldCriteria {
    pub fn covers(&self, recording: &Searched<'_>) -> bool {
        self.recording_ids.contains(&recording.id)
            || self
                .search
                .as_ref()
                .is_some_and(|search| search.finds(recording))
    }

    pub fn problem(&self) -> Option<String> {
        if self.recording_ids.is_empty() && self.search.is_none() {
            return Some("a hold names recordings by id, or a search, or both".into());
        }
        if self.recording_ids.len() > 10_000 {
            return Some("at most 10,000 recordings by id; hold more with a search".into());
        }
        if self
            .search
            .as_ref()
            .is_some_and(|search| *search == HoldSearch::default())
        {
            return Some(
                "a search names at least one of caller, callee, agent, tag, from, to".into(),
            );
        }
        None
    }
}

impl HoldSearch {
    fn finds(&self, recording: &Searched<'_>) -> bool {
        let text = |wanted: &Option<String>, have: Option<&str>| {
            wanted.as_deref().is_none_or(|wanted| have == Some(wanted))
        };
        text(&self.caller, recording.caller)
            && text(&self.callee, recording.callee)
            && text(&self.agent, recording.agent)
            && self
                .tag
                .as_ref()
                .is_none_or(|tag| recording.tags.iter().any(|t| t == tag))
            && self
                .from
                .is_none_or(|from| recording.started_at.is_some_and(|at| at >= from))
            && self
                .to
                .is_none_or(|to| recording.started_at.is_some_and(|at| at < to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recording<'a>(tags: &'a [String], direction: Option<Direction>) -> Retained<'a> {
        Retained {
            tags,
            direction,
            since: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    fn trading_seven_years() -> RetentionPolicy {
        RetentionPolicy {
            keep_days: Some(365),
            rules: vec![RetentionRule {
                tag: Some("trading".into()),
                direction: None,
                keep_days: Some(7 * 365),
            }],
        }
    }

    #[test]
    fn a_matching_rule_overrides_the_default_and_the_longest_match_wins() {
        let policy = trading_seven_years();
        let trading = ["trading".to_owned()];
        assert_eq!(policy.keep_days_for(&recording(&[], None)), Some(365));
        assert_eq!(policy.keep_days_for(&recording(&trading, None)), Some(2555));
        let mut shorter = policy.clone();
        shorter.rules.push(RetentionRule {
            tag: None,
            direction: Some(Direction::Internal),
            keep_days: Some(30),
        });
        assert_eq!(
            shorter.keep_days_for(&recording(&[], Some(Direction::Internal))),
            Some(30)
        );
        assert_eq!(
            shorter.keep_days_for(&recording(&trading, Some(Direction::Internal))),
            Some(2555)
        );
        assert_eq!(
            RetentionPolicy::forever().keep_days_for(&recording(&[], None)),
            None
        );
    }

    #[test]
    fn shortening_is_told_from_lengthening() {
        let forever = RetentionPolicy::forever();
        let policy = trading_seven_years();
        assert!(policy.shortens(&forever));
        assert!(!forever.shortens(&policy));
        let mut longer_default = policy.clone();
        longer_default.keep_days = Some(400);
        assert!(!longer_default.shortens(&policy));
        // Dropping the trading rule shortens what trading calls get.
        let no_rule = RetentionPolicy {
            keep_days: Some(365),
            rules: vec![],
        };
        assert!(no_rule.shortens(&policy));
        // A rule for outbound calls alone shortens them only.
        let mut outbound = no_rule.clone();
        outbound.rules.push(RetentionRule {
            tag: None,
            direction: Some(Direction::Outbound),
            keep_days: Some(30),
        });
        assert!(outbound.shortens(&no_rule));
    }

    #[test]
    fn bad_policies_and_holds_are_named() {
        let zero = RetentionPolicy {
            keep_days: Some(0),
            rules: vec![],
        };
        assert!(zero.problem().is_some());
        assert!(trading_seven_years().problem().is_none());
        let empty_rule = RetentionPolicy {
            keep_days: None,
            rules: vec![RetentionRule {
                tag: None,
                direction: None,
                keep_days: Some(1),
            }],
        };
        assert!(empty_rule.problem().is_some());
        assert!(HoldCriteria::default().problem().is_some());
    }

    #[test]
    fn a_hold_covers_its_ids_and_what_its_search_finds() {
        let id = Uuid::from_u128(7);
        let tags = ["dispute".to_owned()];
        let at = DateTime::<Utc>::UNIX_EPOCH + Duration::days(10);
        let call = Searched {
            id: Uuid::from_u128(1),
            caller: Some("+4930111"),
            callee: None,
            agent: Some("bob"),
            tags: &tags,
            started_at: Some(at),
        };
        let by_id = HoldCriteria {
            recording_ids: vec![id],
            search: None,
        };
        assert!(!by_id.covers(&call));
        assert!(by_id.covers(&Searched { id, ..call }));
        let search = HoldCriteria {
            recording_ids: vec![],
            search: Some(HoldSearch {
                agent: Some("bob".into()),
                from: Some(at - Duration::days(1)),
                to: Some(at + Duration::days(1)),
                ..HoldSearch::default()
            }),
        };
        assert!(search.covers(&call));
        assert!(!search.covers(&Searched {
            agent: Some("alice"),
            ..call
        }));
        assert!(!search.covers(&Searched {
            started_at: None,
            ..call
        }));
    }
}
