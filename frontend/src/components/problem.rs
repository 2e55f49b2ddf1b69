use leptos::prelude::*;
use leptos_router::components::Redirect;

use crate::api::ApiError;

/// A failed call, said in words; a lost session leads to the sign-in screen.
#[component]
pub fn Problem(error: ApiError) -> impl IntoView {
    match error {
        ApiError::SignedOut(_) => view! { <Redirect path="/login?ended=1" /> }.into_any(),
        error => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
    }
}
