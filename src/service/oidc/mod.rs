//! Single sign-on through OpenID Connect providers (SPEC §12): authorization code flow
//! with PKCE S256, `state` and `nonce`. `start` records the sign-in under its state (a
//! row, single use, 10 minutes) and answers the provider's URL; `finish` takes that row
//! back by the state the callback brings, which must also be the browser's cookie,
//! exchanges the code, checks the ID token, and signs in the account the identity is
//! linked to (`linking`). Any refusal leaves no account, link or session behind.
//!
//! Hoard's own two-step sign-in is not asked for here: the identity provider owns the
//! account's factors.

mod linking;
mod provider;

use std::sync::Arc;

use crate::config::OidcConfig;
use crate::db::oidc::PendingLogin;
use crate::db::users::UserRecord;
use crate::db::{self, now, Db, DbError};
use crate::ids::UserId;
use crate::secret::constant_time_eq;

use super::auth::{Auth, ClientInfo, IssuedTokens};
use super::cache::Caches;
use super::AuthError;

pub use linking::Identity;
use provider::Provider;

/// How long a sign-in may take between the redirect to the provider and its callback.
pub const LOGIN_TTL_S: i64 = 600;

/// Where a sign-in lands when it names no acceptable `next`.
pub const DEFAULT_NEXT: &str = "/";

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("no such identity provider")]
    UnknownProvider,
    /// Discovery, keys or the token endpoint failed, or the provider answered an error.
    #[error("identity provider: {0}")]
    Provider(String),
    /// No state, a state unknown, spent or expired, or one that is not the browser's.
    #[error("the sign-in state is missing, spent or not this browser's")]
    BadState,
    #[error("ID token refused: {0}")]
    IdToken(String),
    /// The account rules refused the identity.
    #[error("sign-in refused: {0}")]
    Refused(String),
    #[error("account is disabled")]
    AccountDisabled,
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub type OidcResult<T> = Result<T, OidcError>;

/// A provider as the login page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSummary {
    pub id: String,
    pub name: String,
}

/// A sign-in started: send the browser to `url`, with `state` in its cookie.
#[derive(Debug, Clone)]
pub struct Started {
    pub url: String,
    pub state: String,
}

/// What the provider's redirect back brought, and the browser's state cookie.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub cookie: Option<String>,
}

/// A finished sign-in: the account, its new session, and where to go.
pub struct Finished {
    pub user: UserRecord,
    pub tokens: IssuedTokens,
    pub next: String,
}

pub struct Oidc {
    db: Db,
    auth: Arc<Auth>,
    caches: Arc<Caches>,
    http: reqwest::Client,
    providers: Vec<Provider>,
}

impl Oidc {
    pub fn new(
        db: Db,
        auth: Arc<Auth>,
        caches: Arc<Caches>,
        config: &OidcConfig,
    ) -> OidcResult<Self> {
        let providers = config
            .providers
            .iter()
            .map(|p| Provider::new(p.clone()))
            .collect();
        Ok(Self {
            db,
            auth,
            caches,
            http: provider::http_client()?,
            providers,
        })
    }

    /// The configured providers, in configuration order.
    pub fn providers(&self) -> Vec<ProviderSummary> {
        self.providers
            .iter()
            .map(|p| ProviderSummary {
                id: p.config.id.clone(),
                name: p.config.name.clone(),
            })
            .collect()
    }

    fn provider(&self, id: &str) -> OidcResult<&Provider> {
        self.providers
            .iter()
            .find(|p| p.config.id == id)
            .ok_or(OidcError::UnknownProvider)
    }

    /// Starts a sign-in with provider `id`; the callback will send the browser to `next`
    /// when it is a path of this site (else to `/`).
    pub async fn start(
        &self,
        id: &str,
        next: Option<&str>,
        redirect_uri: &str,
    ) -> OidcResult<Started> {
        let provider = self.provider(id)?;
        let authorization = provider.authorize(&self.http, redirect_uri).await?;
        let now = now();
        let pending = PendingLogin {
            state: authorization.state.clone(),
            provider: id.to_owned(),
            nonce: authorization.nonce,
            pkce_verifier: authorization.pkce_verifier,
            redirect_uri: redirect_uri.to_owned(),
            next: safe_next(next).to_owned(),
            expires_at: now + LOGIN_TTL_S,
        };
        self.db
            .write(move |tx| db::oidc::insert_login(tx, &pending, now))
            .await?;
        Ok(Started {
            url: authorization.url,
            state: authorization.state,
        })
    }

    /// Finishes a sign-in at provider `id`'s callback.
    pub async fn finish(
        &self,
        id: &str,
        callback: Callback,
        client: &ClientInfo,
    ) -> OidcResult<Finished> {
        let provider = self.provider(id)?;
        let pending = self.take_state(id, &callback).await?;
        if let Some(error) = &callback.error {
            return Err(OidcError::Provider(format!("answered {error:?}")));
        }
        let code = callback.code.as_deref().ok_or(OidcError::BadState)?;
        let claims = provider.exchange(&self.http, code, &pending).await?;
        let identity = Identity::from_claims(&claims, &provider.config.groups_claim);
        let config = provider.config.clone();
        let user = self
            .db
            .write(move |tx| linking::resolve(tx, &config, &identity, now()))
            .await?;
        let user_id = UserId(user.id);
        self.caches.users.invalidate(&user_id);
        let (user, tokens) = self.auth.sign_in(user_id, client).await?;
        Ok(Finished {
            user,
            tokens,
            next: pending.next,
        })
    }

    /// The sign-in of the callback's state, taken (so never again) when the browser's
    /// cookie holds that same state.
    async fn take_state(&self, id: &str, callback: &Callback) -> OidcResult<PendingLogin> {
        let (Some(state), Some(cookie)) = (&callback.state, &callback.cookie) else {
            return Err(OidcError::BadState);
        };
        if state.is_empty() || !constant_time_eq(state.as_bytes(), cookie.as_bytes()) {
            return Err(OidcError::BadState);
        }
        let state = state.clone();
        let pending = self
            .db
            .write(move |tx| db::oidc::take_login(tx, &state, now()))
            .await?;
        pending
            .filter(|p| p.provider == id)
            .ok_or(OidcError::BadState)
    }
}

/// `next` when it is a path of this site; [`DEFAULT_NEXT`] for anything else
/// (`https://evil.example`, `//evil.example`, `/\evil.example`, control characters).
pub fn safe_next(next: Option<&str>) -> &str {
    let Some(next) = next else {
        return DEFAULT_NEXT;
    };
    let mut chars = next.chars();
    let path = chars.next() == Some('/') && !matches!(chars.next(), Some('/' | '\\'));
    let printable = next.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    if path && printable && next.len() <= 2048 {
        next
    } else {
        DEFAULT_NEXT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_kept_only_as_a_path_of_this_site() {
        for good in ["/", "/files", "/files/7?sort=name#x", "/s/AbC"] {
            assert_eq!(safe_next(Some(good)), good);
        }
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/files\\..",
            "files",
            "",
            "/a b",
            "/a\r\nSet-Cookie: x=y",
            "\t/x",
        ] {
            assert_eq!(safe_next(Some(bad)), DEFAULT_NEXT, "{bad:?}");
        }
        assert_eq!(safe_next(None), DEFAULT_NEXT);
    }
}
