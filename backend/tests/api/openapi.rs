use std::path::Path;

use crate::helpers::TestApp;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let committed = std::fs::read_to_string(Path::new(COMMITTED)).unwrap_or_default();
    assert!(
        committed == callvault::openapi::document_json(),
        "openapi/openapi.json is out of date: run `cargo xtask openapi` and commit the result"
    );
}

#[tokio::test]
async fn the_server_publishes_the_same_document() {
    let app = TestApp::spawn().await;

    let response = app.get("/api/v1/openapi.json").await;

    assert_eq!(response.status(), 200);
    let served: serde_json::Value = response.json().await.expect("JSON");
    let built: serde_json::Value =
        serde_json::from_str(&callvault::openapi::document_json()).expect("JSON");
    assert_eq!(served, built);
    assert!(served["paths"]["/readyz"]["get"].is_object());
}
