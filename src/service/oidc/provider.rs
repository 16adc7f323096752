//! One OpenID Connect provider as the `openidconnect` crate sees it: discovery (fetched on
//! first use and kept), its signing keys (fetched again when an ID token names a key they
//! do not have: the provider rotated them), the authorization URL with PKCE S256, state and
//! nonce, and the code exchange with the ID token's checks (signature, `iss`, `aud`, `exp`,
//! `nonce`).
//!
//! The HTTP client is reqwest over rustls (ring) with webpki's roots and hickory's
//! pure-Rust resolver, so the static binary needs neither glibc's NSS nor a CA bundle on
//! disk. It follows no redirects (the crate's advice against SSRF).

use std::time::Duration;

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClaimsVerificationError, Client, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndpointNotSet, EndpointSet, IdTokenClaims, IdTokenFields,
    IssuerUrl, JsonWebKeySet, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    SignatureVerificationError, StandardErrorResponse, StandardTokenResponse,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use super::OidcError;
use crate::config::OidcProvider;

/// The claims of an ID token beyond the standard ones (the groups claim is configurable).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    pub rest: serde_json::Map<String, serde_json::Value>,
}

impl AdditionalClaims for OtherClaims {}

pub type Claims = IdTokenClaims<OtherClaims, CoreGenderClaim>;

type TokenResponse = StandardTokenResponse<
    IdTokenFields<
        OtherClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;

/// A client with its authorization and token endpoints set.
type OidcClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    TokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointNotSet,
>;

/// What the redirect to the provider carries, to be kept until its callback.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A configured provider and what was learnt from its discovery document.
pub struct Provider {
    pub config: OidcProvider,
    issuer: IssuerUrl,
    discovered: RwLock<Option<CoreProviderMetadata>>,
}

impl Provider {
    pub fn new(config: OidcProvider) -> Result<Self, OidcError> {
        let issuer = IssuerUrl::new(config.issuer.clone())
            .map_err(|e| OidcError::Provider(format!("issuer {}: {e}", config.issuer)))?;
        let loopback = ["http://127.", "http://localhost", "http://[::1]"];
        if issuer.as_str().starts_with("http://")
            && !loopback.iter().any(|p| issuer.as_str().starts_with(p))
        {
            tracing::warn!(
                provider = %config.id,
                "OIDC issuer {} is plain http: use https outside tests",
                issuer.as_str()
            );
        }
        Ok(Self {
            config,
            issuer,
            discovered: RwLock::new(None),
        })
    }

    /// The provider's metadata and keys, discovered on first use and then kept.
    async fn metadata(&self, http: &reqwest::Client) -> Result<CoreProviderMetadata, OidcError> {
        if let Some(known) = self.discovered.read().await.as_ref() {
            return Ok(known.clone());
        }
        let found = CoreProviderMetadata::discover_async(self.issuer.clone(), http)
            .await
            .map_err(|e| OidcError::Provider(format!("discovery: {}", chain(&e))))?;
        *self.discovered.write().await = Some(found.clone());
        Ok(found)
    }

    /// Fetches the signing keys again and keeps them: an ID token named a key we lack.
    async fn refresh_keys(
        &self,
        http: &reqwest::Client,
    ) -> Result<CoreProviderMetadata, OidcError> {
        let metadata = self.metadata(http).await?;
        let keys = JsonWebKeySet::fetch_async(metadata.jwks_uri(), http)
            .await
            .map_err(|e| OidcError::Provider(format!("keys: {}", chain(&e))))?;
        let metadata = metadata.set_jwks(keys);
        *self.discovered.write().await = Some(metadata.clone());
        tracing::info!(provider = %self.config.id, "OIDC signing keys refreshed");
        Ok(metadata)
    }

    fn client(
        &self,
        metadata: &CoreProviderMetadata,
        redirect_uri: &str,
    ) -> Result<OidcClient, OidcError> {
        let token_uri = metadata
            .token_endpoint()
            .cloned()
            .ok_or_else(|| OidcError::Provider("discovery names no token endpoint".into()))?;
        let redirect = RedirectUrl::new(redirect_uri.to_owned())
            .map_err(|e| OidcError::Provider(format!("redirect URI: {e}")))?;
        let mut client = Client::new(
            ClientId::new(self.config.client_id.clone()),
            self.issuer.clone(),
            metadata.jwks().clone(),
        )
        .set_auth_uri(metadata.authorization_endpoint().clone())
        .set_token_uri(token_uri)
        .set_redirect_uri(redirect);
        if !self.config.client_secret.is_empty() {
            client = client.set_client_secret(ClientSecret::new(self.config.client_secret.clone()));
            let methods = metadata.token_endpoint_auth_methods_supported();
            let post_only = methods.is_some_and(|m| {
                m.contains(&CoreClientAuthMethod::ClientSecretPost)
                    && !m.contains(&CoreClientAuthMethod::ClientSecretBasic)
            });
            if post_only {
                client = client.set_auth_type(openidconnect::AuthType::RequestBody);
            }
        }
        Ok(client)
    }

    /// The provider's authorization URL for a new sign-in, with a fresh state, nonce and
    /// PKCE S256 challenge.
    pub async fn authorize(
        &self,
        http: &reqwest::Client,
        redirect_uri: &str,
    ) -> Result<Authorization, OidcError> {
        let metadata = self.metadata(http).await?;
        let client = self.client(&metadata, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let scopes = self
            .config
            .scopes
            .iter()
            .filter(|scope| *scope != "openid")
            .map(|scope| Scope::new(scope.clone()));
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scopes(scopes)
            .set_pkce_challenge(challenge)
            .url();
        Ok(Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code (with the PKCE verifier) and returns the checked ID token's
    /// claims. An unknown signing key makes one fetch of the keys and a second check.
    pub async fn exchange(
        &self,
        http: &reqwest::Client,
        code: &str,
        pending: &crate::db::oidc::PendingLogin,
    ) -> Result<Claims, OidcError> {
        let metadata = self.metadata(http).await?;
        let client = self.client(&metadata, &pending.redirect_uri)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(http)
            .await
            .map_err(|e| OidcError::Provider(format!("token endpoint: {}", chain(&e))))?;
        let id_token = response
            .extra_fields()
            .id_token()
            .ok_or_else(|| OidcError::IdToken("the token response has no id_token".into()))?;
        let nonce = Nonce::new(pending.nonce.clone());
        let allowed = allowed_algs(&metadata);
        let check = |client: &OidcClient| {
            let verifier = client.id_token_verifier().set_allowed_algs(allowed.clone());
            id_token.claims(&verifier, &nonce).cloned()
        };
        match check(&client) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                let metadata = self.refresh_keys(http).await?;
                let client = self.client(&metadata, &pending.redirect_uri)?;
                check(&client).map_err(|e| OidcError::IdToken(e.to_string()))
            }
            checked => checked.map_err(|e| OidcError::IdToken(e.to_string())),
        }
    }
}

/// The signature algorithms the provider says it uses, never `none`; RS256 when it says
/// nothing usable.
fn allowed_algs(metadata: &CoreProviderMetadata) -> Vec<CoreJwsSigningAlgorithm> {
    let algs: Vec<_> = metadata
        .id_token_signing_alg_values_supported()
        .iter()
        .filter(|alg| **alg != CoreJwsSigningAlgorithm::None)
        .cloned()
        .collect();
    if algs.is_empty() {
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]
    } else {
        algs
    }
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
