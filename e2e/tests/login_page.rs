//! The web app loads in a real browser from the real server: the login page is rendered by
//! the wasm, which proves it was served, instantiated under the server's
//! Content-Security-Policy, and ran; signing in and out works through the session cookie.

use callvault_e2e::{Browser, ROOT_PASSWORD, Server};

#[tokio::test]
async fn the_login_page_renders_in_chromium() -> anyhow::Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;

    browser.client.goto(&format!("{}/", server.url)).await?;
    let heading = browser.find("#login-title").await?;
    assert_eq!(heading.text().await?, "Sign in to callvault");
    // The router sent `/` on to the login screen.
    assert_eq!(browser.client.current_url().await?.path(), "/login");
    assert_eq!(
        browser
            .find("label[for=login-username]")
            .await?
            .text()
            .await?,
        "Username"
    );
    assert_eq!(
        browser
            .find("#login-password")
            .await?
            .attr("type")
            .await?
            .as_deref(),
        Some("password")
    );
    let submit = browser.find("#login-form button[type=submit]").await?;
    assert_eq!(submit.text().await?, "Sign in");
    // The name is what a person types first: the field has the focus.
    callvault_e2e::steps::until(
        &browser,
        "return document.activeElement?.id === 'login-username';",
    )
    .await?;

    // A wrong password is said in words, on the same screen.
    browser
        .find("#login-username")
        .await?
        .send_keys("root")
        .await?;
    let password = browser.find("#login-password").await?;
    password.send_keys("not the root password").await?;
    submit.click().await?;
    let alert = browser.find("#login-form [role=alert]").await?;
    assert_eq!(alert.text().await?, "wrong username or password");

    // The right one signs in: the session cookie (HttpOnly, so the page never sees it) carries
    // the next request, which fetches who is signed in.
    password.clear().await?;
    password.send_keys(ROOT_PASSWORD).await?;
    submit.click().await?;
    // The wrong password tried first is news, told on the account screen; then provider
    // staff start on the tenants, in a frame that names them.
    browser.find("#failed-since-last").await?;
    assert_eq!(browser.client.current_url().await?.path(), "/account");
    browser.client.goto(&format!("{}/", server.url)).await?;
    browser.find("#tenants-title").await?;
    assert_eq!(browser.client.current_url().await?.path(), "/tenants");
    assert_eq!(browser.find("#user-menu").await?.text().await?, "root");
    let cookies: String = browser
        .client
        .execute("return document.cookie", vec![])
        .await?
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!cookies.contains("callvault_session"), "{cookies}");

    // Signing out, from the user menu, ends the session and returns to the sign-in screen.
    browser.find("#user-menu").await?.click().await?;
    browser.find("#sign-out").await?.click().await?;
    browser.find("#login-title").await?;
    browser.client.goto(&format!("{}/", server.url)).await?;
    browser.find("#login-title").await?;

    browser.close().await
}

#[tokio::test]
async fn a_deep_link_renders_the_app_and_unknown_pages_say_so() -> anyhow::Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;

    browser
        .client
        .goto(&format!("{}/no/such/screen", server.url))
        .await?;
    let heading = browser.find("#not-found-title").await?;
    assert_eq!(heading.text().await?, "Page not found");

    browser.close().await
}

/// Locked out, the sign-in page says for how long in words; signed in after someone else's
/// wrong passwords, the account screen says how many and lists them. D14: ten failures for an
/// unknown name lock that name from this address, not a real user at the same address, who
/// signs in from the same browser right after.
#[tokio::test]
async fn the_sign_in_page_says_how_long_to_wait_and_the_account_lists_failures()
-> anyhow::Result<()> {
    let server = Server::start().await?;
    let http = reqwest::Client::new();
    let login = |username: &'static str| {
        http.post(format!("{}/api/v1/auth/login", server.url))
            .json(&serde_json::json!({ "username": username, "password": "a wrong guess" }))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(login("root").await?.status(), 401);
    }
    for _ in 0..10 {
        assert_eq!(login("intruder").await?.status(), 401);
    }

    let browser = Browser::start().await?;
    browser
        .client
        .goto(&format!("{}/login", server.url))
        .await?;
    let username = browser.find("#login-username").await?;
    let password = browser.find("#login-password").await?;
    let submit = browser.find("#login-form button[type=submit]").await?;
    username.send_keys("intruder").await?;
    password.send_keys("yet another guess").await?;
    submit.click().await?;
    let alert = browser.find("#login-form [role=alert]").await?;
    let text = alert.text().await?;
    assert!(
        text.contains("too many failed sign-ins") && text.contains("try again in 15 minutes"),
        "{text}"
    );

    // The same address, a real account: not locked out by the intruder's failures.
    username.clear().await?;
    username.send_keys("root").await?;
    password.clear().await?;
    password.send_keys(ROOT_PASSWORD).await?;
    submit.click().await?;
    let notice = browser.find("#failed-since-last").await?;
    assert!(
        notice
            .text()
            .await?
            .starts_with("3 wrong passwords were tried"),
        "{}",
        notice.text().await?
    );
    assert_eq!(browser.client.current_url().await?.path(), "/account");
    browser.find("#failed-sign-ins tbody tr").await?;
    let rows = browser
        .client
        .find_all(fantoccini::Locator::Css("#failed-sign-ins tbody tr"))
        .await?;
    assert_eq!(rows.len(), 3);
    assert!(rows[0].text().await?.contains("127.0.0.1"));

    browser.close().await
}

/// The whole web app, as a browser downloads it (brotli, as Chromium asks for it), stays at or
/// under 700 KB.
#[tokio::test]
async fn the_web_app_downloads_in_at_most_700_kb() -> anyhow::Result<()> {
    let server = Server::start().await?;
    let http = reqwest::Client::new();
    let mut total = 0;
    for file in [
        "/",
        "/boot.js",
        "/style.css",
        "/callvault_frontend.js",
        "/callvault_frontend_bg.wasm",
    ] {
        let response = http
            .get(format!("{}{file}", server.url))
            .header("accept-encoding", "br, gzip")
            .send()
            .await?
            .error_for_status()?;
        let encoding = response
            .headers()
            .get("content-encoding")
            .map(|value| value.to_str().unwrap_or_default().to_owned());
        let bytes = response.bytes().await?.len();
        eprintln!("{file}: {bytes} bytes ({encoding:?})");
        total += bytes;
    }
    eprintln!("the web app: {total} bytes compressed");
    anyhow::ensure!(total <= 700_000, "the web app is {total} bytes compressed");
    Ok(())
}
