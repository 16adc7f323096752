//! Hostile input: Bob aims at Alice's ids on every route that takes one (files, trash,
//! shares, sessions, API tokens, resumable uploads) and gets the 404 a missing id gets,
//! with nothing changed (SPEC §9). tests/api/isolation.rs compares the bodies with those of
//! missing ids; this table adds the routes beyond files.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use poem::http::Method;
use serde_json::{json, Value};

use crate::drive_helpers::*;
use crate::helpers::*;
use crate::hostile_helpers::*;
use crate::share_helpers::SHARES;

/// Alice's ids, one of each kind.
struct Ids {
    file: i64,
    png: i64,
    folder: i64,
    trashed: i64,
    share: i64,
    session: i64,
    token: i64,
    upload: i64,
}

async fn alices_things(app: &TestApp, alice: &Session) -> Ids {
    let t = alice.access.as_str();
    let folder = mkdir(app, t, "private", None).await;
    let file = upload_into(app, t, id(&folder), "diary.txt", b"dear diary").await;
    let png = upload(app, t, "pic.png", &crate::content_preview::png_bytes(4, 4)).await;
    let trashed = upload(app, t, "old.txt", b"old").await;
    app.delete(&file_url(id(&trashed)), Some(t))
        .await
        .assert_status(204);
    let share = app
        .post(SHARES, Some(t), json!({"file_id": id(&file)}))
        .await
        .json();
    let token = app
        .post("/api/v1/auth/tokens", Some(t), json!({"name": "cli"}))
        .await
        .json();
    let metadata = format!("filename {}", STANDARD.encode("big.bin"));
    let headers = [
        ("authorization", format!("Bearer {t}")),
        ("tus-resumable", "1.0.0".into()),
        ("upload-length", "100".into()),
        ("upload-metadata", metadata),
    ];
    let headers = borrowed(&headers);
    let created = app
        .send_raw(Method::POST, "/api/v1/uploads", &headers, Vec::new())
        .await;
    created.assert_status(201);
    let location = created.header("location").expect("location");
    let upload = location
        .rsplit('/')
        .next()
        .expect("id")
        .parse()
        .expect("int");
    let session = claims_of(&alice.access)["sid"].as_i64().expect("sid");
    Ids {
        file: id(&file),
        png: id(&png),
        folder: id(&folder),
        trashed: id(&trashed),
        share: id(&share),
        session,
        token: id(&token),
        upload,
    }
}

/// Every request that names one of Alice's ids, as (label, method, path, JSON body).
fn requests(ids: &Ids, own_file: i64) -> Vec<(&'static str, Method, String, Option<Value>)> {
    let f = file_url(ids.file);
    let up = format!("/api/v1/uploads/{}", ids.upload);
    vec![
        ("get file", Method::GET, f.clone(), None),
        (
            "rename file",
            Method::PATCH,
            f.clone(),
            Some(json!({"name": "mine.txt"})),
        ),
        (
            "move file to the root",
            Method::PATCH,
            f.clone(),
            Some(json!({"parent_id": null})),
        ),
        ("delete file", Method::DELETE, f.clone(), None),
        (
            "copy file",
            Method::POST,
            format!("{f}/copy"),
            Some(json!({})),
        ),
        ("download", Method::GET, format!("{f}/download"), None),
        ("content", Method::GET, format!("{f}/content"), None),
        ("preview", Method::GET, format!("{f}/preview"), None),
        (
            "preview-info",
            Method::GET,
            format!("{f}/preview-info"),
            None,
        ),
        (
            "thumbnail",
            Method::GET,
            format!("{}/thumbnail", file_url(ids.png)),
            None,
        ),
        (
            "signed link",
            Method::POST,
            format!("{f}/link"),
            Some(json!({})),
        ),
        (
            "download folder zip",
            Method::GET,
            format!("{}/download", file_url(ids.folder)),
            None,
        ),
        (
            "list folder",
            Method::GET,
            format!("{FILES}?parent_id={}", ids.folder),
            None,
        ),
        (
            "search folder",
            Method::GET,
            format!("{FILES}?parent_id={}&q=diary", ids.folder),
            None,
        ),
        (
            "mkdir inside",
            Method::POST,
            FOLDERS.into(),
            Some(json!({"name": "in", "parent_id": ids.folder})),
        ),
        (
            "move own file inside",
            Method::PATCH,
            file_url(own_file),
            Some(json!({"parent_id": ids.folder})),
        ),
        (
            "copy own file inside",
            Method::POST,
            format!("{}/copy", file_url(own_file)),
            Some(json!({"parent_id": ids.folder})),
        ),
        (
            "restore trash",
            Method::POST,
            format!("{TRASH}/{}/restore", ids.trashed),
            Some(json!({})),
        ),
        (
            "purge trash item",
            Method::DELETE,
            format!("{TRASH}/{}", ids.trashed),
            None,
        ),
        (
            "share her file",
            Method::POST,
            SHARES.into(),
            Some(json!({"file_id": ids.file})),
        ),
        (
            "share her folder",
            Method::POST,
            SHARES.into(),
            Some(json!({"file_id": ids.folder})),
        ),
        (
            "get share",
            Method::GET,
            format!("{SHARES}/{}", ids.share),
            None,
        ),
        (
            "patch share",
            Method::PATCH,
            format!("{SHARES}/{}", ids.share),
            Some(json!({"max_downloads": 1})),
        ),
        (
            "delete share",
            Method::DELETE,
            format!("{SHARES}/{}", ids.share),
            None,
        ),
        (
            "revoke session",
            Method::DELETE,
            format!("/api/v1/auth/sessions/{}", ids.session),
            None,
        ),
        (
            "revoke API token",
            Method::DELETE,
            format!("/api/v1/auth/tokens/{}", ids.token),
            None,
        ),
        ("get upload", Method::GET, up.clone(), None),
        ("terminate upload", Method::DELETE, up.clone(), None),
    ]
}

#[tokio::test]
async fn bob_gets_404_on_every_route_that_takes_one_of_alices_ids_and_nothing_changes() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let ids = alices_things(&app, &alice).await;
    let bob = app.register("bob").await;
    let own = upload(&app, &bob.access, "bob.txt", b"bob").await;
    let bob_pat = crate::auth::create_pat(&app, &bob.access).await;
    for bearer in [&bob.access, &bob_pat] {
        let kind = if bearer.starts_with("hoard_pat_") {
            "API token"
        } else {
            "session"
        };
        for (label, method, path, body) in requests(&ids, id(&own)) {
            let mut case = Case::new(format!("{label} ({kind})"), method, path)
                .bearer(bearer)
                .header("tus-resumable", "1.0.0");
            if let Some(body) = body {
                case = case.json(body);
            }
            run_cases(&app, vec![case.expect(404, "not_found")]).await;
        }
    }
    // tus HEAD and PATCH, with the headers tus needs.
    for method in [Method::HEAD, Method::PATCH] {
        let headers = [
            ("authorization", format!("Bearer {}", bob.access)),
            ("tus-resumable", "1.0.0".into()),
            ("upload-offset", "0".into()),
            ("content-type", "application/offset+octet-stream".into()),
        ];
        let headers = borrowed(&headers);
        let path = format!("/api/v1/uploads/{}", ids.upload);
        let label = format!("tus {method} of her upload");
        let request = app.send_raw(method.clone(), &path, &headers, b"x".to_vec());
        refused(&app.data_dir(), &label, 404, "not_found", request).await;
    }
    // Lists never include her things: uploads by id, shares, sessions, tokens.
    let lists = [
        (format!("/api/v1/uploads?ids={}", ids.upload), ids.upload),
        (SHARES.to_owned(), ids.share),
        ("/api/v1/auth/sessions".to_owned(), ids.session),
        ("/api/v1/auth/tokens".to_owned(), ids.token),
    ];
    for (path, hers) in lists {
        let list = get_ok(&app, &path, &bob.access).await;
        let ids: Vec<i64> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|item| item["id"].as_i64())
            .collect();
        assert!(!ids.contains(&hers), "{path}: {list}");
    }
    // Her share and session still work.
    let share = get_ok(&app, &format!("{SHARES}/{}", ids.share), &alice.access).await;
    assert_eq!(share["file_id"], ids.file);
    me(&app, &alice.access).await.assert_status(200);
}

/// Field names that only the server may set are refused on a file, not applied.
#[tokio::test]
async fn server_owned_fields_cannot_be_patched_onto_an_entry() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let file = upload(&app, &alice.access, "a.txt", b"alpha").await;
    let cases = [
        ("owner_id", json!({"owner_id": bob.id})),
        ("size", json!({"size": 0})),
        ("sha256", json!({"sha256": sha_hex(b"other")})),
        ("kind", json!({"kind": "folder"})),
    ];
    for (label, body) in cases {
        let case = Case::new(format!("PATCH {label}"), Method::PATCH, file_url(id(&file)))
            .bearer(&alice.access)
            .json(body)
            .expect(400, "bad_request");
        run_cases(&app, vec![case]).await;
    }
}
