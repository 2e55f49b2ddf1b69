use callvault_shared::api::{CheckState, Health, Readiness};

use crate::helpers::TestApp;

#[tokio::test]
async fn healthz_answers_ok_with_the_version() {
    let app = TestApp::spawn().await;

    let response = app.healthz().await;

    assert_eq!(response.status(), 200);
    let health: Health = response.json().await.expect("JSON");
    assert_eq!(health.status, CheckState::Ok);
    assert_eq!(health.version, env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn readyz_answers_ok_when_database_and_storage_answer() {
    let app = TestApp::spawn().await;

    let response = app.readyz().await;

    assert_eq!(response.status(), 200);
    let readiness: Readiness = response.json().await.expect("JSON");
    assert_eq!(readiness.database, CheckState::Ok);
    assert_eq!(readiness.storage, CheckState::Ok);
}

#[tokio::test]
async fn readyz_answers_503_naming_storage_when_the_object_store_is_gone() {
    use object_store::ObjectStoreExt;
    let app = TestApp::spawn().await;
    // The store the server started with no longer holds its marker: replaced, or emptied.
    app.store()
        .await
        .delete(&object_store::path::Path::from("callvault-store"))
        .await
        .expect("removed");

    let response = app.readyz().await;

    assert_eq!(response.status(), 503);
    let readiness: Readiness = response.json().await.expect("JSON");
    assert_eq!(readiness.status, CheckState::Unavailable);
    assert_eq!(readiness.storage, CheckState::Unavailable);
    assert_eq!(readiness.database, CheckState::Ok);
}
