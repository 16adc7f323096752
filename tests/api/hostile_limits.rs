//! Hostile input: size limits (SPEC §9: JSON ≤ 1 MiB, uploads ≤ `limits.max_upload_bytes`,
//! quotas). Oversized or pathological bodies are refused with their exact code, declared
//! length or not, and leave no row, blob or temp file. Raw-socket cases (no
//! `Content-Length`, slow bodies) are in hostile_http.rs.

use poem::http::Method;
use serde_json::json;

use crate::drive_helpers::*;
use crate::helpers::*;
use crate::hostile_helpers::*;

const MIB: usize = 1024 * 1024;
const LIMIT: u64 = 4096;

/// A JSON object of `size` bytes: `{"name": "xxx…"}` padded.
fn big_json(size: usize) -> Vec<u8> {
    let pad = size - br#"{"name":""}"#.len();
    format!(r#"{{"name":"{}"}}"#, "x".repeat(pad)).into_bytes()
}

#[tokio::test]
async fn oversized_and_pathological_json_is_refused_on_every_kind_of_route() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
    let deep_object = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000)).into_bytes();
    let routes = [
        (Method::POST, "/api/v1/auth/register"),
        (Method::POST, "/api/v1/auth/login"),
        (Method::POST, "/api/v1/folders"),
        (Method::PATCH, "/api/v1/users/me"),
        (Method::POST, "/api/v1/shares"),
        (Method::POST, "/api/v1/auth/tokens"),
    ];
    let mut cases = Vec::new();
    for (method, path) in routes {
        let with = |label: &str, body: Vec<u8>| {
            Case::new(format!("{method} {path}: {label}"), method.clone(), path)
                .bearer(&alice.access)
                .header("content-type", "application/json")
                .raw_body(body)
        };
        cases.push(with("1 MiB + 1", big_json(MIB + 1)).expect(413, "too_large"));
        cases.push(with("16 MiB", big_json(16 * MIB)).expect(413, "too_large"));
        cases.push(
            with("1 MiB + 1, chunked", big_json(MIB + 1))
                .header("transfer-encoding", "chunked")
                .expect(413, "too_large"),
        );
        cases.push(with("100 000 nested arrays", deep.clone()).expect(400, "bad_request"));
        cases.push(with("10 000 nested objects", deep_object.clone()).expect(400, "bad_request"));
    }
    let declared = Case::new(
        "declares 10 GiB, sends 2 bytes",
        Method::POST,
        "/api/v1/folders",
    )
    .bearer(&alice.access)
    .header("content-type", "application/json")
    .header("content-length", "10737418240")
    .raw_body(b"{}".to_vec());
    cases.push(declared.expect(413, "too_large"));
    run_cases(&app, cases).await;
}

#[tokio::test]
async fn uploads_over_the_configured_limit_are_too_large_on_every_upload_route() {
    let app = TestApp::with_config(|c| c.limits.max_upload_bytes = LIMIT);
    let alice = app.register("alice").await;
    let t = alice.access.as_str();
    let over = vec![b'x'; LIMIT as usize + 1];
    let parts = [file_part("big.bin", &over)];
    let request = upload_parts(&app, t, "", &parts);
    refused(
        &app.data_dir(),
        "multipart one byte over",
        413,
        "too_large",
        request,
    )
    .await;
    let request = put_path(&app, t, "/big.bin", &over);
    refused(
        &app.data_dir(),
        "PUT one byte over",
        413,
        "too_large",
        request,
    )
    .await;
    let bearer = format!("Bearer {t}");
    let url = format!("{FILES}/by-path?path=%2Fchunked.bin");
    let headers = [
        ("authorization", bearer.as_str()),
        ("transfer-encoding", "chunked"),
    ];
    let request = app.send_raw(Method::PUT, &url, &headers, over.clone());
    refused(
        &app.data_dir(),
        "PUT chunked, no length",
        413,
        "too_large",
        request,
    )
    .await;
    let length = (LIMIT + 1).to_string();
    let tus = [
        ("authorization", bearer.as_str()),
        ("tus-resumable", "1.0.0"),
        ("upload-length", length.as_str()),
        ("upload-metadata", "filename YS5iaW4="),
    ];
    let request = app.send_raw(Method::POST, "/api/v1/uploads", &tus, Vec::new());
    refused(
        &app.data_dir(),
        "tus creation one byte over",
        413,
        "too_large",
        request,
    )
    .await;
    let huge = [
        ("upload-length", "99999999999999999999999"),
        tus[0],
        tus[1],
        tus[3],
    ];
    let request = app.send_raw(Method::POST, "/api/v1/uploads", &huge, Vec::new());
    refused(
        &app.data_dir(),
        "tus length past u64",
        400,
        "bad_request",
        request,
    )
    .await;
    assert!(tmp_files(&app).is_empty(), "{:?}", tmp_files(&app));
}

#[tokio::test]
async fn quota_overruns_leave_nothing_behind_not_even_folders() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    set_quota(&app, &admin.access, alice.id, Some(100)).await;
    let t = alice.access.as_str();
    let data = vec![1u8; 101];
    let request = put_path(&app, t, "/deep/er/big.bin", &data);
    refused(
        &app.data_dir(),
        "PUT over quota into new folders",
        507,
        "quota_exceeded",
        request,
    )
    .await;
    let parts = [
        file_part("a.bin", &data[..60]),
        file_part("b.bin", &data[..60]),
    ];
    let request = upload_parts(&app, t, "", &parts);
    refused(
        &app.data_dir(),
        "two parts together over quota",
        507,
        "quota_exceeded",
        request,
    )
    .await;
    let small = upload(&app, t, "small.bin", &data[..60]).await;
    let copy = Case::new(
        "copy over quota",
        Method::POST,
        format!("{}/copy", file_url(id(&small))),
    )
    .bearer(t)
    .json(json!({}))
    .expect(507, "quota_exceeded");
    let tus = Case::new("tus creation over quota", Method::POST, "/api/v1/uploads")
        .bearer(t)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", "41")
        .header("upload-metadata", "filename YS5iaW4=")
        .expect(507, "quota_exceeded");
    run_cases(&app, vec![copy, tus]).await;
}
