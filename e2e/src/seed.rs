//! Setting the scene through the API, so that a browser test spends its time on the screens
//! it is about: tenants, users, keys, grants and recordings, as root and the tenant's admin.

use anyhow::Context;
use reqwest::Method;
use serde_json::{Value, json};

use crate::steps::{EXPORT_PASSPHRASE, PASSWORD, wav};
use crate::{ROOT_PASSWORD, Server};

/// A client of the server's API, signed in as one user.
pub struct Seed {
    http: reqwest::Client,
    url: String,
    token: String,
}

impl Seed {
    /// Signs in as `username` (with the journeys' password, or root's).
    pub async fn as_user(server: &Server, username: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let password = if username == "root" {
            ROOT_PASSWORD
        } else {
            PASSWORD
        };
        let login: Value = http
            .post(format!("{}/api/v1/auth/login", server.url))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await?
            .error_for_status()
            .with_context(|| format!("signing in as {username}"))?
            .json()
            .await?;
        let token = login["access_token"]
            .as_str()
            .context("no access token")?
            .to_owned();
        Ok(Self {
            http,
            url: server.url.clone(),
            token,
        })
    }

    /// `method` on `/api/v1{path}` with `body`, which must succeed: its JSON answer.
    pub async fn call(&self, method: Method, path: &str, body: Value) -> anyhow::Result<Value> {
        let response = self
            .http
            .request(method.clone(), format!("{}/api/v1{path}", self.url))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        anyhow::ensure!(status.is_success(), "{method} {path}: {status} {text}");
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Root's part: the System key, a tenant and its administrator.
    pub async fn tenant_with_admin(
        &self,
        slug: &str,
        name: &str,
        admin: &str,
    ) -> anyhow::Result<()> {
        self.call(
            Method::POST,
            "/tenants/system/keys",
            json!({ "bits": 2048 }),
        )
        .await
        .ok();
        self.call(
            Method::POST,
            "/tenants",
            json!({ "slug": slug, "name": name }),
        )
        .await?;
        self.user(slug, admin, "tenant_admin").await
    }

    pub async fn user(&self, tenant: &str, username: &str, role: &str) -> anyhow::Result<()> {
        self.call(
            Method::POST,
            &format!("/tenants/{tenant}/users"),
            json!({ "username": username, "password": PASSWORD, "role": role }),
        )
        .await
        .map(drop)
    }

    /// The administrator's part: a key, exported, granted to `holders`, encryption on. The
    /// key's id.
    pub async fn encrypted(&self, tenant: &str, holders: &[&str]) -> anyhow::Result<String> {
        let key = self
            .call(
                Method::POST,
                &format!("/tenants/{tenant}/keys"),
                json!({ "bits": 2048 }),
            )
            .await?;
        let id = key["id"].as_str().context("a key id")?.to_owned();
        self.call(
            Method::POST,
            &format!("/tenants/{tenant}/keys/{id}/export"),
            json!({ "passphrase": EXPORT_PASSPHRASE }),
        )
        .await
        .ok();
        let users = self
            .call(
                Method::GET,
                &format!("/tenants/{tenant}/users"),
                Value::Null,
            )
            .await?;
        for holder in holders {
            let user = users
                .as_array()
                .into_iter()
                .flatten()
                .find(|user| user["username"] == *holder)
                .with_context(|| format!("no user {holder}"))?;
            self.call(
                Method::POST,
                &format!("/tenants/{tenant}/keys/{id}/grants"),
                json!({ "user_id": user["id"] }),
            )
            .await?;
        }
        self.call(
            Method::PATCH,
            &format!("/tenants/{tenant}/encryption"),
            json!({ "enabled": true }),
        )
        .await?;
        Ok(id)
    }

    /// Uploads a `seconds`-long call with `metadata` as its query parameters.
    pub async fn recording(
        &self,
        tenant: &str,
        seconds: u32,
        metadata: &[(&str, &str)],
    ) -> anyhow::Result<Value> {
        let response = self
            .http
            .post(format!("{}/api/v1/tenants/{tenant}/recordings", self.url))
            .bearer_auth(&self.token)
            .query(metadata)
            .header("content-type", "audio/wav")
            .body(wav(seconds))
            .send()
            .await?;
        let status = response.status();
        let text = response.text().await?;
        anyhow::ensure!(status.is_success(), "upload: {status} {text}");
        Ok(serde_json::from_str(&text)?)
    }
}
