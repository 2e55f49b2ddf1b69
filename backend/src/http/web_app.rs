//! The browser app: its built files, `index.html` for every client-side route, and the
//! security headers every answer carries.

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use actix_files::{Files, NamedFile};
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, fn_service};
use actix_web::http::header::{
    self, CacheControl, CacheDirective, HeaderMap, HeaderName, HeaderValue,
};
use actix_web::{HttpResponse, ResponseError, guard, web};

use crate::http::error::ApiError;

/// Nothing may load from another origin: the app must work on a private network with no
/// internet, and a script injected from elsewhere must not run. `wasm-unsafe-eval` is what
/// instantiating WebAssembly needs; `blob:` media is the locally decrypted playback.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; \
     font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// How long a browser that has seen the server over HTTPS keeps to HTTPS (one year).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// The headers every answer carries: any status, any route, the middleware's refusals
/// included. Applied by the outermost wrapper of the application, which also turns an error a
/// middleware answered with into its response first, so that nothing escapes it.
#[derive(Clone)]
pub struct SecurityHeaders(Rc<Vec<(HeaderName, HeaderValue)>>);

impl SecurityHeaders {
    /// `Strict-Transport-Security` is sent only when the server is reached over HTTPS, as the
    /// configured public URL says (behind a TLS-terminating proxy the server itself sees HTTP).
    pub fn new(strict_transport: bool) -> Self {
        let mut headers = vec![
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                HeaderName::from_static("cross-origin-opener-policy"),
                HeaderValue::from_static("same-origin"),
            ),
            (
                HeaderName::from_static("permissions-policy"),
                HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
            ),
        ];
        if strict_transport {
            headers.push((
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
            ));
        }
        Self(Rc::new(headers))
    }

    /// For `App::wrap_fn`: calls `service` and adds each header the response does not set
    /// itself (the API docs' page has a policy of its own). An error a middleware answered
    /// with becomes its response only after this wrapper (the server makes it one), so it is
    /// wrapped into an error whose response carries the headers too.
    pub fn apply<S, B>(
        &self,
        request: ServiceRequest,
        service: &S,
    ) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
    where
        S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let headers = Rc::clone(&self.0);
        let answer = service.call(request);
        async move {
            match answer.await {
                Ok(mut response) => {
                    add_missing(response.headers_mut(), &headers);
                    Ok(response)
                }
                Err(error) => Err(WithHeaders { error, headers }.into()),
            }
        }
    }
}

fn add_missing(present: &mut HeaderMap, headers: &[(HeaderName, HeaderValue)]) {
    for (name, value) in headers {
        if !present.contains_key(name) {
            present.insert(name.clone(), value.clone());
        }
    }
}

/// An error whose answer carries the security headers.
struct WithHeaders {
    error: actix_web::Error,
    headers: Rc<Vec<(HeaderName, HeaderValue)>>,
}

impl fmt::Debug for WithHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.error, f)
    }
}

impl fmt::Display for WithHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl ResponseError for WithHeaders {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = self.error.error_response();
        add_missing(response.headers_mut(), &self.headers);
        response
    }
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
            let assets = dir.clone();
            cfg.service(
                web::resource(r"/{asset:[A-Za-z0-9_-][A-Za-z0-9_.-]*\.(?:wasm|js|css)}")
                    .guard(guard::fn_guard(|context| accepts_brotli(context.head())))
                    .to(
                        move |request: actix_web::HttpRequest, asset: web::Path<String>| {
                            precompressed(request, assets.join(asset.into_inner()))
                        },
                    ),
            );
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

/// Whether the request's `Accept-Encoding` takes brotli (`br`, not at `q=0`).
fn accepts_brotli(head: &actix_web::dev::RequestHead) -> bool {
    head.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            parts.next() == Some("br")
                && parts.all(|parameter| {
                    parameter
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                        .is_none_or(|q| q > 0.0)
                })
        })
}

/// The asset at `original` as the brotli copy the build wrote beside it (`NAME.br`, at the
/// highest quality, which compressing per request cannot afford), or as it is when there is
/// none. A missing asset is a 404, as the file service answers.
async fn precompressed(
    request: actix_web::HttpRequest,
    original: PathBuf,
) -> Result<HttpResponse, actix_web::Error> {
    // Opening a file is a metadata read, as the file service and `client_route` do it.
    let mut compressed = original.clone().into_os_string();
    compressed.push(".br");
    let compressed = PathBuf::from(compressed);
    let file = if compressed.is_file() && original.is_file() {
        let extension = original
            .extension()
            .and_then(|extension| extension.to_str())
            .unwrap_or_default();
        NamedFile::open(&compressed)?
            .set_content_type(actix_files::file_extension_to_mime(extension))
            .set_content_encoding(header::ContentEncoding::Brotli)
    } else {
        NamedFile::open(&original)?
    };
    let mut response = file
        .use_etag(true)
        .use_last_modified(true)
        .into_response(&request);
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Ok(response)
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
