//! Layered configuration: defaults in code < TOML file < `HOARD_<SECTION>_<KEY>` env < CLI flags.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

mod oidc;
mod storage;
mod switch;
mod versions;

pub use oidc::{OidcConfig, OidcProvider};
pub use storage::{Backend, StorageConfig};
pub use switch::set_backend;
pub use versions::VersionsConfig;

/// What a configured `auth.jwt_secret` is shown as (`hoard config`, `Debug`).
pub const REDACTED: &str = "<redacted>";

/// Sections that environment variables may address; anything else under `HOARD_` is ignored.
const SECTIONS: [&str; 7] = [
    "server", "storage", "auth", "limits", "log", "webdav", "versions",
];

/// The whole configuration of a Hoard instance.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Listening socket and proxy trust.
    pub server: ServerConfig,
    /// Where data lives.
    pub storage: StorageConfig,
    /// Accounts and tokens.
    pub auth: AuthConfig,
    /// Body sizes and throttles.
    pub limits: LimitsConfig,
    /// Logging.
    pub log: LogConfig,
    /// The WebDAV door (SPEC §11).
    pub webdav: WebdavConfig,
    /// Earlier contents of replaced files (SPEC §13).
    pub versions: VersionsConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Socket address to listen on.
    pub bind: SocketAddr,
    /// Peers (IP addresses) whose `X-Forwarded-For` header is believed.
    pub trusted_proxies: Vec<IpAddr>,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Whether anyone may register; the first account can always be created with `hoard user add`.
    pub registration: bool,
    /// HS256 secret (at least 32 bytes). Empty: generated into `<data_dir>/jwt.secret`.
    pub jwt_secret: String,
    /// Access-token lifetime in seconds.
    pub access_ttl_s: u64,
    /// Refresh-token lifetime in seconds.
    pub refresh_ttl_s: u64,
    /// Failed logins per (account, client IP) within the window before answering 429.
    pub login_failures_per_account: u32,
    /// Failed logins per client IP, all accounts together, within the window.
    pub login_failures_per_ip: u32,
    /// Length of the login-failure window in seconds.
    pub login_window_s: u64,
    /// Registrations per client IP per hour.
    pub registrations_per_ip_per_hour: u32,
    /// Single sign-on through OpenID Connect providers.
    pub oidc: OidcConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest JSON request body in bytes.
    pub json_body_bytes: u64,
    /// Largest file upload in bytes; 0 means unlimited.
    pub max_upload_bytes: u64,
    /// Requests handled at once (up to their response head); more wait up to 1 s for a
    /// slot, then get 503 `unavailable` with `Retry-After`. Uploads and password checks may
    /// take at most half. 0 means unlimited.
    pub max_in_flight: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Default level filter (`error`..`trace`, or a full `tracing` directive); `RUST_LOG` wins.
    pub level: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebdavConfig {
    /// Whether HTTP Basic accepts the account password (accounts without two-step
    /// sign-in); personal API tokens ("app passwords") are always accepted.
    pub password_login: bool,
    /// Refuse clients' junk files (`._*`, `.DS_Store`, `Thumbs.db`, `desktop.ini`) with 403.
    pub ignore_system_files: bool,
}

impl Default for WebdavConfig {
    fn default() -> Self {
        Self {
            password_login: true,
            ignore_system_files: false,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            trusted_proxies: Vec::new(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            registration: true,
            jwt_secret: String::new(),
            access_ttl_s: 3600,
            refresh_ttl_s: 7 * 24 * 3600,
            login_failures_per_account: 10,
            login_failures_per_ip: 50,
            login_window_s: 900,
            registrations_per_ip_per_hour: 10,
            oidc: OidcConfig::default(),
        }
    }
}

/// By hand, so that the secret never reaches a log: it shows as [`REDACTED`], as in
/// `hoard config` (destructured, so a new field cannot be left out).
impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let AuthConfig {
            registration,
            jwt_secret,
            access_ttl_s,
            refresh_ttl_s,
            login_failures_per_account,
            login_failures_per_ip,
            login_window_s,
            registrations_per_ip_per_hour,
            oidc,
        } = self;
        let jwt_secret = if jwt_secret.is_empty() { "" } else { REDACTED };
        f.debug_struct("AuthConfig")
            .field("registration", registration)
            .field("jwt_secret", &jwt_secret)
            .field("access_ttl_s", access_ttl_s)
            .field("refresh_ttl_s", refresh_ttl_s)
            .field("login_failures_per_account", login_failures_per_account)
            .field("login_failures_per_ip", login_failures_per_ip)
            .field("login_window_s", login_window_s)
            .field(
                "registrations_per_ip_per_hour",
                registrations_per_ip_per_hour,
            )
            .field("oidc", oidc)
            .finish()
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            json_body_bytes: 1024 * 1024,
            max_upload_bytes: 0,
            max_in_flight: 128,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            level: "info".into(),
        }
    }
}

/// A configuration problem, always naming the key at fault.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl ConfigError {
    fn key(key: &str, reason: impl std::fmt::Display) -> Self {
        Self(format!("`{key}`: {reason}"))
    }
}

/// Values given as command-line flags; they override every other layer.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
}

impl Config {
    /// Reads the layers in precedence order and validates the result.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "config file {} not found",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(hoard_env());
        if let Some(bind) = &overrides.bind {
            figment = figment.merge(Serialized::default("server.bind", bind));
        }
        if let Some(dir) = &overrides.data_dir {
            figment = figment.merge(Serialized::default("storage.data_dir", dir));
        }
        let layers: Layers = figment.extract().map_err(describe_figment_error)?;
        layers.parse()
    }

    /// Parses a TOML document on its own (used to check `config.example.toml`).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let layers: Layers = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(describe_figment_error)?;
        layers.parse()
    }

    /// The configuration as it is shown: a configured `auth.jwt_secret` is [`REDACTED`].
    pub fn redacted(&self) -> Self {
        let mut shown = self.clone();
        if !shown.auth.jwt_secret.is_empty() {
            shown.auth.jwt_secret = REDACTED.into();
        }
        shown.auth.oidc = shown.auth.oidc.redacted();
        shown.storage = shown.storage.redacted();
        shown
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let secret = &self.auth.jwt_secret;
        if !secret.is_empty() && secret.len() < 32 {
            return Err(ConfigError::key(
                "auth.jwt_secret",
                "must be at least 32 bytes",
            ));
        }
        let positive = [
            ("auth.access_ttl_s", self.auth.access_ttl_s),
            ("auth.refresh_ttl_s", self.auth.refresh_ttl_s),
            (
                "auth.login_failures_per_account",
                self.auth.login_failures_per_account.into(),
            ),
            (
                "auth.login_failures_per_ip",
                self.auth.login_failures_per_ip.into(),
            ),
            ("auth.login_window_s", self.auth.login_window_s),
            (
                "auth.registrations_per_ip_per_hour",
                self.auth.registrations_per_ip_per_hour.into(),
            ),
            ("limits.json_body_bytes", self.limits.json_body_bytes),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(ConfigError::key(key, "must be greater than 0"));
        }
        self.auth.oidc.validate()?;
        self.storage.validate()?;
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .map_err(|e| ConfigError::key("log.level", e))?;
        Ok(())
    }
}

/// The layers as written, before the addresses in `server` are parsed: a bad one is then
/// reported naming its key and what was expected.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Layers {
    server: ServerText,
    storage: StorageConfig,
    auth: AuthConfig,
    limits: LimitsConfig,
    log: LogConfig,
    webdav: WebdavConfig,
    versions: VersionsConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerText {
    bind: String,
    trusted_proxies: Vec<String>,
}

impl Layers {
    /// Parses the addresses once, then checks the other values.
    fn parse(self) -> Result<Config, ConfigError> {
        let Layers {
            server,
            storage,
            auth,
            limits,
            log,
            webdav,
            versions,
        } = self;
        let bind = server.bind.parse().map_err(|_| {
            ConfigError::key(
                "server.bind",
                format!("{:?} is not an address like 127.0.0.1:8080", server.bind),
            )
        })?;
        let trusted_proxies = server
            .trusted_proxies
            .iter()
            .map(|text| {
                text.parse().map_err(|_| {
                    ConfigError::key(
                        "server.trusted_proxies",
                        format!("{text:?} is not an IP address"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        let config = Config {
            server: ServerConfig {
                bind,
                trusted_proxies,
            },
            storage,
            auth,
            limits,
            log,
            webdav,
            versions,
        };
        config.validate()?;
        Ok(config)
    }
}

/// `HOARD_<SECTION>_<KEY>`: the first `_` after the prefix ends the section name.
fn hoard_env() -> Env {
    Env::prefixed("HOARD_")
        .filter(|key| {
            let key = key.as_str().to_ascii_lowercase();
            SECTIONS
                .iter()
                .any(|section| key.starts_with(&format!("{section}_")))
        })
        .map(|key| {
            key.as_str()
                .to_ascii_lowercase()
                .replacen('_', ".", 1)
                .into()
        })
}

fn describe_figment_error(error: figment::Error) -> ConfigError {
    let key = error.path.join(".");
    let source = error
        .metadata
        .as_ref()
        .map(|meta| meta.name.to_string())
        .unwrap_or_default();
    let reason = error.kind.to_string();
    let place = if source.is_empty() {
        String::new()
    } else {
        format!(" (from {source})")
    };
    if key.is_empty() {
        ConfigError(format!("{reason}{place}"))
    } else {
        ConfigError(format!("`{key}`: {reason}{place}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_parsed_once_at_load() {
        let text = "[server]\nbind = \"[::1]:9000\"\ntrusted_proxies = [\"10.0.0.1\", \"::1\"]\n";
        let config = Config::from_toml(text).unwrap();
        assert_eq!(config.server.bind, "[::1]:9000".parse().unwrap());
        assert_eq!(config.server.trusted_proxies.len(), 2);
        let bad = Config::from_toml("[server]\nbind = \"nowhere\"\n").unwrap_err();
        assert_eq!(
            bad.to_string(),
            "invalid configuration: `server.bind`: \"nowhere\" is not an address like 127.0.0.1:8080"
        );
        let bad = Config::from_toml("[server]\ntrusted_proxies = [\"10.0.0.0/8\"]\n").unwrap_err();
        assert_eq!(
            bad.to_string(),
            "invalid configuration: `server.trusted_proxies`: \"10.0.0.0/8\" is not an IP address"
        );
    }

    #[test]
    fn the_jwt_secret_never_shows_in_debug_or_the_shown_config() {
        let mut config = Config::default();
        config.auth.jwt_secret = "top-secret-top-secret-top-secret-42".into();
        for shown in [format!("{config:?}"), format!("{config:#?}")] {
            assert!(!shown.contains("top-secret"), "{shown}");
            assert!(shown.contains(REDACTED), "{shown}");
        }
        assert_eq!(config.redacted().auth.jwt_secret, REDACTED);
        assert!(format!("{:?}", Config::default()).contains("jwt_secret: \"\""));
    }
}
