//! Named leases, on the profile's database (the upsert must mean the same on SQLite and
//! PostgreSQL): one holder at a time until the lease expires, and a backup that finds another
//! running refuses to start.

use callvault::domain::lease::{self as leases, instance_id};
use callvault::infra::entities::lease;
use chrono::{Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::TestApp;

const ELSEWHERE: &str = "instance-elsewhere";

/// Makes the lease `name` another instance's, expiring `from_now`.
async fn held_elsewhere(db: &sea_orm::DatabaseConnection, name: &str, from_now: Duration) {
    let updated = lease::Entity::update_many()
        .col_expr(lease::Column::Owner, Expr::value(ELSEWHERE))
        .col_expr(lease::Column::ExpiresAt, Expr::value(Utc::now() + from_now))
        .filter(lease::Column::Name.eq(name))
        .exec(db)
        .await
        .expect("updated");
    assert_eq!(updated.rows_affected, 1);
}

async fn owner(db: &sea_orm::DatabaseConnection, name: &str) -> Option<String> {
    leases::holder(db, name)
        .await
        .expect("read")
        .map(|held| held.owner)
}

#[tokio::test]
async fn a_lease_has_one_holder_until_it_expires() {
    let app = TestApp::spawn().await;
    let db = app.db().await;
    let minute = Duration::minutes(1);

    assert!(leases::take(&db, "work", minute).await.expect("take"));
    assert!(
        leases::take(&db, "work", minute).await.expect("take"),
        "its holder renews it"
    );
    assert_eq!(owner(&db, "work").await.as_deref(), Some(instance_id()));

    held_elsewhere(&db, "work", minute).await;
    assert!(
        !leases::take(&db, "work", minute).await.expect("take"),
        "another instance's live lease is not taken"
    );
    leases::release(&db, "work").await.expect("release");
    assert_eq!(
        owner(&db, "work").await.as_deref(),
        Some(ELSEWHERE),
        "nobody releases another's lease"
    );

    held_elsewhere(&db, "work", -Duration::seconds(1)).await;
    assert!(
        leases::take(&db, "work", minute).await.expect("take"),
        "an expired lease is taken over"
    );
    assert_eq!(owner(&db, "work").await.as_deref(), Some(instance_id()));
    leases::release(&db, "work").await.expect("release");
    assert_eq!(owner(&db, "work").await, None);
}

#[tokio::test]
async fn a_backup_does_not_start_while_another_runs_and_frees_its_lease_when_done() {
    let app = TestApp::spawn().await;
    let db = app.db().await;
    let backup = app.data_dir.path().join("backup.zip");
    let create = || {
        app.command()
            .args(["backup", "create", "--all", "-o"])
            .arg(&backup)
            .output()
            .expect("runs")
    };

    assert!(
        leases::take(&db, "backup", Duration::minutes(1))
            .await
            .expect("take")
    );
    held_elsewhere(&db, "backup", Duration::minutes(1)).await;
    let refused = create();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        said.contains("another backup is running") && said.contains(ELSEWHERE),
        "{said}"
    );
    assert!(!backup.exists(), "nothing was written");

    held_elsewhere(&db, "backup", -Duration::seconds(1)).await;
    let done = create();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(backup.exists());
    assert_eq!(owner(&db, "backup").await, None, "released when done");
}
