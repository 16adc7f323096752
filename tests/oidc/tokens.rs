//! What the callback refuses: a spoiled ID token (signature, `aud`, `exp`, `nonce`), a bad
//! or foreign `state`, a replayed callback; and the key rotation it follows.

use serde_json::json;

use crate::browser::{query_param, Browser};
use crate::{assert_refused, assert_signed_in, World};

fn claims(sub: &str) -> serde_json::Value {
    json!({"sub": sub, "email": format!("{sub}@example.com"), "email_verified": true})
}

/// Only boss, and no link: the refusals created nothing.
fn assert_nothing_created(world: &World) {
    let users = world.users();
    assert_eq!(users.len(), 1, "{users:?}");
    assert!(world.links().is_empty());
}

#[test]
fn a_spoiled_id_token_is_refused_and_creates_nothing() {
    let world = World::start();
    let spoilers = [
        (
            "bad signature",
            json!({"claims": claims("t1"), "tamper": true}),
        ),
        (
            "wrong audience",
            json!({"claims": {"sub": "t2", "aud": "someone-else",
            "email": "t2@example.com", "email_verified": true}}),
        ),
        ("expired", json!({"claims": claims("t3"), "expired": true})),
        (
            "wrong nonce",
            json!({"claims": {"sub": "t4", "nonce": "not-the-one-sent",
            "email": "t4@example.com", "email_verified": true}}),
        ),
        (
            "wrong issuer",
            json!({"claims": {"sub": "t5", "iss": "http://127.0.0.1:9",
            "email": "t5@example.com", "email_verified": true}}),
        ),
    ];
    // Each refused for its own reason, as the log says it.
    for (reason, spoiler) in spoilers {
        let browser = Browser::open();
        world.provider.next(spoiler);
        let hop = world.sign_in_as_is(&browser, "mock", "/");
        assert_refused(&hop);
        assert!(browser.cookie("hoard_access").is_none(), "{reason}");
        let log = world.hoard.log_text();
        let last = log.lines().rfind(|l| l.contains("single sign-on failed"));
        assert!(
            last.is_some_and(|l| l.contains(reason)),
            "{reason}: {last:?}"
        );
    }
    assert_nothing_created(&world);
}

#[test]
fn a_callback_without_this_browsers_state_is_refused() {
    let world = World::start();
    world.provider.next(json!({"claims": claims("s1")}));
    let browser = Browser::open();
    let (_, authorize) = world.to_provider(&browser, "mock", "/");
    let callback = &authorize.location;
    let state = query_param(callback, "state").unwrap();
    // Another state than the cookie's.
    let forged = callback.replace(&format!("state={state}"), "state=forged-state-value");
    assert_refused(&browser.get(&forged, &[]));
    // No state at all.
    let stateless = callback.replace(&format!("state={state}"), "");
    assert_refused(&Browser::open().get(&stateless, &[]));
    // The right state from another browser (no cookie): the login-CSRF case.
    assert_refused(&Browser::open().get(callback, &[]));
    // The right state, but the cookie of another sign-in.
    let other = Browser::open();
    world.to_provider(&other, "mock", "/");
    let cookie = format!("hoard_oidc={}", other.cookie("hoard_oidc").unwrap());
    assert_refused(&Browser::open().get(callback, &["-b", &cookie]));
    assert_nothing_created(&world);
}

#[test]
fn a_replayed_callback_is_refused() {
    let world = World::start();
    world.provider.next(json!({"claims": claims("r1")}));
    let browser = Browser::open();
    let (_, authorize) = world.to_provider(&browser, "mock", "/");
    let state = browser.cookie("hoard_oidc").unwrap();
    let first = browser.get(&authorize.location, &[]);
    let me = assert_signed_in(&world, &browser, &first, "/");
    // The same code and state again, with the state cookie as it was.
    let replay = Browser::open();
    let cookie = format!("hoard_oidc={state}");
    assert_refused(&replay.get(&authorize.location, &["-b", &cookie]));
    assert!(replay.cookie("hoard_access").is_none());
    assert_eq!(world.users().len(), 2, "boss and {}", me["username"]);
}

#[test]
fn a_rotated_signing_key_is_fetched_and_trusted() {
    let world = World::start();
    let me = world.signed_in(claims("k1"));
    world.provider.rotate_key();
    assert_eq!(world.signed_in(claims("k1"))["id"], me["id"]);
    // Info lines reach the log in batches (at least every 50 ms).
    let logged = (0..40).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        world
            .hoard
            .log_text()
            .contains("OIDC signing keys refreshed")
    });
    assert!(logged, "the key refresh is logged");
    // The new key is no blank cheque: a tampered token is still refused.
    let browser = Browser::open();
    world
        .provider
        .next(json!({"claims": claims("k1"), "tamper": true}));
    assert_refused(&world.sign_in_as_is(&browser, "mock", "/"));
}
