use std::path::Path;

use callvault_shared::api::Permission;

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

/// Each operation's security scope is the permission its guard checks, in the bearer and the
/// session-cookie requirement alike: the `need::X` of its `InTenant<need::X>` or
/// `Allowed<need::X>`, or, for a handler that checks in its body, the `Permission::X` it
/// refuses without. `#[utoipa::path]` cannot see a type parameter, so this reads the
/// handlers' source; a handler whose attribute names one permission and whose guard checks
/// another fails here.
#[test]
fn every_openapi_security_scope_is_its_guards_permission() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http/routes");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the routes' directory")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    files.sort();
    let mut operations = 0;
    let mut wrong = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("a route file");
        for (start, _) in source.match_indices("#[utoipa::path(") {
            operations += 1;
            let fn_start = start + source[start..].find("pub async fn ").expect("its handler");
            let attribute = &source[start..fn_start];
            let signature_end = fn_start + source[fn_start..].find("{\n").expect("its body");
            let signature = &source[fn_start..signature_end];
            let body_end = signature_end + source[signature_end..].find("\n}\n").expect("its end");
            let body = &source[signature_end..body_end];
            let name = signature["pub async fn ".len()..]
                .split('(')
                .next()
                .unwrap_or_default();

            let guard = names_after(signature, "need::").first().copied();
            let checked_in_body = names_after(body, "Permission::");
            let checked = match guard {
                Some(marker) => Some(marker),
                None => match checked_in_body.as_slice() {
                    [] => None,
                    [first, rest @ ..] if rest.iter().all(|other| other == first) => Some(*first),
                    several => panic!("{name} checks several permissions: {several:?}"),
                },
            };
            let expected: Vec<String> = checked
                .map(|marker| {
                    Permission::ALL
                        .into_iter()
                        .find(|permission| format!("{permission:?}") == marker)
                        .unwrap_or_else(|| panic!("{name}: no permission {marker}"))
                        .as_str()
                        .to_owned()
                })
                .into_iter()
                .collect();
            for scheme in ["bearer", "session_cookie"] {
                let declared = scopes(attribute, scheme).unwrap_or_default();
                if declared != expected {
                    wrong.push(format!(
                        "{}::{name}: {scheme} scope {declared:?}, its guard checks {expected:?}",
                        file.file_stem().unwrap_or_default().to_string_lossy()
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert_eq!(
        operations,
        callvault::http::permissions_doc::routes().len(),
        "every operation of the document has its handler in src/http/routes"
    );
}

/// The identifiers that follow `prefix` in `text`, such as `KeysRead` in `need::KeysRead`.
fn names_after<'t>(text: &'t str, prefix: &str) -> Vec<&'t str> {
    text.match_indices(prefix)
        .map(|(at, _)| {
            let rest = &text[at + prefix.len()..];
            let end = rest
                .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .filter(|name| *name != "ALL")
        .collect()
}

/// The scopes of `scheme`'s requirement in a `security(...)` attribute, if it has one.
fn scopes(attribute: &str, scheme: &str) -> Option<Vec<String>> {
    let key = format!("\"{scheme}\" = [");
    let start = attribute.find(&key)? + key.len();
    let end = start + attribute[start..].find(']')?;
    Some(
        attribute[start..end]
            .split(',')
            .map(|scope| scope.trim().trim_matches('"').to_owned())
            .filter(|scope| !scope.is_empty())
            .collect(),
    )
}

/// The public routes are the document's operations without a security requirement (the
/// authenticate-first middleware asks the route table, built from the document), plus the
/// document itself, which it does not describe.
#[test]
fn the_public_api_routes_come_from_the_openapi_document() {
    use callvault::http::guards::authenticate_first::UNDOCUMENTED_PUBLIC_API_ROUTES;
    use callvault::http::permissions_doc::{Access, routes};
    use callvault::http::route_table::RouteTable;

    let document = callvault::http::openapi::document();
    let table = RouteTable::from_document(&document);
    let public: Vec<(String, String)> = routes()
        .into_iter()
        .filter(|route| route.access == Access::Public)
        .map(|route| (route.method, route.path))
        .collect();
    for route in routes() {
        assert_eq!(
            table.is_public(&route.method, &route.path),
            public.contains(&(route.method.clone(), route.path.clone())),
            "{} {}",
            route.method,
            route.path
        );
    }
    assert!(table.is_public("POST", "/api/v1/auth/login"));
    assert!(!table.is_public("GET", "/api/v1/auth/me"));
    assert!(!table.is_public("GET", "/api/v1/tenants/acme"));
    for path in UNDOCUMENTED_PUBLIC_API_ROUTES {
        assert!(!document.paths.paths.contains_key(path), "{path}");
    }
}
