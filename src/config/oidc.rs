//! `[auth.oidc]`: single sign-on through OpenID Connect providers (SPEC §12).

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{ConfigError, REDACTED};

/// Single sign-on: the providers the login page offers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcConfig {
    /// The address people reach Hoard at (`https://drive.example.com`), from which each
    /// provider's redirect URI `{public_url}/api/v1/auth/oidc/{id}/callback` is made.
    /// Empty: taken from each request's `Host` (and `X-Forwarded-Proto`).
    pub public_url: String,
    /// The identity providers, in the order the login page shows them.
    pub providers: Vec<OidcProvider>,
}

/// One OpenID Connect provider (`[[auth.oidc.providers]]`).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcProvider {
    /// Short name in URLs: 1–32 of `a-z 0-9 _ -`.
    pub id: String,
    /// What the login button says.
    pub name: String,
    /// The issuer exactly as its ID tokens' `iss` says it; discovery is read from
    /// `{issuer}/.well-known/openid-configuration`. Use https (http only for tests on
    /// loopback).
    pub issuer: String,
    pub client_id: String,
    /// Empty for a public client (PKCE alone).
    #[serde(default)]
    pub client_secret: String,
    /// Scopes asked for besides `openid`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// Create an account at the first sign-in of an unknown identity.
    #[serde(default)]
    pub auto_create: bool,
    /// At the first sign-in, link to the account with the same email, if the provider
    /// says the email is verified.
    #[serde(default)]
    pub link_by_email: bool,
    /// Members of this group (in `groups_claim`) are admins; others are not (except the
    /// last admin). Empty: roles are left alone.
    #[serde(default)]
    pub admin_group: String,
    /// The ID-token claim that lists the user's groups.
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// When not empty, only verified emails of these domains may sign in.
    #[serde(default)]
    pub allowed_domains: Vec<String>,
}

fn default_scopes() -> Vec<String> {
    vec!["email".into(), "profile".into()]
}

fn default_groups_claim() -> String {
    "groups".into()
}

/// By hand, so that the client secret never reaches a log.
impl fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = if self.client_secret.is_empty() {
            ""
        } else {
            REDACTED
        };
        f.debug_struct("OidcProvider")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &secret)
            .field("scopes", &self.scopes)
            .field("auto_create", &self.auto_create)
            .field("link_by_email", &self.link_by_email)
            .field("admin_group", &self.admin_group)
            .field("groups_claim", &self.groups_claim)
            .field("allowed_domains", &self.allowed_domains)
            .finish()
    }
}

impl OidcConfig {
    /// The same with every client secret shown as [`REDACTED`].
    pub fn redacted(&self) -> Self {
        let mut shown = self.clone();
        for provider in &mut shown.providers {
            if !provider.client_secret.is_empty() {
                provider.client_secret = REDACTED.into();
            }
        }
        shown
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let url_like = |text: &str| text.starts_with("https://") || text.starts_with("http://");
        if !self.public_url.is_empty() && !url_like(&self.public_url) {
            return Err(ConfigError::key(
                "auth.oidc.public_url",
                "must be an http(s) URL",
            ));
        }
        let mut ids = HashSet::new();
        for provider in &self.providers {
            let id = &provider.id;
            let id_ok = (1..=32).contains(&id.len())
                && id.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                });
            let problem = if !id_ok {
                Some(format!("id {id:?} must be 1–32 of a-z 0-9 _ -"))
            } else if !ids.insert(id.as_str()) {
                Some(format!("id {id:?} is used twice"))
            } else if provider.name.trim().is_empty() {
                Some(format!("{id}: name must not be empty"))
            } else if !url_like(&provider.issuer) {
                Some(format!("{id}: issuer must be an http(s) URL"))
            } else if provider.client_id.is_empty() {
                Some(format!("{id}: client_id must not be empty"))
            } else if provider.groups_claim.is_empty() {
                Some(format!("{id}: groups_claim must not be empty"))
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(ConfigError::key("auth.oidc.providers", problem));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::config::{Config, REDACTED};

    const ONE: &str = r#"
[[auth.oidc.providers]]
id = "authelia"
name = "Authelia"
issuer = "https://auth.example.com"
client_id = "hoard"
client_secret = "very-secret-client-secret"
"#;

    #[test]
    fn a_provider_gets_its_defaults_and_its_secret_never_shows() {
        let config = Config::from_toml(ONE).unwrap();
        let provider = &config.auth.oidc.providers[0];
        assert_eq!(provider.scopes, ["email", "profile"]);
        assert_eq!(provider.groups_claim, "groups");
        assert!(!provider.auto_create && !provider.link_by_email);
        let shown = format!("{config:?} {:?}", config.redacted());
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains(REDACTED));
        assert_eq!(
            config.redacted().auth.oidc.providers[0].client_secret,
            REDACTED
        );
    }

    #[test]
    fn bad_providers_are_refused_naming_the_key() {
        let twice = format!("{ONE}{ONE}");
        let bad = [
            ONE.replace("\"authelia\"", "\"Auth Elia\""),
            twice,
            ONE.replace("https://auth.example.com", "auth.example.com"),
            ONE.replace("client_id = \"hoard\"", "client_id = \"\""),
            format!("[auth.oidc]\npublic_url = \"drive.example.com\"\n{ONE}"),
        ];
        for text in bad {
            let error = Config::from_toml(&text).unwrap_err().to_string();
            assert!(error.contains("`auth.oidc."), "{error}");
        }
    }
}
