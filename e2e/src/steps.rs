//! Steps the journeys share: signing in and out, creating users and keys through the screens,
//! waiting for a condition in the page, and test audio.

use std::time::Duration;

use fantoccini::Locator;

use crate::{Browser, Server};

pub const PASSWORD: &str = "a password for the journey";
pub const EXPORT_PASSPHRASE: &str = "an export passphrase for the journey";

/// `seconds` of a 440 Hz tone, 8 kHz mono 16-bit WAV.
pub fn wav(seconds: u32) -> Vec<u8> {
    let samples = callvault_shared::wav::RATE * seconds;
    callvault_shared::wav::encode(&callvault_shared::wav::tone(samples as usize, 440.0))
}

pub async fn sign_in(
    browser: &Browser,
    server: &Server,
    username: &str,
    password: &str,
) -> anyhow::Result<()> {
    browser
        .client
        .goto(&format!("{}/login", server.url))
        .await?;
    browser.fill("#login-username", username).await?;
    browser.fill("#login-password", password).await?;
    browser.click("#login-form button[type=submit]").await?;
    // The frame's user menu names whoever is signed in, once the landing screen is chosen.
    let landed = until(
        browser,
        &format!(
            "return document.getElementById('user-menu')?.textContent.trim() === '{username}' && location.pathname !== '/' && location.pathname !== '/login';"
        ),
    )
    .await;
    if landed.is_err() {
        browser.screenshot("failure-sign-in").await?;
    }
    landed
}

/// Signs out through the user menu.
pub async fn sign_out(browser: &Browser, server: &Server) -> anyhow::Result<()> {
    browser
        .client
        .goto(&format!("{}/account", server.url))
        .await?;
    browser.click("#user-menu").await?;
    browser.click("#sign-out").await?;
    browser.find("#login-title").await?;
    Ok(())
}

/// Opens the folded section (`<details>`) around the element `css`.
pub async fn unfold(browser: &Browser, css: &str) -> anyhow::Result<()> {
    browser.find(css).await?;
    browser
        .client
        .execute(
            "document.querySelector(arguments[0]).closest('details').open = true; return true;",
            vec![serde_json::json!(css)],
        )
        .await?;
    Ok(())
}

/// Confirms the dialog a far-reaching action opened.
pub async fn confirm(browser: &Browser) -> anyhow::Result<()> {
    browser.click("dialog[open] .confirm-ok").await
}

/// Clicks `css`, a button that asks first, and confirms.
pub async fn click_and_confirm(browser: &Browser, css: &str) -> anyhow::Result<()> {
    browser.click(css).await?;
    confirm(browser).await
}

pub async fn create_user(
    browser: &Browser,
    server: &Server,
    tenant: &str,
    name: &str,
    role: &str,
) -> anyhow::Result<()> {
    browser
        .client
        .goto(&format!("{}/t/{tenant}/users", server.url))
        .await?;
    unfold(browser, "#new-user").await?;
    browser.fill("#user-name", name).await?;
    browser.fill("#user-password", PASSWORD).await?;
    browser
        .click(&format!("#user-role option[value={role}]"))
        .await?;
    browser.click("#new-user button[type=submit]").await?;
    let found = browser
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::XPath(&format!(
            "//table[@id='users']//td[text()='{name}']"
        )))
        .await;
    if found.is_err() {
        browser.screenshot("failure").await?;
    }
    found?;
    Ok(())
}

pub async fn create_key(browser: &Browser, server: &Server, tenant: &str) -> anyhow::Result<()> {
    browser
        .client
        .goto(&format!("{}/t/{tenant}/keys", server.url))
        .await?;
    browser.find("#no-keys").await?;
    browser.click("#key-bits option[value='2048']").await?;
    browser.click("#new-key button[type=submit]").await?;
    browser.find("article.key").await?;
    Ok(())
}

/// Evaluates `script` (a `return …` body) until it yields true, for up to 20 s.
pub async fn until(browser: &Browser, script: &str) -> anyhow::Result<()> {
    for _ in 0..200 {
        if browser.client.execute(script, vec![]).await?.as_bool() == Some(true) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("never true: {script}")
}

/// Creates a tenant on the tenants screen, as provider staff.
pub async fn create_tenant(browser: &Browser, slug: &str, name: &str) -> anyhow::Result<()> {
    browser.click("#go-tenants").await?;
    browser.fill("#tenant-slug", slug).await?;
    browser.fill("#tenant-name", name).await?;
    browser.click("#new-tenant button[type=submit]").await?;
    browser
        .find(&format!("#tenants a[href='/t/{slug}']"))
        .await?;
    Ok(())
}

/// Grants the (only) key on the keys screen to `username`, and waits until they hold it.
pub async fn grant_key(browser: &Browser, username: &str) -> anyhow::Result<()> {
    browser
        .client
        .find(Locator::XPath(&format!(
            "//select[@class='grantee']/option[starts-with(text(), '{username} ')]"
        )))
        .await?
        .click()
        .await?;
    browser
        .click("article.key form.grant button[type=submit]")
        .await?;
    until(
        browser,
        &format!(
            // The list is re-rendered after the grant: between the two it may not exist.
            "return document.querySelector('article.key .holders')?.textContent.includes('{username}') === true;"
        ),
    )
    .await
}

/// Plays the first recording on the recordings screen and waits until the audio runs.
pub async fn play_first_recording(browser: &Browser) -> anyhow::Result<()> {
    browser.find("tr.recording").await?;
    browser.click("tr.recording button.play").await?;
    browser.find("#player").await?;
    until(
        browser,
        "const p = document.getElementById('player'); return !p.paused && p.currentTime > 0.5;",
    )
    .await
}
