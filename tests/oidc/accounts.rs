//! The first-sign-in rules (auto-create, link by verified email, refusals), the admin
//! group, deactivated accounts, and the first password of an account made by sign-on.

use serde_json::json;

use crate::browser::Browser;
use crate::support::server::curl;
use crate::{assert_refused, assert_signed_in, World, PASSWORD};

#[test]
fn auto_create_makes_a_valid_unique_username_and_a_second_sign_in_finds_the_link() {
    let world = World::start();
    world.hoard.register("grace", PASSWORD);
    let claims = json!({"sub": "g-1", "email": "grace@navy.example", "email_verified": true,
                        "preferred_username": "grace"});
    let me = world.signed_in(claims);
    assert_eq!(me["username"], "grace-2", "grace is taken");
    // The same identity, whatever its email and name say now, is the same account.
    let later = json!({"sub": "g-1", "email": "other@navy.example", "email_verified": false,
                       "preferred_username": "someone"});
    let again = world.signed_in(later);
    assert_eq!(again["id"], me["id"]);
    assert_eq!(world.links().len(), 1);
    // A name that is no username is made one.
    let odd = json!({"sub": "g-2", "email": "x@navy.example", "email_verified": true,
                     "preferred_username": "Zoë Ünïcode Q"});
    let odd = world.signed_in(odd);
    assert_eq!(odd["username"], "Zo_ncode_Q");
}

#[test]
fn link_by_email_signs_in_the_account_with_that_verified_email() {
    let world = World::start();
    let carol = world.hoard.register("carol", PASSWORD);
    let claims = json!({"sub": "carol-at-idp", "email": "Carol@Example.com",
                        "email_verified": true, "preferred_username": "carol.idp"});
    let me = world.signed_in(claims);
    assert_eq!(me["id"], carol["user"]["id"]);
    assert_eq!(me["username"], "carol");
    assert_eq!(me["has_password"], true);
    assert_eq!(world.users().len(), 2, "boss and carol, nobody new");
    let links = world.links();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].2, carol["user"]["id"].as_i64().unwrap());
}

#[test]
fn a_first_sign_in_is_refused_and_creates_nothing_when_the_rules_say_no() {
    let world = World::start();
    world.hoard.register("dave", PASSWORD);
    let cases = [
        // An unverified email neither links nor creates.
        (
            "mock",
            json!({"sub": "u-1", "email": "dave@example.com", "email_verified": false}),
        ),
        (
            "mock",
            json!({"sub": "u-2", "email": "new@example.com", "email_verified": false}),
        ),
        ("mock", json!({"sub": "u-3", "email": "new@example.com"})),
        ("mock", json!({"sub": "u-4"})),
        // No auto_create, no link_by_email.
        (
            "strict",
            json!({"sub": "u-5", "email": "new@example.com", "email_verified": true}),
        ),
        (
            "strict",
            json!({"sub": "u-6", "email": "dave@example.com", "email_verified": true}),
        ),
        // A domain not allowed, or an allowed one unverified.
        (
            "corp",
            json!({"sub": "u-7", "email": "eve@evil.example", "email_verified": true}),
        ),
        (
            "corp",
            json!({"sub": "u-8", "email": "eve@corp.example", "email_verified": false}),
        ),
        (
            "corp",
            json!({"sub": "u-9", "email": "eve@sub.corp.example", "email_verified": true}),
        ),
    ];
    for (provider, claims) in cases {
        let browser = Browser::open();
        let hop = world.sign_in(&browser, provider, claims.clone());
        assert_refused(&hop);
        let me = browser.get(&world.hoard.url("/api/v1/users/me"), &[]);
        assert_eq!(me.status, 401, "{provider} {claims}");
    }
    assert_eq!(world.users().len(), 2, "boss and dave only");
    assert!(world.links().is_empty());
    // The allowed domain, verified, is let in.
    let browser = Browser::open();
    let claims = json!({"sub": "u-10", "email": "eve@corp.example", "email_verified": true});
    let me = assert_signed_in(
        &world,
        &browser,
        &world.sign_in(&browser, "corp", claims),
        "/",
    );
    assert_eq!(me["username"], "eve");
}

#[test]
fn the_admin_group_promotes_and_its_absence_demotes_except_the_last_admin() {
    let world = World::start();
    let claims = |groups: serde_json::Value| {
        json!({"sub": "fay-1", "email": "fay@example.com", "email_verified": true,
               "preferred_username": "fay", "groups": groups})
    };
    let role = |groups| world.signed_in(claims(groups))["role"].clone();
    assert_eq!(role(json!(["staff", "hoard-admins"])), "admin");
    assert_eq!(role(json!(["staff"])), "user");
    // Fay becomes the only admin: leaving the group then does not demote her.
    let browser = Browser::open();
    let fay = world.signed_in_with(&browser, claims(json!("hoard-admins")));
    assert_eq!(fay["role"], "admin");
    let boss = world.user("boss").unwrap();
    let path = format!("/api/v1/users/{}", boss["id"]);
    let fay_auth = format!(
        "Authorization: Bearer {}",
        browser.cookie("hoard_access").unwrap()
    );
    let json_type = "Content-Type: application/json";
    let body = r#"{"role": "user"}"#;
    let url = world.hoard.url(&path);
    let (status, reply) = curl(&[
        "-X", "PATCH", "-H", &fay_auth, "-H", json_type, "-d", body, &url,
    ]);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&reply));
    assert_eq!(role(json!([])), "admin", "the last admin stays one");
}

#[test]
fn a_deactivated_account_is_refused() {
    let world = World::start();
    let claims = json!({"sub": "gus-1", "email": "gus@example.com", "email_verified": true,
                        "preferred_username": "gus"});
    let gus = world.signed_in(claims.clone());
    let path = format!("/api/v1/users/{}/deactivate", gus["id"]);
    let (status, _) = world.hoard.json(&path, &["-X", "POST"]);
    assert_eq!(status, 200);
    let browser = Browser::open();
    assert_refused(&world.sign_in(&browser, "mock", claims));
}

#[test]
fn an_account_made_by_sign_on_sets_its_first_password_without_an_old_one() {
    let world = World::start();
    let claims = json!({"sub": "h-1", "email": "hal@example.com", "email_verified": true,
                        "preferred_username": "hal"});
    let browser = Browser::open();
    world.signed_in_with(&browser, claims);
    let token = browser.cookie("hoard_access").unwrap();
    let login = |password: &str| {
        let body = json!({"username": "hal", "password": password}).to_string();
        let url = world.hoard.url("/api/v1/auth/login");
        let (status, reply) = curl(&["-H", "Content-Type: application/json", "-d", &body, &url]);
        let reply: serde_json::Value = serde_json::from_slice(&reply).unwrap();
        (
            status,
            reply["tokens"]["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    assert_eq!(login("anything-at-all-42").0, 401, "no password opens it");
    let change = |token: &str, body: serde_json::Value| {
        let auth = format!("Authorization: Bearer {token}");
        let url = world.hoard.url("/api/v1/auth/change-password");
        let json_type = "Content-Type: application/json";
        curl(&["-H", &auth, "-H", json_type, "-d", &body.to_string(), &url]).0
    };
    let first = json!({"new_password": PASSWORD});
    assert_eq!(
        change(
            &token,
            json!({"old_password": "guess", "new_password": PASSWORD})
        ),
        401
    );
    assert_eq!(change(&token, first.clone()), 200);
    let (status, token) = login(PASSWORD);
    assert_eq!(status, 200);
    assert_eq!(world.user("hal").unwrap()["has_password"], true);
    // Now that it has one, the old password is required.
    assert_eq!(change(&token, first), 401);
    let empty = json!({"old_password": "", "new_password": PASSWORD});
    assert_eq!(change(&token, empty), 401);
}
