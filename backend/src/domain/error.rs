//! What the domain says went wrong. The kinds are what a caller acts on, not HTTP statuses:
//! `http::error` maps each kind to one status in one place, and the command line prints the
//! message. Messages are written for the person who asked, and never carry a secret.

/// An operation's failure, by kind.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The input breaks a rule: a name too long, a weak password, bad metadata.
    #[error("{0}")]
    Invalid(String),
    /// Not there, or in another tenant: the two are one answer.
    #[error("{0}")]
    NotFound(String),
    /// Not possible in the current state: no active key, a name taken, a key in use.
    #[error("{0}")]
    Conflict(String),
    /// Not for this user: no grant on the key, a tenant-held key the server cannot open.
    #[error("{0}")]
    Refused(String),
    /// The user's credential no longer opens their user key: they must sign in again.
    #[error("{0}")]
    SignedOut(String),
    /// Existed, and can never be served again (its key was destroyed).
    #[error("{0}")]
    Gone(String),
    /// An upload over the configured size.
    #[error("{0}")]
    TooLarge(String),
    /// Not a recording this service recognises.
    #[error("{0}")]
    NotAudio(String),
    /// The client stopped sending in the middle of an upload.
    #[error("{0}")]
    Stalled(String),
    /// A byte range that starts beyond the end; carries the whole length.
    #[error("the range starts beyond the end ({0} bytes)")]
    RangeNotSatisfiable(u64),
    /// A recording's stored bytes are missing, short or do not open: no retry mends it.
    #[error("{0}")]
    Damaged(String),
    /// An idempotency key used before for another request.
    #[error("{0}")]
    KeyReused(String),
    /// Anything else: a database or store failure (an outage among them), a bug.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl DomainError {
    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }
}

impl From<sea_orm::DbErr> for DomainError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Internal(error.into())
    }
}

impl From<object_store::Error> for DomainError {
    fn from(error: object_store::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl From<tokio::task::JoinError> for DomainError {
    fn from(error: tokio::task::JoinError) -> Self {
        Self::Internal(error.into())
    }
}

impl From<super::idempotency::IdempotencyError> for DomainError {
    fn from(error: super::idempotency::IdempotencyError) -> Self {
        match error {
            super::idempotency::IdempotencyError::Reused => Self::KeyReused(error.to_string()),
            super::idempotency::IdempotencyError::Database(error) => error.into(),
        }
    }
}
