//! What an operator runs the product with: Prometheus scraping the metrics listener, JSON logs
//! a collector reads (and that never hold a secret), request ids, the systemd unit.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use callvault::infra::config::{MetricsSettings, TrustedProxies};
use callvault_shared::api::Recording;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::{EXPORT_PASSPHRASE, create_key, encrypted_tenant, export, system_key, wav};
use crate::helpers::{Auth, ROOT_PASSWORD, SERVER_LOG, TestApp, USER_PASSWORD};

const PROMETHEUS: &str = "/usr/bin/prometheus";
const PROMTOOL: &str = "/usr/bin/promtool";
const SYSTEMD_ANALYZE: &str = "/usr/bin/systemd-analyze";

fn installed(program: &'static str, package: &str) -> &'static str {
    assert!(
        Path::new(program).exists(),
        "{program} is missing: install Debian's {package} (cargo xtask test does)"
    );
    program
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A Prometheus server of the test's own, killed on drop.
struct Prometheus {
    process: std::process::Child,
    address: String,
    dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Prometheus {
    /// Scrapes `target` (host:port) every second.
    fn scraping(target: &str) -> Self {
        let program = installed(PROMETHEUS, "prometheus");
        let dir = tempfile::tempdir().expect("dir");
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: callvault\n    \
                 static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .expect("config written");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log");
        let process = Command::new(program)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("prometheus starts");
        Self {
            process,
            address: format!("http://127.0.0.1:{port}"),
            dir,
        }
    }

    /// The value of the instant vector `query` once it has one sample, through Prometheus's
    /// HTTP API; fails the test after a minute without one.
    async fn value_of(&self, query: &str) -> f64 {
        let client = reqwest::Client::new();
        for _ in 0..240 {
            let answer = client
                .get(format!("{}/api/v1/query", self.address))
                .query(&[("query", query)])
                .send()
                .await;
            if let Ok(answer) = answer
                && let Ok(body) = answer.json::<Value>().await
                && let Some(value) = body["data"]["result"][0]["value"][1].as_str()
            {
                return value.parse().expect("a number");
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let log = std::fs::read_to_string(self.dir.path().join("prometheus.log"));
        panic!("Prometheus never answered {query}: {log:?}");
    }
}

#[tokio::test]
async fn prometheus_scrapes_plays_and_the_exposition_passes_promtool() {
    let app = TestApp::spawn_with(|config| {
        config.metrics = Some(MetricsSettings {
            bind: "127.0.0.1:0".parse().expect("address"),
            tenant_label: false,
        });
    })
    .await;
    let metrics = app.metrics_address.clone().expect("metrics are served");
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;
    let audio = wav(40_000);
    let recording: Recording = app
        .upload(&acme.admin, "acme", &audio)
        .await
        .json()
        .await
        .expect("JSON");
    let id = recording.id.to_string();
    for _ in 0..2 {
        assert_eq!(app.play(&acme.admin, "acme", &id).await, audio);
    }
    let refused = app
        .get(&format!("/api/v1/tenants/acme/recordings/{id}/audio"))
        .await;
    assert_eq!(refused.status(), 401);
    // A rotation and its rewrap, for the job gauges.
    let new_key = create_key(&app, &acme.admin, "acme", json!({ "bits": 2048 })).await;
    let new_id = new_key["id"].as_str().expect("id");
    let activate = format!("/api/v1/tenants/acme/keys/{new_id}/activate");
    let activated = app.post_as(&activate, &acme.admin, &json!({})).await;
    assert_eq!(activated.status(), 200);
    let rewrap = app
        .post_as("/api/v1/tenants/acme/rewrap", &acme.admin, &json!({}))
        .await;
    assert!(rewrap.status().is_success(), "rewrap: {}", rewrap.status());

    // Not on the public port: there, /metrics is the web app's, not the exposition.
    let public = app.get("/metrics").await.text().await.expect("text");
    assert!(!public.contains("callvault_http_requests_total"));

    let exposition = reqwest::get(format!("{metrics}/metrics"))
        .await
        .expect("scraped")
        .text()
        .await
        .expect("text");
    for expected in [
        "callvault_played_bytes_total{sealed=\"true\"}",
        "callvault_ingested_bytes_total{sealed=\"true\"}",
        "route=\"/api/v1/tenants/{tenant}/recordings/{id}/audio\"",
        "callvault_request_errors_total{operation=\"playback\",kind=\"unauthorized\"} 1",
        "callvault_audit_append_duration_seconds_bucket",
        "callvault_logins_total{outcome=\"signed_in\"}",
        "callvault_db_pool_connections{state=\"in_use\"}",
        "callvault_jobs{kind=\"rewrap\",state=",
        "callvault_job_items{kind=\"rewrap\",state=",
    ] {
        assert!(
            exposition.contains(expected),
            "{expected} missing from\n{exposition}"
        );
    }
    // No label carries a tenant's name, a username or a recording's id.
    for private in [&id, "acme", "root", USER_PASSWORD] {
        assert!(!exposition.contains(private), "{private} in the metrics");
    }

    let mut promtool = Command::new(installed(PROMTOOL, "prometheus"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs");
    std::io::Write::write_all(
        &mut promtool.stdin.take().expect("stdin"),
        exposition.as_bytes(),
    )
    .expect("written");
    let checked = promtool.wait_with_output().expect("promtool ends");
    assert!(
        checked.status.success() && checked.stdout.is_empty(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    let target = metrics.trim_start_matches("http://");
    let prometheus = Prometheus::scraping(target);
    assert_eq!(prometheus.value_of("up{job=\"callvault\"}").await, 1.0);
    let played = prometheus
        .value_of("sum(callvault_played_bytes_total{sealed=\"true\"})")
        .await;
    assert_eq!(played, (2 * audio.len()) as f64, "two whole plays");
    let answered = prometheus
        .value_of(
            "sum(callvault_http_requests_total{route=\"/api/v1/tenants/{tenant}/recordings/{id}/audio\",status=\"200\"})",
        )
        .await;
    assert_eq!(answered, 2.0);
}

/// Every line the server logged, as JSON.
fn json_lines(log: &str) -> Vec<Value> {
    log.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}"))
        })
        .collect()
}

#[tokio::test]
async fn json_logs_name_each_request_and_never_hold_a_secret() {
    let mut app =
        TestApp::spawn_process_with(None, None, &[("CALLVAULT_LOG_FORMAT", "json")]).await;
    let root = app.sign_in_root().await;
    system_key(&app, &root).await;
    let acme = encrypted_tenant(&app, &root, "acme").await;
    let audio = wav(20_000);
    let recording: Recording = app
        .upload(&acme.admin, "acme", &audio)
        .await
        .json()
        .await
        .expect("JSON");
    let id = recording.id.to_string();
    let guessed = "a wrong guess at the password";
    assert_eq!(app.login("acme-admin", guessed).await.status(), 401);
    let (api_token, _) = app.create_api_token(&acme.admin, "acme", &["read"]).await;
    let listed = app
        .request(
            Method::GET,
            "/api/v1/tenants/acme/recordings",
            Auth::ApiToken(&api_token),
            None,
        )
        .await;
    assert_eq!(listed.status(), 200);
    let me = app
        .request(
            Method::GET,
            "/api/v1/auth/me",
            Auth::Cookie(&acme.admin),
            None,
        )
        .await;
    assert_eq!(me.status(), 200);
    let pem = export(&app, &acme.admin, "acme", &acme.key).await;
    // The same request id from a client that is no proxy: replaced by the server's own.
    let played = app
        .client
        .get(format!(
            "{}/api/v1/tenants/acme/recordings/{id}/audio",
            app.address
        ))
        .bearer_auth(&acme.admin.token)
        .header("X-Request-Id", "chosen-by-the-client")
        .send()
        .await
        .expect("sent");
    assert_eq!(played.status(), 200);
    let request_id = played.headers()["x-request-id"]
        .to_str()
        .expect("text")
        .to_owned();
    assert_ne!(request_id, "chosen-by-the-client");
    uuid::Uuid::parse_str(&request_id).expect("a UUID");
    assert_eq!(played.bytes().await.expect("audio"), audio);
    let elsewhere = app
        .get_as("/api/v1/tenants/elsewhere/recordings", &acme.admin)
        .await;
    assert_eq!(elsewhere.status(), 404);
    let elsewhere_id = elsewhere.headers()["x-request-id"]
        .to_str()
        .expect("text")
        .to_owned();
    app.kill();

    let log = std::fs::read_to_string(app.data_dir.path().join(SERVER_LOG)).expect("log");
    let mut secrets: Vec<String> = vec![
        ROOT_PASSWORD.into(),
        USER_PASSWORD.into(),
        guessed.into(),
        EXPORT_PASSPHRASE.into(),
        api_token.clone(),
    ];
    for session in [&root, &acme.admin] {
        secrets.push(session.token.clone());
        // A JWT's signature alone would do: look for it too.
        secrets.extend(session.token.rsplit('.').next().map(str::to_owned));
        secrets.push(session.csrf.clone());
        secrets.extend(
            session
                .cookie
                .split_once('=')
                .map(|(_, value)| value.to_owned()),
        );
    }
    // The exported key file, and the private key inside it, line by line of their base64.
    let decrypted = decrypt_pem(&pem);
    for text in [&pem, &decrypted] {
        secrets.extend(
            text.lines()
                .filter(|line| line.len() >= 40 && !line.starts_with("-----"))
                .map(str::to_owned),
        );
    }
    for secret in &secrets {
        assert!(
            secret.len() >= 12 && !log.contains(secret.as_str()),
            "a secret ({} characters) is in the log",
            secret.len()
        );
    }

    let lines = json_lines(&log);
    let answered: Vec<&Value> = lines
        .iter()
        .filter(|line| line["fields"]["message"] == "answered")
        .collect();
    assert!(answered.len() >= 10, "{} access lines", answered.len());
    for line in &answered {
        let fields = &line["fields"];
        for field in [
            "http.method",
            "http.route",
            "http.status_code",
            "latency_ms",
        ] {
            assert!(!fields[field].is_null(), "{field} missing in {line}");
        }
        assert!(
            fields["request_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "no request id in {line}"
        );
        // Templates only: no recording id, no tenant slug in a route.
        let route = fields["http.route"].as_str().expect("route");
        assert!(!route.contains(&id) && !route.contains("/acme"), "{route}");
    }
    let play = answered
        .iter()
        .find(|line| line["fields"]["request_id"] == request_id.as_str())
        .expect("the play's line, under the id its answer returned");
    assert_eq!(
        play["fields"]["http.route"],
        "/api/v1/tenants/{tenant}/recordings/{id}/audio"
    );
    assert_eq!(play["fields"]["http.status_code"], 200);
    assert_eq!(
        play["fields"]["principal_id"], acme.admin.user["id"],
        "the player"
    );
    assert_eq!(
        play["fields"]["tenant_id"], acme.admin.user["tenant_id"],
        "the tenant"
    );
    // A tenant the principal may not see is no tenant of theirs: none is named.
    let refused = answered
        .iter()
        .find(|line| line["fields"]["request_id"] == elsewhere_id.as_str())
        .expect("the refusal's line");
    assert_eq!(refused["fields"]["error.kind"], "not_found");
    assert_eq!(refused["fields"]["principal_id"], acme.admin.user["id"]);
    assert!(refused["fields"]["tenant_id"].is_null(), "{refused}");
}

/// The unencrypted PKCS#8 PEM inside an exported key file.
fn decrypt_pem(pem: &str) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("key.pem");
    std::fs::write(&file, pem).expect("written");
    let output = Command::new("openssl")
        .args(["pkey", "-in"])
        .arg(&file)
        .args(["-passin", &format!("pass:{EXPORT_PASSPHRASE}")])
        .output()
        .expect("openssl runs");
    assert!(output.status.success(), "openssl opens the export");
    String::from_utf8(output.stdout).expect("PEM")
}

#[tokio::test]
async fn a_request_id_is_kept_only_from_a_trusted_proxy_when_configured() {
    let from_proxy = |trusted: &str, keep: bool| {
        let proxies = TrustedProxies::parse(trusted).expect("proxies");
        move |config: &mut callvault::infra::config::Config| {
            config.trusted_proxies = proxies;
            config.trust_request_id = keep;
        }
    };
    let id_for = |app: &TestApp, sent: &'static str| {
        let request = app
            .client
            .get(format!("{}/healthz", app.address))
            .header("X-Request-Id", sent)
            .send();
        async move {
            let answer = request.await.expect("sent");
            answer.headers()["x-request-id"]
                .to_str()
                .expect("text")
                .to_owned()
        }
    };
    let kept = TestApp::spawn_with(from_proxy("127.0.0.1", true)).await;
    assert_eq!(id_for(&kept, "lb-7f3a-0001").await, "lb-7f3a-0001");
    // Not fit for a log line or a header: replaced, never cut or escaped.
    let replaced = id_for(&kept, "two words").await;
    uuid::Uuid::parse_str(&replaced).expect("the server's own id");

    let not_configured = TestApp::spawn_with(from_proxy("127.0.0.1", false)).await;
    let own = id_for(&not_configured, "lb-7f3a-0002").await;
    uuid::Uuid::parse_str(&own).expect("the server's own id");
    let not_a_proxy = TestApp::spawn_with(from_proxy("192.0.2.1", true)).await;
    let own = id_for(&not_a_proxy, "lb-7f3a-0003").await;
    uuid::Uuid::parse_str(&own).expect("the server's own id");
}

#[test]
fn the_service_unit_passes_systemd_analyze_verify() {
    let analyze = installed(SYSTEMD_ANALYZE, "systemd");
    let unit = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/callvault.service");
    // A root of the machine's own units, with the unit and the binary where it says they are,
    // so that verify checks everything, the command included, without a booted systemd.
    let root = tempfile::tempdir().expect("dir");
    copy_tree(
        Path::new("/usr/lib/systemd/system"),
        &root.path().join("usr/lib/systemd/system"),
    );
    let units = root.path().join("etc/systemd/system");
    std::fs::create_dir_all(&units).expect("dir");
    std::fs::copy(&unit, units.join("callvault.service")).expect("unit copied");
    let bin = root.path().join("usr/local/bin");
    std::fs::create_dir_all(&bin).expect("dir");
    std::fs::hard_link(env!("CARGO_BIN_EXE_callvault"), bin.join("callvault"))
        .or_else(|_| {
            std::fs::copy(env!("CARGO_BIN_EXE_callvault"), bin.join("callvault")).map(drop)
        })
        .expect("binary in place");

    let verified = Command::new(analyze)
        .arg(format!("--root={}", root.path().display()))
        .args(["verify", "callvault.service"])
        .output()
        .expect("systemd-analyze runs");
    // A directive it cannot parse is only a warning: no output at all is the pass.
    assert!(
        verified.status.success() && verified.stdout.is_empty() && verified.stderr.is_empty(),
        "systemd-analyze verify: {}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );

    // systemd's own rating of the sandbox: at most 2.0 of 10, which it calls "OK".
    let security = Command::new(analyze)
        .args(["security", "--offline=yes", "--threshold=20"])
        .arg(&unit)
        .output()
        .expect("systemd-analyze runs");
    assert!(
        security.status.success(),
        "the unit's exposure is above 2.0: {}{}",
        String::from_utf8_lossy(&security.stdout),
        String::from_utf8_lossy(&security.stderr)
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("readable") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        let kind = entry.file_type().expect("type");
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_symlink() {
            let link = std::fs::read_link(entry.path()).expect("link");
            std::os::unix::fs::symlink(link, target).expect("symlink");
        } else {
            std::fs::copy(entry.path(), target).expect("copied");
        }
    }
}
