use callvault_shared::api::{Job, JobState};
use leptos::prelude::*;

use crate::api::{self, ApiError, files};
use crate::components::problem::Problem;

/// Re-wraps every recording to the active key (headers only), with a progress bar.
#[component]
pub fn Rewrap(tenant: Memo<String>) -> impl IntoView {
    let (job, set_job) = signal(Option::<Job>::None);
    let start = Action::new_local(move |_: &()| {
        let tenant = tenant.get_untracked();
        async move {
            let mut job = api::rewrap(&tenant).await?;
            set_job.set(Some(job.clone()));
            // Follow it until it ends, about twice a second.
            while matches!(job.state, JobState::Queued | JobState::Running) {
                for _ in 0..10 {
                    files::yield_to_paint().await;
                }
                job = api::job(&job.id.to_string()).await?;
                set_job.set(Some(job.clone()));
            }
            Ok::<_, ApiError>(job)
        }
    });
    view! {
        <div class="rewrap">
            <h2>"Move every recording to the active key"</h2>
            <p>"Only each file's header is rewritten; the audio is not decrypted again. The job borrows the older keys you hold."</p>
            <button id="start-rewrap" type="button" disabled=start.pending() on:click=move |_| { start.dispatch(()); }>
                "Re-wrap recordings"
            </button>
            {move || job.get().map(|job| view! {
                <p role="status" id="rewrap-progress">
                    <progress max=job.total.max(1) value=job.done aria-label="Re-wrap progress"></progress>
                    {format!(" {} of {} ({})", job.done, job.total, job.state.as_str())}
                </p>
            })}
            {move || start.value().get().and_then(Result::err).map(|error| view! { <Problem error /> })}
        </div>
    }
}
