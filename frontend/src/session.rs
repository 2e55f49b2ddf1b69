//! Who is signed in, shared by every screen: the frame shows their name and tenant, the
//! navigation and the screens offer only what their role allows.

use callvault_shared::api::{Me, Permission, Tenant};
use leptos::prelude::*;

use crate::api::{self, ApiError};

/// The signed-in user, loaded once for the whole app and again after a sign-in or sign-out.
#[derive(Clone, Copy)]
pub struct Session {
    /// `None` while loading: a screen that decides by it waits rather than act on a stale
    /// answer (the signed-out one, just after signing in).
    me: RwSignal<Option<Result<Me, ApiError>>>,
}

impl Session {
    /// Loads the session and makes it the context of everything below.
    pub fn provide() -> Self {
        let session = Session {
            me: RwSignal::new(None),
        };
        session.refresh();
        provide_context(session);
        session
    }

    /// Who is signed in (reactive): `None` while loading, the error when signed out.
    pub fn state(self) -> Option<Result<Me, ApiError>> {
        self.me.get()
    }

    /// Who is signed in, if anyone is (reactive).
    pub fn me(self) -> Option<Me> {
        self.me.get().and_then(Result::ok)
    }

    /// Whether the signed-in user's role allows `permission` (reactive). Provider staff hold
    /// their permissions in every tenant; the server decides in the end, this only keeps
    /// the screens from offering what would be refused.
    pub fn can(self, permission: Permission) -> bool {
        self.me()
            .is_some_and(|me| me.permissions.contains(&permission))
    }

    /// Loads who is signed in again (after a sign-in, a sign-out, a password change).
    pub fn refresh(self) {
        self.me.set(None);
        leptos::task::spawn_local(async move {
            self.me.set(Some(api::me().await));
        });
    }
}

/// The session the app provides.
pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// The tenant whose screens are shown: its slug from the path, its record once loaded.
#[derive(Clone, Copy)]
pub struct CurrentTenant {
    pub slug: Memo<Option<String>>,
    record: LocalResource<Option<Tenant>>,
}

impl CurrentTenant {
    /// Follows the path's `/t/{slug}` and loads the tenant it names.
    pub fn provide() -> Self {
        let location = leptos_router::hooks::use_location();
        let slug = Memo::new(move |_| {
            let path = location.pathname.get();
            let mut parts = path.trim_start_matches('/').split('/');
            (parts.next() == Some("t"))
                .then(|| parts.next().map(str::to_owned))
                .flatten()
                .filter(|slug| !slug.is_empty())
        });
        let record = LocalResource::new(move || {
            let slug = slug.get();
            async move {
                match slug {
                    Some(slug) => api::tenant(&slug).await.ok(),
                    None => None,
                }
            }
        });
        let current = CurrentTenant { slug, record };
        provide_context(current);
        current
    }

    /// The tenant's display name, or its slug until it has loaded (reactive).
    pub fn name(self) -> Option<String> {
        let slug = self.slug.get()?;
        Some(
            self.record
                .get()
                .flatten()
                .filter(|tenant| tenant.slug == slug)
                .map(|tenant| tenant.name)
                .unwrap_or(slug),
        )
    }
}

/// The tenant whose screens are shown.
pub fn use_current_tenant() -> CurrentTenant {
    expect_context::<CurrentTenant>()
}

/// A screen's title, "`section` · tenant name", for the tenant's screens.
pub fn tenant_title(section: &'static str) -> impl Fn() -> String + Copy {
    let current = use_current_tenant();
    move || match current.name() {
        Some(name) => format!("{section} · {name}"),
        None => section.to_owned(),
    }
}
