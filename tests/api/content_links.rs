//! Tests: signed file links — `POST /files/{id}/link` and `?sig=&exp=` on `content` and
//! `download` (SPEC §5).

use hoard::ids::EntryId;
use hoard::secret::ServerSecret;
use hoard::service::links::LinkSigner;
use poem::http::Method;
use serde_json::{json, Value};

use crate::drive_helpers::*;
use crate::helpers::*;

async fn link(app: &TestApp, token: &str, entry: i64, body: Value) -> Reply {
    app.post(&format!("{}/link", file_url(entry)), Some(token), body)
        .await
}

/// `(sig, exp)` from a link URL.
fn parts(url: &str) -> (String, i64) {
    let query = url.split_once('?').expect("query").1;
    let mut sig = None;
    let mut exp = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sig", v)) => sig = Some(v.to_owned()),
            Some(("exp", v)) => exp = Some(v.parse().expect("exp")),
            _ => panic!("unexpected parameter in {url}"),
        }
    }
    (sig.expect("sig"), exp.expect("exp"))
}

/// A GET with no credentials at all.
async fn anonymous(app: &TestApp, url: &str) -> Reply {
    app.send_raw(Method::GET, url, &[], Vec::new()).await
}

fn signed(entry: i64, route: &str, sig: &str, exp: i64) -> String {
    format!("{}/{route}?sig={sig}&exp={exp}", file_url(entry))
}

#[tokio::test]
async fn a_signed_link_opens_the_files_bytes_without_other_credentials() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let data = b"shared by link \x00\x01\x02";
    let entry = upload(&app, &alice.access, "secret.bin", data).await;
    let before = chrono::Utc::now().timestamp();
    let reply = link(&app, &alice.access, id(&entry), json!({})).await;
    let after = chrono::Utc::now().timestamp();
    reply.assert_status(200);
    let body = reply.json();
    let mut keys: Vec<&String> = body.as_object().expect("object").keys().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["expires_at", "url"]);
    let url = body["url"].as_str().expect("url");
    let (sig, exp) = parts(url);
    assert_eq!(url, signed(id(&entry), "content", &sig, exp));
    assert!(
        (before + 3600..=after + 3600).contains(&exp),
        "default lifetime 3600 s"
    );
    let expires_at =
        chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().expect("str"))
            .expect("RFC 3339");
    assert_eq!(expires_at.timestamp(), exp);

    let content = anonymous(&app, url).await;
    content.assert_status(200);
    assert_eq!(content.body, data);
    assert!(content
        .header("content-disposition")
        .expect("cd")
        .starts_with("inline;"));
    assert_eq!(content.header("x-content-type-options"), Some("nosniff"));
    let download = anonymous(&app, &signed(id(&entry), "download", &sig, exp)).await;
    download.assert_status(200);
    assert_eq!(download.body, data);
    assert!(download
        .header("content-disposition")
        .expect("cd")
        .starts_with("attachment;"));
    let ranged = app
        .send_raw(Method::GET, url, &[("range", "bytes=0-5")], Vec::new())
        .await;
    ranged.assert_status(206);
    assert_eq!(ranged.body, b"shared");
    // The other routes take no link.
    for route in ["preview", "preview-info", "thumbnail"] {
        let reply = anonymous(&app, &signed(id(&entry), route, &sig, exp)).await;
        reply.assert_error(401, "unauthorized");
    }
    anonymous(&app, &file_url(id(&entry)))
        .await
        .assert_error(401, "unauthorized");
}

#[tokio::test]
async fn a_link_lifetime_is_1_to_604800_seconds() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let entry = upload(&app, &alice.access, "a.txt", b"a").await;
    for bad in [0, -5, 604_801] {
        let reply = link(
            &app,
            &alice.access,
            id(&entry),
            json!({"expires_in_s": bad}),
        )
        .await;
        reply.assert_error(422, "validation_failed");
        assert!(reply.json()["fields"]["expires_in_s"].is_string());
    }
    link(
        &app,
        &alice.access,
        id(&entry),
        json!({"expires_in_s": "soon"}),
    )
    .await
    .assert_error(400, "bad_request");
    for good in [1, 60, 604_800] {
        let before = chrono::Utc::now().timestamp();
        let reply = link(
            &app,
            &alice.access,
            id(&entry),
            json!({"expires_in_s": good}),
        )
        .await;
        let after = chrono::Utc::now().timestamp();
        reply.assert_status(200);
        let (_, exp) = parts(reply.json()["url"].as_str().expect("url"));
        assert!((before + good..=after + good).contains(&exp), "{good}");
    }
    let folder = mkdir(&app, &alice.access, "dir", None).await;
    link(&app, &alice.access, id(&folder), json!({}))
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn a_tampered_signature_or_a_changed_expiry_is_an_invalid_token() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let entry = upload(&app, &alice.access, "a.txt", b"bytes").await;
    let reply = link(&app, &alice.access, id(&entry), json!({})).await;
    let (sig, exp) = parts(reply.json()["url"].as_str().expect("url"));
    let mut flipped: Vec<char> = sig.chars().collect();
    flipped[3] = if flipped[3] == 'A' { 'B' } else { 'A' };
    let flipped: String = flipped.into_iter().collect();
    let bad_urls = [
        signed(id(&entry), "content", &flipped, exp),
        signed(id(&entry), "download", &flipped, exp),
        signed(id(&entry), "content", &sig, exp + 1),
        signed(id(&entry), "content", &sig, exp + 86_400),
        signed(id(&entry), "content", "not-base64!", exp),
        signed(id(&entry), "content", "", exp),
        format!("{}/content?sig={sig}", file_url(id(&entry))),
    ];
    for url in bad_urls {
        anonymous(&app, &url)
            .await
            .assert_error(401, "invalid_token");
    }
    anonymous(&app, &signed(id(&entry), "content", &sig, exp))
        .await
        .assert_status(200);
}

#[tokio::test]
async fn an_expired_link_is_token_expired() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let entry = upload(&app, &alice.access, "a.txt", b"bytes").await;
    let signer = LinkSigner::new(&ServerSecret::new(app.jwt_secret()));
    let past = chrono::Utc::now().timestamp() - 10;
    let sig = signer.sign(EntryId(id(&entry)), past);
    for route in ["content", "download"] {
        anonymous(&app, &signed(id(&entry), route, &sig, past))
            .await
            .assert_error(401, "token_expired");
    }
    // The same signer, minting a live link, proves the key is the app's.
    let future = chrono::Utc::now().timestamp() + 600;
    let live = signer.sign(EntryId(id(&entry)), future);
    let reply = anonymous(&app, &signed(id(&entry), "content", &live, future)).await;
    reply.assert_status(200);
    assert_eq!(reply.body, b"bytes");
}

#[tokio::test]
async fn the_link_of_a_trashed_or_purged_file_is_404() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let entry = upload(&app, &alice.access, "a.txt", b"bytes").await;
    let reply = link(&app, &alice.access, id(&entry), json!({})).await;
    let url = reply.json()["url"].as_str().expect("url").to_owned();
    app.delete(&file_url(id(&entry)), Some(&alice.access))
        .await
        .assert_status(204);
    anonymous(&app, &url).await.assert_error(404, "not_found");
    app.post(
        &format!("{TRASH}/{}/restore", id(&entry)),
        Some(&alice.access),
        json!({}),
    )
    .await
    .assert_status(200);
    anonymous(&app, &url).await.assert_status(200);
    app.delete(&file_url(id(&entry)), Some(&alice.access))
        .await
        .assert_status(204);
    app.delete(&format!("{TRASH}/{}", id(&entry)), Some(&alice.access))
        .await
        .assert_status(204);
    anonymous(&app, &url).await.assert_error(404, "not_found");
}

#[tokio::test]
async fn a_link_never_opens_another_file() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let mine = upload(&app, &alice.access, "mine.txt", b"alice's").await;
    let other = upload(&app, &alice.access, "other.txt", b"also alice's").await;
    let bobs = upload(&app, &bob.access, "bob.txt", b"bob's").await;
    let reply = link(&app, &alice.access, id(&mine), json!({})).await;
    let (sig, exp) = parts(reply.json()["url"].as_str().expect("url"));
    for target in [id(&other), id(&bobs), id(&mine) + 1000] {
        for route in ["content", "download"] {
            anonymous(&app, &signed(target, route, &sig, exp))
                .await
                .assert_error(401, "invalid_token");
        }
    }
    // Bob cannot mint a link to Alice's file.
    link(&app, &bob.access, id(&mine), json!({}))
        .await
        .assert_error(404, "not_found");
}
