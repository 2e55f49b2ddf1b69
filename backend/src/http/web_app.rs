//! The browser app: its built files, `index.html` for every client-side route, and the
//! security headers every answer carries.

use std::path::{Path, PathBuf};

use actix_files::{Files, NamedFile};
use actix_web::dev::{ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpResponse, guard, web};

use crate::http::error::ApiError;

/// Nothing may load from another origin: the app must work on a private network with no
/// internet, and a script injected from elsewhere must not run. `wasm-unsafe-eval` is what
/// instantiating WebAssembly needs; `blob:` media is the locally decrypted playback.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; \
     font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
}

/// Serves the built app from `dir`, or, when it has not been built, a page that says how.
pub fn configure(dir: &Path) -> impl FnOnce(&mut web::ServiceConfig) + use<> {
    let dir = dir.to_path_buf();
    move |cfg| {
        // The app's files are only ever read.
        cfg.service(
            web::resource("/{path:.*}")
                .guard(guard::Not(guard::Any(guard::Get()).or(guard::Head())))
                .to(|request: actix_web::HttpRequest| async move {
                    Err::<HttpResponse, _>(ApiError::MethodNotAllowed {
                        detail: format!("{} takes GET and HEAD only", request.path()),
                        allow: "GET, HEAD".into(),
                    })
                }),
        );
        if dir.join("index.html").is_file() {
            let index = dir.join("index.html");
            cfg.service(
                Files::new("/", &dir)
                    .index_file("index.html")
                    .use_etag(true)
                    .use_last_modified(true)
                    .default_handler(fn_service(move |request: ServiceRequest| {
                        let index = index.clone();
                        async move { client_route(request, index).await }
                    })),
            );
        } else {
            tracing::warn!(dir = %dir.display(), "the web app is not built; run `cargo xtask web`");
            cfg.default_service(web::to(|| async {
                HttpResponse::ServiceUnavailable()
                    .content_type("text/plain; charset=utf-8")
                    .body("The callvault web app is not built on this server. Run `cargo xtask web`.\n")
            }));
        }
    }
}

/// A path that names no file: a route of the client-side router, so it gets `index.html`.
/// A missing asset (its last segment has an extension) stays a 404.
async fn client_route(
    request: ServiceRequest,
    index: PathBuf,
) -> Result<ServiceResponse, actix_web::Error> {
    let (request, _) = request.into_parts();
    let last_segment = request.path().rsplit('/').next().unwrap_or_default();
    if last_segment.contains('.') {
        return Ok(ServiceResponse::new(
            request,
            HttpResponse::NotFound().finish(),
        ));
    }
    let response = NamedFile::open(&index)?.into_response(&request);
    let mut response = ServiceResponse::new(request, response);
    // The page names the current build's assets; never serve a stale one.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        CacheControl(vec![CacheDirective::NoCache])
            .to_string()
            .parse()
            .map_err(actix_web::error::ErrorInternalServerError)?,
    );
    Ok(response)
}
