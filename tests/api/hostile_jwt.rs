//! Hostile input: bearer JWTs (SPEC §4: HS256 only, typed, `iss` = hoard). Each case is one
//! forged or mangled credential; every one must get its exact 401 code and change nothing.

use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use poem::http::Method;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::hostile_helpers::*;

const ME: &str = "/api/v1/users/me";

fn seg(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("json"))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn sign_with(header: Header, secret: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).expect("sign")
}

/// `header.payload.signature` from raw parts.
fn assemble(header: &Value, claims: &Value, signature: &str) -> String {
    format!("{}.{}.{signature}", seg(header), seg(claims))
}

/// Signs an arbitrary payload text with HS256 and the given secret, as an attacker who
/// knows the secret could (used for payloads serde would not produce).
fn sign_text(secret: &[u8], header: &Value, payload: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let signing_input = format!("{}.{}", seg(header), URL_SAFE_NO_PAD.encode(payload));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret).expect("key");
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

/// Every forged, tampered or mangled `Authorization` value, with the code it must get.
fn authorization_cases(
    app: &TestApp,
    alice: &Session,
    admin: &Session,
) -> Vec<(String, String, &'static str)> {
    let secret = app.jwt_secret();
    let live = claims_of(&alice.access);
    let hs = json!({"alg": "HS256", "typ": "JWT"});
    let mut cases: Vec<(String, String, &'static str)> = Vec::new();
    let mut add = |label: &str, token: String, code: &'static str| {
        cases.push((label.to_owned(), format!("Bearer {token}"), code));
    };
    for alg in ["none", "None", "NONE", "nOnE"] {
        let token = assemble(&json!({"alg": alg, "typ": "JWT"}), &live, "");
        add(
            &format!("alg {alg}, empty signature"),
            token,
            "invalid_token",
        );
    }
    let parts: Vec<&str> = alice.access.split('.').collect();
    let real_sig = parts[2];
    for alg in [
        "HS384", "HS512", "RS256", "ES256", "PS256", "EdDSA", "hs256",
    ] {
        let token = assemble(&json!({"alg": alg, "typ": "JWT"}), &live, real_sig);
        add(
            &format!("alg {alg} with the real HS256 signature"),
            token,
            "invalid_token",
        );
    }
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = sign_with(Header::new(alg), &secret, &live);
        add(
            &format!("{alg:?} signed with the instance secret"),
            token,
            "invalid_token",
        );
    }
    let zeros = URL_SAFE_NO_PAD.encode([0u8; 64]);
    let token = assemble(&json!({"alg": "ES256"}), &live, &zeros);
    add(
        "ES256 with an all-zero signature (CVE-2022-21449)",
        token,
        "invalid_token",
    );
    let attacker = b"attacker-chosen-key-0123456789abcdef";
    let mut jku = Header::new(Algorithm::HS256);
    jku.jku = Some("https://evil.example/jwks.json".into());
    add(
        "jku to an attacker key set",
        sign_with(jku, attacker, &live),
        "invalid_token",
    );
    let mut kid = Header::new(Algorithm::HS256);
    kid.kid = Some("../../../../dev/null".into());
    add(
        "kid path traversal signed with an empty key",
        sign_with(kid, b"", &live),
        "invalid_token",
    );
    add(
        "signed with another instance's secret",
        sign_with(Header::new(Algorithm::HS256), attacker, &live),
        "invalid_token",
    );
    add(
        "signature removed (h.p.)",
        format!("{}.{}.", parts[0], parts[1]),
        "invalid_token",
    );
    add(
        "signature segment missing (h.p)",
        format!("{}.{}", parts[0], parts[1]),
        "invalid_token",
    );
    add(
        "signature truncated",
        format!("{}.{}.{}", parts[0], parts[1], &real_sig[..20]),
        "invalid_token",
    );
    let mut flipped: Vec<char> = real_sig.chars().collect();
    flipped[5] = if flipped[5] == 'x' { 'y' } else { 'x' };
    let flipped: String = flipped.into_iter().collect();
    add(
        "one signature character flipped",
        format!("{}.{}.{flipped}", parts[0], parts[1]),
        "invalid_token",
    );
    add(
        "four segments",
        format!("{}.extra", alice.access),
        "invalid_token",
    );
    let padded = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        URL_SAFE.encode(URL_SAFE_NO_PAD.decode(real_sig).expect("sig"))
    );
    add("padded base64 signature", padded, "invalid_token");
    let std_b64 = format!(
        "{}.{}.{}",
        parts[0],
        STANDARD.encode(URL_SAFE_NO_PAD.decode(parts[1]).expect("p")),
        real_sig
    );
    add("standard (+/) base64 payload", std_b64, "invalid_token");
    let edited = |key: &str, value: Value| {
        let mut claims = live.clone();
        claims[key] = value;
        claims
    };
    for (what, key, value) in [
        (
            "sub changed to the admin",
            "sub",
            json!(admin.id.to_string()),
        ),
        ("gains role admin", "role", json!("admin")),
        ("exp extended a year", "exp", json!(now() + 86_400 * 365)),
        ("typ changed to refresh", "typ", json!("refresh")),
    ] {
        let token = assemble(&hs, &edited(key, value), real_sig);
        add(
            &format!("payload {what}, old signature"),
            token,
            "invalid_token",
        );
    }
    add(
        "a refresh token as the bearer",
        alice.refresh.clone(),
        "invalid_token",
    );
    let sign = |claims: &Value| sign_with(Header::new(Algorithm::HS256), &secret, claims);
    let mut expired = live.clone();
    (expired["iat"], expired["exp"]) = (json!(now() - 7200), json!(now() - 120));
    add("expired two minutes ago", sign(&expired), "token_expired");
    let mut no_exp = live.clone();
    no_exp.as_object_mut().expect("object").remove("exp");
    add("exp missing", sign(&no_exp), "invalid_token");
    for (what, key, value) in [
        ("wrong issuer", "iss", json!("not-hoard")),
        ("non-numeric sub", "sub", json!("1 OR 1=1")),
        ("unknown typ", "typ", json!("admin")),
    ] {
        add(
            &format!("{what}, signed"),
            sign(&edited(key, value)),
            "invalid_token",
        );
    }
    let duplicate = format!(
        r#"{{"sub":"{}","sub":"{}","jti":"dup","iat":{},"exp":{},"typ":"access","iss":"hoard","sid":{}}}"#,
        alice.id, admin.id, live["iat"], live["exp"], live["sid"]
    );
    add(
        "duplicate sub keys",
        sign_text(&secret, &hs, duplicate.as_bytes()),
        "invalid_token",
    );
    add(
        "payload not UTF-8",
        sign_text(&secret, &hs, b"{\"sub\":\"\xff\xfe\"}"),
        "invalid_token",
    );
    add(
        "payload not JSON",
        sign_text(&secret, &hs, b"not json"),
        "invalid_token",
    );
    add("junk: a.b.c", "a.b.c".into(), "invalid_token");
    add("junk: dots only", "...".into(), "invalid_token");
    add("junk: SQL", "' OR '1'='1".into(), "invalid_token");
    add(
        "junk: header of 2000 base64 characters",
        "A".repeat(2000),
        "invalid_token",
    );
    cases.push((
        "Basic scheme".into(),
        format!("Basic {}", alice.access),
        "invalid_token",
    ));
    cases.push((
        "Bearer with no token".into(),
        "Bearer ".into(),
        "invalid_token",
    ));
    cases.push((
        "token without a scheme".into(),
        alice.access.clone(),
        "invalid_token",
    ));
    cases.push((
        "Bearer of 64 KiB".into(),
        format!("Bearer {}", "x".repeat(64 * 1024)),
        "invalid_token",
    ));
    cases
}

#[tokio::test]
async fn every_forged_or_mangled_bearer_is_refused_with_its_exact_code_and_changes_nothing() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let cases = authorization_cases(&app, &alice, &admin);
    assert!(cases.len() >= 40, "{}", cases.len());
    for (label, value, code) in cases {
        let headers = [("authorization", value.as_str())];
        let request = app.send_raw(Method::GET, ME, &headers, Vec::new());
        refused(&app.data_dir(), &label, 401, code, request).await;
    }
    // The genuine tokens still work: no forgery revoked or changed anything.
    me(&app, &alice.access).await.assert_status(200);
    me(&app, &admin.access).await.assert_status(200);
}

#[tokio::test]
async fn forged_refresh_tokens_are_refused_and_do_not_count_as_reuse() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let secret = app.jwt_secret();
    let live = claims_of(&alice.refresh);
    let sign = |claims: &Value, key: &[u8]| sign_with(Header::new(Algorithm::HS256), key, claims);
    let mut expired = live.clone();
    (expired["iat"], expired["exp"]) = (json!(now() - 700_000), json!(now() - 120));
    let mut other_user = live.clone();
    other_user["sub"] = json!(admin.id.to_string());
    let parts: Vec<&str> = alice.refresh.split('.').collect();
    let none = assemble(&json!({"alg": "none"}), &live, "");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "an access token at /auth/refresh",
            alice.access.clone(),
            "invalid_token",
        ),
        ("refresh with alg none", none, "invalid_token"),
        (
            "refresh signed with another secret",
            sign(&live, b"another-secret-0123456789abcdefgh"),
            "invalid_token",
        ),
        (
            "refresh payload tampered",
            format!("{}.{}.{}", parts[0], seg(&other_user), parts[2]),
            "invalid_token",
        ),
        ("refresh expired", sign(&expired, &secret), "token_expired"),
        (
            "a personal API token at /auth/refresh",
            "hoard_pat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
            "invalid_token",
        ),
        ("refresh of 64 KiB", "y".repeat(64 * 1024), "invalid_token"),
    ];
    for (label, token, code) in cases {
        let request = refresh(&app, &token);
        refused(&app.data_dir(), label, 401, code, request).await;
    }
    // None of them was taken for a reuse of Alice's family.
    refresh(&app, &alice.refresh).await.assert_status(200);
}
