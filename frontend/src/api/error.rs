use std::fmt;

use callvault_shared::api::Problem;

/// Why a call to the server failed, in words a person can act on.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// The server could not be reached at all.
    Network(String),
    /// A mistake the page found itself (nothing chosen, a wrong key file or passphrase), said
    /// as it is.
    Local(String),
    /// The server answered with an error.
    Problem(Problem),
    /// Not signed in, or the session ended: the way on is the sign-in screen.
    SignedOut(Problem),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Network(_) => {
                f.write_str("The server cannot be reached. Check your connection and try again.")
            }
            ApiError::Local(message) => f.write_str(message),
            ApiError::Problem(problem) => f.write_str(problem.message()),
            ApiError::SignedOut(_) => f.write_str("You are signed out. Sign in to go on."),
        }
    }
}

impl ApiError {
    /// A mistake the page found itself, shown as `message` says it.
    pub fn local(message: impl Into<String>) -> Self {
        ApiError::Local(message.into())
    }
}

impl From<gloo_net::Error> for ApiError {
    fn from(error: gloo_net::Error) -> Self {
        ApiError::Network(error.to_string())
    }
}
