//! One OpenID Connect provider: discovery (fetched on first use and kept), its signing keys
//! (fetched again when an ID token names a key they lack: the provider rotated them), the
//! authorization URL with PKCE S256, state and nonce, and the code exchange with the ID
//! token's checks (signature, `iss`, `aud`, `exp`, `nonce`).
//!
//! The ID token is checked with `jsonwebtoken`, the JOSE implementation Hoard already
//! carries for its own tokens (RSA, ECDSA and EdDSA through RustCrypto): one JOSE stack in
//! the binary instead of two (the `openidconnect` crate brought a second set of the same
//! curves and pushed the binary past SPEC §15's 25 MiB).
//!
//! The HTTP client is reqwest over rustls (ring) with webpki's roots and hickory's
//! pure-Rust resolver, so the static binary needs neither glibc's NSS nor a CA bundle on
//! disk. It follows no redirects.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

use super::OidcError;
use crate::config::OidcProvider;
use crate::db::oidc::PendingLogin;
use crate::secret::random_secret;

/// The largest discovery, keys or token document read.
const MAX_DOCUMENT: usize = 1024 * 1024;
/// Clock skew allowed on `exp`.
const LEEWAY_S: u64 = 60;

/// An ID token's claims, once checked.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    #[serde(default)]
    pub nonce: Option<String>,
    /// Every other claim (email, email_verified, preferred_username, name, groups, …).
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

/// What the redirect to the provider carries, to be kept until its callback.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The parts of the discovery document Hoard uses.
#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
    #[serde(default)]
    id_token_signing_alg_values_supported: Vec<String>,
    #[serde(default)]
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// Discovery and the signing keys, as last fetched.
struct Known {
    discovery: Discovery,
    keys: Vec<Jwk>,
}

/// Why an ID token was not accepted.
enum Refusal {
    /// It names a key the cached set lacks: worth fetching the keys again.
    UnknownKey,
    Bad(String),
}

/// A configured provider and what was learnt from it.
pub struct Provider {
    pub config: OidcProvider,
    known: RwLock<Option<Arc<Known>>>,
}

impl Provider {
    pub fn new(config: OidcProvider) -> Self {
        let loopback = ["http://127.", "http://localhost", "http://[::1]"];
        if config.issuer.starts_with("http://")
            && !loopback.iter().any(|p| config.issuer.starts_with(p))
        {
            tracing::warn!(provider = %config.id, "OIDC issuer {} is plain http: use https", config.issuer);
        }
        Self {
            config,
            known: RwLock::new(None),
        }
    }

    /// Discovery and keys, fetched on first use and then kept.
    async fn known(&self, http: &reqwest::Client) -> Result<Arc<Known>, OidcError> {
        if let Some(known) = self.known.read().await.as_ref() {
            return Ok(known.clone());
        }
        let issuer = self.config.issuer.trim_end_matches('/');
        let url = format!("{issuer}/.well-known/openid-configuration");
        let discovery: Discovery = fetch_json(http, &url, "discovery").await?;
        if discovery.issuer != self.config.issuer {
            return Err(OidcError::Provider(format!(
                "discovery names issuer {:?}, not {:?}",
                discovery.issuer, self.config.issuer
            )));
        }
        self.fetch_keys(http, discovery).await
    }

    /// Fetches the signing keys and keeps them with `discovery`.
    async fn fetch_keys(
        &self,
        http: &reqwest::Client,
        discovery: Discovery,
    ) -> Result<Arc<Known>, OidcError> {
        let set: Value = fetch_json(http, &discovery.jwks_uri, "keys").await?;
        let keys = set["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|key| key["use"].as_str().is_none_or(|u| u == "sig"))
            // A key of a kind jsonwebtoken does not know is skipped, not fatal.
            .filter_map(|key| serde_json::from_value::<Jwk>(key.clone()).ok())
            .collect();
        let known = Arc::new(Known { discovery, keys });
        *self.known.write().await = Some(known.clone());
        Ok(known)
    }

    /// The provider's authorization URL for a new sign-in, with a fresh state, nonce and
    /// PKCE S256 challenge.
    pub async fn authorize(
        &self,
        http: &reqwest::Client,
        redirect_uri: &str,
    ) -> Result<Authorization, OidcError> {
        let known = self.known(http).await?;
        let (state, nonce, pkce_verifier) =
            (random_secret(32), random_secret(32), random_secret(32));
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(pkce_verifier.as_bytes()));
        let scopes = std::iter::once("openid")
            .chain(
                self.config
                    .scopes
                    .iter()
                    .map(String::as_str)
                    .filter(|s| *s != "openid"),
            )
            .collect::<Vec<_>>()
            .join(" ");
        let mut url = reqwest::Url::parse(&known.discovery.authorization_endpoint)
            .map_err(|e| OidcError::Provider(format!("authorization endpoint: {e}")))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("scope", &scopes)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(Authorization {
            url: url.to_string(),
            state,
            nonce,
            pkce_verifier,
        })
    }

    /// Exchanges the code (with the PKCE verifier) and returns the checked ID token's
    /// claims. An unknown signing key makes one fetch of the keys and a second check.
    pub async fn exchange(
        &self,
        http: &reqwest::Client,
        code: &str,
        pending: &PendingLogin,
    ) -> Result<Claims, OidcError> {
        let known = self.known(http).await?;
        let id_token = self.redeem(http, &known.discovery, code, pending).await?;
        match self.check(&known, &id_token, &pending.nonce) {
            Err(Refusal::UnknownKey) => {
                let known = self.fetch_keys(http, known.discovery.clone()).await?;
                tracing::info!(provider = %self.config.id, "OIDC signing keys refreshed");
                self.check(&known, &id_token, &pending.nonce)
                    .map_err(|refusal| match refusal {
                        Refusal::UnknownKey => {
                            OidcError::IdToken("signed with an unknown key".into())
                        }
                        Refusal::Bad(why) => OidcError::IdToken(why),
                    })
            }
            Err(Refusal::Bad(why)) => Err(OidcError::IdToken(why)),
            Ok(claims) => Ok(claims),
        }
    }

    /// The token endpoint's ID token for `code`.
    async fn redeem(
        &self,
        http: &reqwest::Client,
        discovery: &Discovery,
        code: &str,
        pending: &PendingLogin,
    ) -> Result<String, OidcError> {
        let config = &self.config;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &pending.redirect_uri),
            ("code_verifier", &pending.pkce_verifier),
        ];
        let mut request = http
            .post(&discovery.token_endpoint)
            .header(reqwest::header::ACCEPT, "application/json");
        let methods = discovery.token_endpoint_auth_methods_supported.as_deref();
        let post_only = methods.is_some_and(|m| {
            m.iter().any(|x| x == "client_secret_post")
                && !m.iter().any(|x| x == "client_secret_basic")
        });
        if config.client_secret.is_empty() {
            form.push(("client_id", &config.client_id));
        } else if post_only {
            form.push(("client_id", &config.client_id));
            form.push(("client_secret", &config.client_secret));
        } else {
            // RFC 6749 §2.3.1: both form-encoded before they go into Basic.
            let encode = |text: &str| {
                url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>()
            };
            request = request.basic_auth(
                encode(&config.client_id),
                Some(encode(&config.client_secret)),
            );
        }
        let response = request
            .form(&form)
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("token endpoint: {}", chain(&e))))?;
        let status = response.status();
        if !status.is_success() {
            return Err(OidcError::Provider(format!(
                "token endpoint answered {status}"
            )));
        }
        #[derive(Deserialize)]
        struct Tokens {
            id_token: Option<String>,
        }
        let tokens: Tokens = read_json(response, "token endpoint").await?;
        tokens
            .id_token
            .ok_or_else(|| OidcError::IdToken("the token response has no id_token".into()))
    }

    /// Checks an ID token's signature with the provider's keys, then `iss`, `aud` (this
    /// client), `exp` and `nonce`.
    fn check(&self, known: &Known, id_token: &str, nonce: &str) -> Result<Claims, Refusal> {
        let header =
            decode_header(id_token).map_err(|e| Refusal::Bad(format!("malformed: {e}")))?;
        let allowed = allowed_algs(&known.discovery);
        if !allowed.contains(&header.alg) {
            return Err(Refusal::Bad(format!(
                "algorithm {:?} not allowed",
                header.alg
            )));
        }
        let key = match &header.kid {
            Some(kid) => known
                .keys
                .iter()
                .find(|k| k.common.key_id.as_deref() == Some(kid)),
            None if known.keys.len() == 1 => known.keys.first(),
            None => None,
        };
        let key = key.ok_or(Refusal::UnknownKey)?;
        let key = DecodingKey::from_jwk(key).map_err(|e| Refusal::Bad(format!("key: {e}")))?;
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.client_id]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_S;
        let claims = decode::<Claims>(id_token, &key, &validation)
            .map_err(|e| Refusal::Bad(describe(&e)))?
            .claims;
        if claims.nonce.as_deref() != Some(nonce) {
            return Err(Refusal::Bad("wrong nonce".into()));
        }
        Ok(claims)
    }
}

/// The asymmetric algorithms the provider says it signs with (RS256 when it says none);
/// never a shared-secret one.
fn allowed_algs(discovery: &Discovery) -> Vec<Algorithm> {
    use Algorithm::*;
    let asymmetric = [
        RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA,
    ];
    let named: Vec<Algorithm> = discovery
        .id_token_signing_alg_values_supported
        .iter()
        .filter_map(|name| name.parse().ok())
        .filter(|alg| asymmetric.contains(alg))
        .collect();
    if named.is_empty() {
        vec![RS256]
    } else {
        named
    }
}

/// The reason for a refused ID token, for the log.
fn describe(error: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match error.kind() {
        K::InvalidSignature => "bad signature".into(),
        K::ExpiredSignature => "expired".into(),
        K::InvalidAudience => "wrong audience".into(),
        K::InvalidIssuer => "wrong issuer".into(),
        K::MissingRequiredClaim(claim) => format!("no {claim} claim"),
        other => format!("{other:?}"),
    }
}

/// GETs a JSON document.
async fn fetch_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    what: &str,
) -> Result<T, OidcError> {
    let response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| OidcError::Provider(format!("{what}: {}", chain(&e))))?;
    let status = response.status();
    if !status.is_success() {
        return Err(OidcError::Provider(format!(
            "{what}: {url} answered {status}"
        )));
    }
    read_json(response, what).await
}

/// A response's JSON body, at most [`MAX_DOCUMENT`] bytes.
async fn read_json<T: DeserializeOwned>(
    mut response: reqwest::Response,
    what: &str,
) -> Result<T, OidcError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| OidcError::Provider(format!("{what}: {}", chain(&e))))?
    {
        if body.len() + chunk.len() > MAX_DOCUMENT {
            return Err(OidcError::Provider(format!("{what}: answer too large")));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| OidcError::Provider(format!("{what}: {e}")))
}

/// The HTTP client of every provider.
pub fn http_client() -> Result<reqwest::Client, OidcError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .hickory_dns(true)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .user_agent(concat!("hoard/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| OidcError::Provider(format!("HTTP client: {e}")))
}

/// An error with its sources, for the log.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn discovery(algs: &[&str]) -> Discovery {
        serde_json::from_value(serde_json::json!({
            "issuer": "https://id.example", "authorization_endpoint": "https://id.example/a",
            "token_endpoint": "https://id.example/t", "jwks_uri": "https://id.example/k",
            "id_token_signing_alg_values_supported": algs,
        }))
        .unwrap()
    }

    #[test]
    fn only_asymmetric_algorithms_the_provider_names_are_allowed() {
        let named = allowed_algs(&discovery(&["RS256", "ES256", "HS256", "none"]));
        assert_eq!(named, [Algorithm::RS256, Algorithm::ES256]);
        assert_eq!(allowed_algs(&discovery(&[])), [Algorithm::RS256]);
        assert_eq!(allowed_algs(&discovery(&["HS256"])), [Algorithm::RS256]);
    }
}
