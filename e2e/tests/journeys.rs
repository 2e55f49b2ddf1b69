//! The journeys of the product in a real browser against the real server binary: from the
//! first sign-in to a supervisor playing a sealed recording and downloading an encrypted ZIP.

use callvault_e2e::steps::{
    EXPORT_PASSPHRASE, PASSWORD, create_key, create_tenant, create_user, grant_key,
    play_first_recording, sign_in, sign_out, unfold, until, wav,
};
use callvault_e2e::{Browser, ROOT_PASSWORD, Server};
use fantoccini::Locator;
use serde_json::Value;

#[tokio::test]
async fn from_first_sign_in_to_playback_here_and_in_the_tenants_own_instance() -> anyhow::Result<()>
{
    let server = Server::start().await?;
    let browser = Browser::start().await?;

    // Root: a tenant, its administrator and supervisor, and the System key.
    sign_in(&browser, &server, "root", ROOT_PASSWORD).await?;
    create_tenant(&browser, "acme", "Acme Telecom").await?;
    browser.screenshot("01-tenants").await?;
    create_user(&browser, &server, "acme", "ada", "tenant_admin").await?;
    create_user(&browser, &server, "acme", "sam", "supervisor").await?;
    browser.screenshot("02-users").await?;
    create_key(&browser, &server, "system").await?;
    sign_out(&browser, &server).await?;

    // The tenant administrator: the check-list, step by step.
    sign_in(&browser, &server, "ada", PASSWORD).await?;
    create_key(&browser, &server, "acme").await?;
    browser
        .fill("article.key .export-passphrase", EXPORT_PASSPHRASE)
        .await?;
    browser
        .fill("article.key .export-again", EXPORT_PASSPHRASE)
        .await?;
    browser
        .click("article.key form.export button[type=submit]")
        .await?;
    browser.find("article.key .exported").await?;
    let key_file = browser.downloaded(".pem").await?;
    let pem = std::fs::read_to_string(&key_file)?;
    anyhow::ensure!(
        pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{pem}"
    );
    grant_key(&browser, "sam").await?;
    browser.screenshot("03-keys").await?;
    browser
        .client
        .goto(&format!("{}/t/acme", server.url))
        .await?;
    browser.click("#toggle-encryption").await?;
    browser.find("#step-encryption.done").await?;
    for step in ["#step-key.done", "#step-export.done", "#step-grant.done"] {
        browser.find(step).await?;
    }
    browser.screenshot("04-encryption-checklist").await?;

    // The administrator gives the recorder an upload-only token, whose secret the page shows
    // once; the recorder uploads two calls through the API with it.
    browser
        .client
        .goto(&format!("{}/t/acme/tokens", server.url))
        .await?;
    browser.fill("#token-name", "recorder pbx-01").await?;
    browser.click("#new-token button[type=submit]").await?;
    let token = browser
        .find("#token-secret")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    anyhow::ensure!(
        token.starts_with("cvt_"),
        "the page shows the token's secret"
    );
    browser.find("#tokens").await?;
    browser.screenshot("04b-api-tokens").await?;
    let http = reqwest::Client::new();
    for (caller, seconds) in [("+4930111", 8), ("+4930222", 6)] {
        let uploaded: Value = http
            .post(format!(
                "{}/api/v1/tenants/acme/recordings?caller={}",
                server.url,
                caller.replace('+', "%2B")
            ))
            .bearer_auth(&token)
            .header("content-type", "audio/wav")
            .body(wav(seconds))
            .send()
            .await?
            .json()
            .await?;
        anyhow::ensure!(uploaded["sealed"] == true, "{uploaded}");
    }
    sign_out(&browser, &server).await?;

    // The supervisor plays one, seeks, and downloads both, still sealed.
    sign_in(&browser, &server, "sam", PASSWORD).await?;
    browser
        .client
        .goto(&format!("{}/t/acme/recordings", server.url))
        .await?;
    browser.find("tr.recording").await?;
    let rows = browser
        .client
        .find_all(Locator::Css("tr.recording"))
        .await?;
    anyhow::ensure!(rows.len() == 2, "{} rows", rows.len());
    play_first_recording(&browser).await?;
    browser.screenshot("05-playing").await?;
    browser
        .client
        .execute(
            "document.getElementById('player').currentTime = 4.0; return true;",
            vec![],
        )
        .await?;
    until(
        &browser,
        "const p = document.getElementById('player'); return !p.paused && p.currentTime > 4.3;",
    )
    .await?;

    for checkbox in browser
        .client
        .find_all(Locator::Css("tr.recording input.select"))
        .await?
    {
        checkbox.click().await?;
    }
    browser.click("#download-selected").await?;
    browser.find("#download-done").await?;
    let archive = std::fs::read(browser.downloaded(".zip").await?)?;
    anyhow::ensure!(archive.starts_with(b"PK"), "a ZIP archive");
    let sealed = archive
        .windows(8)
        .filter(|window| *window == b"CVREC\r\n\x1a")
        .count();
    anyhow::ensure!(
        sealed == 2,
        "two sealed files in the archive, found {sealed}"
    );
    browser.screenshot("06-recordings").await?;
    // Searching by caller narrows the list; each recording can also be downloaded alone.
    let caller = browser.find("#filter-caller").await?;
    caller.send_keys("+4930111\u{E007}").await?;
    until(
        &browser,
        "return document.querySelectorAll('tr.recording').length === 1;",
    )
    .await?;
    browser.find("tr.recording button.download").await?;
    browser
        .client
        .goto(&format!("{}/account", server.url))
        .await?;
    browser
        .client
        .wait()
        .at_most(std::time::Duration::from_secs(20))
        .for_element(Locator::XPath(
            "//table[@id='sessions']//span[text()='This session']",
        ))
        .await?;
    browser.screenshot("06b-account").await?;

    // Journey 2: the tenant's own instance takes the archive and the key file.
    let carried = tempfile::tempdir()?;
    let (archive_file, key_copy) = (
        carried.path().join("recordings.zip"),
        carried.path().join("key.pem"),
    );
    std::fs::write(&archive_file, &archive)?;
    std::fs::copy(&key_file, &key_copy)?;
    let own = Server::start().await?;
    sign_in(&browser, &own, "root", ROOT_PASSWORD).await?;
    create_tenant(&browser, "acme", "Acme, at home").await?;
    create_user(&browser, &own, "acme", "owner", "tenant_admin").await?;
    create_user(&browser, &own, "acme", "olga", "supervisor").await?;
    create_key(&browser, &own, "system").await?;
    sign_out(&browser, &own).await?;

    sign_in(&browser, &own, "owner", PASSWORD).await?;
    browser
        .client
        .goto(&format!("{}/t/acme/recordings", own.url))
        .await?;
    unfold(&browser, "#import-archive").await?;
    browser
        .find("#archive-file")
        .await?
        .send_keys(&archive_file.to_string_lossy())
        .await?;
    browser.click("#import-archive button[type=submit]").await?;
    let imported = browser.find("#archive-imported").await?.text().await?;
    anyhow::ensure!(imported.starts_with("Imported 2 recordings"), "{imported}");
    browser
        .client
        .goto(&format!("{}/t/acme/keys", own.url))
        .await?;
    unfold(&browser, "#import-key").await?;
    browser
        .find("#key-file")
        .await?
        .send_keys(&key_copy.to_string_lossy())
        .await?;
    browser.fill("#key-passphrase", EXPORT_PASSPHRASE).await?;
    browser.click("#import-key button[type=submit]").await?;
    browser.find("#key-imported").await?;
    browser.find("article.key").await?;
    grant_key(&browser, "olga").await?;
    browser.screenshot("07-imported-key").await?;
    sign_out(&browser, &own).await?;

    sign_in(&browser, &own, "olga", PASSWORD).await?;
    browser
        .client
        .goto(&format!("{}/t/acme/recordings", own.url))
        .await?;
    play_first_recording(&browser).await?;
    browser.screenshot("08-playing-at-home").await?;

    browser.close().await
}
