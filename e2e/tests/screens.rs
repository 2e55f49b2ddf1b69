//! The screens as the people who use them meet them: the frame and where each role lands,
//! confirmations that name consequences, screens that offer only what the role may do, the
//! call list's selection and pages, the player, upload from the page, and every main screen
//! checked with axe-core and at phone width, with screenshots at both widths.

use callvault_e2e::steps::{
    EXPORT_PASSPHRASE, PASSWORD, click_and_confirm, confirm, sign_in, unfold, until,
};
use callvault_e2e::{Browser, Seed, Server};
use fantoccini::Locator;

/// The number of elements `css` matches now.
async fn count(browser: &Browser, css: &str) -> anyhow::Result<usize> {
    Ok(browser.client.find_all(Locator::Css(css)).await?.len())
}

/// The text of the first element `css` matches.
async fn text(browser: &Browser, css: &str) -> anyhow::Result<String> {
    Ok(browser.find(css).await?.text().await?)
}

/// Acme with an administrator, a supervisor and an auditor; its key exported, granted to the
/// supervisor, encryption on; calls from two agents.
async fn acme(server: &Server, calls: usize) -> anyhow::Result<()> {
    let root = Seed::as_user(server, "root").await?;
    root.tenant_with_admin("acme", "Acme Telecom", "ada")
        .await?;
    let ada = Seed::as_user(server, "ada").await?;
    ada.user("acme", "sam", "supervisor").await?;
    ada.user("acme", "aud", "auditor").await?;
    ada.encrypted("acme", &["sam"]).await?;
    for n in 0..calls {
        let agent = if n % 2 == 0 { "alice" } else { "bob" };
        let caller = format!("+49301110{n:02}");
        let started = format!("2026-11-{:02}T09:{:02}:00Z", 1 + n % 28, n % 60);
        ada.recording(
            "acme",
            2,
            &[
                ("agent", agent),
                ("caller", &caller),
                ("callee", "+4940999"),
                ("started_at", &started),
                ("direction", "inbound"),
            ],
        )
        .await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_tenant_admin_lands_on_the_checklist_in_a_frame_and_confirms_what_reaches_far()
-> anyhow::Result<()> {
    let server = Server::start().await?;
    let root = Seed::as_user(&server, "root").await?;
    root.tenant_with_admin("acme", "Acme Telecom", "ada")
        .await?;
    Seed::as_user(&server, "ada")
        .await?
        .user("acme", "sam", "supervisor")
        .await?;
    let browser = Browser::start().await?;

    // D3: the check-list is not complete, so that is where the administrator lands; the frame
    // names the tenant, not its slug.
    sign_in(&browser, &server, "ada", PASSWORD).await?;
    assert_eq!(browser.client.current_url().await?.path(), "/t/acme");
    assert_eq!(text(&browser, "#current-tenant").await?, "Acme Telecom");
    assert_eq!(
        text(&browser, "#overview-title").await?,
        "Encryption · Acme Telecom"
    );
    // D5: a provider-held tenant is not offered a key pair made in the browser.
    browser
        .client
        .goto(&format!("{}/t/acme/keys", server.url))
        .await?;
    browser.find("#new-key").await?;
    anyhow::ensure!(count(&browser, "#browser-keygen").await? == 0);

    // D1: granting with nobody chosen says so, not "the server cannot be reached".
    browser.click("#key-bits option[value='2048']").await?;
    browser.click("#new-key button[type=submit]").await?;
    browser.find("article.key").await?;
    browser
        .click("article.key form.grant button[type=submit]")
        .await?;
    let said = text(&browser, "article.key form.grant [role=alert]").await?;
    anyhow::ensure!(said == "Choose the user to grant this key to.", "{said}");

    // D6: the minimum is stated, a short passphrase is refused in words, and both fields are
    // emptied once the file is saved.
    let label = text(&browser, "article.key form.export label").await?;
    anyhow::ensure!(label.contains("at least 12 characters"), "{label}");
    browser
        .fill("article.key .export-passphrase", "short")
        .await?;
    browser.fill("article.key .export-again", "short").await?;
    browser
        .click("article.key form.export button[type=submit]")
        .await?;
    let said = text(&browser, "article.key form.export [role=alert]").await?;
    anyhow::ensure!(said.contains("at least 12 characters"), "{said}");
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
    until(&browser, "return [...document.querySelectorAll('article.key form.export input')].every((i) => i.value === '');").await?;

    // D12: human words for the key, a short fingerprint with a copy button.
    let heading = text(&browser, "article.key h2").await?;
    anyhow::ensure!(
        heading.starts_with("Key ") && heading.len() == "Key ".len() + 19,
        "{heading}"
    );
    let facts = text(&browser, "article.key .key-facts").await?;
    anyhow::ensure!(
        facts.contains("Made on this server") && !facts.contains("Generated"),
        "{facts}"
    );
    let state = text(&browser, "article.key .key-state").await?;
    anyhow::ensure!(state == "Active · seals new recordings", "{state}");
    browser.find("article.key button.copy").await?;

    // D4: a grant's revocation asks first and names who is left; cancelled, nothing changes;
    // confirmed, the grant goes.
    callvault_e2e::steps::grant_key(&browser, "sam").await?;
    browser
        .click("article.key button.revoke[aria-label=\"Revoke sam's grant\"]")
        .await?;
    let consequence = text(&browser, "dialog[open] .confirm-consequence").await?;
    anyhow::ensure!(
        consequence.contains("They stay playable only by ada"),
        "{consequence}"
    );
    browser.screenshot("20-confirm-revoke").await?;
    browser.click("dialog[open] .confirm-cancel").await?;
    anyhow::ensure!(count(&browser, "dialog[open]").await? == 0);
    anyhow::ensure!(
        text(&browser, "article.key .holders")
            .await?
            .contains("sam")
    );
    browser
        .click("article.key button.revoke[aria-label=\"Revoke sam's grant\"]")
        .await?;
    confirm(&browser).await?;
    until(
        &browser,
        "return !document.querySelector('article.key .holders').textContent.includes('sam');",
    )
    .await?;

    // D4: destroying needs the fingerprint typed; until then the button stays disabled.
    browser.click("article.key button.destroy").await?;
    let ok = browser.find("dialog[open] .confirm-ok").await?;
    anyhow::ensure!(!ok.is_enabled().await?, "destroy allowed before typing");
    browser.click("dialog[open] .confirm-cancel").await?;

    // D12: a retired key offers no revoke (its grants only open what it sealed before).
    callvault_e2e::steps::grant_key(&browser, "sam").await?;
    browser
        .find("article.key button.revoke[aria-label=\"Revoke sam's grant\"]")
        .await?;
    click_and_confirm(&browser, "article.key button.retire").await?;
    until(
        &browser,
        "return document.querySelector('article.key .key-state')?.textContent.startsWith('Retired') === true;",
    )
    .await?;
    anyhow::ensure!(count(&browser, "article.key button.revoke").await? == 0);

    // D13: the audit log names what was acted on, checks its chain on top, filters by action
    // and exports as JSON Lines.
    browser
        .client
        .goto(&format!("{}/t/acme/audit", server.url))
        .await?;
    browser.find("#audit").await?;
    let chain = text(&browser, "#chain-state .badge").await?;
    anyhow::ensure!(chain.starts_with("Chain intact"), "{chain}");
    browser.fill("#audit-action", "key.revoke").await?;
    browser.click("#audit-filters button[type=submit]").await?;
    until(
        &browser,
        "const rows = [...document.querySelectorAll('#audit tbody tr')];
         return rows.length === 1 && rows[0].textContent.includes('key.revoke') && rows[0].textContent.includes('ada')
             && rows[0].querySelector('td[data-label=On]').textContent.startsWith('key ');",
    )
    .await?;
    let export = browser
        .find("#audit-export")
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    anyhow::ensure!(export.contains("/audit/export"), "{export}");
    browser.screenshot("25-audit-filtered").await?;

    // D4 and D7: a role changes only after a confirmation, and a tenant administrator is
    // offered no provider role.
    browser
        .client
        .goto(&format!("{}/t/acme/users", server.url))
        .await?;
    browser
        .find("select[aria-label=\"Role of sam\"] option")
        .await?;
    let roles: Vec<String> = serde_json::from_value(
        browser
            .client
            .execute(
                "return [...document.querySelectorAll('select[aria-label=\"Role of sam\"] option')].map((o) => o.value);",
                vec![],
            )
            .await?,
    )?;
    anyhow::ensure!(
        roles == ["tenant_admin", "supervisor", "user", "auditor"],
        "{roles:?}"
    );
    browser
        .click("select[aria-label=\"Role of sam\"] option[value=auditor]")
        .await?;
    // Choosing is not changing: nothing happens until the change is confirmed.
    anyhow::ensure!(count(&browser, "#role-changed").await? == 0);
    click_and_confirm(&browser, "button.change-role").await?;
    let changed = text(&browser, "#role-changed").await?;
    anyhow::ensure!(changed == "sam is now Auditor.", "{changed}");

    // D4: a password reset says what it takes away first.
    browser
        .fill(
            "input[aria-label=\"New password for sam\"]",
            "a brand new password",
        )
        .await?;
    browser
        .click("button[aria-label=\"Reset sam's password\"]")
        .await?;
    let consequence = text(&browser, "dialog[open] .confirm-consequence").await?;
    anyhow::ensure!(
        consequence.contains("sam gets a new key pair"),
        "{consequence}"
    );
    confirm(&browser).await?;
    browser.find("#password-reset").await?;

    // D16: a token's secret has a copy button; revoking one asks first.
    browser
        .client
        .goto(&format!("{}/t/acme/tokens", server.url))
        .await?;
    browser.fill("#token-name", "recorder pbx-01").await?;
    browser.click("#new-token button[type=submit]").await?;
    browser.find(".secret-line button.copy").await?;
    browser.find("#tokens").await?;
    click_and_confirm(&browser, "button.revoke-token").await?;
    browser.find("#no-tokens").await?;

    // D16: sessions name the browser in words, mark this one, and end all the others.
    Seed::as_user(&server, "ada").await?;
    browser
        .client
        .goto(&format!("{}/account", server.url))
        .await?;
    browser.find("#sessions").await?;
    let sessions = text(&browser, "#sessions").await?;
    anyhow::ensure!(
        sessions.contains("Chrome") && sessions.contains("This session"),
        "{sessions}"
    );
    click_and_confirm(&browser, "button[aria-label=\"End all other sessions\"]").await?;
    browser.find("#others-ended").await?;
    until(
        &browser,
        "return document.querySelectorAll('#sessions tbody tr').length === 1;",
    )
    .await?;

    browser.close().await
}

#[tokio::test]
async fn a_supervisor_sees_only_what_a_supervisor_may_do_and_plays_from_a_kept_selection()
-> anyhow::Result<()> {
    let server = Server::start().await?;
    acme(&server, 30).await?;
    let browser = Browser::start().await?;

    // A supervisor lands on the recordings, and the navigation holds only their screens.
    sign_in(&browser, &server, "sam", PASSWORD).await?;
    assert_eq!(
        browser.client.current_url().await?.path(),
        "/t/acme/recordings"
    );
    let screens = text(&browser, ".tenant-nav").await?;
    anyhow::ensure!(
        !screens.contains("Users") && !screens.contains("API tokens") && !screens.contains("Audit"),
        "{screens}"
    );
    anyhow::ensure!(
        count(&browser, "#upload, #import-archive").await? == 0,
        "upload offered"
    );

    // D8: newest call first, pages of 25 with a total, previous and next, page numbers, a
    // page size; every column sorts on the server, both ways.
    until(
        &browser,
        "return document.querySelectorAll('tr.recording').length === 25;",
    )
    .await?;
    anyhow::ensure!(text(&browser, "#page-summary").await? == "1–25 of 30");
    let first_started = text(&browser, "tr.recording td[data-label='Started (UTC)']").await?;
    anyhow::ensure!(first_started == "2026-11-28 09:27", "{first_started}");
    browser.click("#next-page").await?;
    let second = until(
        &browser,
        "return document.querySelectorAll('tr.recording').length === 5;",
    )
    .await;
    if second.is_err() {
        browser.screenshot("failure-second-page").await?;
    }
    second?;
    anyhow::ensure!(text(&browser, "#page-summary").await? == "26–30 of 30");
    browser
        .click("button.page-link[aria-label='Page 1']")
        .await?;
    until(
        &browser,
        "return document.querySelectorAll('tr.recording').length === 25;",
    )
    .await?;
    browser.click("button.sort[data-column=Caller]").await?;
    until(&browser, "return document.querySelector('tr.recording td[data-label=Caller]')?.textContent === '+4930111000';").await?;
    browser
        .find("th[aria-sort=ascending] button[data-column=Caller]")
        .await?;
    browser.click("button.sort[data-column=Caller]").await?;
    until(&browser, "return document.querySelector('tr.recording td[data-label=Caller]')?.textContent === '+4930111029';").await?;
    browser.click("#page-size option[value='50']").await?;
    until(
        &browser,
        "return document.querySelectorAll('tr.recording').length === 30;",
    )
    .await?;
    browser.screenshot("23-sorted-by-caller").await?;
    browser.click("#page-size option[value='25']").await?;
    until(
        &browser,
        "return document.querySelectorAll('tr.recording').length === 25;",
    )
    .await?;

    // D2: the tick boxes follow the selection across filters.
    browser.fill("#filter-agent", "alice").await?;
    browser.click("#search").await?;
    until(
        &browser,
        "return document.querySelectorAll('tr.recording').length === 15;",
    )
    .await?;
    browser.click("tr.recording input.select").await?;
    browser.fill("#filter-agent", "bob").await?;
    browser.click("#search").await?;
    until(
        &browser,
        "return document.querySelectorAll('tr.recording').length === 15;",
    )
    .await?;
    anyhow::ensure!(
        count(&browser, "tr.recording input.select:checked").await? == 0,
        "bob's row shows ticked"
    );
    browser.click("tr.recording input.select").await?;
    browser.click("#clear-filters").await?;
    until(
        &browser,
        "return document.querySelectorAll('tr.recording').length === 25;",
    )
    .await?;
    until(
        &browser,
        "return document.querySelectorAll('tr.recording input.select:checked').length === 2;",
    )
    .await?;
    anyhow::ensure!(text(&browser, "#selection-count").await? == "2 selected");
    browser.click("#download-selected").await?;
    let done = text(&browser, "#download-done").await?;
    anyhow::ensure!(done.starts_with("Downloaded 2 recordings"), "{done}");

    // D7 on keys: the supervisor sees the keys and their holders, and no action on them.
    browser
        .client
        .goto(&format!("{}/t/acme/keys", server.url))
        .await?;
    browser.find("article.key").await?;
    for action in [
        "button.revoke",
        "button.retire",
        "button.destroy",
        "form.export",
        "form.grant",
        "#new-key",
        "#import-key",
    ] {
        anyhow::ensure!(
            count(&browser, action).await? == 0,
            "a supervisor is offered {action}"
        );
    }
    browser
        .client
        .goto(&format!("{}/t/acme", server.url))
        .await?;
    browser.find("#step-encryption").await?;
    anyhow::ensure!(
        count(
            &browser,
            "#toggle-encryption, button.toggle-mode, button[aria-label=\"Switch encryption off\"]"
        )
        .await?
            == 0
    );

    // D10, D11: the docked player names the call, the playing row stands out, and the
    // download says it is decrypted.
    browser
        .client
        .goto(&format!("{}/t/acme/recordings", server.url))
        .await?;
    browser.find("tr.recording").await?;
    anyhow::ensure!(text(&browser, "tr.recording button.download").await? == "Download decrypted");
    browser.click("tr.recording button.play").await?;
    browser.find("#player").await?;
    until(
        &browser,
        "const p = document.getElementById('player'); return !p.paused && p.currentTime > 0.3;",
    )
    .await?;
    let caption = text(&browser, "#player-caption").await?;
    anyhow::ensure!(
        caption.contains("→ +4940999") && caption.contains("agent") && caption.contains("UTC"),
        "{caption}"
    );
    anyhow::ensure!(count(&browser, "tr.recording.playing[aria-current=true]").await? == 1);
    browser.screenshot("21-player-docked").await?;
    // The speed applies to the audio.
    browser.click("#player-speed option[value='1.5']").await?;
    until(
        &browser,
        "return document.getElementById('player').playbackRate === 1.5;",
    )
    .await?;
    // The overview is drawn from the audio; a click three quarters along seeks there, and the
    // bars up to there read as heard.
    until(
        &browser,
        "return document.querySelectorAll('#waveform rect').length === 160;",
    )
    .await?;
    browser
        .client
        .execute(
            "const w = document.getElementById('waveform'); const r = w.getBoundingClientRect();
             w.dispatchEvent(new MouseEvent('click', { clientX: r.left + r.width * 0.75, clientY: r.top + 2, bubbles: true }));",
            vec![],
        )
        .await?;
    until(
        &browser,
        "const p = document.getElementById('player'); return p.currentTime / p.duration > 0.7
         && document.querySelectorAll('#waveform rect.heard').length >= 110;",
    )
    .await?;
    browser.screenshot("24-player-waveform").await?;
    // On a phone the docked player with its overview still fits the width.
    browser.resize(390, 844).await?;
    browser
        .check_no_sideways_scroll("the docked player at 390 px")
        .await?;
    browser.screenshot("24b-player-phone").await?;

    browser.close().await
}

#[tokio::test]
async fn recordings_are_uploaded_from_the_page_with_progress_and_a_wrong_type_is_said()
-> anyhow::Result<()> {
    let server = Server::start().await?;
    acme(&server, 0).await?;
    let browser = Browser::start().await?;
    let files = tempfile::tempdir()?;
    let (first, second, text_file) = (
        files.path().join("first call.wav"),
        files.path().join("second call.wav"),
        files.path().join("notes.txt"),
    );
    std::fs::write(&first, callvault_e2e::steps::wav(3))?;
    std::fs::write(&second, callvault_e2e::steps::wav(4))?;
    std::fs::write(&text_file, "not audio at all, just words")?;

    sign_in(&browser, &server, "ada", PASSWORD).await?;
    browser
        .client
        .goto(&format!("{}/t/acme/recordings", server.url))
        .await?;
    // An empty tenant says what to do next.
    let empty = text(&browser, "#no-recordings").await?;
    anyhow::ensure!(empty.contains("upload"), "{empty}");
    unfold(&browser, "#upload").await?;
    let chooser = browser.find("#upload-files").await?;
    chooser
        .send_keys(&format!("{}\n{}", first.display(), second.display()))
        .await?;
    browser.fill("#upload-agent", "carol").await?;
    browser.fill("#upload-caller", "+4930555").await?;
    browser.click("#upload-submit").await?;
    until(&browser, "return document.querySelectorAll('.upload-item').length === 2 && [...document.querySelectorAll('.upload-outcome')].every((o) => o.textContent === 'Stored, sealed.');").await?;
    until(&browser, "return [...document.querySelectorAll('.upload-item progress')].every((p) => p.value === 1);").await?;
    until(
        &browser,
        "return document.querySelectorAll('tr.recording').length === 2;",
    )
    .await?;
    let rows = text(&browser, "#recordings").await?;
    anyhow::ensure!(
        rows.contains("carol") && rows.contains("+4930555"),
        "{rows}"
    );
    browser.screenshot("22-uploaded").await?;

    browser
        .find("#upload-files")
        .await?
        .send_keys(&text_file.to_string_lossy())
        .await?;
    browser.click("#upload-submit").await?;
    until(
        &browser,
        "return document.querySelector('.upload-item.failed') !== null;",
    )
    .await?;
    let said = text(&browser, ".upload-item.failed .upload-outcome").await?;
    anyhow::ensure!(said.contains("not a recognised audio file"), "{said}");

    browser.close().await
}

/// The main screens, each with the element that says it has rendered.
const SCREENS: [(&str, &str, &str); 8] = [
    ("tenants", "/tenants", "#tenants"),
    ("encryption", "/t/acme", "#step-encryption"),
    ("recordings", "/t/acme/recordings", "tr.recording"),
    ("keys", "/t/acme/keys", "article.key"),
    ("users", "/t/acme/users", "#users"),
    ("tokens", "/t/acme/tokens", "#new-token"),
    ("retention", "/t/acme/retention", "#retention-form"),
    ("audit", "/t/acme/audit", "#audit"),
];

#[tokio::test]
async fn every_main_screen_passes_axe_and_fits_a_phone() -> anyhow::Result<()> {
    let server = Server::start().await?;
    acme(&server, 3).await?;
    let browser = Browser::start().await?;
    sign_in(&browser, &server, "root", callvault_e2e::ROOT_PASSWORD).await?;
    for (width, height, suffix) in [(1366, 768, "laptop"), (390, 844, "phone")] {
        browser.resize(width, height).await?;
        for (name, path, ready) in
            SCREENS
                .iter()
                .copied()
                .chain([("account", "/account", "#sessions")])
        {
            browser
                .client
                .goto(&format!("{}{path}", server.url))
                .await?;
            browser.find(ready).await?;
            browser
                .screenshot(&format!("screen-{name}-{suffix}"))
                .await?;
            browser
                .check_accessibility(&format!("{name} at {width} px"))
                .await?;
            browser
                .check_no_sideways_scroll(&format!("{name} at {width} px"))
                .await?;
        }
    }
    // The sign-in screen, signed out.
    browser.click("#user-menu").await?;
    browser.click("#sign-out").await?;
    browser.find("#login-title").await?;
    browser.screenshot("screen-login-phone").await?;
    browser.check_accessibility("sign-in at 390 px").await?;
    browser
        .check_no_sideways_scroll("sign-in at 390 px")
        .await?;
    browser.close().await
}
