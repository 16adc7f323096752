//! Hostile input: public share links (SPEC §7). Guessed or mangled tokens, escapes from a
//! file share, passwords in the wrong place, hostile creation values and a race of many
//! downloads for the last allowed ones. tests/api/shares_public.rs walks a folder share's
//! `..` paths; this adds the rest.

use std::sync::Arc;

use poem::http::Method;
use serde_json::json;

use crate::drive_helpers::*;
use crate::helpers::*;
use crate::hostile_helpers::*;
use crate::share_helpers::*;

#[tokio::test]
async fn guessed_and_mangled_tokens_are_404_and_change_nothing() {
    let (app, _alice, _file, _share, token) = file_share("a.txt", b"hello", json!({})).await;
    let mut flipped: Vec<char> = token.chars().collect();
    flipped[0] = if flipped[0] == 'A' { 'B' } else { 'A' };
    let flipped: String = flipped.into_iter().collect();
    let guesses = [
        (
            "a random 32-character token",
            "Qm9yZWQgYXR0YWNrZXIgZ3Vlc3NpbmcX".to_owned(),
        ),
        (
            "the real token minus its last character",
            token[..token.len() - 1].to_owned(),
        ),
        ("the real token plus one character", format!("{token}A")),
        ("the real token with one character changed", flipped),
        ("the real token upper-cased", token.to_uppercase()),
        ("SQL wildcard", "%25".to_owned()),
        ("SQL injection", "'%20OR%20'1'='1".to_owned()),
        ("glob", "*".to_owned()),
        ("a share id instead of a token", "1".to_owned()),
        ("4 KiB token", "A".repeat(4096)),
    ];
    for (label, guess) in guesses {
        for rest in ["", "/download"] {
            let url = public(&guess, rest);
            let request = app.get(&url, None);
            refused(
                &app.data_dir(),
                &format!("{label} {rest}"),
                404,
                "not_found",
                request,
            )
            .await;
        }
    }
}

#[tokio::test]
async fn a_file_share_reaches_nothing_but_its_file() {
    let (app, alice, _file, _share, token) = file_share("a.txt", b"hello", json!({})).await;
    upload(&app, &alice.access, "secret.txt", b"secret").await;
    for path in [
        "secret.txt",
        "/secret.txt",
        "../secret.txt",
        "a.txt/../secret.txt",
        ".",
        "a.txt",
    ] {
        let url = public(&token, &format!("/download?path={}", enc(path)));
        let request = app.get(&url, None);
        refused(
            &app.data_dir(),
            &format!("file share ?path={path}"),
            404,
            "not_found",
            request,
        )
        .await;
    }
    // A share token is no bearer credential.
    let request = app.get("/api/v1/users/me", Some(&token));
    refused(
        &app.data_dir(),
        "share token as a bearer",
        401,
        "invalid_token",
        request,
    )
    .await;
}

#[tokio::test]
async fn a_share_password_is_taken_only_from_its_header_or_unlock() {
    let (app, _alice, _file, _share, token) =
        file_share("a.txt", b"hello", json!({"password": "open sesame"})).await;
    let url = public(&token, "/download");
    let huge = "p".repeat(64 * 1024);
    let cases = vec![
        Case::new(
            "password in the query",
            Method::GET,
            format!("{url}?password=open%20sesame"),
        )
        .expect(401, "password_required"),
        Case::new("password as a bearer", Method::GET, url.clone())
            .bearer("open sesame")
            .expect(401, "password_required"),
        Case::new("password as a cookie", Method::GET, url.clone())
            .header("cookie", "hoard_share=open sesame")
            .expect(401, "password_required"),
        Case::new("wrong password", Method::GET, url.clone())
            .header("x-share-password", "open sesame ")
            .expect(401, "invalid_credentials"),
        Case::new("64 KiB password", Method::GET, url.clone())
            .header("x-share-password", huge)
            .expect(401, "invalid_credentials"),
        Case::new(
            "unlock with a JSON number",
            Method::POST,
            public(&token, "/unlock"),
        )
        .json(json!({"password": 12345}))
        .expect(400, "bad_request"),
    ];
    run_cases(&app, cases).await;
}

#[tokio::test]
async fn hostile_share_settings_are_refused_and_create_no_share() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = alice.access.as_str();
    let file = id(&upload(&app, t, "a.txt", b"hello").await);
    let trashed = id(&upload(&app, t, "gone.txt", b"gone").await);
    app.delete(&file_url(trashed), Some(t))
        .await
        .assert_status(204);
    let bodies = [
        (
            "expiry in the past",
            json!({"file_id": file, "expires_at": from_now(-60)}),
            422,
            "validation_failed",
        ),
        (
            "expiry at the epoch",
            json!({"file_id": file, "expires_at": "1970-01-01T00:00:00Z"}),
            422,
            "validation_failed",
        ),
        (
            "expiry not a date",
            json!({"file_id": file, "expires_at": "tomorrow"}),
            400,
            "bad_request",
        ),
        (
            "zero downloads",
            json!({"file_id": file, "max_downloads": 0}),
            422,
            "validation_failed",
        ),
        (
            "negative downloads",
            json!({"file_id": file, "max_downloads": -1}),
            422,
            "validation_failed",
        ),
        (
            "a trashed file",
            json!({"file_id": trashed}),
            404,
            "not_found",
        ),
        (
            "no such file",
            json!({"file_id": 999_999}),
            404,
            "not_found",
        ),
        (
            "file id as a string",
            json!({"file_id": file.to_string()}),
            400,
            "bad_request",
        ),
    ];
    let cases = bodies
        .into_iter()
        .map(|(label, body, status, code)| {
            Case::new(label, Method::POST, SHARES)
                .bearer(t)
                .json(body)
                .expect(status, code)
        })
        .collect();
    run_cases(&app, cases).await;
    let share = create_share(&app, t, json!({"file_id": file})).await;
    let patch = Case::new(
        "PATCH expiry into the past",
        Method::PATCH,
        share_url(id(&share)),
    )
    .bearer(t)
    .json(json!({"expires_at": from_now(-60)}))
    .expect(422, "validation_failed");
    run_cases(&app, vec![patch]).await;
    // The link is relative: request headers cannot point it at another host.
    let headers = [
        ("authorization", format!("Bearer {t}")),
        ("host", "evil.example".into()),
        ("x-forwarded-host", "evil.example".into()),
        ("content-type", "application/json".into()),
    ];
    let headers = borrowed(&headers);
    let body = json!({"file_id": file}).to_string().into_bytes();
    let made = app.send_raw(Method::POST, SHARES, &headers, body).await;
    made.assert_status(201);
    assert!(
        made.json()["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("/s/")),
        "{}",
        made.json()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twelve_racing_downloads_of_a_three_download_share_complete_exactly_three_times() {
    let data = vec![7u8; 1 << 20];
    let (app, _alice, _file, share, token) =
        file_share("big.bin", &data, json!({"max_downloads": 3})).await;
    let app = Arc::new(app);
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (app, url) = (app.clone(), public(&token, "/download"));
            tokio::spawn(async move {
                let response = app.client().get(url).send().await.0;
                let status = response.status().as_u16();
                (status, response.into_body().into_vec().await.ok())
            })
        })
        .collect();
    let (mut complete, mut broken, mut expired) = (0, 0, 0);
    for task in tasks {
        match task.await.expect("task") {
            (200, Some(body)) if body == data => complete += 1,
            (200, _) => broken += 1,
            (410, Some(body)) if code_of(&body) == "share_expired" => expired += 1,
            (status, body) => panic!("{status}: {body:?}"),
        }
    }
    assert_eq!((complete, broken + expired), (3, 9));
    assert_eq!(
        downloads(&app, &share),
        3,
        "the counter never passes the limit"
    );
    let url = public(&token, "/download");
    let request = app.get(&url, None);
    refused(
        &app.data_dir(),
        "a 13th download",
        410,
        "share_expired",
        request,
    )
    .await;
}
