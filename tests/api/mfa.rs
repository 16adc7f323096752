//! Tests: two-step sign-in (SPEC §12) — setup, enable, the two-step login, replays,
//! recovery codes, disable, the admin's reset. Codes come from `oathtool`.

use serde_json::json;

use crate::helpers::{session_from, TestApp, PASSWORD};
use crate::mfa_helpers::{enable_totp, first_step, mfa_status, oathtool, second_step};

#[test]
fn oathtool_agrees_with_rfc_6238() {
    // RFC 6238 appendix B, SHA-1, the secret "12345678901234567890" in base32.
    let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    assert_eq!(oathtool(secret, 59), "287082");
    assert_eq!(oathtool(secret, 1_111_111_109), "081804");
    assert_eq!(oathtool(secret, 2_000_000_000), "279037");
}

#[tokio::test]
async fn setup_shows_the_secret_once_and_stores_it_sealed() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    assert_eq!(
        mfa_status(&app, &alice).await,
        json!({"totp_enabled": false, "recovery_codes_left": 0})
    );
    let path = "/api/v1/auth/mfa/totp/setup";
    let wrong = app
        .post(
            path,
            Some(&alice.access),
            json!({"password": "not the password"}),
        )
        .await;
    wrong.assert_error(401, "invalid_credentials");
    let setup = app
        .post(path, Some(&alice.access), json!({"password": PASSWORD}))
        .await;
    setup.assert_status(200);
    let body = setup.json();
    let secret = body["secret"].as_str().unwrap();
    assert_eq!(secret.len(), 32, "160 bits in base32");
    assert!(secret
        .bytes()
        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
    let url = body["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/Hoard:alice?"), "{url}");
    assert!(
        url.contains(&format!("secret={secret}")) && url.contains("issuer=Hoard"),
        "{url}"
    );
    let svg = body["qr_svg"].as_str().unwrap();
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.contains("<path d=\"M")
    );
    assert!(!svg.contains("<script"));
    // Sealed at rest: neither the base32 text nor anything readable of it is stored.
    let stored: Vec<u8> = app
        .db()
        .query_row(
            "SELECT secret FROM user_totp WHERE user_id = ?1",
            [alice.id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(stored.len() > 20 + 24);
    assert!(!String::from_utf8_lossy(&stored).contains(secret));
    // Not on yet: the password alone still signs in.
    assert_eq!(mfa_status(&app, &alice).await["totp_enabled"], json!(false));
    let login = app.login("alice", PASSWORD).await;
    login.assert_status(200);
    assert!(login.json()["tokens"]["access_token"].is_string());
}

#[tokio::test]
async fn enable_needs_a_right_code_and_returns_ten_hashed_recovery_codes() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let enable = "/api/v1/auth/mfa/totp/enable";
    let early = app
        .post(enable, Some(&alice.access), json!({"code": "123456"}))
        .await;
    early.assert_error(422, "validation_failed");
    let setup = app
        .post(
            "/api/v1/auth/mfa/totp/setup",
            Some(&alice.access),
            json!({"password": PASSWORD}),
        )
        .await;
    let secret = setup.json()["secret"].as_str().unwrap().to_owned();
    let right = oathtool(&secret, chrono_now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let refused = app
        .post(enable, Some(&alice.access), json!({"code": wrong}))
        .await;
    refused.assert_error(422, "invalid_code");
    assert_eq!(mfa_status(&app, &alice).await["totp_enabled"], json!(false));

    let (_, codes, _) = enable_totp(&app, &alice).await;
    assert_eq!(codes.len(), 10);
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10);
    for code in &codes {
        assert_eq!(code.len(), 14, "{code}");
        assert_eq!(code.matches('-').count(), 2, "{code}");
    }
    assert_eq!(
        mfa_status(&app, &alice).await,
        json!({"totp_enabled": true, "recovery_codes_left": 10})
    );
    let me = app.get("/api/v1/users/me", Some(&alice.access)).await;
    assert_eq!(me.json()["totp_enabled"], json!(true));
    let hashes: Vec<String> = app
        .db()
        .prepare("SELECT hash FROM recovery_codes WHERE user_id = ?1")
        .unwrap()
        .query_map([alice.id], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(hashes.len(), 10);
    assert!(hashes.iter().all(|h| h.starts_with("$argon2id$")));
    // A second setup while on is refused, and changes nothing.
    let again = app
        .post(
            "/api/v1/auth/mfa/totp/setup",
            Some(&alice.access),
            json!({"password": PASSWORD}),
        )
        .await;
    again.assert_error(422, "validation_failed");
    assert_eq!(mfa_status(&app, &alice).await["totp_enabled"], json!(true));
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn login_takes_two_steps_and_a_code_works_once() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let (_, _, [current, next]) = enable_totp(&app, &alice).await;
    let token = first_step(&app, "alice").await;
    let wrong = if current == "000000" {
        "111111"
    } else {
        "000000"
    };
    second_step(&app, &token, wrong)
        .await
        .assert_error(401, "invalid_code");
    // A wrong code leaves the token usable.
    let done = second_step(&app, &token, &current).await;
    done.assert_status(200);
    let signed_in = session_from(&done.json());
    assert_eq!(signed_in.id, alice.id);
    assert!(done.json()["user"]["last_login_at"].is_string());
    let me = app.get("/api/v1/users/me", Some(&signed_in.access)).await;
    me.assert_status(200);
    // The token is spent, and so is the code (no replay within its window).
    second_step(&app, &token, &next)
        .await
        .assert_error(401, "invalid_token");
    let token = first_step(&app, "alice").await;
    second_step(&app, &token, &current)
        .await
        .assert_error(401, "invalid_code");
    second_step(&app, &token, &next).await.assert_status(200);
    second_step(&app, "made-up", &next)
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test]
async fn an_expired_mfa_token_is_refused() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let (_, _, [current, _]) = enable_totp(&app, &alice).await;
    let token = first_step(&app, "alice").await;
    let aged = app
        .db()
        .execute(
            "UPDATE mfa_challenges SET expires_at = expires_at - 301",
            [],
        )
        .unwrap();
    assert_eq!(aged, 1);
    second_step(&app, &token, &current)
        .await
        .assert_error(401, "token_expired");
}

#[tokio::test]
async fn recovery_codes_work_once_and_a_new_set_kills_the_old() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let (_, codes, [current, _]) = enable_totp(&app, &alice).await;
    let token = first_step(&app, "alice").await;
    // Case, dashes and spaces do not matter.
    let typed = codes[0].to_uppercase().replace('-', " ");
    second_step(&app, &token, &typed).await.assert_status(200);
    assert_eq!(
        mfa_status(&app, &alice).await["recovery_codes_left"],
        json!(9)
    );
    let token = first_step(&app, "alice").await;
    second_step(&app, &token, &codes[0])
        .await
        .assert_error(401, "invalid_code");

    let path = "/api/v1/auth/mfa/recovery-codes";
    let body = json!({"password": PASSWORD, "code": "000000-bad"});
    app.post(path, Some(&alice.access), body)
        .await
        .assert_error(422, "invalid_code");
    let body = json!({"password": PASSWORD, "code": current});
    let fresh = app.post(path, Some(&alice.access), body).await;
    fresh.assert_status(200);
    let fresh: Vec<String> = fresh.json()["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !codes.contains(c)));
    assert_eq!(
        mfa_status(&app, &alice).await["recovery_codes_left"],
        json!(10)
    );
    second_step(&app, &token, &codes[1])
        .await
        .assert_error(401, "invalid_code");
    second_step(&app, &token, &fresh[3])
        .await
        .assert_status(200);
}

#[tokio::test]
async fn turning_it_off_needs_password_and_code_and_ends_other_sessions() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let (_, codes, [current, _]) = enable_totp(&app, &alice).await;
    let token = first_step(&app, "alice").await;
    let other = session_from(&second_step(&app, &token, &codes[0]).await.json());
    let path = "/api/v1/auth/mfa/totp";
    let send = |body| {
        app.send(
            poem::http::Method::DELETE,
            path,
            Some(&alice.access),
            Some(body),
        )
    };
    send(json!({"password": "wrong password!", "code": current}))
        .await
        .assert_error(401, "invalid_credentials");
    send(json!({"password": PASSWORD, "code": "000000"}))
        .await
        .assert_error(422, "invalid_code");
    send(json!({"password": PASSWORD, "code": current}))
        .await
        .assert_status(204);
    // This session stays, the other ends; the password alone signs in again.
    app.get("/api/v1/users/me", Some(&alice.access))
        .await
        .assert_status(200);
    app.get("/api/v1/users/me", Some(&other.access))
        .await
        .assert_error(401, "token_revoked");
    assert_eq!(
        mfa_status(&app, &alice).await,
        json!({"totp_enabled": false, "recovery_codes_left": 0})
    );
    let login = app.login("alice", PASSWORD).await;
    assert!(login.json()["tokens"]["access_token"].is_string());
    let left: i64 = app
        .db()
        .query_row("SELECT count(*) FROM recovery_codes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn an_admin_resets_a_locked_out_users_two_step_sign_in() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    enable_totp(&app, &alice).await;
    let path = format!("/api/v1/users/{}/mfa", alice.id);
    app.delete(&path, Some(&alice.access))
        .await
        .assert_error(403, "forbidden");
    app.delete("/api/v1/users/999/mfa", Some(&admin.access))
        .await
        .assert_error(404, "not_found");
    assert_eq!(mfa_status(&app, &alice).await["totp_enabled"], json!(true));
    app.delete(&path, Some(&admin.access))
        .await
        .assert_status(204);
    let login = app.login("alice", PASSWORD).await;
    login.assert_status(200);
    assert!(login.json()["tokens"]["access_token"].is_string());
    let user = app
        .get(&format!("/api/v1/users/{}", alice.id), Some(&admin.access))
        .await;
    assert_eq!(user.json()["totp_enabled"], json!(false));
}
