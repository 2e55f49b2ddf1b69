//! The typed client of the callvault REST API: one function per endpoint, taking and
//! returning the shared API types. Same-origin only, so the session cookie goes along; unsafe
//! methods repeat the session's CSRF token, which the client keeps from the login or `me`.

mod error;
pub mod files;
mod upload;

use std::cell::RefCell;

pub use error::ApiError;
pub use upload::{UploadMetadata, import_recordings, upload_recording};

use callvault_shared::api::{
    ApiToken, AudioQuery, AuditPage, AuditVerification, CreatedApiToken, EncryptionKey,
    EncryptionSettings, EncryptionUpdate, ExportRequest, FailedSignIn, HeldRecordings, Job,
    KeyChain, KeyDestroy, KeyDestroyed, KeyExport, KeyHolder, LegalHold, LoginRequest,
    LoginResponse, Me, NewApiToken, NewGrant, NewKey, NewLegalHold, NewTenant, NewUser,
    PasswordChange, PasswordChanged, PasswordReset, PasswordResetOutcome, Problem, RecordingPage,
    RecordingQuery, RetentionPreview, RetentionSettings, RetentionUpdate, SIGNATURE_HEADER,
    STATEMENT_HEADER, SessionInfo, StatementRequest, StatementToSign, Tenant, User, UserUpdate,
};
use callvault_shared::key_chain::SignedStatement;
use gloo_net::http::{Method, Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

const API: &str = "/api/v1";
const CSRF_HEADER: &str = "X-CSRF-Token";

thread_local! {
    /// The session's CSRF token: the page is single-threaded, and one session at a time.
    static CSRF: RefCell<String> = const { RefCell::new(String::new()) };
}

fn remember_csrf(token: &str) {
    CSRF.with(|csrf| *csrf.borrow_mut() = token.to_owned());
}

/// The session's CSRF token; after a reload the page asks for it once.
async fn csrf_token() -> Result<String, ApiError> {
    let token = CSRF.with(|csrf| csrf.borrow().clone());
    if token.is_empty() {
        return Ok(me().await?.csrf_token);
    }
    Ok(token)
}

/// The request with the session's CSRF token.
async fn with_csrf(request: RequestBuilder) -> Result<RequestBuilder, ApiError> {
    Ok(request.header(CSRF_HEADER, &csrf_token().await?))
}

fn url(path: &str) -> String {
    format!("{API}{path}")
}

/// `path` with `query` (one of the shared request types) as its query string.
fn with_query<Q: Serialize>(path: &str, query: &Q) -> Result<String, ApiError> {
    let query = serde_urlencoded::to_string(query)
        .map_err(|error| ApiError::local(format!("The search cannot be sent: {error}.")))?;
    Ok(if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    })
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(&url(path)).send().await?;
    Ok(ensure_success(response).await?.json().await?)
}

async fn send<B: Serialize, T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: &B,
) -> Result<T, ApiError> {
    send_signed(method, path, body, None).await
}

/// As [`send`], with the tenant's signature on the change when there is one.
async fn send_signed<B: Serialize, T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: &B,
    signed: Option<&SignedStatement>,
) -> Result<T, ApiError> {
    let request = with_signature(RequestBuilder::new(&url(path)).method(method), signed);
    let response = with_csrf(request).await?.json(body)?.send().await?;
    Ok(ensure_success(response).await?.json().await?)
}

async fn send_empty(method: Method, path: &str) -> Result<Response, ApiError> {
    let response = with_csrf(RequestBuilder::new(&url(path)).method(method))
        .await?
        .send()
        .await?;
    ensure_success(response).await
}

/// The statement and its signature, in the headers the server reads them from.
fn with_signature(request: RequestBuilder, signed: Option<&SignedStatement>) -> RequestBuilder {
    match signed.map(SignedStatement::header_values) {
        Some((statement, signature)) => request
            .header(STATEMENT_HEADER, &statement)
            .header(SIGNATURE_HEADER, &signature),
        None => request,
    }
}

/// `POST /auth/login`.
pub async fn login(request: &LoginRequest) -> Result<LoginResponse, ApiError> {
    let response = Request::post(&url("/auth/login"))
        .json(request)?
        .send()
        .await?;
    let body: LoginResponse = ensure_success(response).await?.json().await?;
    remember_csrf(&body.csrf_token);
    Ok(body)
}

/// `GET /auth/me`: who is signed in, or [`ApiError::SignedOut`].
pub async fn me() -> Result<Me, ApiError> {
    let me: Me = get("/auth/me").await?;
    remember_csrf(&me.csrf_token);
    Ok(me)
}

/// `POST /auth/logout`.
pub async fn logout() -> Result<(), ApiError> {
    send_empty(Method::POST, "/auth/logout").await.map(drop)
}

pub async fn change_password(change: &PasswordChange) -> Result<PasswordChanged, ApiError> {
    send(Method::POST, "/auth/password", change).await
}

pub async fn sessions() -> Result<Vec<SessionInfo>, ApiError> {
    get("/auth/sessions").await
}

/// Wrong passwords tried on the signed-in user's account lately, newest first.
pub async fn failed_sign_ins() -> Result<Vec<FailedSignIn>, ApiError> {
    get("/auth/failed-sign-ins").await
}

pub async fn end_session(id: &str) -> Result<(), ApiError> {
    send_empty(Method::DELETE, &format!("/auth/sessions/{id}"))
        .await
        .map(drop)
}

/// Starts (or resumes) re-wrapping the tenant's recordings to its active key.
pub async fn rewrap(tenant: &str) -> Result<Job, ApiError> {
    let response = send_empty(Method::POST, &format!("/tenants/{tenant}/rewrap")).await?;
    Ok(response.json().await?)
}

pub async fn job(id: &str) -> Result<Job, ApiError> {
    get(&format!("/jobs/{id}")).await
}

pub async fn tenants() -> Result<Vec<Tenant>, ApiError> {
    get("/tenants").await
}

pub async fn create_tenant(tenant: &NewTenant) -> Result<Tenant, ApiError> {
    send(Method::POST, "/tenants", tenant).await
}

pub async fn tenant(tenant: &str) -> Result<Tenant, ApiError> {
    get(&format!("/tenants/{tenant}")).await
}

pub async fn users(tenant: &str) -> Result<Vec<User>, ApiError> {
    get(&format!("/tenants/{tenant}/users")).await
}

pub async fn create_user(tenant: &str, user: &NewUser) -> Result<User, ApiError> {
    send(Method::POST, &format!("/tenants/{tenant}/users"), user).await
}

pub async fn update_user(tenant: &str, user: &str, update: &UserUpdate) -> Result<User, ApiError> {
    send(
        Method::PATCH,
        &format!("/tenants/{tenant}/users/{user}"),
        update,
    )
    .await
}

pub async fn reset_password(
    tenant: &str,
    user: &str,
    reset: &PasswordReset,
) -> Result<PasswordResetOutcome, ApiError> {
    let path = format!("/tenants/{tenant}/users/{user}/reset-password");
    send(Method::POST, &path, reset).await
}

pub async fn api_tokens(tenant: &str) -> Result<Vec<ApiToken>, ApiError> {
    get(&format!("/tenants/{tenant}/tokens")).await
}

pub async fn create_api_token(
    tenant: &str,
    token: &NewApiToken,
) -> Result<CreatedApiToken, ApiError> {
    send(Method::POST, &format!("/tenants/{tenant}/tokens"), token).await
}

pub async fn revoke_api_token(tenant: &str, token: &str) -> Result<(), ApiError> {
    let path = format!("/tenants/{tenant}/tokens/{token}");
    send_empty(Method::DELETE, &path).await.map(drop)
}

pub async fn keys(tenant: &str) -> Result<Vec<EncryptionKey>, ApiError> {
    get(&format!("/tenants/{tenant}/keys")).await
}

/// Creates or imports a key; in a tenant that holds its own keys, with its signature.
pub async fn create_key(
    tenant: &str,
    key: &NewKey,
    signed: Option<&SignedStatement>,
) -> Result<EncryptionKey, ApiError> {
    send_signed(
        Method::POST,
        &format!("/tenants/{tenant}/keys"),
        key,
        signed,
    )
    .await
}

/// A statement of a change for the tenant's key to sign.
pub async fn statement(
    tenant: &str,
    request: &StatementRequest,
) -> Result<StatementToSign, ApiError> {
    send(
        Method::POST,
        &format!("/tenants/{tenant}/keys/statements"),
        request,
    )
    .await
}

pub async fn key_chain(tenant: &str) -> Result<KeyChain, ApiError> {
    get(&format!("/tenants/{tenant}/keys/chain")).await
}

/// The encrypted private key file, as text.
pub async fn export_key(tenant: &str, key: &str, export: &KeyExport) -> Result<String, ApiError> {
    let path = format!("/tenants/{tenant}/keys/{key}/export");
    let response = with_csrf(Request::post(&url(&path)))
        .await?
        .json(export)?
        .send()
        .await?;
    Ok(ensure_success(response).await?.text().await?)
}

pub async fn grant(tenant: &str, key: &str, grant: &NewGrant) -> Result<KeyHolder, ApiError> {
    send(
        Method::POST,
        &format!("/tenants/{tenant}/keys/{key}/grants"),
        grant,
    )
    .await
}

pub async fn revoke(tenant: &str, key: &str, user: &str) -> Result<(), ApiError> {
    let path = format!("/tenants/{tenant}/keys/{key}/grants/{user}");
    send_empty(Method::DELETE, &path).await.map(drop)
}

/// `activate` or `retire`; in a tenant that holds its own keys, with its signature.
pub async fn key_action(
    tenant: &str,
    key: &str,
    action: &str,
    signed: Option<&SignedStatement>,
) -> Result<EncryptionKey, ApiError> {
    let path = format!("/tenants/{tenant}/keys/{key}/{action}");
    let request = with_signature(Request::post(&url(&path)), signed);
    let response = with_csrf(request).await?.send().await?;
    Ok(ensure_success(response).await?.json().await?)
}

/// Destroys a key (crypto-shredding); in a tenant that holds its own keys, with its
/// signature.
pub async fn destroy_key(
    tenant: &str,
    key: &str,
    signed: Option<&SignedStatement>,
) -> Result<KeyDestroyed, ApiError> {
    let path = format!("/tenants/{tenant}/keys/{key}/destroy");
    let confirmed = KeyDestroy {
        recordings_become_unrecoverable: true,
    };
    send_signed(Method::POST, &path, &confirmed, signed).await
}

pub async fn encryption(tenant: &str) -> Result<EncryptionSettings, ApiError> {
    get(&format!("/tenants/{tenant}/encryption")).await
}

pub async fn set_encryption(
    tenant: &str,
    update: &EncryptionUpdate,
    signed: Option<&SignedStatement>,
) -> Result<EncryptionSettings, ApiError> {
    let path = format!("/tenants/{tenant}/encryption");
    send_signed(Method::PATCH, &path, update, signed).await
}

/// A page of the recordings `query` finds.
pub async fn recordings(tenant: &str, query: &RecordingQuery) -> Result<RecordingPage, ApiError> {
    get(&with_query(
        &format!("/tenants/{tenant}/recordings"),
        query,
    )?)
    .await
}

/// Where the audio element streams a recording from (the cookie goes along).
pub fn audio_url(tenant: &str, recording: &str) -> String {
    url(&format!("/tenants/{tenant}/recordings/{recording}/audio"))
}

/// Where a link downloads a recording's audio from, as a file to save.
pub fn audio_download_url(tenant: &str, recording: &str) -> String {
    let query = AudioQuery {
        download: Some(true),
    };
    // A struct of one boolean always serializes.
    let query = serde_urlencoded::to_string(query).unwrap_or_default();
    format!("{}?{query}", audio_url(tenant, recording))
}

/// The whole audio, decrypted by the server, for the player's overview.
pub async fn audio_bytes(tenant: &str, recording: &str) -> Result<Vec<u8>, ApiError> {
    let response = Request::get(&audio_url(tenant, recording)).send().await?;
    Ok(ensure_success(response).await?.binary().await?)
}

/// The recording's file as stored (sealed), for opening on the tenant's side.
pub async fn stored_file(tenant: &str, recording: &str) -> Result<Vec<u8>, ApiError> {
    let path = format!("/tenants/{tenant}/recordings/{recording}/file");
    let response = Request::get(&url(&path)).send().await?;
    Ok(ensure_success(response).await?.binary().await?)
}

/// Whether the server will play a recording for this user: its first byte, or the reason not.
pub async fn probe_audio(tenant: &str, recording: &str) -> Result<(), ApiError> {
    let response = Request::get(&audio_url(tenant, recording))
        .header("Range", "bytes=0-0")
        .send()
        .await?;
    ensure_success(response).await.map(drop)
}

/// The sealed archive of the recordings `request` names, as bytes.
pub async fn export_recordings(tenant: &str, request: &ExportRequest) -> Result<Vec<u8>, ApiError> {
    let path = format!("/tenants/{tenant}/recordings/export");
    let response = with_csrf(Request::post(&url(&path)))
        .await?
        .json(request)?
        .send()
        .await?;
    Ok(ensure_success(response).await?.binary().await?)
}

/// A page of the audit log; `query` holds its filters as name and value pairs.
pub async fn audit(tenant: &str, query: &[(&str, String)]) -> Result<AuditPage, ApiError> {
    get(&with_query(&format!("/tenants/{tenant}/audit"), &query)?).await
}

/// Where a link downloads the audit log as JSON Lines, with the filters `query` gives.
pub fn audit_export_url(tenant: &str, query: &[(&str, String)]) -> String {
    let path = format!("/tenants/{tenant}/audit/export");
    url(&with_query(&path, &query).unwrap_or(path))
}

pub async fn verify_audit(tenant: &str) -> Result<AuditVerification, ApiError> {
    get(&format!("/tenants/{tenant}/audit/verify")).await
}

pub async fn retention(tenant: &str) -> Result<RetentionSettings, ApiError> {
    get(&format!("/tenants/{tenant}/retention")).await
}

pub async fn set_retention(
    tenant: &str,
    update: &RetentionUpdate,
) -> Result<RetentionSettings, ApiError> {
    send(Method::PUT, &format!("/tenants/{tenant}/retention"), update).await
}

/// What saving `update` would delete, and from when; nothing is saved.
pub async fn preview_retention(
    tenant: &str,
    update: &RetentionUpdate,
) -> Result<RetentionPreview, ApiError> {
    let path = format!("/tenants/{tenant}/retention/preview");
    send(Method::POST, &path, update).await
}

pub async fn holds(tenant: &str) -> Result<Vec<LegalHold>, ApiError> {
    get(&format!("/tenants/{tenant}/holds")).await
}

pub async fn place_hold(tenant: &str, hold: &NewLegalHold) -> Result<LegalHold, ApiError> {
    send(Method::POST, &format!("/tenants/{tenant}/holds"), hold).await
}

pub async fn release_hold(tenant: &str, hold: &str) -> Result<LegalHold, ApiError> {
    let path = format!("/tenants/{tenant}/holds/{hold}/release");
    send(Method::POST, &path, &serde_json::json!({})).await
}

pub async fn held_recordings(tenant: &str, hold: &str) -> Result<HeldRecordings, ApiError> {
    get(&format!("/tenants/{tenant}/holds/{hold}/recordings")).await
}

/// A 2xx answer as it is; any other as the problem the server described.
async fn ensure_success(response: Response) -> Result<Response, ApiError> {
    if response.ok() {
        return Ok(response);
    }
    let status = response.status();
    let problem = response
        .json::<Problem>()
        .await
        .unwrap_or_else(|_| Problem::new(status, response.status_text(), None));
    if status == 401 && problem.detail.as_deref() != Some(callvault_shared::api::WRONG_CREDENTIALS)
    {
        return Err(ApiError::SignedOut(problem));
    }
    Err(ApiError::Problem(problem))
}
