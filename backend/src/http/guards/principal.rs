//! The user behind a request: signed in by the session cookie or an access token, or acting
//! through an integrator's API token, which narrows what the user's role allows to its scopes.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use callvault_shared::api::{Permission, Role, TokenScope};
use callvault_shared::crypto::{DecryptError, SecretBytes};
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel, ModelTrait};

use crate::domain::access_cache::{AccessCache, read_through};
use crate::domain::audit::Actor;
use crate::domain::auth::api_token;
use crate::domain::auth::credential_secret::CredentialSecret;
use crate::http::error::ApiError;
use crate::http::guards::cookies::{CSRF_HEADER, SESSION_COOKIE};
use crate::http::state::AppState;
use crate::infra::entities::{api_token as token_row, session, user};

/// `last_used_at` is written at most this often per session, not on every request.
const TOUCH_INTERVAL: Duration = Duration::seconds(60);

#[derive(Clone)]
pub struct Principal(Rc<Inner>);

struct Inner {
    user: user::Model,
    via: Via,
    secret: CredentialSecret,
    origin: String,
}

/// The credential a request came with.
enum Via {
    Session(session::Model),
    ApiToken(token_row::Model),
}

impl Principal {
    pub fn user(&self) -> &user::Model {
        &self.0.user
    }

    pub fn role(&self) -> Role {
        self.0.user.role
    }

    /// Whether this request may use `permission`: the role allows it and, through an API
    /// token, one of the token's scopes does too.
    pub fn allows(&self, permission: Permission) -> bool {
        self.role().allows(permission)
            && match &self.0.via {
                Via::Session(_) => true,
                Via::ApiToken(token) => token
                    .scopes()
                    .iter()
                    .any(|scope| scope.permissions().contains(&permission)),
            }
    }

    /// The session or API token the request came with.
    pub fn credential_id(&self) -> uuid::Uuid {
        match &self.0.via {
            Via::Session(session) => session.id,
            Via::ApiToken(token) => token.id,
        }
    }

    /// The one tenant an API token works in; a session sees what its role sees.
    pub fn token_tenant(&self) -> Option<uuid::Uuid> {
        match &self.0.via {
            Via::Session(_) => None,
            Via::ApiToken(token) => Some(token.tenant_id),
        }
    }

    /// The session behind a signed-in request. Account routes (sessions, password, logout)
    /// are a person's, not an integrator's: an API token is refused there.
    pub fn session(&self) -> Result<&session::Model, ApiError> {
        match &self.0.via {
            Via::Session(session) => Ok(session),
            Via::ApiToken(_) => Err(ApiError::Forbidden(
                "an API token cannot do this: sign in as the user".into(),
            )),
        }
    }

    pub fn secret(&self) -> &CredentialSecret {
        &self.0.secret
    }

    pub fn actor(&self) -> Actor {
        let name = match &self.0.via {
            Via::Session(_) => self.0.user.username.clone(),
            Via::ApiToken(token) => format!("{} (token {})", self.0.user.username, token.name),
        };
        Actor {
            id: Some(self.0.user.id),
            name,
            origin: self.0.origin.clone(),
        }
    }

    /// The user as the holder of their grants, with their user key if the credential opens it.
    pub fn holder(&self) -> crate::domain::encryption_keys::grants::Holder<'_> {
        crate::domain::encryption_keys::grants::Holder::new(self.user().id, || self.user_key().ok())
    }

    /// The user's private key, opened with the credential's secret. Fails if the row was
    /// tampered with, or for an API token without the `play` scope, which holds no key.
    pub fn user_key(&self) -> Result<SecretBytes, DecryptError> {
        let (credential_id, sealed) = match &self.0.via {
            Via::Session(session) => (session.id, session.sealed_user_key.as_slice()),
            Via::ApiToken(token) => (
                token.id,
                token
                    .sealed_user_key
                    .as_deref()
                    .filter(|_| token.scopes().contains(&TokenScope::Play))
                    .ok_or(DecryptError)?,
            ),
        };
        self.0
            .secret
            .open_user_key(credential_id, self.0.user.id, sealed)
    }
}

/// The client's address (see [`crate::http::client_address`]).
pub fn origin_of(request: &HttpRequest) -> String {
    crate::http::client_address::of(request)
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            // Several extractors of one request share one lookup.
            if let Some(principal) = request.extensions().get::<Principal>() {
                return Ok(principal.clone());
            }
            let principal = authenticate(&request).await?;
            request.extensions_mut().insert(principal.clone());
            Ok(principal)
        })
    }
}

enum Credential {
    Bearer(crate::domain::auth::token::VerifiedToken),
    ApiToken(uuid::Uuid, CredentialSecret),
    Cookie(uuid::Uuid, CredentialSecret),
}

fn credential(request: &HttpRequest, state: &AppState) -> Result<Credential, ApiError> {
    if let Some(authorization) = request.headers().get(header::AUTHORIZATION) {
        let token = authorization
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
            })?
            .trim();
        if token.starts_with(api_token::PREFIX) {
            let (id, secret) = api_token::decode(token)
                .ok_or_else(|| ApiError::Unauthorized("the API token is malformed".into()))?;
            return Ok(Credential::ApiToken(id, secret));
        }
        return state
            .auth
            .tokens
            .verify(token)
            .map(Credential::Bearer)
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "the access token is invalid or expired; renew it or sign in again".into(),
                )
            });
    }
    if let Some(cookie) = request.cookie(SESSION_COOKIE) {
        let (id, secret) = crate::http::guards::cookies::parse_cookie(cookie.value())
            .ok_or_else(|| ApiError::Unauthorized("the session cookie is malformed".into()))?;
        return Ok(Credential::Cookie(id, secret));
    }
    Err(ApiError::Unauthorized(
        "sign in first: send a bearer token or the session cookie".into(),
    ))
}

async fn authenticate(request: &HttpRequest) -> Result<Principal, ApiError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state missing")))?;
    match credential(request, state)? {
        Credential::Bearer(token) => {
            by_session(
                request,
                state,
                token.session_id,
                token.secret,
                Some(token.user_id),
            )
            .await
        }
        Credential::Cookie(id, secret) => by_session(request, state, id, secret, None).await,
        Credential::ApiToken(id, secret) => by_api_token(request, state, id, secret).await,
    }
}

async fn by_session(
    request: &HttpRequest,
    state: &AppState,
    session_id: uuid::Uuid,
    secret: CredentialSecret,
    token_user: Option<uuid::Uuid>,
) -> Result<Principal, ApiError> {
    let ended = || ApiError::Unauthorized("the session has ended; sign in again".into());
    let via_cookie = token_user.is_none();
    let db = &state.db;
    let (session, user) = read_through(
        cache_for(request, state),
        |cache| &cache.sessions,
        session_id,
        || async move {
            let Some(session) = session::Entity::find_by_id(session_id).one(db).await? else {
                return Ok::<_, sea_orm::DbErr>(None);
            };
            let user = user::Entity::find_by_id(session.user_id).one(db).await?;
            Ok(user.map(|user| (session, user)))
        },
    )
    .await?
    .ok_or_else(ended)?;
    if !secret.matches(&session.secret_hash) || token_user.is_some_and(|id| id != session.user_id) {
        return Err(ended());
    }
    let now = Utc::now();
    if now >= session.expires_at || now - session.last_used_at >= state.auth.policy.session_idle {
        state.access.sessions.forget(&session.id);
        session.clone().delete(&state.db).await?;
        return Err(ApiError::Unauthorized(
            "the session expired; sign in again".into(),
        ));
    }
    // A cookie is sent by the browser on its own; the CSRF token proves our page asked.
    if via_cookie && !is_safe(request.method()) {
        let presented = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        if !secret.csrf_matches(presented) {
            return Err(ApiError::Forbidden(format!(
                "a request signed in by cookie must send the session's {CSRF_HEADER} header"
            )));
        }
    }
    let session = if now - session.last_used_at >= TOUCH_INTERVAL {
        // The kept copy has the old time: the next request reads the new one.
        state.access.sessions.forget(&session.id);
        let mut row = session.into_active_model();
        row.last_used_at = Set(now);
        row.update(&state.db).await?
    } else {
        session
    };
    Ok(Principal(Rc::new(Inner {
        user,
        via: Via::Session(session),
        secret,
        origin: origin_of(request),
    })))
}

async fn by_api_token(
    request: &HttpRequest,
    state: &AppState,
    token_id: uuid::Uuid,
    secret: CredentialSecret,
) -> Result<Principal, ApiError> {
    let invalid = || ApiError::Unauthorized("the API token is revoked, expired or wrong".into());
    let db = &state.db;
    let (token, user) = read_through(
        cache_for(request, state),
        |cache| &cache.api_tokens,
        token_id,
        || async move {
            let Some(token) = token_row::Entity::find_by_id(token_id).one(db).await? else {
                return Ok::<_, sea_orm::DbErr>(None);
            };
            let user = token.find_related(user::Entity).one(db).await?;
            Ok(user.map(|user| (token, user)))
        },
    )
    .await?
    .filter(|(token, _)| secret.matches(&token.secret_hash))
    .ok_or_else(invalid)?;
    let now = Utc::now();
    if now >= token.expires_at {
        return Err(invalid());
    }
    let stale = token
        .last_used_at
        .is_none_or(|used| now - used >= TOUCH_INTERVAL);
    let token = if stale {
        state.access.api_tokens.forget(&token.id);
        let mut row = token.into_active_model();
        row.last_used_at = Set(Some(now));
        row.update(&state.db).await?
    } else {
        token
    };
    Ok(Principal(Rc::new(Inner {
        user,
        via: Via::ApiToken(token),
        secret,
        origin: origin_of(request),
    })))
}

pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The access cache, for a request that only reads; one that changes something reads afresh.
pub fn cache_for<'a>(request: &HttpRequest, state: &'a AppState) -> Option<&'a AccessCache> {
    is_safe(request.method()).then_some(&*state.access)
}
