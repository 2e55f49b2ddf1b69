use argon2::PasswordVerifier;
use argon2::password_hash::phc::PasswordHash;
use callvault::domain::bootstrap::ROOT_USERNAME;
use callvault::http::startup::Application;
use callvault::infra::entities::{tenant, user};
use sea_orm::{ColumnTrait, Database, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{ROOT_PASSWORD, TestDatabase, test_settings};

#[tokio::test]
async fn the_first_start_creates_the_system_account_and_root_once() {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let database = TestDatabase::create(data_dir.path()).await;
    let settings = || {
        test_settings(data_dir.path(), &database.url)
            .validate()
            .expect("valid")
    };

    Application::build(settings()).await.expect("first start");
    Application::build(settings()).await.expect("second start");

    let db = Database::connect(&database.url).await.expect("connects");
    let tenants = tenant::Entity::find().all(&db).await.expect("tenants");
    assert_eq!(tenants.len(), 1);
    assert_eq!(tenants[0].slug, tenant::SYSTEM_SLUG);
    let root = user::Entity::find()
        .filter(user::Column::Username.eq(ROOT_USERNAME))
        .one(&db)
        .await
        .expect("query")
        .expect("root exists");
    assert_eq!(root.tenant_id, tenants[0].id);
    assert_eq!(root.role, callvault_shared::api::Role::Root);
    let hash = PasswordHash::new(&root.password_hash).expect("PHC string");
    assert!(
        argon2::Argon2::default()
            .verify_password(ROOT_PASSWORD.as_bytes(), &hash)
            .is_ok()
    );
    assert_eq!(user::Entity::find().count(&db).await.expect("count"), 1);
}

#[tokio::test]
async fn an_unreachable_database_stops_the_start_naming_the_setting() {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let mut settings = test_settings(
        data_dir.path(),
        "postgres://callvault:secret@127.0.0.1:1/none",
    );
    settings.database_url = Some("postgres://callvault:secret@127.0.0.1:1/none".into());

    let error = Application::build(settings.validate().expect("valid"))
        .await
        .err()
        .expect("the start fails");

    let message = format!("{error:#}");
    assert!(
        message.starts_with("CALLVAULT_DATABASE_URL: cannot connect to"),
        "{message}"
    );
    assert!(!message.contains("secret"), "{message}");
}

#[tokio::test]
async fn a_data_dir_that_cannot_be_written_stops_the_start_naming_the_setting() {
    let parent = tempfile::tempdir().expect("temporary directory");
    let file = parent.path().join("a-file");
    std::fs::write(&file, b"x").expect("file");
    let data_dir = file.join("data");

    let error = Application::build(
        test_settings(&data_dir, "sqlite::memory:")
            .validate()
            .expect("valid"),
    )
    .await
    .err()
    .expect("the start fails");

    let message = format!("{error:#}");
    assert!(message.starts_with("CALLVAULT_DATA_DIR: "), "{message}");
    assert!(message.contains("cannot be written"), "{message}");
}

#[tokio::test]
async fn a_bind_address_in_use_stops_the_start_naming_the_setting() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bound");
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let database = TestDatabase::create(data_dir.path()).await;
    let mut config = test_settings(data_dir.path(), &database.url)
        .validate()
        .expect("valid");
    config.bind = taken.local_addr().expect("address");

    let error = Application::build(config)
        .await
        .err()
        .expect("the start fails");

    let message = format!("{error:#}");
    assert!(
        message.starts_with("CALLVAULT_BIND: cannot listen on"),
        "{message}"
    );
}
