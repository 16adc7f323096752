//! Two-step sign-in from a test's side: TOTP codes computed by Debian's `oathtool` (not by
//! the server's code) from the secret the server returned, and the steps to turn it on.

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::helpers::{Session, TestApp, PASSWORD};

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// The TOTP code of `secret` (base32) at unix time `at`, as `oathtool --totp` computes it.
pub fn oathtool(secret: &str, at: i64) -> String {
    let out = Command::new("oathtool")
        .args(["--totp", "-b", secret, "-N", &format!("@{at}")])
        .output()
        .expect("oathtool runs (apt-get install oathtool; .ci/run installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The codes of the previous, current and next 30-s steps, taken with at least five
/// seconds left in the current step (so all three stay within the ±1 step the server
/// accepts while the test uses them, in that order).
pub async fn three_codes(secret: &str) -> [String; 3] {
    let left = 30 - unix_now() % 30;
    if left < 5 {
        tokio::time::sleep(Duration::from_secs(left as u64 + 1)).await;
    }
    let now = unix_now();
    [now - 30, now, now + 30].map(|at| oathtool(secret, at))
}

/// Sets up and enables TOTP for `session` with the previous step's code. Returns the
/// secret, the recovery codes, and the current and next steps' codes (still unused).
pub async fn enable_totp(app: &TestApp, session: &Session) -> (String, Vec<String>, [String; 2]) {
    let setup = app
        .post(
            "/api/v1/auth/mfa/totp/setup",
            Some(&session.access),
            json!({"password": PASSWORD}),
        )
        .await;
    setup.assert_status(200);
    let secret = setup.json()["secret"].as_str().expect("secret").to_owned();
    let [previous, current, next] = three_codes(&secret).await;
    let enabled = app
        .post(
            "/api/v1/auth/mfa/totp/enable",
            Some(&session.access),
            json!({"code": previous}),
        )
        .await;
    enabled.assert_status(200);
    let codes = enabled.json()["recovery_codes"]
        .as_array()
        .expect("recovery_codes")
        .iter()
        .map(|c| c.as_str().expect("a code").to_owned())
        .collect();
    (secret, codes, [current, next])
}

/// The password step of a login with two-step sign-in on: its `mfa_token`.
pub async fn first_step(app: &TestApp, login: &str) -> String {
    let reply = app.login(login, PASSWORD).await;
    reply.assert_status(200);
    let body = reply.json();
    assert_eq!(body["mfa_required"], json!(true), "{body}");
    assert!(
        body.get("tokens").is_none(),
        "no tokens before the second step"
    );
    body["mfa_token"].as_str().expect("mfa_token").to_owned()
}

pub async fn second_step(app: &TestApp, mfa_token: &str, code: &str) -> crate::helpers::Reply {
    app.post(
        "/api/v1/auth/login/mfa",
        None,
        json!({"mfa_token": mfa_token, "code": code}),
    )
    .await
}

pub async fn mfa_status(app: &TestApp, session: &Session) -> Value {
    let reply = app.get("/api/v1/auth/mfa", Some(&session.access)).await;
    reply.assert_status(200);
    reply.json()
}
