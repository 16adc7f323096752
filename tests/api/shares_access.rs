//! Tests: what stands between the public and a share — passwords (header, unlock cookie,
//! throttling), expiry, and the download limit with its counting rules (SPEC §7).

use poem::http::Method;
use serde_json::{json, Value};

use crate::drive_helpers::*;
use crate::helpers::*;
use crate::share_helpers::*;

#[tokio::test]
async fn a_password_is_required_on_every_route_and_checked_from_the_header() {
    let (app, alice, _file, share, token) =
        file_share("a.txt", b"hello", json!({"password": "open sesame"})).await;
    let routes = ["", "/download", "/content", "/thumbnail"];
    for rest in routes {
        let reply = public_get(&app, &token, rest).await;
        reply.assert_error(401, "password_required");
        assert_reveals_nothing(&reply, &alice, &share);
        with_password(&app, &public(&token, rest), "wrong")
            .await
            .assert_error(401, "invalid_credentials");
    }
    let head = anon(&app, Method::HEAD, &public(&token, "/download"), &[]).await;
    assert_eq!(head.status.as_u16(), 401);
    let ranged = get_range(&app, &public(&token, "/download"), "bytes=0-1").await;
    ranged.assert_error(401, "password_required");

    let meta = with_password(&app, &public(&token, ""), "open sesame").await;
    meta.assert_status(200);
    assert_eq!(meta.json()["has_password"], true);
    assert_reveals_nothing(&meta, &alice, &share);
    let body = with_password(&app, &public(&token, "/download"), "open sesame").await;
    body.assert_status(200);
    assert_eq!(body.body, b"hello");
    // UTF-8 passwords work in the header too.
    update_share(&app, &alice.access, &share, json!({"password": "pässwörd"})).await;
    let reply = app
        .client()
        .get(public(&token, "/content"))
        .header(
            "x-share-password",
            poem::http::HeaderValue::from_bytes("pässwörd".as_bytes()).unwrap(),
        )
        .send()
        .await;
    reply.assert_status_is_ok();
}

/// `GET url` without an account, with `Range: range`.
async fn get_range(app: &TestApp, url: &str, range: &str) -> Reply {
    anon(app, Method::GET, url, &[("range", range)]).await
}

/// The `hoard_share=…` pair of a `Set-Cookie` value, and its attributes.
fn cookie_of(reply: &Reply) -> (String, String) {
    let set = reply.header("set-cookie").expect("set-cookie").to_owned();
    let pair = set.split(';').next().unwrap().trim().to_owned();
    (pair, set)
}

#[tokio::test]
async fn unlock_hands_out_a_scoped_cookie_that_a_password_change_invalidates() {
    let (app, alice, _file, share, token) =
        file_share("a.txt", b"hello", json!({"password": "open sesame"})).await;
    let wrong = unlock(&app, &token, "nope").await;
    wrong.assert_error(401, "invalid_credentials");
    assert!(wrong.header("set-cookie").is_none());
    app.post(&public(&token, "/unlock"), None, json!({}))
        .await
        .assert_error(400, "bad_request");

    let reply = unlock(&app, &token, "open sesame").await;
    reply.assert_status(200);
    assert_eq!(reply.json()["name"], "a.txt");
    assert_reveals_nothing(&reply, &alice, &share);
    let (pair, set) = cookie_of(&reply);
    assert!(pair.starts_with("hoard_share="), "{set}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Max-Age=3600"] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(
        set.contains(&format!("Path=/api/v1/public/shares/{token}")),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    assert!(!pair.contains("sesame") && !pair.contains(&token));

    let with_cookie = [("cookie", pair.as_str())];
    for rest in ["", "/download", "/content"] {
        anon(&app, Method::GET, &public(&token, rest), &with_cookie)
            .await
            .assert_status(200);
    }
    // A tampered cookie proves nothing, nor does it work for another share.
    let forged = format!("{}x", &pair);
    anon(
        &app,
        Method::GET,
        &public(&token, ""),
        &[("cookie", forged.as_str())],
    )
    .await
    .assert_error(401, "password_required");
    let other = create_share(
        &app,
        &alice.access,
        json!({"file_id": share["file_id"], "password": "open sesame"}),
    )
    .await;
    anon(
        &app,
        Method::GET,
        &public(&token_of(&other), ""),
        &with_cookie,
    )
    .await
    .assert_error(401, "password_required");

    // Over HTTPS through a proxy the cookie is Secure.
    let https = app
        .send_raw(
            Method::POST,
            &public(&token, "/unlock"),
            &[
                ("content-type", "application/json"),
                ("x-forwarded-proto", "https"),
            ],
            br#"{"password":"open sesame"}"#.to_vec(),
        )
        .await;
    assert!(cookie_of(&https).1.contains("Secure"));

    // A new password ends the cookie; clearing it opens the share to everyone.
    update_share(
        &app,
        &alice.access,
        &share,
        json!({"password": "another one"}),
    )
    .await;
    anon(&app, Method::GET, &public(&token, ""), &with_cookie)
        .await
        .assert_error(401, "password_required");
    update_share(&app, &alice.access, &share, json!({"password": null})).await;
    public_get(&app, &token, "/download")
        .await
        .assert_status(200);
    let open = unlock(&app, &token, "anything").await;
    open.assert_status(200);
    assert!(open.header("set-cookie").is_none());
}

#[tokio::test]
async fn wrong_share_passwords_are_throttled_like_login_with_retry_after() {
    let app = TestApp::with_config(|c| c.auth.login_failures_per_account = 3);
    let alice = app.register("alice").await;
    let file = id(&upload(&app, &alice.access, "a.txt", b"hello").await);
    let settings = json!({"file_id": file, "password": "right"});
    let share = create_share(&app, &alice.access, settings.clone()).await;
    let other = create_share(&app, &alice.access, settings).await;
    let (token, url) = (token_of(&share), public(&token_of(&share), "/download"));
    let unlocked = unlock(&app, &token, "right").await;
    let (pair, _) = cookie_of(&unlocked);

    for _ in 0..2 {
        with_password(&app, &url, "wrong")
            .await
            .assert_error(401, "invalid_credentials");
    }
    unlock(&app, &token, "wrong")
        .await
        .assert_error(401, "invalid_credentials");
    for password in ["wrong", "right"] {
        let reply = with_password(&app, &url, password).await;
        reply.assert_error(429, "rate_limited");
        let retry: u64 = reply.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry), "{retry}");
    }
    unlock(&app, &token, "right")
        .await
        .assert_error(429, "rate_limited");
    // A cookie already earned still works, and the throttle is per share.
    anon(&app, Method::GET, &url, &[("cookie", pair.as_str())])
        .await
        .assert_status(200);
    with_password(&app, &public(&token_of(&other), ""), "right")
        .await
        .assert_status(200);
}

#[tokio::test]
async fn an_expired_share_answers_410_everywhere() {
    let (app, alice, _file, share, token) = file_share(
        "a.txt",
        b"hello",
        json!({"expires_at": from_now(600), "password": "pw"}),
    )
    .await;
    let past = chrono::Utc::now().timestamp() - 1;
    app.db()
        .execute(
            "UPDATE shares SET expires_at = ?1 WHERE id = ?2",
            [past, id(&share)],
        )
        .unwrap();
    for rest in ["", "/download", "/content", "/thumbnail"] {
        with_password(&app, &public(&token, rest), "pw")
            .await
            .assert_error(410, "share_expired");
    }
    let ranged = get_range(&app, &public(&token, "/download"), "bytes=0-1").await;
    ranged.assert_error(410, "share_expired");
    unlock(&app, &token, "pw")
        .await
        .assert_error(410, "share_expired");
    assert_eq!(
        owner_view(&app, &alice.access, &share).await["status"],
        "expired"
    );
    // The owner can give it a new life.
    update_share(&app, &alice.access, &share, json!({"expires_at": null})).await;
    with_password(&app, &public(&token, ""), "pw")
        .await
        .assert_status(200);
}

#[tokio::test]
async fn only_completed_whole_gets_count_toward_max_downloads() {
    let data: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let (app, alice, file, share, token) =
        file_share("a.bin", &data, json!({"max_downloads": 2})).await;
    let url = public(&token, "/download");
    let etag = format!("\"{}\"", file["sha256"].as_str().unwrap());

    // Metadata, HEAD, Range (single, multiple, whole-file) and 304s never count.
    public_get(&app, &token, "").await.assert_status(200);
    anon(&app, Method::HEAD, &url, &[]).await.assert_status(200);
    anon(&app, Method::HEAD, &public(&token, "/content"), &[])
        .await
        .assert_status(200);
    for range in ["bytes=0-99", "bytes=0-", "bytes=0-9,100-109", "bytes=-10"] {
        get_range(&app, &url, range).await.assert_status(206);
    }
    anon(&app, Method::GET, &url, &[("if-none-match", &etag)])
        .await
        .assert_status(304);
    assert_eq!(downloads(&app, &share), 0);

    let first = app.get(&url, None).await;
    first.assert_status(200);
    assert_eq!(first.body, data);
    assert_eq!(downloads(&app, &share), 1);
    // A Range the server ignores gets (and counts as) the whole file.
    let ignored = get_range(&app, &public(&token, "/content"), "bytes=x").await;
    ignored.assert_status(200);
    assert_eq!(downloads(&app, &share), 2);

    for rest in ["", "/download", "/content"] {
        public_get(&app, &token, rest)
            .await
            .assert_error(410, "share_expired");
    }
    get_range(&app, &url, "bytes=0-1")
        .await
        .assert_error(410, "share_expired");
    let owned = owner_view(&app, &alice.access, &share).await;
    assert_eq!(
        (&owned["downloads"], &owned["status"]),
        (&json!(2), &json!("exhausted"))
    );
    // Raising the limit opens it again.
    update_share(&app, &alice.access, &share, json!({"max_downloads": 3})).await;
    app.get(&url, None).await.assert_status(200);
    assert_eq!(downloads(&app, &share), 3);
}

/// Alice shares a 3 MiB file of `byte`s with `max_downloads`; returns (app, share, token,
/// the file's bytes).
async fn big_share(byte: u8, max_downloads: i64) -> (TestApp, Value, String, Vec<u8>) {
    let data = vec![byte; 3 << 20];
    let settings = json!({ "max_downloads": max_downloads });
    let (app, _alice, _file, share, token) = file_share("big.bin", &data, settings).await;
    (app, share, token, data)
}

/// `GET …/download` without an account, its body not read yet.
async fn stream_download(app: &TestApp, token: &str) -> poem::test::TestResponse {
    app.client().get(public(token, "/download")).send().await
}

#[tokio::test]
async fn a_download_that_breaks_off_does_not_count_and_a_folder_zip_does() {
    let (app, share, token, _data) = big_share(1, 5).await;
    let response = stream_download(&app, &token).await;
    response.assert_status_is_ok();
    let mut reader = response.0.into_body().into_async_read();
    let mut first = vec![0u8; 1000];
    let n = tokio::io::AsyncReadExt::read(&mut reader, &mut first)
        .await
        .unwrap();
    assert!(n > 0);
    drop(reader);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(downloads(&app, &share), 0);

    let (app, _alice, share, token) = folder_share().await;
    public_get(&app, &token, "/download?path=/sub")
        .await
        .assert_status(200);
    assert_eq!(downloads(&app, &share), 1);
    public_get(&app, &token, "/thumbnail?path=/a.txt")
        .await
        .assert_error(404, "not_found");
    assert_eq!(downloads(&app, &share), 1);
}

#[tokio::test]
async fn of_two_downloads_racing_for_the_last_one_only_one_completes() {
    let (app, share, token, data) = big_share(2, 1).await;
    let a = stream_download(&app, &token).await;
    let b = stream_download(&app, &token).await;
    a.assert_status_is_ok();
    b.assert_status_is_ok();
    assert_eq!(a.0.into_body().into_vec().await.unwrap(), data);
    assert!(
        b.0.into_body().into_vec().await.is_err(),
        "the loser fails before its end"
    );
    assert_eq!(downloads(&app, &share), 1);
}

#[tokio::test]
async fn an_empty_file_counts_when_fetched() {
    let (app, _alice, _file, share, token) =
        file_share("empty.txt", b"", json!({"max_downloads": 1})).await;
    let reply = public_get(&app, &token, "/download").await;
    reply.assert_status(200);
    assert!(reply.body.is_empty());
    assert_eq!(downloads(&app, &share), 1);
    public_get(&app, &token, "/download")
        .await
        .assert_error(410, "share_expired");
}
