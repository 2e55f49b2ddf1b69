use std::path::Path;

use crate::helpers::TestApp;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let committed = std::fs::read_to_string(Path::new(COMMITTED)).unwrap_or_default();
    assert!(
        committed == callvault::http::openapi::document_json(),
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
        serde_json::from_str(&callvault::http::openapi::document_json()).expect("JSON");
    assert_eq!(served, built);
    assert!(served["paths"]["/readyz"]["get"].is_object());
}

#[tokio::test]
async fn the_docs_page_is_served_from_the_binary_and_points_at_the_document() {
    let app = TestApp::spawn().await;

    let page = app.get("/api/docs/").await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .expect("ASCII")
            .contains("default-src 'self'")
    );
    let html = page.text().await.expect("text");
    assert!(html.contains("swagger-ui-bundle.js"), "{html}");
    let initializer = app
        .get("/api/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        initializer.contains("/api/v1/openapi.json"),
        "{initializer}"
    );
    assert!(!initializer.contains("petstore"), "{initializer}");
    for asset in ["swagger-ui-bundle.js", "swagger-ui.css"] {
        let response = app.get(&format!("/api/docs/{asset}")).await;
        assert_eq!(response.status(), 200, "{asset}");
        assert!(
            response.bytes().await.expect("bytes").len() > 10_000,
            "{asset}"
        );
    }
    assert_eq!(app.get("/api/docs/nothing-here.js").await.status(), 404);
}
