//! Typed configuration, layered: built-in defaults, then an optional TOML file, then
//! `CALLVAULT_*` environment variables. Every setting is checked here, so that a bad value
//! stops the server at start with one line that names it.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::infra::audit_key::AuditKeyFile;
pub use crate::infra::trusted_proxies::TrustedProxies;

/// The settings as written by an operator, before they are checked.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub storage_url: Option<String>,
    pub web_dir: PathBuf,
    pub log_format: LogFormat,
    /// Shortest password accepted for a user (NIST SP 800-63B: never below 8).
    pub password_min_length: usize,
    /// A session ends this long after login, however busy.
    pub session_hours: u32,
    /// A session ends after this long without a request.
    pub session_idle_minutes: u32,
    /// Life of a bearer access token; clients renew it through their session.
    pub access_token_minutes: u32,
    /// Largest recording accepted, in MiB.
    pub max_upload_mib: u64,
    /// An upload that sends nothing for this long is cut off (408) and its resources freed.
    pub upload_idle_seconds: u64,
    /// A playback that asks for nothing for this long is over: its tally is written to the
    /// audit log, and the next request begins another.
    pub playback_idle_seconds: u64,
    /// MiB of a bucket's recordings kept in memory for seeks (see `storage::BlockCache`); 0
    /// keeps none. Unused with a local directory, which the page cache serves.
    pub playback_cache_mib: u64,
    /// Only read on the very first start, to set the root administrator's password.
    #[serde(skip_serializing)]
    pub root_password: Option<String>,
    /// The Ed25519 key file that signs audit checkpoints; default `audit-signing-key.pk8` in
    /// the data directory, made at the first start. Several instances on one database must
    /// all name the same key file here.
    pub audit_signing_key_file: Option<PathBuf>,
    /// The address clients reach the server at (`https://calls.example.com`). When it is
    /// https, every answer tells browsers to keep to HTTPS (`Strict-Transport-Security`).
    pub public_url: Option<String>,
    /// Reverse proxies and load balancers whose `Forwarded` or `X-Forwarded-For` header names
    /// the client: addresses and CIDR ranges, separated by commas or spaces. Empty: the client
    /// is always the TCP peer.
    pub trusted_proxies: String,
    /// Every answer says in `Server-Timing` how many statements it sent the database. For
    /// diagnosis only: the count shows what this instance had read lately, which a client
    /// should not learn.
    pub server_timing: bool,
    /// Where Prometheus scrapes `/metrics` (`127.0.0.1:9464`): a listener of its own, never the
    /// public one. Unset: no metrics are served.
    pub metrics_bind: Option<String>,
    /// Label the byte counters by tenant id too: one series per tenant, so off by default.
    pub metrics_tenant_label: bool,
    /// Keep the `X-Request-Id` a trusted proxy sends (see `trusted_proxies`) as the request's
    /// id; from anyone else, and when this is off, the server makes its own.
    pub trust_request_id: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".to_owned(),
            data_dir: PathBuf::from("data"),
            database_url: None,
            storage_url: None,
            web_dir: PathBuf::from("target/web/dist"),
            log_format: LogFormat::Text,
            password_min_length: 12,
            session_hours: 12,
            session_idle_minutes: 60,
            access_token_minutes: 15,
            max_upload_mib: 2048,
            upload_idle_seconds: 30,
            playback_idle_seconds: 60,
            playback_cache_mib: 128,
            root_password: None,
            audit_signing_key_file: None,
            public_url: None,
            trusted_proxies: String::new(),
            server_timing: false,
            metrics_bind: None,
            metrics_tenant_label: false,
            trust_request_id: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Checked configuration: what the server runs with.
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub storage: StorageLocation,
    pub web_dir: PathBuf,
    pub log_format: LogFormat,
    pub auth: AuthPolicy,
    pub max_upload_bytes: u64,
    pub upload_idle: std::time::Duration,
    pub playback_idle: std::time::Duration,
    pub playback_cache_bytes: u64,
    pub root_password: Option<Zeroizing<String>>,
    pub audit_signing_key: AuditKeyFile,
    /// Checked: `http://` or `https://` and a host, without a trailing `/`.
    pub public_url: Option<String>,
    pub trusted_proxies: TrustedProxies,
    pub server_timing: bool,
    pub metrics: Option<MetricsSettings>,
    pub trust_request_id: bool,
}

/// Where metrics are served, and whether byte counters carry tenant ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsSettings {
    pub bind: SocketAddr,
    pub tenant_label: bool,
}

/// How long logins last and what passwords must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthPolicy {
    pub password_min_length: usize,
    pub session_lifetime: chrono::Duration,
    pub session_idle: chrono::Duration,
    pub access_token_lifetime: chrono::Duration,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        let settings = Settings::default();
        Self {
            password_min_length: settings.password_min_length,
            session_lifetime: chrono::Duration::hours(settings.session_hours.into()),
            session_idle: chrono::Duration::minutes(settings.session_idle_minutes.into()),
            access_token_lifetime: chrono::Duration::minutes(settings.access_token_minutes.into()),
        }
    }
}

// By hand, so that the root password and database credentials never reach a log line.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("storage", &self.storage)
            .field("web_dir", &self.web_dir)
            .field("log_format", &self.log_format)
            .field("auth", &self.auth)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("upload_idle", &self.upload_idle)
            .field("playback_idle", &self.playback_idle)
            .field("playback_cache_bytes", &self.playback_cache_bytes)
            .field(
                "root_password",
                &self.root_password.as_ref().map(|_| "<set>"),
            )
            .field("audit_signing_key", &self.audit_signing_key)
            .field("public_url", &self.public_url)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("server_timing", &self.server_timing)
            .field("metrics", &self.metrics)
            .field("trust_request_id", &self.trust_request_id)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageLocation {
    /// A directory on the local file system.
    Directory(PathBuf),
    /// A bucket of an S3-compatible store. Credentials come from the standard `AWS_*`
    /// environment variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`), never from here.
    S3(S3Location),
}

/// `s3://bucket[/prefix]?endpoint=…&region=…&path_style=true`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Objects are kept under this prefix of the bucket ("" for its root).
    pub prefix: String,
    /// The store's address, for anything but AWS itself (Garage, MinIO, Ceph…).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Path-style requests (`endpoint/bucket/key`), which most self-hosted stores need.
    pub path_style: bool,
}

/// A setting that cannot be used, named the way an operator sets it.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub problem: String,
}

impl ConfigError {
    pub fn new(setting: &'static str, problem: impl Into<String>) -> Self {
        Self {
            setting,
            problem: problem.into(),
        }
    }
}

pub const BIND: &str = "CALLVAULT_BIND";
pub const DATA_DIR: &str = "CALLVAULT_DATA_DIR";
pub const DATABASE_URL: &str = "CALLVAULT_DATABASE_URL";
pub const STORAGE_URL: &str = "CALLVAULT_STORAGE_URL";
pub const WEB_DIR: &str = "CALLVAULT_WEB_DIR";
pub const PASSWORD_MIN_LENGTH: &str = "CALLVAULT_PASSWORD_MIN_LENGTH";
pub const SESSION_HOURS: &str = "CALLVAULT_SESSION_HOURS";
pub const SESSION_IDLE_MINUTES: &str = "CALLVAULT_SESSION_IDLE_MINUTES";
pub const ACCESS_TOKEN_MINUTES: &str = "CALLVAULT_ACCESS_TOKEN_MINUTES";
pub const MAX_UPLOAD_MIB: &str = "CALLVAULT_MAX_UPLOAD_MIB";
pub const UPLOAD_IDLE_SECONDS: &str = "CALLVAULT_UPLOAD_IDLE_SECONDS";
pub const PLAYBACK_IDLE_SECONDS: &str = "CALLVAULT_PLAYBACK_IDLE_SECONDS";
pub const PLAYBACK_CACHE_MIB: &str = "CALLVAULT_PLAYBACK_CACHE_MIB";
pub const AUDIT_SIGNING_KEY_FILE: &str = "CALLVAULT_AUDIT_SIGNING_KEY_FILE";
pub const PUBLIC_URL: &str = "CALLVAULT_PUBLIC_URL";
pub const TRUSTED_PROXIES: &str = "CALLVAULT_TRUSTED_PROXIES";
pub const METRICS_BIND: &str = "CALLVAULT_METRICS_BIND";
pub const CONFIG_FILE: &str = "--config";

/// The settings' keys, as in the TOML file and, upper-cased after `CALLVAULT_`, the environment.
/// Other `CALLVAULT_*` variables (the test harness has some) are not settings.
const SETTING_KEYS: [&str; 22] = [
    "max_upload_mib",
    "upload_idle_seconds",
    "playback_idle_seconds",
    "playback_cache_mib",
    "bind",
    "data_dir",
    "database_url",
    "storage_url",
    "web_dir",
    "log_format",
    "password_min_length",
    "session_hours",
    "session_idle_minutes",
    "access_token_minutes",
    "root_password",
    "audit_signing_key_file",
    "public_url",
    "trusted_proxies",
    "server_timing",
    "metrics_bind",
    "metrics_tenant_label",
    "trust_request_id",
];

impl Settings {
    /// Defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::new().merge(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError::new(
                    CONFIG_FILE,
                    format!("{} is not a readable file", file.display()),
                ));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        figment
            .merge(Env::prefixed("CALLVAULT_").only(&SETTING_KEYS))
            .extract()
            .map_err(|error| ConfigError::new("configuration", error.to_string()))
    }

    /// Checks every value and fills in the defaults that depend on others.
    pub fn validate(self) -> Result<Config, ConfigError> {
        let auth = self.auth_policy()?;
        if !(1..=1024 * 1024).contains(&self.max_upload_mib) {
            return Err(ConfigError::new(
                MAX_UPLOAD_MIB,
                format!("{} is out of range (1 to 1048576)", self.max_upload_mib),
            ));
        }
        if !(1..=3600).contains(&self.upload_idle_seconds) {
            return Err(ConfigError::new(
                UPLOAD_IDLE_SECONDS,
                format!("{} is out of range (1 to 3600)", self.upload_idle_seconds),
            ));
        }
        if !(1..=3600).contains(&self.playback_idle_seconds) {
            return Err(ConfigError::new(
                PLAYBACK_IDLE_SECONDS,
                format!("{} is out of range (1 to 3600)", self.playback_idle_seconds),
            ));
        }
        if self.playback_cache_mib > 64 * 1024 {
            return Err(ConfigError::new(
                PLAYBACK_CACHE_MIB,
                format!("{} is out of range (0 to 65536)", self.playback_cache_mib),
            ));
        }
        let bind = parse_bind(BIND, &self.bind, "127.0.0.1:8080")?;
        let metrics = self
            .metrics_bind
            .as_deref()
            .filter(|bind| !bind.trim().is_empty())
            .map(|bind| parse_bind(METRICS_BIND, bind, "127.0.0.1:9464"))
            .transpose()?
            .map(|bind| MetricsSettings {
                bind,
                tenant_label: self.metrics_tenant_label,
            });
        if metrics.is_some_and(|metrics| metrics.bind == bind) {
            return Err(ConfigError::new(
                METRICS_BIND,
                "must differ from CALLVAULT_BIND: metrics are never served on the public port",
            ));
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::new(DATA_DIR, "must not be empty"));
        }
        let database_url = match self.database_url.filter(|url| !url.trim().is_empty()) {
            Some(url)
                if url.starts_with("sqlite:")
                    || url.starts_with("postgres://")
                    || url.starts_with("postgresql://") =>
            {
                url
            }
            Some(url) => {
                return Err(ConfigError::new(
                    DATABASE_URL,
                    format!(
                        "{} is not a database URL callvault knows (sqlite://… or postgres://…)",
                        redact_url(&url)
                    ),
                ));
            }
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("callvault.db").display()
            ),
        };
        let storage = match self.storage_url.filter(|url| !url.trim().is_empty()) {
            None => StorageLocation::Directory(self.data_dir.join("objects")),
            Some(url) => parse_storage_url(&url)?,
        };
        let audit_signing_key = match self.audit_signing_key_file {
            Some(path) if path.as_os_str().is_empty() => {
                return Err(ConfigError::new(
                    AUDIT_SIGNING_KEY_FILE,
                    "must not be empty (leave it unset for the data directory's key file)",
                ));
            }
            Some(path) => AuditKeyFile {
                path,
                create_if_missing: false,
            },
            None => AuditKeyFile {
                path: self
                    .data_dir
                    .join(crate::infra::audit_key::DEFAULT_FILE_NAME),
                create_if_missing: true,
            },
        };
        let public_url = self
            .public_url
            .filter(|url| !url.trim().is_empty())
            .map(|url| parse_public_url(&url))
            .transpose()?;
        let trusted_proxies = TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|problem| ConfigError::new(TRUSTED_PROXIES, problem))?;
        Ok(Config {
            bind,
            data_dir: self.data_dir,
            database_url,
            storage,
            web_dir: self.web_dir,
            log_format: self.log_format,
            auth,
            max_upload_bytes: self.max_upload_mib * 1024 * 1024,
            upload_idle: std::time::Duration::from_secs(self.upload_idle_seconds),
            playback_idle: std::time::Duration::from_secs(self.playback_idle_seconds),
            playback_cache_bytes: self.playback_cache_mib * 1024 * 1024,
            root_password: self.root_password.map(Zeroizing::new),
            audit_signing_key,
            public_url,
            trusted_proxies,
            server_timing: self.server_timing,
            metrics,
            trust_request_id: self.trust_request_id,
        })
    }

    fn auth_policy(&self) -> Result<AuthPolicy, ConfigError> {
        if !(8..=64).contains(&self.password_min_length) {
            return Err(ConfigError::new(
                PASSWORD_MIN_LENGTH,
                format!(
                    "{} is out of range: at least 8 (NIST SP 800-63B), at most 64",
                    self.password_min_length
                ),
            ));
        }
        let in_range = |setting, value: u32, range: std::ops::RangeInclusive<u32>| {
            if range.contains(&value) {
                Ok(i64::from(value))
            } else {
                Err(ConfigError::new(
                    setting,
                    format!(
                        "{value} is out of range ({} to {})",
                        range.start(),
                        range.end()
                    ),
                ))
            }
        };
        let session_hours = in_range(SESSION_HOURS, self.session_hours, 1..=720)?;
        let idle_minutes = in_range(SESSION_IDLE_MINUTES, self.session_idle_minutes, 1..=43_200)?;
        let token_minutes = in_range(ACCESS_TOKEN_MINUTES, self.access_token_minutes, 1..=60)?;
        Ok(AuthPolicy {
            password_min_length: self.password_min_length,
            session_lifetime: chrono::Duration::hours(session_hours),
            session_idle: chrono::Duration::minutes(idle_minutes),
            access_token_lifetime: chrono::Duration::minutes(token_minutes),
        })
    }
}

fn parse_bind(setting: &'static str, text: &str, example: &str) -> Result<SocketAddr, ConfigError> {
    text.trim().parse().map_err(|_| {
        ConfigError::new(
            setting,
            format!("{text:?} is not an address to listen on (expected host:port, e.g. {example})"),
        )
    })
}

fn parse_s3_url(url: &str) -> Result<StorageLocation, ConfigError> {
    let problem = |what: String| ConfigError::new(STORAGE_URL, what);
    let rest = url.strip_prefix("s3://").unwrap_or(url);
    let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
    if bucket.is_empty() {
        return Err(problem(
            "s3:// needs a bucket: s3://bucket[/prefix][?endpoint=…&region=…&path_style=true]"
                .into(),
        ));
    }
    let mut s3 = S3Location {
        bucket: bucket.to_owned(),
        prefix: prefix.trim_matches('/').to_owned(),
        endpoint: None,
        region: None,
        path_style: false,
    };
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "endpoint" => s3.endpoint = Some(value.to_owned()),
            "region" => s3.region = Some(value.to_owned()),
            "path_style" => {
                s3.path_style = match value {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    other => {
                        return Err(problem(format!("path_style={other:?}: use true or false")));
                    }
                }
            }
            other => {
                return Err(problem(format!(
                    "unknown parameter {other:?} of an s3:// URL (endpoint, region, path_style); credentials go in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                )));
            }
        }
    }
    Ok(StorageLocation::S3(s3))
}

fn parse_storage_url(url: &str) -> Result<StorageLocation, ConfigError> {
    if url.starts_with("s3://") {
        return parse_s3_url(url);
    }
    if let Some(path) = url.strip_prefix("file://") {
        if path.is_empty() {
            return Err(ConfigError::new(
                STORAGE_URL,
                "file:// needs a directory after it",
            ));
        }
        return Ok(StorageLocation::Directory(PathBuf::from(path)));
    }
    if url.contains("://") {
        return Err(ConfigError::new(
            STORAGE_URL,
            format!(
                "{} is not a storage URL callvault knows (s3://…, file://… or a directory)",
                redact_url(url)
            ),
        ));
    }
    Ok(StorageLocation::Directory(PathBuf::from(url)))
}

/// `http(s)://host[:port][/path]`, as clients reach the server; without a trailing `/`.
fn parse_public_url(url: &str) -> Result<String, ConfigError> {
    let refused = || {
        ConfigError::new(
            PUBLIC_URL,
            format!("{url:?} is not an http(s) URL (expected e.g. https://calls.example.com)"),
        )
    };
    let url = url.trim();
    let rest = ["https://", "http://"]
        .into_iter()
        .find_map(|scheme| {
            url.get(..scheme.len())
                .filter(|start| start.eq_ignore_ascii_case(scheme))
                .map(|_| &url[scheme.len()..])
        })
        .ok_or_else(refused)?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // `[v6 address]` or a name (or v4 address), then an optional `:port`.
    let (host_ok, port) = match authority.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((address, after)) => (
                address.parse::<std::net::Ipv6Addr>().is_ok(),
                match after {
                    "" => Some(None),
                    after => after.strip_prefix(':').map(Some),
                },
            ),
            None => (false, Some(None)),
        },
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            let name = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            (name, Some(port))
        }
    };
    let Some(port) = port else {
        return Err(refused());
    };
    let port_ok = port.is_none_or(|port| port.parse::<u16>().is_ok_and(|port| port > 0));
    if !host_ok || !port_ok || rest.contains(['?', '#']) || url.contains(char::is_whitespace) {
        return Err(refused());
    }
    let scheme_end = url.len() - rest.len();
    let normalized = format!(
        "{}{}",
        url[..scheme_end].to_ascii_lowercase(),
        rest.trim_end_matches('/')
    );
    Ok(normalized)
}

/// The URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// The data directory must exist and take writes; find out now rather than on the first upload.
pub fn ensure_writable(dir: &Path) -> Result<(), ConfigError> {
    let unwritable = |error: std::io::Error| {
        ConfigError::new(
            DATA_DIR,
            format!("{} cannot be written: {error}", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(unwritable)?;
    let probe = dir.join(".callvault-write-test");
    std::fs::write(&probe, b"ok").map_err(unwritable)?;
    std::fs::remove_file(&probe).map_err(unwritable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            data_dir: PathBuf::from("/srv/callvault"),
            ..Settings::default()
        }
    }

    #[test]
    fn defaults_put_database_and_objects_in_the_data_dir() {
        let config = settings().validate().expect("defaults are valid");
        assert_eq!(config.bind, "127.0.0.1:8080".parse().expect("address"));
        assert_eq!(
            config.database_url,
            "sqlite:///srv/callvault/callvault.db?mode=rwc"
        );
        assert_eq!(
            config.storage,
            StorageLocation::Directory(PathBuf::from("/srv/callvault/objects"))
        );
    }

    #[test]
    fn metrics_are_off_by_default_and_never_on_the_public_port() {
        assert_eq!(settings().validate().expect("valid").metrics, None);
        let metrics = Settings {
            metrics_bind: Some("127.0.0.1:9464".into()),
            ..settings()
        }
        .validate()
        .expect("valid")
        .metrics;
        assert_eq!(
            metrics.map(|metrics| metrics.bind),
            Some("127.0.0.1:9464".parse().expect("address"))
        );
        let error = Settings {
            metrics_bind: Some("127.0.0.1:8080".into()),
            ..settings()
        }
        .validate()
        .expect_err("refused");
        assert_eq!(error.setting, METRICS_BIND);
        let error = Settings {
            metrics_bind: Some("9464".into()),
            ..settings()
        }
        .validate()
        .expect_err("refused");
        assert_eq!(error.setting, METRICS_BIND);
    }

    #[test]
    fn an_unparsable_bind_address_is_named() {
        let error = Settings {
            bind: "localhost".into(),
            ..settings()
        }
        .validate()
        .expect_err("rejected");
        assert_eq!(error.setting, BIND);
        assert!(
            error
                .to_string()
                .starts_with("CALLVAULT_BIND: \"localhost\""),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_database_scheme_is_named_without_its_password() {
        let error = Settings {
            database_url: Some("mysql://app:hunter2@db/callvault".into()),
            ..settings()
        }
        .validate()
        .expect_err("rejected");
        assert_eq!(error.setting, DATABASE_URL);
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }

    #[test]
    fn storage_url_takes_s3_and_file_urls_and_plain_directories() {
        let from = |url: &str| {
            Settings {
                storage_url: Some(url.into()),
                ..settings()
            }
            .validate()
        };
        assert_eq!(
            from("file:///var/lib/objects").expect("valid").storage,
            StorageLocation::Directory(PathBuf::from("/var/lib/objects"))
        );
        assert_eq!(
            from("objects").expect("valid").storage,
            StorageLocation::Directory(PathBuf::from("objects"))
        );
        assert_eq!(
            from("ftp://x/y").expect_err("rejected").setting,
            STORAGE_URL
        );
        assert_eq!(
            from("s3://recordings/eu/one?endpoint=http://127.0.0.1:3900&region=garage&path_style=true")
                .expect("valid")
                .storage,
            StorageLocation::S3(S3Location {
                bucket: "recordings".into(),
                prefix: "eu/one".into(),
                endpoint: Some("http://127.0.0.1:3900".into()),
                region: Some("garage".into()),
                path_style: true,
            })
        );
        for refused in ["s3://", "s3://b?secret=x", "s3://b?path_style=maybe"] {
            assert_eq!(from(refused).expect_err(refused).setting, STORAGE_URL);
        }
    }

    #[test]
    fn redaction_hides_only_the_password() {
        assert_eq!(
            redact_url("postgres://callvault:s3cret@db:5432/callvault"),
            "postgres://callvault:***@db:5432/callvault"
        );
        assert_eq!(
            redact_url("sqlite://data/callvault.db"),
            "sqlite://data/callvault.db"
        );
        assert_eq!(redact_url("postgres://db/x?p=a@b"), "postgres://db/x?p=a@b");
    }

    #[test]
    fn the_debug_form_never_shows_secrets() {
        let config = Settings {
            database_url: Some("postgres://u:topsecret@h/d".into()),
            root_password: Some("rootpassword123".into()),
            ..settings()
        }
        .validate()
        .expect("valid");
        let printed = format!("{config:?}");
        assert!(
            !printed.contains("topsecret") && !printed.contains("rootpassword123"),
            "{printed}"
        );
    }

    #[test]
    // The closure's error type is figment's own, dictated by `Jail`.
    #[allow(clippy::result_large_err)]
    fn a_file_then_the_environment_override_the_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "callvault.toml",
                "bind = \"0.0.0.0:9000\"\ndata_dir = \"/tmp/a\"",
            )?;
            jail.set_env("CALLVAULT_DATA_DIR", "/tmp/b");
            let settings =
                Settings::load(Some(Path::new("callvault.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(settings.bind, "0.0.0.0:9000");
            assert_eq!(settings.data_dir, PathBuf::from("/tmp/b"));
            Ok(())
        });
    }

    #[test]
    // The closure's error type is figment's own, dictated by `Jail`.
    #[allow(clippy::result_large_err)]
    fn the_audit_signing_key_file_is_in_the_data_dir_unless_configured() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CALLVAULT_DATA_DIR", "/srv/cv");
            let config = Settings::load(None)
                .map_err(|e| e.to_string())?
                .validate()
                .map_err(|e| e.to_string())?;
            assert_eq!(
                config.audit_signing_key,
                AuditKeyFile {
                    path: PathBuf::from("/srv/cv/audit-signing-key.pk8"),
                    create_if_missing: true,
                }
            );
            jail.create_file("callvault.toml", "audit_signing_key_file = \"/etc/a.pk8\"")?;
            let from_file =
                Settings::load(Some(Path::new("callvault.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(
                from_file.audit_signing_key_file,
                Some(PathBuf::from("/etc/a.pk8"))
            );
            jail.set_env(AUDIT_SIGNING_KEY_FILE, "/run/secrets/audit.pk8");
            let config = Settings::load(Some(Path::new("callvault.toml")))
                .map_err(|e| e.to_string())?
                .validate()
                .map_err(|e| e.to_string())?;
            assert_eq!(
                config.audit_signing_key,
                AuditKeyFile {
                    path: PathBuf::from("/run/secrets/audit.pk8"),
                    create_if_missing: false,
                }
            );
            Ok(())
        });
    }

    #[test]
    fn a_password_minimum_below_eight_is_refused() {
        let error = Settings {
            password_min_length: 7,
            ..settings()
        }
        .validate()
        .expect_err("rejected");
        assert_eq!(error.setting, PASSWORD_MIN_LENGTH);
        let config = Settings {
            password_min_length: 8,
            ..settings()
        }
        .validate()
        .expect("8 is allowed");
        assert_eq!(config.auth.password_min_length, 8);
    }

    #[test]
    fn the_public_url_must_be_an_http_or_https_url() {
        let from = |url: &str| {
            Settings {
                public_url: Some(url.into()),
                ..settings()
            }
            .validate()
        };
        assert_eq!(
            from("HTTPS://calls.example.com/")
                .expect("valid")
                .public_url,
            Some("https://calls.example.com".into())
        );
        for valid in [
            "http://127.0.0.1:8080",
            "https://calls.example.com:8443/vault",
            "https://[::1]:8443",
        ] {
            assert!(from(valid).is_ok(), "{valid}");
        }
        assert_eq!(from("").expect("unset").public_url, None);
        for refused in [
            "calls.example.com",
            "ftp://calls.example.com",
            "https://",
            "https://user@calls.example.com",
            "https://calls.example.com:99999",
            "https://calls example.com",
            "https://calls.example.com/?x=1",
        ] {
            let error = from(refused).expect_err(refused);
            assert_eq!(error.setting, PUBLIC_URL, "{refused}");
            assert!(!error.to_string().contains('\n'), "{error}");
        }
    }

    #[test]
    fn a_missing_config_file_is_named() {
        let Err(error) = Settings::load(Some(Path::new("/nonexistent/callvault.toml"))) else {
            panic!("a missing file must be refused");
        };
        assert_eq!(error.setting, CONFIG_FILE);
    }
}
