//! `callvault demo`: a demo tenant with users, a key, encryption on, a few dozen synthetic
//! calls (DTMF dialling, then tones), a retention policy and a legal hold, so that a new user
//! sees the product working. It refuses to run twice.

use std::f64::consts::TAU;
use std::path::Path;

use anyhow::{Context, bail};
use callvault_shared::api::{
    Direction, HoldCriteria, HoldSearch, KeyOrigin, KeyState, NewTenant, NewUser, RetentionPolicy,
    RetentionRule, Role,
};
use callvault_shared::crypto::{Native, RsaBits};
use callvault_shared::keys::RsaPrivateKey;
use callvault_shared::wav::RATE;
use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::domain::accounts::users;
use crate::domain::audit::{self, Actor, AuditEntry};
use crate::domain::bootstrap;
use crate::domain::encryption_keys::grants;
use crate::domain::recordings::ingest::{self, Metadata};
use crate::domain::retention::holds::{self, NewHold};
use crate::domain::retention::policy;
use crate::domain::tenants;
use crate::infra::commit_lane::CommitLane;
use crate::infra::config::Settings;
use crate::infra::entities::{encryption_key, key_grant, tenant, user};
use crate::{infra::database, infra::password, infra::storage};

const SLUG: &str = "demo";
const RECORDINGS: usize = 36;

/// Seeds the demo; with `if_absent`, a demo that exists already is left as it is.
pub async fn run(config_file: Option<&Path>, if_absent: bool) -> anyhow::Result<()> {
    let config = Settings::load(config_file)?.validate()?;
    let db = database::open_configured(&config).await?;
    let store = storage::open(&config.storage).await?;
    let first_start = bootstrap::ensure_system_account(&db, config.root_password.clone()).await?;
    crate::cli::first_start::show_root_password(first_start, &config.data_dir)?;
    if tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(SLUG))
        .one(&db)
        .await?
        .is_some()
    {
        if if_absent {
            eprintln!("The demo tenant `{SLUG}` exists already: nothing to seed.");
            return Ok(());
        }
        bail!("the demo tenant exists already");
    }
    let system = find_tenant(&db, tenant::SYSTEM_SLUG).await?;
    let root = user::Entity::find()
        .filter(user::Column::Username.eq(bootstrap::ROOT_USERNAME))
        .one(&db)
        .await?
        .context("no root administrator")?;
    let actor = Actor::command_line();
    if system.active_key_id.is_none() {
        let key = new_key(&db, &system, &[&root]).await?;
        eprintln!(
            "Created the System account's key {} (granted to root).",
            &key.fingerprint[..16]
        );
    }

    let (demo, people) = tenant_and_people(&db, &system, &root, &actor, &config).await?;
    let holders: Vec<&user::Model> = people.iter().take(2).map(|(user, _)| user).collect();
    let key = new_key(&db, &demo, &holders).await?;
    let mut row = tenant::Entity::find_by_id(demo.id)
        .one(&db)
        .await?
        .context("demo tenant")?
        .into_active_model();
    row.encryption_enabled = Set(true);
    let demo = row.update(&db).await?;

    seed_calls(&db, &store, &demo, &actor).await?;
    retention(&db, &demo, &actor).await?;
    audit::record(
        &db,
        AuditEntry::new(demo.id, &actor, "demo.seed")
            .details(serde_json::json!({ "recordings": RECORDINGS })),
    )
    .await?;

    eprintln!(
        "\nThe demo tenant `{SLUG}` is ready: {RECORDINGS} calls sealed with its key {} (held by demo-admin and demo-supervisor).\nSign in with one of these (shown only now):\n",
        &key.fingerprint[..16]
    );
    for (user, password) in &people {
        eprintln!(
            "    {:<16} {:<14} {}",
            user.username,
            user.role,
            password.as_str()
        );
    }
    eprintln!("\nThe key has not been exported yet: that step of the check-list is left for you.");
    Ok(())
}

/// The demo tenant and its four people, made by the same domain functions as the API's, with
/// their generated passwords.
async fn tenant_and_people(
    db: &DatabaseConnection,
    system: &tenant::Model,
    root: &user::Model,
    actor: &Actor,
    config: &crate::infra::config::Config,
) -> anyhow::Result<(tenant::Model, Vec<(user::Model, Zeroizing<String>)>)> {
    let new = NewTenant {
        slug: SLUG.into(),
        name: "Demo Telecom".into(),
    };
    let demo = tenants::create(db, new, system.id, actor).await?;
    let mut people = Vec::new();
    for (username, role) in [
        ("demo-admin", Role::TenantAdmin),
        ("demo-supervisor", Role::Supervisor),
        ("demo-agent", Role::User),
        ("demo-auditor", Role::Auditor),
    ] {
        let password = password::generate()?;
        let new = NewUser {
            username: username.into(),
            password: password.as_str().to_owned(),
            role,
        };
        let created =
            users::create(db, &demo, root, new, config.auth.password_min_length, actor).await?;
        people.push((created, password));
    }
    Ok((demo, people))
}

/// A policy as a regulated tenant would set one (ten years; billing calls seven, as tax
/// records), and a legal hold on one agent's billing calls, so that the retention screen
/// shows its parts.
async fn retention(
    db: &DatabaseConnection,
    demo: &tenant::Model,
    actor: &Actor,
) -> anyhow::Result<()> {
    let now = Utc::now();
    let policy = RetentionPolicy {
        keep_days: Some(3650),
        rules: vec![RetentionRule {
            tag: Some("billing".into()),
            direction: None,
            keep_days: Some(7 * 365),
        }],
    };
    policy::set(db, demo, policy, None, actor, now).await?;
    let hold = NewHold {
        name: "Billing dispute 2026-031".into(),
        reason: "A customer disputes invoices handled by Grace; keep her billing calls until the case closes.".into(),
        criteria: HoldCriteria {
            recording_ids: Vec::new(),
            search: Some(HoldSearch {
                agent: Some("Grace".into()),
                tag: Some("billing".into()),
                ..HoldSearch::default()
            }),
        },
    };
    holds::place(db, demo, hold, actor, now).await?;
    Ok(())
}

/// The synthetic calls, uploaded through the same ingest as the API's.
async fn seed_calls(
    db: &DatabaseConnection,
    store: &crate::infra::storage::Store,
    demo: &tenant::Model,
    actor: &Actor,
) -> anyhow::Result<()> {
    let agents = ["Ada", "Grace", "Linus", "Margaret"];
    let now = Utc::now();
    for index in 0..RECORDINGS {
        let seconds = 4 + (index * 7) % 9;
        let digits = format!("0{}{:08}", 30 + index % 60, 12_345_678 + index * 7919);
        let audio = synthetic_call(&digits, seconds as u32, index);
        let inbound = index % 3 != 0;
        let (caller, callee) = if inbound {
            (format!("+49{digits}"), "+4930555000".to_owned())
        } else {
            ("+4930555000".to_owned(), format!("+49{digits}"))
        };
        let metadata = Metadata {
            started_at: Some(now - Duration::minutes((index as i64) * 313 + 17)),
            duration_ms: None,
            direction: Some(if inbound {
                Direction::Inbound
            } else {
                Direction::Outbound
            }),
            caller: Some(caller),
            callee: Some(callee),
            agent: Some(agents[index % agents.len()].into()),
            external_id: Some(format!("demo-{index:04}")),
            tags: Some(["sales", "support", "billing"][index % 3].into()),
        };
        let body = futures_util::stream::once(async move { Ok(bytes::Bytes::from(audio)) });
        ingest::ingest(
            db,
            &CommitLane::in_place(db.clone()),
            store,
            demo,
            actor,
            metadata,
            Box::pin(body),
            u64::MAX,
            None,
        )
        .await
        .map_err(|error| anyhow::anyhow!("demo recording {index}: {error}"))?;
    }
    Ok(())
}

async fn find_tenant(db: &DatabaseConnection, slug: &str) -> anyhow::Result<tenant::Model> {
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(db)
        .await?
        .with_context(|| format!("no tenant {slug}"))
}

/// A fresh key for `tenant`, active, granted to `holders`.
async fn new_key(
    db: &DatabaseConnection,
    tenant: &tenant::Model,
    holders: &[&user::Model],
) -> anyhow::Result<encryption_key::Model> {
    let private =
        tokio::task::spawn_blocking(|| RsaPrivateKey::<Native>::generate(RsaBits::DEFAULT))
            .await??;
    let public = private.public_key();
    let key = encryption_key::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        fingerprint: public.fingerprint().to_hex(),
        bits: public.bits().bits() as i32,
        origin: KeyOrigin::Generated,
        state: KeyState::Active,
        public_key: public.spki_der().to_vec(),
        created_at: Utc::now(),
        created_by: None,
        exported_at: None,
        retired_at: None,
        destroyed_at: None,
    };
    // The RSA work first, so that the transaction covers only the writes.
    let mut sealed_grants = Vec::with_capacity(holders.len());
    for holder in holders {
        let sealed = grants::seal_for(&key, holder, private.to_pkcs8_der()?)
            .await
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        sealed_grants.push((holder.id, sealed));
    }
    let txn = crate::infra::database::begin_write(db).await?;
    let key = key.into_active_model().insert(&txn).await?;
    for (holder_id, sealed) in sealed_grants {
        key_grant::ActiveModel {
            key_id: Set(key.id),
            user_id: Set(holder_id),
            tenant_id: Set(tenant.id),
            sealed_private_key: Set(sealed),
            granted_by: Set(None),
            created_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await?;
    }
    let mut row = tenant.clone().into_active_model();
    row.active_key_id = Set(Some(key.id));
    row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry::new(tenant.id, &Actor::command_line(), "key.create")
            .object("key", key.id)
            .details(serde_json::json!({ "fingerprint": key.fingerprint })),
    )
    .await?;
    txn.commit().await?;
    Ok(key)
}

/// A WAV file (8 kHz, 16-bit, mono): the DTMF tones of `digits`, then `seconds` of a two-voice
/// "conversation" of tones whose pitch depends on `seed`.
pub fn synthetic_call(digits: &str, seconds: u32, seed: usize) -> Vec<u8> {
    let mut samples: Vec<i16> = Vec::new();
    let tone = |low: f64, high: f64, millis: u32, samples: &mut Vec<i16>| {
        for n in 0..(RATE * millis / 1000) {
            let t = f64::from(n) / f64::from(RATE);
            let value = 0.3 * (TAU * low * t).sin() + 0.3 * (TAU * high * t).sin();
            samples.push((value * f64::from(i16::MAX)) as i16);
        }
    };
    for digit in digits.chars() {
        let (low, high) = dtmf(digit);
        tone(low, high, 120, &mut samples);
        tone(0.0, 0.0, 80, &mut samples);
    }
    let voices = [
        220.0 + (seed % 5) as f64 * 30.0,
        330.0 + (seed % 7) as f64 * 25.0,
    ];
    for turn in 0..seconds * 2 {
        let pitch = voices[(turn % 2) as usize];
        tone(pitch, pitch * 1.5, 400, &mut samples);
        tone(0.0, 0.0, 100, &mut samples);
    }
    callvault_shared::wav::encode(&samples)
}

fn dtmf(digit: char) -> (f64, f64) {
    let keys = ["123A", "456B", "789C", "*0#D"];
    let rows = [697.0, 770.0, 852.0, 941.0];
    let columns = [1209.0, 1336.0, 1477.0, 1633.0];
    for (row, keys) in keys.iter().enumerate() {
        if let Some(column) = keys.find(digit) {
            return (rows[row], columns[column]);
        }
    }
    (0.0, 0.0)
}
