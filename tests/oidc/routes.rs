//! The routes themselves: the providers list, what `start` redirects to and sets, unknown
//! providers, a whole sign-in through the redirects, and `next`.

use serde_json::{json, Value};

use crate::browser::{query_param, Browser};
use crate::provider::Provider;
use crate::{assert_signed_in, World};

#[test]
fn the_providers_are_listed_without_credentials_as_a_paged_list() {
    let world = World::start();
    let (status, body) = world.hoard.json_anonymous("/api/v1/auth/oidc/providers");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"items": [
            {"id": "mock", "name": "Mock ID"},
            {"id": "strict", "name": "Strict ID"},
            {"id": "corp", "name": "Corp ID"},
        ], "total": 3, "limit": 100, "offset": 0})
    );
    let (status, page) = world
        .hoard
        .json_anonymous("/api/v1/auth/oidc/providers?limit=1&offset=1");
    assert_eq!(status, 200);
    assert_eq!(
        page["items"],
        json!([{"id": "strict", "name": "Strict ID"}])
    );
}

#[test]
fn start_redirects_with_pkce_state_and_nonce_and_binds_the_state_to_a_cookie() {
    let world = World::start();
    let browser = Browser::open();
    let url = world.hoard.url("/api/v1/auth/oidc/mock/start?next=/files");
    let start = browser.get(&url, &[]);
    assert_eq!(start.status, 302, "{start:?}");
    let location = &start.location;
    assert!(
        location.starts_with(&format!("{}/authorize?", world.provider.issuer)),
        "{location}"
    );
    let param = |name| query_param(location, name).unwrap_or_else(|| panic!("{name}: {location}"));
    assert_eq!(param("response_type"), "code");
    assert_eq!(param("client_id"), "hoard");
    assert_eq!(param("code_challenge_method"), "S256");
    assert_eq!(param("code_challenge").len(), 43);
    assert!(param("scope").starts_with("openid"), "{location}");
    assert!(param("nonce").len() >= 16);
    let callback = world.hoard.url("/api/v1/auth/oidc/mock/callback");
    assert_eq!(param("redirect_uri"), percent_encode(&callback));
    let state = param("state");
    let cookie = start.cookie("hoard_oidc").unwrap();
    assert!(
        cookie.starts_with(&format!("hoard_oidc={state};")),
        "{cookie}"
    );
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Max-Age=600",
        "Path=/api/v1/auth/oidc",
    ] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    // Every start is a new state.
    let again = browser.get(&url, &[]);
    assert_ne!(query_param(&again.location, "state").unwrap(), state);
}

#[test]
fn an_unknown_provider_is_a_json_404() {
    let world = World::start();
    for route in ["start", "callback?code=x&state=y"] {
        let (status, body) = world
            .hoard
            .json_anonymous(&format!("/api/v1/auth/oidc/nope/{route}"));
        assert_eq!(status, 404, "{route}: {body}");
        assert_eq!(body["code"], "not_found", "{route}");
    }
}

#[test]
fn a_full_sign_in_follows_the_redirects_with_cookies_and_lands_on_next() {
    let world = World::start();
    let browser = Browser::open();
    let claims = json!({"sub": "ada-1", "email": "ada@example.com", "email_verified": true,
                        "preferred_username": "ada", "name": "Ada Lovelace"});
    let hop = world.sign_in(&browser, "mock", claims);
    let me = assert_signed_in(&world, &browser, &hop, "/");
    assert_eq!(me["username"], "ada");
    assert_eq!(me["display_name"], "Ada Lovelace");
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["role"], "user");
    assert_eq!(me["has_password"], false);
    assert!(me["last_login_at"].is_string());
    // The session works for writes too: the CSRF cookie came with it.
    let csrf = browser.cookie("hoard_csrf").unwrap();
    let header = format!("X-CSRF-Token: {csrf}");
    let folder = browser.get(
        &world.hoard.url("/api/v1/folders"),
        &[
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "-H",
            &header,
            "-d",
            r#"{"name": "from-sso"}"#,
        ],
    );
    assert_eq!(folder.status, 201, "{folder:?}");
    let links = world.links();
    assert_eq!(
        links,
        vec![(
            world.provider.issuer.clone(),
            "ada-1".into(),
            me["id"].as_i64().unwrap()
        )]
    );
}

/// The binary under test is the static one (`+crt-static`): with glibc's resolver it could
/// not look a name up; hickory reads /etc/hosts and /etc/resolv.conf itself.
#[test]
fn an_issuer_named_by_host_name_is_resolved_by_the_static_binary() {
    let world = World::with_provider(Provider::start_as("localhost"));
    assert!(world.provider.issuer.starts_with("http://localhost:"));
    let claims = json!({"sub": "l-1", "email": "l@example.com", "email_verified": true});
    assert_eq!(world.signed_in(claims)["email"], "l@example.com");
}

#[test]
fn next_lands_on_a_path_of_this_site_and_nothing_else() {
    let world = World::start();
    let claims = json!({"sub": "n-1", "email": "n@example.com", "email_verified": true});
    let cases = [
        ("/files?sort=name", "/files?sort=name"),
        ("https://evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
    ];
    for (next, lands) in cases {
        let browser = Browser::open();
        world.provider.next(json!({ "claims": claims }));
        let hop = world.sign_in_as_is(&browser, "mock", next);
        assert_eq!(hop.status, 302, "{next}: {hop:?}");
        assert_eq!(hop.location, lands, "{next}");
    }
}

/// RFC 3986 percent-encoding as the `url` crate writes a query value.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What an unauthenticated client gets from `path`.
pub trait Anonymous {
    fn json_anonymous(&self, path: &str) -> (u16, Value);
}

impl Anonymous for crate::support::server::Server {
    fn json_anonymous(&self, path: &str) -> (u16, Value) {
        let (status, body) = crate::support::server::curl(&[&self.url(path)]);
        let value = serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
        (status, value)
    }
}
