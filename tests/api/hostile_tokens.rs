//! Hostile input: personal API tokens (SPEC §4). A token works only as an
//! `Authorization: Bearer` value of its live, active owner, within that owner's rights: never
//! from a URL or a cookie, never after revocation or deactivation, never when altered.

use poem::http::Method;
use serde_json::json;

use crate::auth::{admin_action, create_pat};
use crate::drive_helpers::*;
use crate::helpers::*;
use crate::hostile_helpers::*;

const ME: &str = "/api/v1/users/me";
const TOKENS: &str = "/api/v1/auth/tokens";

#[tokio::test]
async fn tokens_are_never_accepted_in_a_url_or_a_cookie() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let pat = create_pat(&app, &alice.access).await;
    let file = upload(&app, &alice.access, "a.txt", b"alpha").await;
    let content = format!("{}/content", file_url(id(&file)));
    let mut cases = Vec::new();
    for (kind, secret) in [("API token", &pat), ("access JWT", &alice.access)] {
        for param in ["access_token", "token", "auth", "api_key", "bearer"] {
            for path in [ME, content.as_str()] {
                let url = format!("{path}?{param}={secret}");
                let label = format!("{kind} as ?{param}= on {path}");
                cases.push(Case::new(label, Method::GET, url).expect(401, "unauthorized"));
            }
        }
        let label = format!("{kind} as the signed-link sig");
        let url = format!("{content}?sig={secret}&exp=9999999999");
        cases.push(Case::new(label, Method::GET, url).expect(401, "invalid_token"));
    }
    let cookie = format!("hoard_access={pat}");
    cases.push(
        Case::new("API token in the session cookie", Method::GET, ME)
            .header("cookie", cookie)
            .expect(401, "invalid_token"),
    );
    run_cases(&app, cases).await;
}

#[tokio::test]
async fn altered_revoked_expired_and_orphaned_tokens_are_refused() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let pat = create_pat(&app, &alice.access).await;
    let mut changed: Vec<char> = pat.chars().collect();
    let last = changed.len() - 1;
    changed[last] = if changed[last] == 'A' { 'B' } else { 'A' };
    let changed: String = changed.into_iter().collect();
    let cases = [
        ("one character changed", changed, "invalid_token"),
        ("prefix only", "hoard_pat_".to_owned(), "invalid_token"),
        ("upper-cased", pat.to_uppercase(), "invalid_token"),
        (
            "truncated",
            pat[..pat.len() - 4].to_owned(),
            "invalid_token",
        ),
        ("doubled", format!("{pat}{pat}"), "invalid_token"),
        (
            "prefix with a JWT",
            format!("hoard_pat_{}", alice.access),
            "invalid_token",
        ),
    ];
    for (label, token, code) in cases {
        refused(&app.data_dir(), label, 401, code, me(&app, &token)).await;
    }
    // Revoked: by id, then the token answers token_revoked.
    let (revoked_id, revoked) = new_token(&app, &alice.access).await;
    app.delete(&format!("{TOKENS}/{revoked_id}"), Some(&alice.access))
        .await
        .assert_status(204);
    refused(
        &app.data_dir(),
        "revoked",
        401,
        "token_revoked",
        me(&app, &revoked),
    )
    .await;
    // Expired.
    let (expired_id, expired) = new_token(&app, &alice.access).await;
    let sql = "UPDATE api_tokens SET expires_at = strftime('%s','now') - 60 WHERE id = ?1";
    app.db().execute(sql, [expired_id]).expect("age");
    refused(
        &app.data_dir(),
        "expired",
        401,
        "token_expired",
        me(&app, &expired),
    )
    .await;
    // Logout-all ends sessions, not tokens; deactivation ends both.
    let everywhere = app.send(
        Method::POST,
        "/api/v1/auth/logout-all",
        Some(&alice.access),
        None,
    );
    everywhere.await.assert_status(204);
    me(&app, &pat).await.assert_status(200);
    admin_action(&app, &admin, alice.id, "deactivate").await;
    refused(
        &app.data_dir(),
        "owner deactivated",
        401,
        "token_revoked",
        me(&app, &pat),
    )
    .await;
    let files = app.get("/api/v1/files", Some(&pat));
    refused(
        &app.data_dir(),
        "owner deactivated, files",
        401,
        "token_revoked",
        files,
    )
    .await;
}

async fn new_token(app: &TestApp, access: &str) -> (i64, String) {
    let reply = app.post(TOKENS, Some(access), json!({"name": "t"})).await;
    reply.assert_status(201);
    let body = reply.json();
    (
        body["id"].as_i64().expect("id"),
        body["token"].as_str().expect("token").to_owned(),
    )
}

#[tokio::test]
async fn a_token_reaches_only_its_owners_things() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let pat = create_pat(&app, &alice.access).await;
    let (admin_token, _) = new_token(&app, &admin.access).await;
    let cases = vec![
        Case::new(
            "revoke the admin's token",
            Method::DELETE,
            format!("{TOKENS}/{admin_token}"),
        )
        .expect(404, "not_found"),
        Case::new("list users", Method::GET, "/api/v1/users").expect(403, "forbidden"),
        Case::new("refresh with it", Method::POST, "/api/v1/auth/refresh")
            .json(json!({"refresh_token": pat}))
            .expect(401, "invalid_token"),
        Case::new("name of 65 characters", Method::POST, TOKENS)
            .json(json!({"name": "n".repeat(65)}))
            .expect(422, "validation_failed"),
        Case::new("name with a control character", Method::POST, TOKENS)
            .json(json!({"name": "a\u{1b}b"}))
            .expect(422, "validation_failed"),
        Case::new("lifetime of 0 days", Method::POST, TOKENS)
            .json(json!({"name": "n", "expires_in_days": 0}))
            .expect(422, "validation_failed"),
        Case::new("lifetime of 10 000 years", Method::POST, TOKENS)
            .json(json!({"name": "n", "expires_in_days": 3_650_000}))
            .expect(422, "validation_failed"),
    ];
    let cases = cases.into_iter().map(|c| c.bearer(&pat)).collect();
    run_cases(&app, cases).await;
}
