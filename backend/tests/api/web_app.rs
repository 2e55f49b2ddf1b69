use callvault::http::web_app::CONTENT_SECURITY_POLICY;
use reqwest::header;

use crate::helpers::{PRECOMPRESSED_BOOT_JS, TestApp};

#[tokio::test]
async fn the_root_serves_the_app_page_with_security_headers() {
    let app = TestApp::spawn().await;

    let response = app.get("/").await;

    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(
        headers[header::CONTENT_SECURITY_POLICY],
        CONTENT_SECURITY_POLICY
    );
    assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    assert!(response.text().await.expect("body").contains("/boot.js"));
}

#[tokio::test]
async fn every_client_side_route_gets_the_app_page_uncached() {
    let app = TestApp::spawn().await;

    for path in ["/login", "/tenants/acme/recordings", "/account/"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "no-cache",
            "{path}"
        );
        assert!(
            response
                .text()
                .await
                .expect("body")
                .starts_with("<!doctype html>"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_missing_asset_is_404_not_the_app_page() {
    let app = TestApp::spawn().await;

    let response = app.get("/missing.wasm").await;

    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn an_unknown_api_path_is_a_problem_not_the_app_page() {
    let app = TestApp::spawn().await;

    let response = app.get("/api/v1/no-such-thing").await;

    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let problem: callvault_shared::api::Problem = response.json().await.expect("problem");
    assert_eq!(problem.status, 404);
    assert!(problem.message().contains("/api/v1/no-such-thing"));
}

#[tokio::test]
async fn assets_are_compressed_for_clients_that_accept_it() {
    let app = TestApp::spawn().await;

    let response = app
        .client
        .get(format!("{}/boot.js", app.address))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("sent");

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn a_browser_that_takes_brotli_gets_the_copy_compressed_at_build_time() {
    let app = TestApp::spawn().await;
    let fetch = |accept: &'static str| {
        app.client
            .get(format!("{}/boot.js", app.address))
            .header(header::ACCEPT_ENCODING, accept)
            .send()
    };

    let brotli = fetch("gzip, deflate, br, zstd").await.expect("sent");
    assert_eq!(brotli.status(), 200);
    assert_eq!(brotli.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(brotli.headers()[header::VARY], "accept-encoding");
    assert!(
        brotli.headers()[header::CONTENT_TYPE]
            .to_str()
            .is_ok_and(|value| value.starts_with("text/javascript")),
        "the asset's own type, not the copy's"
    );
    assert_eq!(
        brotli.bytes().await.expect("body").as_ref(),
        PRECOMPRESSED_BOOT_JS
    );

    // Refused brotli (q=0) or none asked for: compressed per request, or sent as it is.
    let refused = fetch("br;q=0, gzip").await.expect("sent");
    assert_eq!(refused.headers()[header::CONTENT_ENCODING], "gzip");
    let plain = fetch("identity").await.expect("sent");
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    assert!(plain.text().await.expect("body").starts_with("console.log"));

    // A name that is no asset is not looked for outside the app's directory.
    let traversal = app
        .client
        .get(format!("{}/..%2Fcallvault.db.js", app.address))
        .header(header::ACCEPT_ENCODING, "br")
        .send()
        .await
        .expect("sent");
    assert!(
        traversal.status().is_client_error(),
        "{}",
        traversal.status()
    );
}

#[tokio::test]
async fn without_a_built_app_the_page_says_how_to_build_it() {
    let app = TestApp::spawn_with(|config| config.web_dir = "/nonexistent/web".into()).await;

    let response = app.get("/").await;

    assert_eq!(response.status(), 503);
    assert!(
        response
            .text()
            .await
            .expect("body")
            .contains("cargo xtask web")
    );
    assert_eq!(app.healthz().await.status(), 200);
}

#[tokio::test]
async fn a_method_a_path_does_not_take_is_405_naming_those_it_does() {
    let app = TestApp::spawn().await;
    let send = |method: &str, path: &str| {
        app.client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
                format!("{}{path}", app.address),
            )
            .send()
    };

    for (method, path, allow) in [
        ("PUT", "/api/v1/tenants", "GET, POST"),
        ("TRACE", "/api/v1/auth/me", "GET"),
        (
            "POST",
            "/api/v1/tenants/acme/users/0190f1c2-aaaa-7bbb-8ccc-123456789abc",
            "DELETE, GET, PATCH",
        ),
        ("DELETE", "/healthz", "GET, HEAD"),
        ("POST", "/", "GET, HEAD"),
    ] {
        let response = send(method, path).await.expect("sent");
        assert_eq!(response.status(), 405, "{method} {path}");
        assert_eq!(response.headers()[header::ALLOW], allow, "{method} {path}");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
    }
    let nowhere = send("PUT", "/api/v1/nowhere").await.expect("sent");
    assert_eq!(nowhere.status(), 404);
}
