//! Who may use /dav/ (SPEC §11): OPTIONS without credentials, Basic with the password or
//! an app password, Bearer, throttling, and the verified-credential cache ending at once.

use serde_json::json;

use crate::client::{basic, send, Body};
use crate::{serve, User, PASSWORD};

/// PROPFIND Depth 0 of the root with this `Authorization`.
fn root(addr: &str, auth: &str) -> crate::client::Reply {
    send(
        addr,
        "PROPFIND",
        "/dav/",
        &[("Depth", "0"), ("Authorization", auth)],
        Body::None,
    )
}

#[test]
fn options_answers_without_credentials_with_the_dav_classes() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "opt");
    let reply = send(&user.addr(), "OPTIONS", "/dav/", &[], Body::None);
    reply.assert_status(200);
    assert_eq!(reply.header("dav"), Some("1, 2"));
    assert_eq!(reply.header("ms-author-via"), Some("DAV"));
    let allow = reply.header("allow").unwrap();
    for method in [
        "PROPFIND",
        "PROPPATCH",
        "MKCOL",
        "COPY",
        "MOVE",
        "LOCK",
        "UNLOCK",
        "PUT",
    ] {
        assert!(allow.contains(method), "{allow}");
    }
}

#[test]
fn no_or_wrong_credentials_are_401_with_a_basic_challenge() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "anon");
    let addr = user.addr();
    let challenge = Some("Basic realm=\"Hoard\", charset=\"UTF-8\"");
    let none = send(&addr, "PROPFIND", "/dav/", &[("Depth", "0")], Body::None);
    none.assert_error(401, "unauthorized");
    assert_eq!(none.header("www-authenticate"), challenge);
    for auth in [
        basic(&user.name, "wrong password"),
        basic("nobody-at-all", PASSWORD),
        "Basic !!!not-base64".to_owned(),
        "Digest username=x".to_owned(),
        "Bearer not-a-token".to_owned(),
    ] {
        let reply = root(&addr, &auth);
        assert_eq!(reply.status, 401, "{auth}: {}", reply.text());
        assert_eq!(reply.header("www-authenticate"), challenge, "{auth}");
    }
}

#[test]
fn the_password_an_app_password_an_email_and_bearer_tokens_all_sign_in() {
    let (_dir, server) = serve("");
    let user = User::new(&server, "creds");
    let addr = user.addr();
    let (_, app_password) = user.app_password("laptop");
    let email = format!("{}@example.com", user.name);
    for auth in [
        basic(&user.name, PASSWORD),
        basic(&email.to_uppercase(), PASSWORD),
        basic(&user.name, &app_password),
        format!("Bearer {}", user.access),
        format!("Bearer {app_password}"),
    ] {
        let reply = root(&addr, &auth);
        assert_eq!(reply.status, 207, "{auth}: {}", reply.text());
    }
    // An app password only opens its owner's account.
    let other = User::new(&server, "creds-other");
    let wrong = basic(&other.name, &app_password);
    let reply = root(&addr, &wrong);
    reply.assert_status(401);
}

#[test]
fn with_password_login_off_only_app_passwords_work() {
    let (_dir, server) = serve("[webdav]\npassword_login = false");
    let user = User::new(&server, "nopw");
    let (_, app_password) = user.app_password("phone");
    let addr = user.addr();
    let pw = basic(&user.name, PASSWORD);
    root(&addr, &pw).assert_error(401, "invalid_credentials");
    let app = basic(&user.name, &app_password);
    root(&addr, &app).assert_status(207);
}

#[test]
fn failures_are_throttled_like_login() {
    let (_dir, server) = serve("login_failures_per_account = 3");
    let user = User::new(&server, "thr");
    let addr = user.addr();
    let wrong = basic(&user.name, "not the password");
    for _ in 0..3 {
        root(&addr, &wrong).assert_status(401);
    }
    let right = basic(&user.name, PASSWORD);
    let limited = root(&addr, &right);
    limited.assert_error(429, "rate_limited");
    assert!(
        limited
            .header("retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
}

#[test]
fn password_change_revocation_and_deactivation_end_access_at_once() {
    let (_dir, server) = serve("");
    let admin = User::new(&server, "root");
    let user = User::new(&server, "ends");
    let addr = user.addr();
    let (token_id, app_password) = user.app_password("tablet");
    let (_, me) = user.api("GET", "/api/v1/users/me", None);
    let id = me["id"].as_i64().unwrap();
    let app = basic(&user.name, &app_password);
    let pw = basic(&user.name, PASSWORD);
    // Verified once, then remembered: the same answer again.
    for _ in 0..2 {
        root(&addr, &pw).assert_status(207);
        root(&addr, &app).assert_status(207);
    }
    let (status, _) = user.api("DELETE", &format!("/api/v1/auth/tokens/{token_id}"), None);
    assert_eq!(status, 204);
    root(&addr, &app).assert_status(401);

    let new_password = "A-brand-new-passphrase-77";
    let change = json!({"old_password": PASSWORD, "new_password": new_password});
    let (status, body) = user.api("POST", "/api/v1/auth/change-password", Some(change));
    assert_eq!(status, 200, "{body}");
    root(&addr, &pw).assert_status(401);
    let fresh = basic(&user.name, new_password);
    root(&addr, &fresh).assert_status(207);

    let (status, body) = admin.api("POST", &format!("/api/v1/users/{id}/deactivate"), None);
    assert_eq!(status, 200, "{body}");
    let after = root(&addr, &fresh);
    assert!(matches!(after.status, 401 | 403), "{}", after.text());
}
