//! Journey 3: a tenant that holds its own keys. The key pair is made in the browser, the
//! provider's staff are not offered playback on the server, which cannot open what it seals, the tenant plays it in
//! the page with its key file, rotates to a new key pair signing the change with the old key
//! file, the provider's root is refused the same change, and no private key byte crosses the
//! network.

use base64::Engine;
use callvault_e2e::steps::{
    PASSWORD, click_and_confirm, confirm, create_key, create_tenant, create_user, sign_in,
    sign_out, until, wav,
};
use callvault_e2e::{Browser, ROOT_PASSWORD, RecordingProxy, Server};
use callvault_shared::crypto::{RsaBits, RustCrypto};
use callvault_shared::keys::{KeyFile, RsaPrivateKey, import_key};
use serde_json::{Value, json};

const KEY_PASSPHRASE: &str = "the tenant's own key passphrase";
const NEW_KEY_PASSPHRASE: &str = "the tenant's new key passphrase";

#[tokio::test]
async fn a_tenant_held_key_made_and_used_in_the_browser_never_reaches_the_server()
-> anyhow::Result<()> {
    let direct = Server::start().await?;
    // Every byte between browser and server goes through this recorder.
    let proxy =
        std::sync::Arc::new(RecordingProxy::start(direct.url.trim_start_matches("http://")).await?);
    let server = Server::at(&proxy);
    let browser = Browser::start().await?;

    sign_in(&browser, &server, "root", ROOT_PASSWORD).await?;
    create_tenant(&browser, "vault", "Vault Ltd").await?;
    create_user(&browser, &server, "vault", "val", "tenant_admin").await?;
    create_key(&browser, &server, "system").await?;
    sign_out(&browser, &server).await?;

    // The tenant's administrator: own keys, a key pair made here, encryption on.
    sign_in(&browser, &server, "val", PASSWORD).await?;
    browser
        .client
        .goto(&format!("{}/t/vault", server.url))
        .await?;
    // The switch says what it means before it happens.
    browser.click("button.toggle-mode").await?;
    let consequence = browser
        .find("dialog[open] .confirm-consequence")
        .await?
        .text()
        .await?;
    anyhow::ensure!(
        consequence.contains("nobody at the provider can listen"),
        "{consequence}"
    );
    confirm(&browser).await?;
    until(
        &browser,
        "return document.getElementById('key-mode').textContent.includes('The tenant holds its own keys');",
    )
    .await?;
    browser
        .client
        .goto(&format!("{}/t/vault/keys", server.url))
        .await?;
    browser
        .click("#browser-key-bits option[value='2048']")
        .await?;
    browser
        .fill("#browser-key-passphrase", KEY_PASSPHRASE)
        .await?;
    browser.fill("#browser-key-again", KEY_PASSPHRASE).await?;
    browser.click("#browser-keygen button[type=submit]").await?;
    browser.find("#browser-key-done").await?;
    let key_file = browser.downloaded(".pem").await?;
    let pem = std::fs::read_to_string(&key_file)?;
    browser.screenshot("09-tenant-held-key").await?;
    // The key made here is pinned, and pinning switches encryption on.
    browser
        .client
        .goto(&format!("{}/t/vault", server.url))
        .await?;
    browser.find("#step-encryption.done").await?;
    // The key file is the tenant's: export and grants are not steps here, and the server
    // offers no key pair of its own making.
    browser.find("#step-export.not-needed").await?;
    browser.find("#step-grant.not-needed").await?;
    browser
        .client
        .goto(&format!("{}/t/vault/keys", server.url))
        .await?;
    browser.find("article.key").await?;
    anyhow::ensure!(
        browser
            .client
            .find_all(fantoccini::Locator::Css("#new-key"))
            .await?
            .is_empty(),
        "a tenant-held tenant is offered a server-made key"
    );
    sign_out(&browser, &server).await?;

    // A recorder uploads a call.
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{}/api/v1/auth/login", server.url))
        .json(&json!({ "username": "val", "password": PASSWORD }))
        .send()
        .await?
        .json()
        .await?;
    let audio = wav(5);
    let uploaded: Value = http
        .post(format!("{}/api/v1/tenants/vault/recordings", server.url))
        .bearer_auth(login["access_token"].as_str().unwrap_or_default())
        .header("content-type", "audio/wav")
        .body(audio.clone())
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(uploaded["sealed"] == true, "{uploaded}");

    // The provider's root is not offered playing or downloading on the server, which cannot
    // open it: only playing in the page, with the tenant's key file.
    sign_in(&browser, &server, "root", ROOT_PASSWORD).await?;
    browser
        .client
        .goto(&format!("{}/t/vault/recordings", server.url))
        .await?;
    browser.find("tr.recording button.play-here").await?;
    let offered = browser
        .client
        .find_all(fantoccini::Locator::Css(
            "tr.recording button.play, tr.recording .download",
        ))
        .await?;
    anyhow::ensure!(offered.is_empty(), "root is offered server playback");
    browser.screenshot("10-provider-cannot-play").await?;
    sign_out(&browser, &server).await?;

    // The tenant plays it in the page, with its key file.
    sign_in(&browser, &server, "val", PASSWORD).await?;
    browser
        .client
        .goto(&format!("{}/t/vault/recordings", server.url))
        .await?;
    // Mistakes the page finds itself are said as they are: no key file, a wrong passphrase.
    browser.click("tr.recording button.play-here").await?;
    let said = browser
        .find(".local-player [role=alert]")
        .await?
        .text()
        .await?;
    anyhow::ensure!(said.starts_with("Choose your private key file"), "{said}");
    // Another key's file (another tenant's, say) is named as not this recording's key.
    let elsewhere = tempfile::tempdir()?;
    let other_file = elsewhere.path().join("another-tenants-key.pem");
    let other = RsaPrivateKey::<RustCrypto>::generate(RsaBits::Rsa2048)?;
    std::fs::write(
        &other_file,
        other
            .to_encrypted_pem(KEY_PASSPHRASE.as_bytes())?
            .as_bytes(),
    )?;
    play_here_with(&browser, &other_file, KEY_PASSPHRASE).await?;
    until(
        &browser,
        "return document.querySelector('.local-player [role=alert]')?.textContent.startsWith('This key file is not this recording') === true;",
    )
    .await?;
    play_here_with(&browser, &key_file, "not the passphrase").await?;
    until(
        &browser,
        "return document.querySelector('.local-player [role=alert]')?.textContent.startsWith('Wrong passphrase') === true;",
    )
    .await?;
    play_here_with(&browser, &key_file, KEY_PASSPHRASE).await?;
    // The same docked player as the server's playback, with its overview, from memory.
    browser.find("#player").await?;
    until(&browser, "const p = document.getElementById('player'); return p.src.startsWith('blob:') && !p.paused && p.currentTime > 0.5;").await?;
    until(
        &browser,
        "return document.querySelectorAll('#waveform rect').length === 160 && document.getElementById('player-caption').textContent.includes('→');",
    )
    .await?;
    browser.screenshot("11-played-in-the-browser").await?;

    // D9: on a phone the key-file forms fold away behind their titles, and nothing scrolls
    // sideways.
    browser.resize(390, 844).await?;
    browser
        .client
        .goto(&format!("{}/t/vault/recordings", server.url))
        .await?;
    browser.find("tr.recording").await?;
    until(
        &browser,
        "return document.querySelector('details.local-player')?.open === false;",
    )
    .await?;
    browser
        .check_no_sideways_scroll("tenant-held recordings at 390 px")
        .await?;
    browser.screenshot("11b-tenant-held-phone").await?;
    browser
        .client
        .goto(&format!("{}/t/vault/keys", server.url))
        .await?;
    browser.find("article.key").await?;
    until(
        &browser,
        "return document.getElementById('tenant-key')?.closest('details')?.open === false;",
    )
    .await?;
    browser
        .check_no_sideways_scroll("tenant-held keys at 390 px")
        .await?;
    browser.resize(1280, 900).await?;

    // The tenant rotates to a new key pair made here; its current key file signs the change.
    browser
        .client
        .goto(&format!("{}/t/vault/keys", server.url))
        .await?;
    browser
        .find("#signing-key-file")
        .await?
        .send_keys(&key_file.to_string_lossy())
        .await?;
    browser
        .fill("#signing-key-passphrase", KEY_PASSPHRASE)
        .await?;
    browser.click("#rotate-bits option[value='2048']").await?;
    browser
        .fill("#rotate-passphrase", NEW_KEY_PASSPHRASE)
        .await?;
    browser.fill("#rotate-again", NEW_KEY_PASSPHRASE).await?;
    browser.click("#rotate-key button[type=submit]").await?;
    let rotated = browser.find("#rotate-done").await?.text().await?;
    anyhow::ensure!(rotated.contains("is retired"), "{rotated}");
    browser.screenshot("12-rotated-in-the-browser").await?;
    sign_out(&browser, &server).await?;

    // The provider's root tries the same kind of change, and is told why not.
    sign_in(&browser, &server, "root", ROOT_PASSWORD).await?;
    browser
        .client
        .goto(&format!("{}/t/vault/keys", server.url))
        .await?;
    click_and_confirm(&browser, "article.key button.retire").await?;
    let refused = browser
        .find("article.key [role=alert]")
        .await?
        .text()
        .await?;
    anyhow::ensure!(refused.contains("signed by the tenant's key"), "{refused}");
    browser
        .screenshot("13-provider-refused-a-key-change")
        .await?;
    browser.close().await?;

    // The chain holds, and names the new key as the one that signs.
    let root_login: Value = http
        .post(format!("{}/api/v1/auth/login", server.url))
        .json(&json!({ "username": "root", "password": ROOT_PASSWORD }))
        .send()
        .await?
        .json()
        .await?;
    let chain: callvault_shared::api::KeyChain = http
        .get(format!("{}/api/v1/tenants/vault/keys/chain", server.url))
        .bearer_auth(root_login["access_token"].as_str().unwrap_or_default())
        .send()
        .await?
        .json()
        .await?;
    let verified = callvault_shared::key_chain::verify_chain::<RustCrypto>(&chain)?;
    anyhow::ensure!(verified.links == 4 && verified.keys.len() == 2, "{chain:?}");

    // No private key byte in the whole traffic: not the DER, not the file, not their base64.
    let KeyFile::Private(private) =
        import_key::<RustCrypto>(pem.as_bytes(), Some(KEY_PASSPHRASE.as_bytes()))?
    else {
        anyhow::bail!("the saved file holds a private key");
    };
    let der = private.to_pkcs8_der()?;
    let traffic = server.traffic();
    anyhow::ensure!(
        traffic.len() > 100_000,
        "the recorder saw the journey ({} bytes)",
        traffic.len()
    );
    let der_base64 = base64::engine::general_purpose::STANDARD.encode(der.expose());
    let pem_body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let needles: Vec<&[u8]> = vec![
        &der.expose()[40..72],
        &der.expose()[der.len() - 48..der.len() - 16],
        &der_base64.as_bytes()[60..100],
        &pem_body.as_bytes()[60..100],
    ];
    for needle in needles {
        anyhow::ensure!(
            !traffic.windows(needle.len()).any(|window| window == needle),
            "private key bytes crossed the network"
        );
    }
    // The public half did go, as it should: the recorder sees what it must.
    let public_pem = private.public_key().to_pem();
    let public_line = public_pem.lines().nth(2).unwrap_or_default();
    anyhow::ensure!(
        traffic
            .windows(public_line.len())
            .any(|window| window == public_line.as_bytes()),
        "the public key was uploaded"
    );
    Ok(())
}

/// Chooses `key_file` and types `passphrase` in the Play here form, then plays the first row.
async fn play_here_with(
    browser: &Browser,
    key_file: &std::path::Path,
    passphrase: &str,
) -> anyhow::Result<()> {
    browser
        .find("#local-key-file")
        .await?
        .send_keys(&key_file.to_string_lossy())
        .await?;
    browser.fill("#local-key-passphrase", passphrase).await?;
    browser.click("tr.recording button.play-here").await
}
