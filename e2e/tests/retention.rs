//! Retention as a tenant administrator meets it: a policy typed with the count of what saving
//! it deletes, a legal hold placed by search with the recordings it keeps, and a run of the
//! expiry that deletes the rest with a certificate while the held call stays.

use callvault_e2e::steps::{PASSWORD, sign_in, unfold, until};
use callvault_e2e::{Browser, Seed, Server};
use chrono::{Duration, SecondsFormat, Utc};

/// When a call `days` ago started, as the upload's `started_at` takes it.
fn days_ago(days: i64) -> String {
    (Utc::now() - Duration::days(days)).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// True once the text of `css` contains `wanted`.
fn shows(css: &str, wanted: &str) -> String {
    format!(
        "const e = document.querySelector({css:?}); return !!e && e.textContent.includes({wanted:?});"
    )
}

#[tokio::test]
async fn an_admin_sets_a_policy_seeing_its_count_places_a_hold_and_the_held_call_survives_a_run()
-> anyhow::Result<()> {
    let server = Server::start().await?;
    let root = Seed::as_user(&server, "root").await?;
    root.tenant_with_admin("acme", "Acme Telecom", "ada")
        .await?;
    let ada = Seed::as_user(&server, "ada").await?;
    let (two_years, last_week) = (days_ago(730), days_ago(7));
    let disputed = ada
        .recording(
            "acme",
            2,
            &[
                ("agent", "alice"),
                ("caller", "+4930111001"),
                ("started_at", &two_years),
                ("tags", "dispute"),
            ],
        )
        .await?;
    let routine = ada
        .recording(
            "acme",
            2,
            &[
                ("agent", "bob"),
                ("caller", "+4930111002"),
                ("started_at", &two_years),
            ],
        )
        .await?;
    ada.recording("acme", 2, &[("agent", "bob"), ("started_at", &last_week)])
        .await?;
    let id = |recording: &serde_json::Value| recording["id"].as_str().unwrap_or("").to_owned();
    let (disputed, routine) = (id(&disputed), id(&routine));

    let browser = Browser::start().await?;
    sign_in(&browser, &server, "ada", PASSWORD).await?;
    browser
        .click("nav.tenant-nav a[href='/t/acme/retention']")
        .await?;
    until(&browser, &shows("#policy-in-force", "kept forever")).await?;

    // A year: before saving, the screen counts the two old calls it would delete.
    browser.fill("#keep-days", "365").await?;
    until(
        &browser,
        &shows("#retention-preview", "Saving this deletes 2 recordings"),
    )
    .await?;
    // No grace: it applies at once (with the default week it would wait, undoable).
    browser.fill("#grace-days", "0").await?;
    browser.screenshot("retention-preview-laptop").await?;
    browser.click("#retention-form button[type=submit]").await?;
    until(&browser, &shows("#policy-in-force", "kept 365 days")).await?;

    // A hold on every call tagged `dispute`: it shows the one call it keeps.
    unfold(&browser, "#hold-name").await?;
    browser.fill("#hold-name", "Dispute 2024-17").await?;
    browser
        .fill("#hold-reason", "Customer complaint under review")
        .await?;
    browser.fill("#hold-tag", "dispute").await?;
    browser.click("#new-hold button[type=submit]").await?;
    browser.find("li.hold").await?;
    browser.click("li.hold details.held summary").await?;
    until(&browser, &shows("li.hold .held-recordings", &disputed)).await?;
    until(&browser, &shows("li.hold .held-count", "1 recording")).await?;

    // The expiry runs (here from the command line; the server runs it every ten minutes).
    let said = server.command_line(&["retention", "run"])?;
    anyhow::ensure!(
        said.contains("1 recordings deleted; 1 expired but held"),
        "the run said: {said}"
    );
    browser.client.refresh().await?;
    until(&browser, &shows("#deletions", &routine)).await?;
    until(&browser, &shows("li.hold .hold-name", "Dispute 2024-17")).await?;
    browser.resize(1366, 2400).await?;
    browser.screenshot("retention-laptop").await?;
    browser.resize(1366, 768).await?;
    browser.check_accessibility("retention at 1366 px").await?;

    // The held call is still there to play; the other old one is gone.
    browser
        .click("nav.tenant-nav a[href='/t/acme/recordings']")
        .await?;
    until(
        &browser,
        "return document.querySelectorAll('tr.recording').length === 2;",
    )
    .await?;
    until(&browser, &shows("#recordings", "+4930111001")).await?;
    anyhow::ensure!(
        !browser
            .find("#recordings")
            .await?
            .text()
            .await?
            .contains("+4930111002"),
        "the expired call is not listed"
    );

    browser.resize(390, 844).await?;
    browser
        .client
        .goto(&format!("{}/t/acme/retention", server.url))
        .await?;
    browser.find("#deletions").await?;
    browser.resize(390, 3000).await?;
    browser.screenshot("retention-phone").await?;
    browser.resize(390, 844).await?;
    browser
        .check_no_sideways_scroll("retention at 390 px")
        .await?;
    browser.check_accessibility("retention at 390 px").await?;
    browser.close().await
}
