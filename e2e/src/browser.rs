use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::Context;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use tempfile::TempDir;

use crate::process::{KillOnDrop, free_port, wait_until_up};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Headless Chromium behind its own chromedriver, with a profile of its own. The flags keep
/// it from reaching for the internet, which this machine does not have.
pub struct Browser {
    pub client: Client,
    /// Where the browser saves downloads.
    pub downloads: TempDir,
    _driver: KillOnDrop,
    _profile: TempDir,
}

impl Browser {
    pub async fn start() -> anyhow::Result<Self> {
        let port = free_port()?;
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| {
                format!("cannot start {CHROMEDRIVER} (Debian: apt-get install chromium-driver)")
            })?;
        let mut driver = KillOnDrop(driver);
        let driver_url = format!("http://127.0.0.1:{port}");
        wait_until_up(&format!("{driver_url}/status"), &mut driver).await?;

        let profile = tempfile::tempdir()?;
        let downloads = tempfile::tempdir()?;
        // `CALLVAULT_E2E_WINDOW=390,844` walks the journeys at phone width, for the screenshots.
        let window = std::env::var("CALLVAULT_E2E_WINDOW").unwrap_or_else(|_| "1280,900".into());
        let mut capabilities = Capabilities::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    format!("--window-size={window}"), "--autoplay-policy=no-user-gesture-required",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                },
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver_url)
            .await
            .context("chromedriver would not open a Chromium session")?;
        Ok(Self {
            client,
            downloads,
            _driver: driver,
            _profile: profile,
        })
    }

    /// Waits up to 20 s for an element: the app renders after its wasm has loaded.
    pub async fn find(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no element matches {css:?}"))
    }

    /// Saves what the browser shows as `target/e2e-screenshots/<name>.png`, for reviewers.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<()> {
        let png = self.client.screenshot().await.context("screenshot")?;
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(format!("{name}.png")), png)?;
        Ok(())
    }

    /// Fills the field `css` with `text`.
    pub async fn fill(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let field = self.find(css).await?;
        field.clear().await?;
        field.send_keys(text).await?;
        Ok(())
    }

    /// Clicks the element `css`.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.find(css).await?.click().await?;
        Ok(())
    }

    /// A file the browser downloaded whose name ends with `suffix`, waiting up to 20 s.
    pub async fn downloaded(&self, suffix: &str) -> anyhow::Result<std::path::PathBuf> {
        for _ in 0..200 {
            let found = std::fs::read_dir(self.downloads.path())?
                .flatten()
                .map(|entry| entry.path())
                .find(|path| path.to_string_lossy().ends_with(suffix));
            if let Some(path) = found {
                return Ok(path);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("no download ending in {suffix}")
    }

    /// Runs axe-core in the page and fails on any serious or critical violation, naming each
    /// with the elements it found. `CALLVAULT_E2E_AXE` is the path of `axe.min.js`, which
    /// `cargo xtask test` installs.
    pub async fn check_accessibility(&self, screen: &str) -> anyhow::Result<()> {
        let path = std::env::var_os("CALLVAULT_E2E_AXE").context(
            "CALLVAULT_E2E_AXE is not set: run the browser tests with `cargo xtask test`",
        )?;
        let script = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", std::path::Path::new(&path).display()))?;
        self.client.execute(&script, vec![]).await?;
        let found = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ["violations"] }).then(
                    (results) => done(results.violations
                        .filter((v) => v.impact === "serious" || v.impact === "critical")
                        .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)),
                    (error) => done([`axe failed: ${error}`]));"#,
                vec![],
            )
            .await?;
        let violations: Vec<String> = serde_json::from_value(found)?;
        anyhow::ensure!(
            violations.is_empty(),
            "{screen}: {} serious or critical accessibility violations:\n{}",
            violations.len(),
            violations.join("\n")
        );
        Ok(())
    }

    /// Fails when the page is wider than the window, i.e. scrolls sideways.
    pub async fn check_no_sideways_scroll(&self, screen: &str) -> anyhow::Result<()> {
        let widths = self
            .client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await?;
        let [content, window]: [u64; 2] = serde_json::from_value(widths)?;
        anyhow::ensure!(
            content <= window,
            "{screen} scrolls sideways: {content} px of content in a {window} px window"
        );
        Ok(())
    }

    /// Resizes the window to `width` × `height` CSS pixels.
    pub async fn resize(&self, width: u32, height: u32) -> anyhow::Result<()> {
        self.client.set_window_size(width, height).await?;
        Ok(())
    }

    pub async fn close(self) -> anyhow::Result<()> {
        self.client
            .close()
            .await
            .context("closing the browser session")
    }
}
