//! Tests: profile — `GET/PATCH /users/me` and avatars (SPEC §4 "Profile").

// Test support: a failed expectation is a failed test.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat};
use poem::http::Method;
use poem::test::{TestForm, TestFormField};
use serde_json::{json, Value};

use crate::helpers::*;

const ME: &str = "/api/v1/users/me";
const MY_AVATAR: &str = "/api/v1/users/me/avatar";

/// `check!(request, status)` / `check!(request, status, code)`: awaits a request and asserts
/// its status (and error code).
macro_rules! check {
    ($request:expr, $status:expr) => {
        $request.await.assert_status($status)
    };
    ($request:expr, $status:expr, $code:expr) => {
        $request.await.assert_error($status, $code)
    };
}

/// An image of the given size encoded in `format`, built in memory.
fn image_bytes(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let pixels = image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, 255])
    });
    let image = match format {
        ImageFormat::Jpeg => DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(pixels).to_rgb8()),
        _ => DynamicImage::ImageRgba8(pixels),
    };
    let mut out = Vec::new();
    let encoded = image.write_to(&mut Cursor::new(&mut out), format);
    encoded.expect("encode test image");
    out
}

fn png(width: u32, height: u32) -> Vec<u8> {
    image_bytes(width, height, ImageFormat::Png)
}

fn avatar_of(id: i64) -> String {
    format!("/api/v1/users/{id}/avatar")
}

/// `PUT /users/me/avatar` with one multipart field; `token` None sends no credentials.
async fn put_form(app: &TestApp, token: Option<&str>, field: TestFormField) -> Reply {
    app.send_form(Method::PUT, MY_AVATAR, token, TestForm::new().field(field))
        .await
}

/// Uploads `bytes` as the `avatar` field, named `a.png` and declared `image/png`.
async fn put_avatar(app: &TestApp, token: &str, bytes: Vec<u8>) -> Reply {
    let field = TestFormField::bytes(bytes).name("avatar").filename("a.png");
    put_form(app, Some(token), field.content_type("image/png")).await
}

async fn me(app: &TestApp, token: &str) -> Value {
    let reply = app.get(ME, Some(token)).await;
    reply.assert_status(200);
    reply.json()
}

/// Sends PATCHes that must all fail with `status`/`code`, and checks nothing changed.
async fn patches_refused(app: &TestApp, token: &str, bodies: &[Value], status: u16, code: &str) {
    let before = me(app, token).await;
    for body in bodies {
        let reply = app.patch(ME, Some(token), body.clone()).await;
        reply.assert_error(status, code);
        if code == "validation_failed" {
            let field = body
                .as_object()
                .and_then(|b| b.keys().next())
                .expect("field");
            assert!(
                reply.json()["fields"][field].is_string(),
                "{}",
                reply.json()
            );
        }
        assert_eq!(me(app, token).await, before, "{body} changed the profile");
    }
}

#[tokio::test]
async fn get_me_returns_exactly_the_user_shape_without_a_password_hash() {
    let app = TestApp::new();
    let (_, alice) = app.admin_and_user().await;
    let reply = app.get(ME, Some(&alice.access)).await;
    reply.assert_status(200);
    let text = String::from_utf8_lossy(&reply.body).to_string();
    assert!(!text.contains("$argon2"), "hash leaked: {text}");
    let fields = reply.json();
    let keys: Vec<&String> = fields.as_object().unwrap().keys().collect();
    assert!(
        keys.iter()
            .all(|k| !k.contains("password") || *k == "has_password"),
        "password field leaked: {text}"
    );
    let user = reply.json();
    let created = user["created_at"].as_str().expect("created_at string");
    chrono::DateTime::parse_from_rfc3339(created).expect("created_at is RFC 3339");
    let last_login = user["last_login_at"].clone();
    assert!(
        last_login.is_null() || last_login.is_string(),
        "{last_login}"
    );
    let want = json!({
        "id": alice.id, "username": "alice", "email": "alice@example.com",
        "display_name": "alice", "bio": "", "avatar_url": null, "role": "user",
        "is_active": true, "has_password": true, "created_at": created,
        "last_login_at": last_login, "storage_used": 0, "storage_quota": null, "totp_enabled": false,
    });
    assert_eq!(
        user, want,
        "exactly the SPEC's User (with §12's has_password and totp_enabled); display_name defaults to the username"
    );
}

#[tokio::test]
async fn get_me_without_a_token_is_unauthorized() {
    let app = TestApp::new();
    check!(app.get(ME, None), 401, "unauthorized");
    check!(
        app.patch(ME, None, json!({"bio": "x"})),
        401,
        "unauthorized"
    );
    check!(app.delete(MY_AVATAR, None), 401, "unauthorized");
}

#[tokio::test]
async fn each_profile_field_changes_and_persists() {
    let app = TestApp::new();
    let (_, alice) = app.admin_and_user().await;
    let token = alice.access.as_str();
    let changes = [
        ("display_name", json!("Alice Liddell")),
        ("bio", json!("Down the rabbit hole.\nTwice.")),
        ("email", json!("alice@wonderland.example")),
        ("username", json!("alice_l")),
    ];
    for (field, value) in changes {
        let reply = app.patch(ME, Some(token), json!({ field: value })).await;
        reply.assert_status(200);
        assert_eq!(reply.json()[field], value, "PATCH response for {field}");
        assert_eq!(me(&app, token).await[field], value, "re-GET of {field}");
    }
    let user = me(&app, token).await;
    assert_eq!(
        (user["id"].as_i64(), user["role"].as_str()),
        (Some(alice.id), Some("user"))
    );
    // The new username and email are the ones that sign in now.
    app.login_ok("alice_l", PASSWORD).await;
    app.login_ok("alice@wonderland.example", PASSWORD).await;
    check!(app.login("alice", PASSWORD), 401, "invalid_credentials");
}

#[tokio::test]
async fn a_bio_of_501_characters_is_a_validation_failure() {
    let app = TestApp::new();
    let (_, alice) = app.admin_and_user().await;
    let t = alice.access.as_str();
    let too_long = [json!({"bio": "é".repeat(501)})];
    patches_refused(&app, t, &too_long, 422, "validation_failed").await;
    check!(app.patch(ME, Some(t), json!({"bio": "é".repeat(500)})), 200);
}

#[tokio::test]
async fn a_bad_email_is_a_validation_failure_naming_the_field() {
    let app = TestApp::new();
    let (_, alice) = app.admin_and_user().await;
    let bad = ["not-an-email", "a@", "@example.com", "a b@example.com"];
    let bodies: Vec<Value> = bad.iter().map(|e| json!({"email": e})).collect();
    patches_refused(&app, &alice.access, &bodies, 422, "validation_failed").await;
    let names = [json!({"username": "a b"}), json!({"display_name": ""})];
    patches_refused(&app, &alice.access, &names, 422, "validation_failed").await;
}

#[tokio::test]
async fn an_email_or_username_of_another_user_is_taken() {
    let app = TestApp::new();
    let (_, alice) = app.admin_and_user().await;
    let t = alice.access.as_str();
    let emails = [
        json!({"email": "admin@example.com"}),
        json!({"email": "ADMIN@Example.com", "bio": "changed"}),
    ];
    patches_refused(&app, t, &emails, 409, "email_taken").await;
    let names = [json!({"username": "admin"}), json!({"username": "Admin"})];
    patches_refused(&app, t, &names, 409, "username_taken").await;
    // Keeping one's own name is not a conflict.
    let same = json!({"username": "alice", "email": "alice@example.com"});
    check!(app.patch(ME, Some(t), same), 200);
}

#[tokio::test]
async fn role_quota_and_activation_cannot_be_changed_through_the_profile() {
    let app = TestApp::new();
    let (_, alice) = app.admin_and_user().await;
    let t = alice.access.as_str();
    let bodies = [
        json!({"role": "admin"}),
        json!({"storage_quota": 1}),
        json!({"storage_quota": null}),
        json!({"is_active": false}),
        json!({"bio": "sneaky", "role": "admin"}),
    ];
    patches_refused(&app, t, &bodies, 400, "bad_request").await;
    let user = me(&app, t).await;
    let state = (user["role"].as_str(), user["is_active"].as_bool());
    assert_eq!(state, (Some("user"), Some(true)));
}

#[tokio::test]
async fn a_large_png_avatar_is_served_shrunk_and_re_encoded() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let upload = png(1024, 600);
    let reply = put_avatar(&app, &alice.access, upload.clone()).await;
    reply.assert_status(200);
    let user = reply.json();
    assert_eq!(user["id"], alice.id);
    let url = user["avatar_url"].as_str().expect("avatar_url").to_owned();
    assert!(url.starts_with(&avatar_of(alice.id)), "{url}");
    assert_eq!(me(&app, &alice.access).await["avatar_url"], url.as_str());

    let image = app.get(&url, Some(&alice.access)).await;
    image.assert_status(200);
    assert_eq!(image.header("content-type"), Some("image/png"));
    assert_eq!(image.header("x-content-type-options"), Some("nosniff"));
    assert_ne!(image.body, upload, "the upload must not be served as is");
    let format = image::guess_format(&image.body).expect("format");
    assert_eq!(format, ImageFormat::Png);
    let decoded = image::load_from_memory(&image.body).expect("decodes");
    assert_eq!((decoded.width(), decoded.height()), (512, 300));

    // Any other signed-in user may see it; nobody without credentials.
    let seen = app.get(&url, Some(&admin.access)).await;
    seen.assert_status(200);
    assert_eq!(seen.body, image.body);
    check!(app.get(&url, None), 401, "unauthorized");
}

#[tokio::test]
async fn jpeg_gif_and_webp_avatars_are_accepted_and_served_as_png() {
    let app = TestApp::new();
    let (_, alice) = app.admin_and_user().await;
    for format in [ImageFormat::Jpeg, ImageFormat::Gif, ImageFormat::WebP] {
        // Declared as image/png and named a.png: the bytes decide.
        let reply = put_avatar(&app, &alice.access, image_bytes(40, 30, format)).await;
        reply.assert_status(200);
        let url = reply.json()["avatar_url"].as_str().expect("url").to_owned();
        let image = app.get(&url, Some(&alice.access)).await;
        image.assert_status(200);
        assert_eq!(
            image.header("content-type"),
            Some("image/png"),
            "{format:?}"
        );
        let decoded = image::load_from_memory_with_format(&image.body, ImageFormat::Png);
        let decoded = decoded.expect("a PNG");
        assert_eq!((decoded.width(), decoded.height()), (40, 30), "{format:?}");
    }
}

#[tokio::test]
async fn html_or_truncated_images_are_refused_as_invalid_images() {
    let app = TestApp::new();
    let (_, alice) = app.admin_and_user().await;
    let t = alice.access.as_str();
    let html = b"<!doctype html><html><script>alert(document.cookie)</script></html>";
    let mut truncated = png(64, 64);
    truncated.truncate(truncated.len() / 2);
    // A BMP signature: recognised, but not an accepted format.
    let bmp = [b"BM".as_slice(), &[0u8; 60]].concat();
    let uploads = [
        html.to_vec(),
        b"just some text".to_vec(),
        truncated,
        bmp,
        Vec::new(),
    ];
    for bytes in uploads {
        check!(put_avatar(&app, t, bytes), 422, "invalid_image");
        assert_eq!(me(&app, t).await["avatar_url"], Value::Null);
    }
    check!(app.get(&avatar_of(alice.id), Some(t)), 404, "not_found");
}

#[tokio::test]
async fn an_avatar_over_5_mib_is_too_large() {
    let app = TestApp::new();
    let (_, alice) = app.admin_and_user().await;
    let mut big = png(16, 16);
    big.resize(5 * 1024 * 1024 + 1, 0);
    check!(put_avatar(&app, &alice.access, big), 413, "too_large");
    assert_eq!(me(&app, &alice.access).await["avatar_url"], Value::Null);
}

#[tokio::test]
async fn an_avatar_upload_without_the_avatar_field_is_a_bad_request() {
    let app = TestApp::new();
    let (_, alice) = app.admin_and_user().await;
    let t = alice.access.as_str();
    let field = TestFormField::bytes(png(10, 10)).name("file");
    check!(put_form(&app, Some(t), field), 400, "bad_request");
    let not_a_form = app.put(MY_AVATAR, Some(t), json!({"avatar": "x"}));
    check!(not_a_form, 415, "unsupported_media_type");
    // The form takes one `avatar` and nothing else, before or after it.
    let avatar = || {
        TestFormField::bytes(png(10, 10))
            .name("avatar")
            .filename("a.png")
    };
    for form in [
        TestForm::new().field(avatar()).text("note", "hi"),
        TestForm::new().field(avatar()).field(avatar()),
    ] {
        let reply = app.send_form(Method::PUT, MY_AVATAR, Some(t), form);
        check!(reply, 400, "bad_request");
    }
    assert_eq!(me(&app, t).await["avatar_url"], Value::Null);
}

#[tokio::test]
async fn setting_an_avatar_without_a_token_is_unauthorized() {
    let app = TestApp::new();
    let field = TestFormField::bytes(png(8, 8))
        .name("avatar")
        .filename("a.png");
    check!(put_form(&app, None, field), 401, "unauthorized");
}

#[tokio::test]
async fn deleting_the_avatar_removes_it_and_a_second_delete_is_not_found() {
    let app = TestApp::new();
    let (_, alice) = app.admin_and_user().await;
    let (t, avatar) = (alice.access.as_str(), avatar_of(alice.id));
    check!(put_avatar(&app, t, png(20, 20)), 200);
    check!(app.get(&avatar, Some(t)), 200);

    let deleted = app.delete(MY_AVATAR, Some(t)).await;
    deleted.assert_status(204);
    assert!(deleted.body.is_empty());
    assert_eq!(me(&app, t).await["avatar_url"], Value::Null);
    check!(app.get(&avatar, Some(t)), 404, "not_found");
    check!(app.delete(MY_AVATAR, Some(t)), 404, "not_found");
}

#[tokio::test]
async fn the_avatar_of_a_user_without_one_or_of_no_user_is_not_found() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let t = admin.access.as_str();
    check!(app.get(&avatar_of(alice.id), Some(t)), 404, "not_found");
    check!(app.get(&avatar_of(9999), Some(t)), 404, "not_found");
}
