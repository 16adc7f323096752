//! Single sign-on (SPEC §12) end to end: the real `hoard` binary and a real OpenID Connect
//! provider process (oauth2-mock-server, tests/oidc/provider.mjs), each on free loopback
//! ports, with the browser's redirects followed by hand (tests/oidc/browser.rs) so that
//! every hop is asserted. Each test has its own provider and server, stopped by PID.
//!
//! Prerequisites (`.ci/run` installs them): Node.js ≥ 20 with npm (tests/ui's lock file
//! pins oauth2-mock-server; `npm ci` runs when node_modules is missing), and curl.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

#[path = "oidc/accounts.rs"]
mod accounts;
#[path = "oidc/browser.rs"]
mod browser;
#[path = "oidc/provider.rs"]
mod provider;
#[path = "oidc/routes.rs"]
mod routes;
#[path = "oidc/tokens.rs"]
mod tokens;

use serde_json::{json, Value};
use tempfile::TempDir;

use browser::{Browser, Hop};
use provider::Provider;
use support::server::Server;

pub const PASSWORD: &str = "Single-sign-on-keeps-7-keys!";
pub const FAILED: &str = "/login?error=oidc_failed";

/// A provider, and a server with three providers over it: `mock` (auto_create,
/// link_by_email, admin_group `hoard-admins`), `strict` (neither) and `corp` (auto_create,
/// only `corp.example` emails); its first account, `boss`, is an admin whose token it sends.
pub struct World {
    pub provider: Provider,
    pub hoard: Server,
    _dir: TempDir,
}

impl World {
    pub fn start() -> Self {
        Self::with_provider(Provider::start())
    }

    /// The same world around `provider`.
    pub fn with_provider(provider: Provider) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("hoard.toml");
        let issuer = &provider.issuer;
        let text = format!(
            r#"[auth]
registrations_per_ip_per_hour = 100000

[[auth.oidc.providers]]
id = "mock"
name = "Mock ID"
issuer = "{issuer}"
client_id = "hoard"
client_secret = "hoard-secret"
auto_create = true
link_by_email = true
admin_group = "hoard-admins"

[[auth.oidc.providers]]
id = "strict"
name = "Strict ID"
issuer = "{issuer}"
client_id = "hoard-strict"

[[auth.oidc.providers]]
id = "corp"
name = "Corp ID"
issuer = "{issuer}"
client_id = "hoard-corp"
auto_create = true
allowed_domains = ["corp.example"]
"#
        );
        std::fs::write(&config, text).unwrap();
        let mut hoard = Server::start_with_config(&dir.path().join("data"), &config);
        hoard.sign_up("boss", PASSWORD);
        Self {
            provider,
            hoard,
            _dir: dir,
        }
    }

    /// Every account, as an admin sees them.
    pub fn users(&self) -> Vec<Value> {
        let (status, body) = self.hoard.json("/api/v1/users?limit=1000", &[]);
        assert_eq!(status, 200, "{body}");
        body["items"].as_array().unwrap().clone()
    }

    pub fn user(&self, username: &str) -> Option<Value> {
        self.users().into_iter().find(|u| u["username"] == username)
    }

    /// The `(issuer, subject, user_id)` links in the database.
    pub fn links(&self) -> Vec<(String, String, i64)> {
        let conn = rusqlite::Connection::open_with_flags(
            self.hoard.data.join("hoard.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let mut statement = conn
            .prepare("SELECT issuer, subject, user_id FROM oidc_identities ORDER BY created_at")
            .unwrap();
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    /// `claims` for the next ID token, then a sign-in through `provider_id` landing on
    /// `next`, every hop asserted up to the callback's answer.
    pub fn sign_in(&self, browser: &Browser, provider_id: &str, claims: Value) -> Hop {
        self.provider.next(json!({ "claims": claims }));
        self.sign_in_as_is(browser, provider_id, "/")
    }

    /// A sign-in through `mock` with `claims` in `browser`, landing on `/`, asserted; the
    /// account.
    pub fn signed_in_with(&self, browser: &Browser, claims: Value) -> Value {
        let hop = self.sign_in(browser, "mock", claims);
        assert_signed_in(self, browser, &hop, "/")
    }

    /// The same in a fresh browser.
    pub fn signed_in(&self, claims: Value) -> Value {
        self.signed_in_with(&Browser::open(), claims)
    }

    /// A sign-in with whatever the provider was told; the callback's answer.
    pub fn sign_in_as_is(&self, browser: &Browser, provider_id: &str, next: &str) -> Hop {
        let (_, authorize) = self.to_provider(browser, provider_id, next);
        browser.get(&authorize.location, &[])
    }

    /// `start` and the provider's authorize hop; both asserted, the callback not yet made.
    pub fn to_provider(&self, browser: &Browser, provider_id: &str, next: &str) -> (Hop, Hop) {
        let start_url = format!("/api/v1/auth/oidc/{provider_id}/start");
        let start = browser.get(
            &self.hoard.url(&start_url),
            &["-G", "--data-urlencode", &format!("next={next}")],
        );
        assert_eq!(start.status, 302, "{start:?}");
        assert!(
            start.location.starts_with(&self.provider.issuer),
            "{start:?}"
        );
        let authorize = browser.get(&start.location, &[]);
        assert_eq!(authorize.status, 302, "{authorize:?}");
        let callback = self
            .hoard
            .url(&format!("/api/v1/auth/oidc/{provider_id}/callback?"));
        assert!(authorize.location.starts_with(&callback), "{authorize:?}");
        (start, authorize)
    }
}

/// A refused sign-in: back to the login page, no session cookies, the state cookie cleared.
pub fn assert_refused(callback: &Hop) {
    assert_eq!(callback.status, 302, "{callback:?}");
    assert_eq!(callback.location, FAILED, "{callback:?}");
    assert!(callback.cookie("hoard_access").is_none(), "{callback:?}");
    let cleared = callback.cookie("hoard_oidc").unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
}

/// A signed-in landing on `next`: the session cookies set, then the page and `/users/me`
/// answered with them. Returns the account.
pub fn assert_signed_in(world: &World, browser: &Browser, callback: &Hop, next: &str) -> Value {
    assert_eq!(callback.status, 302, "{callback:?}");
    assert_eq!(callback.location, next, "{callback:?}");
    for name in ["hoard_access", "hoard_refresh"] {
        let cookie = callback
            .cookie(name)
            .unwrap_or_else(|| panic!("{name}: {callback:?}"));
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
    }
    assert!(callback.cookie("hoard_csrf").is_some(), "{callback:?}");
    assert!(callback.cookie("hoard_oidc").unwrap().contains("Max-Age=0"));
    let page = browser.get(&world.hoard.url(next), &[]);
    assert_eq!(page.status, 200, "{page:?}");
    let me = browser.get(&world.hoard.url("/api/v1/users/me"), &[]);
    assert_eq!(me.status, 200, "{me:?}");
    serde_json::from_str(&me.body).unwrap()
}
