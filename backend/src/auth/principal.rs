//! The signed-in user behind a request, from a bearer token or the session cookie.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use callvault_shared::api::Role;
use callvault_shared::crypto::{DecryptError, SecretBytes};
use chrono::{Duration, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, IntoActiveModel, ModelTrait};

use super::secret::SessionSecret;
use super::{CSRF_HEADER, SESSION_COOKIE, session as sessions};
use crate::audit::Actor;
use crate::entities::{session, user};
use crate::error::ApiError;
use crate::state::AppState;

/// `last_used_at` is written at most this often per session, not on every request.
const TOUCH_INTERVAL: Duration = Duration::seconds(60);

#[derive(Clone)]
pub struct Principal(Rc<Inner>);

struct Inner {
    user: user::Model,
    session: session::Model,
    secret: SessionSecret,
    origin: String,
}

impl Principal {
    pub fn user(&self) -> &user::Model {
        &self.0.user
    }

    pub fn role(&self) -> Role {
        self.0.user.role()
    }

    pub fn session(&self) -> &session::Model {
        &self.0.session
    }

    pub fn secret(&self) -> &SessionSecret {
        &self.0.secret
    }

    pub fn actor(&self) -> Actor {
        Actor {
            id: Some(self.0.user.id),
            name: self.0.user.username.clone(),
            origin: self.0.origin.clone(),
        }
    }

    /// The user's private key, opened with the session's secret. Fails only if the session
    /// row was tampered with.
    pub fn user_key(&self) -> Result<SecretBytes, DecryptError> {
        self.0.secret.open_user_key(
            self.0.session.id,
            self.0.user.id,
            &self.0.session.sealed_user_key,
        )
    }
}

/// The client's address as this instance sees it.
pub fn origin_of(request: &HttpRequest) -> String {
    request
        .peer_addr()
        .map(|address| address.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
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
    Bearer(super::token::VerifiedToken),
    Cookie(uuid::Uuid, SessionSecret),
}

fn credential(request: &HttpRequest, state: &AppState) -> Result<Credential, ApiError> {
    if let Some(authorization) = request.headers().get(header::AUTHORIZATION) {
        let token = authorization
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
            })?;
        return state
            .auth
            .tokens
            .verify(token.trim())
            .map(Credential::Bearer)
            .ok_or_else(|| {
                ApiError::Unauthorized(
                    "the access token is invalid or expired; renew it or sign in again".into(),
                )
            });
    }
    if let Some(cookie) = request.cookie(SESSION_COOKIE) {
        let (id, secret) = sessions::parse_cookie(cookie.value())
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
    let ended = || ApiError::Unauthorized("the session has ended; sign in again".into());

    let (session_id, secret, token_user, via_cookie) = match credential(request, state)? {
        Credential::Bearer(token) => (token.session_id, token.secret, Some(token.user_id), false),
        Credential::Cookie(id, secret) => (id, secret, None, true),
    };
    let session = session::Entity::find_by_id(session_id)
        .one(&state.db)
        .await?
        .ok_or_else(ended)?;
    if !secret.matches(&session.secret_hash) || token_user.is_some_and(|id| id != session.user_id) {
        return Err(ended());
    }
    let now = Utc::now();
    if now >= session.expires_at || now - session.last_used_at >= state.auth.policy.session_idle {
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
    let user = user::Entity::find_by_id(session.user_id)
        .one(&state.db)
        .await?
        .ok_or_else(ended)?;
    let session = if now - session.last_used_at >= TOUCH_INTERVAL {
        let mut row = session.into_active_model();
        row.last_used_at = Set(now);
        row.update(&state.db).await?
    } else {
        session
    };
    Ok(Principal(Rc::new(Inner {
        user,
        session,
        secret,
        origin: origin_of(request),
    })))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}
