//! Tests: errors — the one error shape for framework errors (SPEC §2), the general routes
//! (§3), body limits and the UI's security headers (§9).

// Test support: a failed expectation is a failed test.

use poem::http::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const LOGIN: &str = "/api/v1/auth/login";
const ME: &str = "/api/v1/users/me";
const MIB: usize = 1024 * 1024;
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every operation of SPEC §3–§4 under `/api/v1`: a path, then its methods.
const OPERATIONS: &str = "\
/ get
/auth/register post
/auth/login post
/auth/refresh post
/auth/logout post
/auth/logout-all post
/auth/change-password post
/auth/sessions get
/auth/sessions/{id} delete
/auth/tokens get post
/auth/tokens/{id} delete
/users/me get patch
/users/me/avatar put delete
/users/{id}/avatar get
/users get post
/users/{id} get patch delete
/users/{id}/activate post
/users/{id}/deactivate post
/admin/stats get
/admin/cache get delete
/admin/cache/kv/{key} get put delete";

/// Asserts status, code, `application/json`, the `{code, message}` shape (with `fields` only
/// on validation errors) and the request id.
#[track_caller]
fn assert_error_shape(reply: &Reply, status: u16, code: &str) {
    reply.assert_error(status, code);
    let content_type = reply.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type:?}"
    );
    let body = reply.json();
    let object = body.as_object().expect("error body is an object");
    let message = object["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "{body}");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    if matches!(code, "validation_failed" | "weak_password") {
        assert_eq!(keys, ["code", "fields", "message"]);
    } else {
        assert_eq!(keys, ["code", "message"], "{body}");
    }
    assert_has_request_id(reply);
}

#[track_caller]
fn assert_has_request_id(reply: &Reply) {
    let id = reply.header("x-request-id").unwrap_or_default();
    assert!(!id.is_empty(), "no x-request-id on {}", reply.status);
}

/// The given keys of a JSON object, for compact comparisons.
fn pick(value: &Value, keys: &[&str]) -> Value {
    let pairs = keys.iter().map(|k| (k.to_string(), value[*k].clone()));
    Value::Object(pairs.collect())
}

/// `GET path` with `If-None-Match`.
async fn conditional_get(app: &TestApp, path: &str, etag: &str) -> Reply {
    let headers = [("if-none-match", etag)];
    app.send_raw(Method::GET, path, &headers, Vec::new()).await
}

/// A raw request with a JSON content type and the given headers.
async fn raw_json(app: &TestApp, path: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    app.send_raw(Method::POST, path, &all, body).await
}

/// A login body of exactly `size` bytes (the password pads it).
fn login_body_of(size: usize) -> Vec<u8> {
    let empty = json!({"username": "nobody", "password": ""}).to_string();
    let padding = "x".repeat(size - empty.len());
    let body = json!({"username": "nobody", "password": padding});
    let body = body.to_string().into_bytes();
    assert_eq!(body.len(), size);
    body
}

#[tokio::test]
async fn malformed_json_wrong_types_and_missing_fields_are_bad_requests() {
    let app = TestApp::new();
    let bodies: [&[u8]; 7] = [
        b"{\"username\": ",
        b"not json at all",
        b"{\"username\": {\"a\": 1}, \"password\": \"x\"}",
        b"{\"username\": [\"a\"], \"password\": \"x\"}",
        b"{\"username\": null, \"password\": \"x\"}",
        b"{\"username\": \"a\"}",
        b"[]",
    ];
    for body in bodies {
        let reply = raw_json(&app, LOGIN, &[], body.to_vec()).await;
        assert_error_shape(&reply, 400, "bad_request");
    }
    let (_, alice) = app.admin_and_user().await;
    let reply = app
        .patch(ME, Some(&alice.access), json!({"bio": ["x"]}))
        .await;
    assert_error_shape(&reply, 400, "bad_request");
}

/// SPEC §2: wrong JSON types are 400. poem-openapi's `String` silently accepts numbers and
/// booleans (`5` becomes `"5"`), so these reach the handlers today.
#[tokio::test]
async fn a_number_or_boolean_where_a_string_is_expected_is_a_bad_request() {
    let app = TestApp::new();
    let (_, alice) = app.admin_and_user().await;
    let login = json!({"username": 12345, "password": true});
    assert_error_shape(&app.post(LOGIN, None, login).await, 400, "bad_request");
    let t = Some(alice.access.as_str());
    let before = app.get(ME, t).await.json();
    let patch = app.patch(ME, t, json!({"bio": 5})).await;
    assert_error_shape(&patch, 400, "bad_request");
    assert_eq!(app.get(ME, t).await.json(), before);
}

#[tokio::test]
async fn unknown_api_routes_are_json_not_found() {
    let app = TestApp::new();
    let paths = [
        "/api/v1/nope",
        "/api/v2/x",
        "/api/x",
        "/api",
        "/api/",
        "/api/v1/users/me/x",
    ];
    for path in paths {
        let reply = app.get(path, None).await;
        assert_error_shape(&reply, 404, "not_found");
    }
    let reply = app.post("/api/v1/nope", None, json!({})).await;
    assert_error_shape(&reply, 404, "not_found");
}

#[tokio::test]
async fn a_wrong_method_is_method_not_allowed() {
    let app = TestApp::new();
    for method in [Method::DELETE, Method::GET, Method::PUT] {
        let reply = app.send(method, LOGIN, None, None).await;
        assert_error_shape(&reply, 405, "method_not_allowed");
        assert_eq!(reply.header("allow"), Some("POST"), "RFC 9110 §15.5.6");
    }
    // The route with the most literal segments answers, as in routing.
    let cases = [
        (Method::POST, "/api/v1/files/7", "DELETE, GET, HEAD, PATCH"),
        (Method::DELETE, "/api/v1/files/by-path", "GET, HEAD, PUT"),
        (
            Method::TRACE,
            "/api/v1/uploads/3",
            "DELETE, GET, HEAD, PATCH",
        ),
    ];
    for (method, path, allow) in cases {
        let reply = app.send(method, path, None, None).await;
        assert_error_shape(&reply, 405, "method_not_allowed");
        assert_eq!(reply.header("allow"), Some(allow), "{path}");
    }
}

#[tokio::test]
async fn a_text_body_to_a_json_route_is_unsupported_media_type() {
    let app = TestApp::new();
    let headers = [("content-type", "text/plain")];
    let body = br#"{"username": "a", "password": "b"}"#.to_vec();
    let reply = app.send_raw(Method::POST, LOGIN, &headers, body).await;
    assert_error_shape(&reply, 415, "unsupported_media_type");
}

#[tokio::test]
async fn a_json_body_over_1_mib_is_too_large_with_or_without_a_length() {
    let app = TestApp::new();
    let body = login_body_of(MIB + 1);
    let len = body.len().to_string();
    let declared = raw_json(&app, LOGIN, &[("content-length", &len)], body.clone()).await;
    assert_error_shape(&declared, 413, "too_large");
    let undeclared = raw_json(&app, LOGIN, &[], body.clone()).await;
    assert_error_shape(&undeclared, 413, "too_large");
    let chunked = raw_json(&app, LOGIN, &[("transfer-encoding", "chunked")], body).await;
    assert_error_shape(&chunked, 413, "too_large");
}

#[tokio::test]
async fn a_json_body_of_exactly_1_mib_is_accepted() {
    let app = TestApp::new();
    let body = login_body_of(MIB);
    let len = body.len().to_string();
    let declared = raw_json(&app, LOGIN, &[("content-length", &len)], body.clone()).await;
    assert_error_shape(&declared, 401, "invalid_credentials");
    let undeclared = raw_json(&app, LOGIN, &[], body).await;
    assert_error_shape(&undeclared, 401, "invalid_credentials");
}

#[tokio::test]
async fn validation_errors_carry_fields() {
    let app = TestApp::new();
    let body = json!({"username": "x", "email": "bad", "password": PASSWORD});
    let reply = app.post("/api/v1/auth/register", None, body).await;
    assert_error_shape(&reply, 422, "validation_failed");
    let fields = &reply.json()["fields"];
    let named = fields["username"].is_string() && fields["email"].is_string();
    assert!(named, "{fields}");
}

#[tokio::test]
async fn health_reports_ok_with_version_database_storage_and_uptime() {
    let app = TestApp::new();
    let reply = app.get("/health", None).await;
    reply.assert_status(200);
    assert_has_request_id(&reply);
    let content_type = reply.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body = reply.json();
    let free = body["storage"]["free_bytes"].as_u64().expect("free_bytes");
    assert!(free > 0);
    assert!(body["uptime_s"].is_u64(), "{body}");
    let want = json!({"status": "ok", "version": VERSION, "database": "ok"});
    assert_eq!(pick(&body, &["status", "version", "database"]), want);
}

#[tokio::test]
async fn health_is_degraded_when_the_data_dir_is_unusable() {
    let app = TestApp::new();
    let tmp = app.data_dir().join("tmp");
    std::fs::remove_dir_all(&tmp).expect("remove tmp");
    std::fs::write(&tmp, b"not a directory").expect("tmp as a file");
    let reply = app.get("/health", None).await;
    reply.assert_status(503);
    let body = reply.json();
    let want = json!({"status": "degraded", "version": VERSION, "database": "ok"});
    assert_eq!(pick(&body, &["status", "version", "database"]), want);

    std::fs::remove_file(&tmp).expect("remove file");
    std::fs::create_dir(&tmp).expect("tmp again");
    let healed = app.get("/health", None).await;
    healed.assert_status(200);
    assert_eq!(healed.json()["status"], "ok");
}

#[tokio::test]
async fn the_api_index_names_the_api_and_its_docs() {
    let app = TestApp::new();
    for path in ["/api/v1", "/api/v1/"] {
        let reply = app.get(path, None).await;
        reply.assert_status(200);
        let want = json!({"name": "hoard", "version": VERSION,
                          "docs": "/docs", "openapi": "/openapi.json"});
        assert_eq!(reply.json(), want, "{path}");
    }
}

#[tokio::test]
async fn the_openapi_document_is_openapi_3_and_lists_every_account_operation() {
    let app = TestApp::new();
    let reply = app.get("/openapi.json", None).await;
    reply.assert_status(200);
    let doc = reply.json();
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3."), "{version}");
    for line in OPERATIONS.lines() {
        let (path, methods) = line.split_once(' ').expect("path and methods");
        for method in methods.split(' ') {
            let operation = &doc["paths"][path][method];
            assert!(operation.is_object(), "{method} {path} is not documented");
            let responses = operation["responses"].as_object().map_or(0, |r| r.len());
            assert!(responses > 1, "{method} {path} documents no errors");
        }
    }
}

#[tokio::test]
async fn swagger_ui_and_redoc_are_html_pages() {
    let app = TestApp::new();
    for path in ["/docs", "/redoc"] {
        let reply = app.get(path, None).await;
        reply.assert_status(200);
        let content_type = reply.header("content-type").unwrap_or_default();
        assert!(
            content_type.starts_with("text/html"),
            "{path}: {content_type}"
        );
        let page = String::from_utf8_lossy(&reply.body).to_lowercase();
        assert!(page.contains("<html"), "{path}");
    }
}

/// The pages' scripts are kept gzip-compressed: sent so to a client that takes gzip,
/// inflated for one that does not, the same bytes either way.
#[tokio::test]
async fn the_documentation_scripts_are_sent_gzipped_or_inflated() {
    use std::io::Read;
    let app = TestApp::new();
    let assets = [
        (
            "/docs/swagger-ui-bundle.js",
            "text/javascript",
            "SwaggerUIBundle",
        ),
        ("/docs/swagger-ui.css", "text/css", ".swagger-ui"),
        ("/redoc/redoc.standalone.js", "text/javascript", "Redoc"),
    ];
    for (path, kind, marker) in assets {
        let gzip = [("accept-encoding", "gzip, deflate, br")];
        let packed = app.send_raw(Method::GET, path, &gzip, Vec::new()).await;
        packed.assert_status(200);
        assert_eq!(packed.header("content-encoding"), Some("gzip"), "{path}");
        assert_eq!(packed.header("vary"), Some("Accept-Encoding"), "{path}");
        assert!(packed
            .header("content-type")
            .unwrap_or_default()
            .starts_with(kind));
        let mut inflated = Vec::new();
        flate2::read::GzDecoder::new(&packed.body[..])
            .read_to_end(&mut inflated)
            .expect("valid gzip");
        let plain = app.send_raw(Method::GET, path, &[], Vec::new()).await;
        plain.assert_status(200);
        assert_eq!(plain.header("content-encoding"), None, "{path}");
        assert_eq!(plain.body, inflated, "{path}: the same bytes");
        assert!(
            inflated.len() > 10 * packed.body.len() / 4,
            "{path}: compressed"
        );
        assert!(
            String::from_utf8_lossy(&inflated).contains(marker),
            "{path}"
        );
    }
}

#[tokio::test]
async fn ui_pages_are_html_with_security_headers_and_revalidate_by_etag() {
    let app = TestApp::new();
    let root = app.get("/", None).await;
    for path in ["/", "/files/a/b", "/s/sometoken", "/settings"] {
        let reply = app.get(path, None).await;
        reply.assert_status(200);
        assert_has_request_id(&reply);
        let header = |name: &str| reply.header(name).unwrap_or_default().to_owned();
        assert!(header("content-type").starts_with("text/html"), "{path}");
        let csp = header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        assert_eq!(header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(reply.body, root.body, "{path} falls back to index.html");
    }
    let etag = root.header("etag").expect("etag").to_owned();
    let cached = conditional_get(&app, "/files/a/b", &etag).await;
    cached.assert_status(304);
    assert!(cached.body.is_empty());
    assert_has_request_id(&cached);
    conditional_get(&app, "/", "\"other\"")
        .await
        .assert_status(200);
}

#[tokio::test]
async fn writes_to_ui_paths_are_json_method_not_allowed() {
    let app = TestApp::new();
    let writes = [
        (Method::POST, "/"),
        (Method::PUT, "/a"),
        (Method::DELETE, "/app.css"),
    ];
    for (method, path) in writes {
        let reply = app.send(method.clone(), path, None, Some(json!({}))).await;
        assert_error_shape(&reply, 405, "method_not_allowed");
        assert_eq!(reply.header("allow"), Some("GET, HEAD"), "{path}");
    }
}

#[tokio::test]
async fn an_internal_error_reveals_nothing_of_its_cause() {
    let app = TestApp::new();
    let (_, alice) = app.admin_and_user().await;
    let sabotage = app.db().execute_batch("ALTER TABLE avatars RENAME TO gone");
    sabotage.expect("rename");
    let avatar = format!("/api/v1/users/{}/avatar", alice.id);
    let reply = app.get(&avatar, Some(&alice.access)).await;
    assert_error_shape(&reply, 500, "internal");
    let text = String::from_utf8_lossy(&reply.body).to_lowercase();
    for leak in ["avatars", "sqlite", "no such table", "select", "src/"] {
        assert!(!text.contains(leak), "{leak} leaked: {text}");
    }
}

#[tokio::test]
async fn every_kind_of_response_carries_a_request_id() {
    let app = TestApp::new();
    let (_, alice) = app.admin_and_user().await;
    let replies: Vec<Reply> = vec![
        app.get("/api/v1", None).await,
        app.get(ME, Some(&alice.access)).await,
        app.get(ME, None).await,
        app.get("/openapi.json", None).await,
        app.get("/app.css", None).await,
        app.delete(LOGIN, None).await,
    ];
    let mut ids: Vec<String> = Vec::new();
    for reply in &replies {
        assert_has_request_id(reply);
        ids.push(reply.header("x-request-id").unwrap_or_default().to_owned());
    }
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "request ids repeat: {ids:?}");
}
