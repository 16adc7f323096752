//! Tests: hostile and malformed bearer tokens, and the claims of real ones (SPEC §4: HS256
//! only, `iss` = hoard, typed access/refresh tokens, 60 min / 7 day lifetimes).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use poem::http::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const ME: &str = "/api/v1/users/me";

fn decode_segment(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("json")
}

fn encode_segment(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("json"))
}

fn header_of(token: &str) -> Value {
    decode_segment(token.split('.').next().expect("header"))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Signs `claims` with `alg` and `secret` the way a well-behaved issuer would.
fn sign(alg: Algorithm, secret: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret))
        .expect("sign")
}

/// The claims of a live access token, with a fresh `jti`, ready to be altered.
fn live_claims(token: &str) -> Value {
    let mut claims = claims_of(token);
    claims["jti"] = json!(format!("forged-{}", now()));
    claims
}

async fn me_with(app: &TestApp, token: &str) -> Reply {
    app.get(ME, Some(token)).await
}

async fn me_with_header(app: &TestApp, headers: &[(&str, &str)]) -> Reply {
    app.send_raw(Method::GET, ME, headers, Vec::new()).await
}

#[tokio::test]
async fn a_token_minted_with_the_instance_secret_is_accepted_as_a_control() {
    // Proves the minting below is right, so each rejection is for the one thing changed.
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let token = sign(
        Algorithm::HS256,
        &app.jwt_secret(),
        &live_claims(&alice.access),
    );
    let me = me_with(&app, &token).await;
    me.assert_status(200);
    assert_eq!(me.json()["id"], alice.id);
}

#[tokio::test]
async fn an_unsigned_alg_none_token_is_rejected() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let payload = encode_segment(&live_claims(&alice.access));
    for alg in ["none", "None", "NONE"] {
        let header = encode_segment(&json!({"alg": alg, "typ": "JWT"}));
        me_with(&app, &format!("{header}.{payload}."))
            .await
            .assert_error(401, "invalid_token");
    }
}

#[tokio::test]
async fn tokens_signed_with_hs384_or_hs512_are_rejected() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let claims = live_claims(&alice.access);
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = sign(alg, &app.jwt_secret(), &claims);
        assert_eq!(header_of(&token)["alg"], format!("{alg:?}"));
        me_with(&app, &token)
            .await
            .assert_error(401, "invalid_token");
    }
}

#[tokio::test]
async fn a_tampered_payload_is_rejected() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let mut claims = claims_of(&alice.access);
    claims["sub"] = json!(admin.id.to_string());
    let parts: Vec<&str> = alice.access.split('.').collect();
    let forged = format!("{}.{}.{}", parts[0], encode_segment(&claims), parts[2]);
    me_with(&app, &forged)
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test]
async fn a_flipped_signature_character_is_rejected() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let (signed, signature) = alice.access.rsplit_once('.').expect("three segments");
    let mut chars: Vec<char> = signature.chars().collect();
    chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
    let forged = format!("{signed}.{}", chars.into_iter().collect::<String>());
    me_with(&app, &forged)
        .await
        .assert_error(401, "invalid_token");
    me_with(&app, &alice.access).await.assert_status(200);
}

#[tokio::test]
async fn an_expired_token_of_a_live_session_is_token_expired() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let mut claims = live_claims(&alice.access);
    claims["iat"] = json!(now() - 7200);
    claims["exp"] = json!(now() - 3600);
    let token = sign(Algorithm::HS256, &app.jwt_secret(), &claims);
    me_with(&app, &token)
        .await
        .assert_error(401, "token_expired");
}

#[tokio::test]
async fn a_refresh_token_is_not_an_access_token() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    me_with(&app, &alice.refresh)
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test]
async fn an_access_token_is_not_a_refresh_token() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    refresh(&app, &alice.access)
        .await
        .assert_error(401, "invalid_token");
    // The refused attempt does not count as reuse: the session lives on.
    me_with(&app, &alice.access).await.assert_status(200);
    refresh(&app, &alice.refresh).await.assert_status(200);
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_rejected() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let other = b"another-instance-secret-0123456789abcdef";
    let token = sign(Algorithm::HS256, other, &live_claims(&alice.access));
    me_with(&app, &token)
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test]
async fn a_token_with_a_wrong_or_missing_issuer_is_rejected() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let secret = app.jwt_secret();
    let mut wrong = live_claims(&alice.access);
    wrong["iss"] = json!("evil");
    me_with(&app, &sign(Algorithm::HS256, &secret, &wrong))
        .await
        .assert_error(401, "invalid_token");
    let mut missing = live_claims(&alice.access);
    missing.as_object_mut().expect("object").remove("iss");
    me_with(&app, &sign(Algorithm::HS256, &secret, &missing))
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test]
async fn a_correctly_signed_token_for_another_users_session_is_refused() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let mut claims = live_claims(&alice.access);
    claims["sub"] = json!(admin.id.to_string());
    me_with(&app, &sign(Algorithm::HS256, &app.jwt_secret(), &claims))
        .await
        .assert_error(401, "token_revoked");
}

#[tokio::test]
async fn garbage_bearer_values_are_rejected() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let four_segments = format!("{}.{}", alice.access, "extra");
    for token in [
        "abc",
        "a.b.c",
        "...",
        "hoard_pat_nope",
        four_segments.as_str(),
    ] {
        me_with(&app, token)
            .await
            .assert_error(401, "invalid_token");
    }
}

#[tokio::test]
async fn a_request_without_authorization_is_unauthorized() {
    let app = TestApp::new();
    app.register("alice").await;
    me_with_header(&app, &[])
        .await
        .assert_error(401, "unauthorized");
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let value = format!("{scheme} {}", alice.access);
        me_with_header(&app, &[("authorization", &value)])
            .await
            .assert_status(200);
    }
    let basic = format!("Basic {}", alice.access);
    me_with_header(&app, &[("authorization", &basic)])
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test]
async fn two_authorization_headers_are_rejected() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let (a, b) = (
        format!("Bearer {}", alice.access),
        format!("Bearer {}", bob.access),
    );
    for headers in [
        [("authorization", &a), ("authorization", &b)],
        [("authorization", &a), ("authorization", &a)],
    ] {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        me_with_header(&app, &headers)
            .await
            .assert_error(401, "unauthorized");
    }
}

#[tokio::test]
async fn access_token_claims_follow_the_contract() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let header = header_of(&alice.access);
    assert_eq!(
        (header["alg"].as_str(), header["typ"].as_str()),
        (Some("HS256"), Some("JWT"))
    );
    let claims = claims_of(&alice.access);
    assert_eq!(claims["typ"], "access");
    assert_eq!(claims["iss"], "hoard");
    assert_eq!(claims["sub"], alice.id.to_string());
    let (iat, exp) = (
        claims["iat"].as_i64().expect("iat"),
        claims["exp"].as_i64().expect("exp"),
    );
    assert_eq!(exp - iat, 3600);
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let sessions = app
        .get("/api/v1/auth/sessions", Some(&alice.access))
        .await
        .json();
    assert_eq!(sessions["items"][0]["id"], claims["sid"]);
    assert_eq!(sessions["items"][0]["current"], true);
}

#[tokio::test]
async fn refresh_token_claims_follow_the_contract() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let claims = claims_of(&alice.refresh);
    let access = claims_of(&alice.access);
    assert_eq!(header_of(&alice.refresh)["alg"], "HS256");
    assert_eq!(claims["typ"], "refresh");
    assert_eq!(claims["iss"], "hoard");
    assert_eq!(claims["sub"], alice.id.to_string());
    let (iat, exp) = (
        claims["iat"].as_i64().expect("iat"),
        claims["exp"].as_i64().expect("exp"),
    );
    assert_eq!(exp - iat, 604800);
    assert_eq!(claims["sid"], access["sid"]);
    assert_ne!(claims["jti"], access["jti"]);
}
