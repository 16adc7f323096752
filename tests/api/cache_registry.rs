//! Tests: the one cache registry (src/service/cache/registry.rs). Every in-process cache,
//! wherever it lives, is counted by `GET /admin/cache` and emptied by `DELETE /admin/cache`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

use crate::drive_helpers::{file_url, get_ok, id, list, upload};
use crate::helpers::*;

const CACHE: &str = "/api/v1/admin/cache";
const ME: &str = "/api/v1/users/me";

/// The caches `GET /admin/cache` sums and `DELETE /admin/cache` empties, in the order they
/// register: the auth caches and the diagnostic namespace, then the drive's (with the
/// store's open blob descriptors).
const REGISTERED: [&str; 9] = [
    "users",
    "sessions",
    "revoked",
    "api_tokens",
    "basic_credentials",
    "kv",
    "records",
    "listings",
    "open_files",
];

#[tokio::test]
async fn the_cache_routes_see_and_flush_every_registered_cache() {
    let app = TestApp::new();
    let (admin, alice) = app.admin_and_user().await;
    let t = admin.access.as_str();
    let body = json!({"name": "script"});
    let created = app
        .post("/api/v1/auth/tokens", Some(&alice.access), body)
        .await;
    created.assert_status(201);
    let pat = created.json()["token"].as_str().expect("token").to_owned();
    // The first use records it was used (and forgets the token); the second caches it.
    app.get(ME, Some(&pat)).await.assert_status(200);
    app.get(ME, Some(&pat)).await.assert_status(200);
    let kv = format!("{CACHE}/kv/k");
    app.put(&kv, Some(t), json!({"value": 1}))
        .await
        .assert_status(201);
    let file = upload(&app, &alice.access, "a.txt", b"x").await;
    let download = format!("{}/download", file_url(id(&file)));
    app.get(&download, Some(&alice.access))
        .await
        .assert_status(200);
    list(&app, &alice.access, "").await;
    let basic = format!("Basic {}", STANDARD.encode(format!("alice:{PASSWORD}")));
    let propfind = poem::http::Method::from_bytes(b"PROPFIND").unwrap();
    let headers = [("authorization", basic.as_str()), ("depth", "0")];
    app.send_raw(propfind, "/dav/", &headers, Vec::new())
        .await
        .assert_status(207);

    let reports = app.state.caches.registry().reports();
    let names: Vec<&str> = reports.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, REGISTERED);
    for (name, report) in &reports {
        // Blobs in an object store are not local files: no descriptor to keep.
        let local_only = *name == "open_files" && on_s3();
        assert_eq!(
            report.entries > 0,
            !local_only,
            "{name}'s entries with blobs in {}: {report:?}",
            if on_s3() { "S3" } else { "files" }
        );
    }
    let reported = get_ok(&app, CACHE, t).await;
    let sums = app.state.caches.report();
    let want = json!({"entries": sums.entries, "hits": sums.hits, "misses": sums.misses});
    assert_eq!(reported, want, "the route sums every registered cache");

    app.delete(CACHE, Some(t)).await.assert_status(204);
    for (name, report) in app.state.caches.registry().reports() {
        assert_eq!(report.entries, 0, "{name} kept entries after a flush");
    }
}
