//! `callvault admin`: for the operator who is locked out. Works on the database directly, with
//! the server's configuration, and leaves the same audit records the API would.

use std::path::Path;

use anyhow::{Context, bail};
use callvault_shared::api::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::passphrase;
use crate::domain::accounts::{NewAccount, RESET_NOTICE, users};
use crate::domain::audit::Actor;
use crate::infra::config::{Config, Settings};
use crate::infra::database;
use crate::infra::entities::{tenant, user};

pub async fn create_user(
    config_file: Option<&Path>,
    tenant_selector: &str,
    username: String,
    role: Role,
    password_file: Option<&Path>,
) -> anyhow::Result<()> {
    let config = load(config_file)?;
    let db = database::open_configured(&config).await?;
    let tenant = match Uuid::try_parse(tenant_selector) {
        Ok(id) => tenant::Entity::find_by_id(id).one(&db).await?,
        Err(_) => {
            tenant::Entity::find()
                .filter(tenant::Column::Slug.eq(tenant_selector))
                .one(&db)
                .await?
        }
    }
    .with_context(|| format!("no tenant {tenant_selector:?}"))?;
    let password = new_password(password_file)?;
    let account = NewAccount {
        username,
        password,
        role,
    };
    let min_length = config.auth.password_min_length;
    let created = users::create_account(&db, &tenant, account, min_length, &Actor::command_line())
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    eprintln!(
        "Created {} ({role}) in {} with id {}.",
        created.username, tenant.slug, created.id
    );
    Ok(())
}

pub async fn reset_password(
    config_file: Option<&Path>,
    username: &str,
    password_file: Option<&Path>,
) -> anyhow::Result<()> {
    let config = load(config_file)?;
    let db = database::open_configured(&config).await?;
    let target = user::Entity::find()
        .filter(user::Column::Username.eq(username))
        .one(&db)
        .await?
        .with_context(|| format!("no user {username:?}"))?;
    let password = new_password(password_file)?;
    let min_length = config.auth.password_min_length;
    let outcome = users::reset_account(&db, target, password, min_length, &Actor::command_line())
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    eprintln!(
        "The password of {username} is reset; {} sessions ended, {} grants removed.\n{RESET_NOTICE}",
        outcome.sessions_ended, outcome.grants_removed
    );
    Ok(())
}

fn load(config_file: Option<&Path>) -> anyhow::Result<Config> {
    Ok(Settings::load(config_file)?.validate()?)
}

/// From the file's first line, or typed twice.
fn new_password(file: Option<&Path>) -> anyhow::Result<Zeroizing<String>> {
    if file.is_some() {
        return passphrase::read(file, "");
    }
    let first = passphrase::read(None, "New password: ")?;
    let second = passphrase::read(None, "The same password again: ")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(first)
}
