//! Small labels for states and kinds, in words, with a colour class per meaning.

use callvault_shared::api::{KeyMode, KeyOrigin, KeyState};
use leptos::prelude::*;

/// A key's state as a badge.
#[component]
pub fn KeyStateBadge(state: KeyState, active: bool) -> impl IntoView {
    let (text, tone) = match (state, active) {
        (KeyState::Active, true) => ("Active · seals new recordings", "good"),
        (KeyState::Active, false) => ("Usable", "neutral"),
        (KeyState::Retired, _) => ("Retired · opens old recordings only", "muted"),
        (KeyState::Destroyed, _) => ("Destroyed", "bad"),
    };
    view! { <span class=format!("badge {tone} key-state")>{text}</span> }
}

/// Where a key came from, in words.
pub fn origin_label(origin: KeyOrigin) -> &'static str {
    match origin {
        KeyOrigin::Generated => "Made on this server",
        KeyOrigin::Imported => "Imported key file",
        KeyOrigin::PublicOnly => "Public key only (the tenant holds the private key)",
    }
}

/// Who holds a tenant's private keys, as a badge.
#[component]
pub fn KeyModeBadge(mode: KeyMode) -> impl IntoView {
    let (text, tone) = match mode {
        KeyMode::ProviderHeld => ("Keys held by the provider", "neutral"),
        KeyMode::TenantHeld => ("Keys held by the tenant", "good"),
    };
    view! { <span class=format!("badge {tone} key-mode")>{text}</span> }
}

/// The first 16 hex digits of a fingerprint, in groups of four.
pub fn short_fingerprint(fingerprint: &str) -> String {
    fingerprint
        .get(..16)
        .unwrap_or(fingerprint)
        .as_bytes()
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}
