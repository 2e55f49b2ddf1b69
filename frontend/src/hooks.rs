//! The pattern every screen repeats: a list loaded from the server, and actions that change
//! it, after whose success the list is loaded again.

use std::future::Future;

use leptos::prelude::*;

/// When the lists of a screen load again: a resource that calls [`Reload::track`] reloads
/// each time an action made with [`Reload::action`] succeeds (or [`Reload::now`] is called).
#[derive(Debug, Clone, Copy)]
pub struct Reload(RwSignal<u32>);

impl Reload {
    pub fn new() -> Self {
        Reload(RwSignal::new(0))
    }

    /// Subscribes the reactive scope it is called in (a resource's fetcher) to reloads.
    pub fn track(self) {
        self.0.track();
    }

    /// Loads the tracking lists again.
    pub fn now(self) {
        self.0.update(|n| *n = n.wrapping_add(1));
    }

    /// An action (run on the page's thread) whose every success reloads the lists.
    pub fn action<I, T, E, F, Fu>(self, run: F) -> Action<I, Result<T, E>>
    where
        I: 'static,
        T: Clone + 'static,
        E: Clone + 'static,
        F: Fn(&I) -> Fu + 'static,
        Fu: Future<Output = Result<T, E>> + 'static,
    {
        self.action_then(run, |_| {})
    }

    /// As [`Reload::action`], running `after` (clearing a form, say) on each success first.
    pub fn action_then<I, T, E, F, Fu>(
        self,
        run: F,
        after: impl Fn(&T) + 'static,
    ) -> Action<I, Result<T, E>>
    where
        I: 'static,
        T: Clone + 'static,
        E: Clone + 'static,
        F: Fn(&I) -> Fu + 'static,
        Fu: Future<Output = Result<T, E>> + 'static,
    {
        let action = Action::new_local(run);
        Effect::new(move |_| {
            if let Some(Ok(value)) = action.value().get() {
                after(&value);
                self.now();
            }
        });
        action
    }
}

impl Default for Reload {
    fn default() -> Self {
        Self::new()
    }
}
