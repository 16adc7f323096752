//! Hostile input: the admin boundary (SPEC §4). Plain users, through any credential, and
//! admins who were just demoted get 403 `forbidden`; nobody raises their own role, quota or
//! activation; the last admin cannot be removed; admin writes with bad values change nothing.

use poem::http::Method;
use serde_json::json;

use crate::auth::create_pat;
use crate::helpers::*;
use crate::hostile_helpers::*;

const USERS: &str = "/api/v1/users";

fn user(id: i64) -> String {
    format!("{USERS}/{id}")
}

/// The admin operations, each with a body that would do harm if it got through.
fn admin_ops(admin: i64, target: i64) -> Vec<Case> {
    let new_user = json!({"username": "mallory", "email": "m@example.com",
                          "password": PASSWORD, "role": "admin"});
    vec![
        Case::new("list users", Method::GET, USERS),
        Case::new("create an admin", Method::POST, USERS).json(new_user),
        Case::new("read a user", Method::GET, user(target)),
        Case::new("promote", Method::PATCH, user(target)).json(json!({"role": "admin"})),
        Case::new("unlimited quota", Method::PATCH, user(target))
            .json(json!({"storage_quota": null})),
        Case::new("delete the admin", Method::DELETE, user(admin)),
        Case::new(
            "deactivate the admin",
            Method::POST,
            format!("{}/deactivate", user(admin)),
        ),
        Case::new(
            "activate",
            Method::POST,
            format!("{}/activate", user(target)),
        ),
        Case::new("stats", Method::GET, "/api/v1/admin/stats"),
        Case::new("flush cache", Method::DELETE, "/api/v1/admin/cache"),
        Case::new("write kv", Method::PUT, "/api/v1/admin/cache/kv/x").json(json!({"value": 1})),
    ]
}

#[tokio::test]
async fn a_users_api_token_and_a_demoted_admins_live_token_are_forbidden_on_every_admin_route() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let pat = create_pat(&app, &alice.access).await;
    // A second admin, demoted: their still-valid access token carries no admin power.
    let former = app.register("former").await;
    let promote = json!({"role": "admin"});
    app.patch(&user(former.id), Some(&admin.access), promote)
        .await
        .assert_status(200);
    let demote = json!({"role": "user"});
    app.patch(&user(former.id), Some(&admin.access), demote)
        .await
        .assert_status(200);
    for (who, token) in [("API token", &pat), ("demoted admin", &former.access)] {
        let cases = admin_ops(admin.id, alice.id)
            .into_iter()
            .map(|c| {
                let label = format!("{} by {who}", c.label);
                Case { label, ..c }.bearer(token).expect(403, "forbidden")
            })
            .collect();
        run_cases(&app, cases).await;
    }
}

#[tokio::test]
async fn nobody_raises_their_own_role_quota_or_activation() {
    let app = TestApp::new();
    let (_admin, alice) = app.admin_and_user().await;
    let me = "/api/v1/users/me";
    let bodies = [
        ("role admin", json!({"role": "admin"})),
        ("unlimited quota", json!({"storage_quota": null})),
        ("quota raised", json!({"storage_quota": 1_i64 << 50})),
        ("is_active", json!({"is_active": true})),
        ("storage_used reset", json!({"storage_used": 0})),
        ("id changed", json!({"id": 1})),
    ];
    let mut cases = Vec::new();
    for (label, body) in bodies {
        let case = Case::new(format!("PATCH /users/me {label}"), Method::PATCH, me);
        cases.push(
            case.bearer(&alice.access)
                .json(body)
                .expect(400, "bad_request"),
        );
    }
    let own = user(alice.id);
    let patch =
        Case::new("PATCH own user row", Method::PATCH, own.clone()).json(json!({"role": "admin"}));
    let read = Case::new("read own user row", Method::GET, own);
    for case in [patch, read] {
        cases.push(case.bearer(&alice.access).expect(403, "forbidden"));
    }
    run_cases(&app, cases).await;
}

#[tokio::test]
async fn the_last_admin_stays_and_bad_admin_values_change_nothing() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let me = user(admin.id);
    let t = admin.access.as_str();
    let cases = vec![
        Case::new("last admin demotes self", Method::PATCH, me.clone())
            .json(json!({"role": "user"})).expect(422, "last_admin"),
        Case::new("last admin deactivates self", Method::PATCH, me.clone())
            .json(json!({"is_active": false})).expect(422, "last_admin"),
        Case::new("last admin deactivate action", Method::POST, format!("{me}/deactivate"))
            .expect(422, "last_admin"),
        Case::new("last admin deletes self", Method::DELETE, me.clone()).expect(422, "last_admin"),
        Case::new("role superuser", Method::PATCH, user(alice.id))
            .json(json!({"role": "superuser"})).expect(400, "bad_request"),
        Case::new("negative quota", Method::PATCH, user(alice.id))
            .json(json!({"storage_quota": -1})).expect(422, "validation_failed"),
        Case::new("create with role root", Method::POST, USERS)
            .json(json!({"username": "root", "email": "r@example.com", "password": PASSWORD, "role": "root"}))
            .expect(400, "bad_request"),
        Case::new("an id that is no integer", Method::GET, format!("{USERS}/1%20OR%201=1"))
            .expect(400, "bad_request"),
        Case::new("an id past i64", Method::GET, format!("{USERS}/99999999999999999999"))
            .expect(400, "bad_request"),
    ];
    let cases = cases.into_iter().map(|c| c.bearer(t)).collect();
    run_cases(&app, cases).await;
}
