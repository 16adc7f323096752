//! Tests: searching names with `GET /files?q=` (SPEC §5 "Listing").

use serde_json::json;

use crate::drive_helpers::*;
use crate::helpers::*;

#[tokio::test]
async fn search_matches_names_case_insensitively_below_the_folder_and_never_in_the_trash() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let reports = mkdir(&app, &alice.access, "Reports", None).await;
    let year = mkdir(&app, &alice.access, "2024", Some(id(&reports))).await;
    upload_into(&app, &alice.access, id(&year), "Annual-REPORT.txt", b"1").await;
    upload_into(&app, &alice.access, id(&reports), "notes.txt", b"2").await;
    upload(&app, &alice.access, "report-draft.txt", b"3").await;
    upload(&app, &alice.access, "other.txt", b"4").await;
    upload(&app, &alice.access, "100% report.txt", b"5").await;
    let old = upload(&app, &alice.access, "old-report.txt", b"6").await;
    let gone = mkdir(&app, &alice.access, "gone", None).await;
    upload_into(&app, &alice.access, id(&gone), "gone-report.txt", b"7").await;
    for trashed in [&old, &gone] {
        let reply = app
            .delete(&file_url(id(trashed)), Some(&alice.access))
            .await;
        reply.assert_status(204);
    }

    let everywhere = list(&app, &alice.access, "?q=rEpOrT").await;
    let want = [
        "Reports",
        "100% report.txt",
        "Annual-REPORT.txt",
        "report-draft.txt",
    ];
    assert_eq!(names(&everywhere), want);
    assert_eq!(everywhere["total"], 4);
    assert_eq!(
        everywhere["items"][2]["path"],
        "/Reports/2024/Annual-REPORT.txt"
    );
    let below = list(
        &app,
        &alice.access,
        &format!("?q=report&parent_id={}", id(&reports)),
    )
    .await;
    assert_eq!(names(&below), ["Annual-REPORT.txt"]);
    let notes = list(
        &app,
        &alice.access,
        &format!("?q=NOTES&parent_id={}", id(&reports)),
    )
    .await;
    assert_eq!(names(&notes), ["notes.txt"]);
    // `%` and `_` are literal characters, not wildcards.
    assert_eq!(
        names(&list(&app, &alice.access, "?q=%25").await),
        ["100% report.txt"]
    );
    assert_eq!(
        names(&list(&app, &alice.access, "?q=_").await),
        Vec::<String>::new()
    );
    let paged = list(&app, &alice.access, "?q=report&limit=1&offset=1").await;
    assert_eq!(
        (names(&paged), &paged["total"]),
        (vec!["100% report.txt".to_owned()], &json!(4))
    );
}

#[tokio::test]
async fn search_ignores_case_beyond_ascii_and_the_normalisation_of_the_query() {
    let app = TestApp::new();
    let alice = app.register("alice").await;
    let t = &alice.access;
    for name in [
        "Été à Paris.txt",
        "café.txt",
        "ΣΟΦΙΑ.md",
        "Straße.txt",
        "报告 2024.txt",
    ] {
        upload(&app, t, name, name.as_bytes()).await;
    }
    let cases: [(&str, &[&str]); 8] = [
        ("été", &["Été à Paris.txt"]),
        ("ÉTÉ À", &["Été à Paris.txt"]),
        ("CAFÉ", &["café.txt"]),
        ("cafe\u{301}", &["café.txt"]),
        ("CAFE\u{301}.TXT", &["café.txt"]),
        ("σοφια", &["ΣΟΦΙΑ.md"]),
        ("報告", &[]),
        ("报告", &["报告 2024.txt"]),
    ];
    for (q, want) in cases {
        let found = list(&app, t, &format!("?q={}", enc(q))).await;
        assert_eq!(names(&found), want, "{q:?}");
        assert_eq!(found["total"], want.len(), "{q:?}");
    }
    let all_txt = list(&app, t, "?q=.TXT&limit=2&offset=1").await;
    assert_eq!(
        (names(&all_txt), &all_txt["total"]),
        (
            vec!["Straße.txt".to_owned(), "Été à Paris.txt".to_owned()],
            &json!(4)
        )
    );
}
