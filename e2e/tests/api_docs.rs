//! The interactive API docs at `/api/docs` render in Chromium from the server alone: every
//! file the page loads comes from the server's own origin, and every operation of the OpenAPI
//! document shows.

use callvault_e2e::steps::until;
use callvault_e2e::{Browser, Server};

#[tokio::test]
async fn the_api_docs_render_offline_with_every_operation() -> anyhow::Result<()> {
    let server = Server::start().await?;
    let browser = Browser::start().await?;

    browser
        .client
        .goto(&format!("{}/api/docs", server.url))
        .await?;
    let title = browser.find(".information-container .title").await?;
    anyhow::ensure!(
        title.text().await?.contains("callvault"),
        "the title names the API"
    );
    let document: serde_json::Value = reqwest::get(format!("{}/api/v1/openapi.json", server.url))
        .await?
        .json()
        .await?;
    let operations: usize = document["paths"]
        .as_object()
        .map(|paths| {
            paths
                .values()
                .filter_map(serde_json::Value::as_object)
                .map(serde_json::Map::len)
                .sum()
        })
        .unwrap_or_default();
    anyhow::ensure!(operations > 40, "only {operations} operations documented");
    until(
        &browser,
        &format!("return document.querySelectorAll('.opblock').length === {operations}"),
    )
    .await?;
    browser.find(".btn.authorize").await?;
    browser.screenshot("10-api-docs").await?;

    // Nothing came from anywhere else: the page works with no way out of the network.
    let loaded = browser
        .client
        .execute(
            "return performance.getEntriesByType('resource').map(entry => entry.name)",
            vec![],
        )
        .await?;
    let loaded: Vec<String> = serde_json::from_value(loaded)?;
    anyhow::ensure!(!loaded.is_empty(), "no resources recorded");
    for url in &loaded {
        anyhow::ensure!(url.starts_with(&server.url), "{url} is not the server's");
    }
    browser.close().await
}
