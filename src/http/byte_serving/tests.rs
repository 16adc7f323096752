//! Unit tests of range planning and conditionals.

use super::conditionals::{parse_http_date, tag_list_matches};
use super::*;

fn hm(pairs: &[(HeaderName, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(k.clone(), HeaderValue::from_str(v).unwrap());
    }
    h
}

#[test]
fn range_sets() {
    use Ranges::*;
    let r = |spec: &str, size| plan_ranges(&hm(&[(header::RANGE, spec)]), size);
    let list = |n: u64| {
        (0..n)
            .map(|i| format!("{0}-{0}", i * 2))
            .collect::<Vec<_>>()
    };
    assert_eq!(r("BYTES= 5- , ", 100), Parts(vec![(5, 99)]));
    assert_eq!(r("bytes=-1000", 100), Parts(vec![(0, 99)]));
    assert_eq!(
        r("bytes=90-99999999999999999999999", 100),
        Parts(vec![(90, 99)])
    );
    assert_eq!(r("bytes=20-29,0-9", 100), Parts(vec![(0, 9), (20, 29)]));
    assert_eq!(r("bytes=0-9,10-19", 100), Parts(vec![(0, 19)]));
    assert_eq!(r("bytes=0-9,200-300,-0", 100), Parts(vec![(0, 9)]));
    assert_eq!(r("bytes=99999999999999999999999-", 100), Unsatisfiable);
    assert_eq!(r("bytes=0-,-5", 0), Unsatisfiable);
    for bad in [
        "bytes=",
        "bytes=a-b",
        "bytes=+1-2",
        "bytes=1",
        "bytes=--1",
        "bytes=0-,-1",
    ] {
        assert_eq!(r(bad, 100), Full, "{bad}");
    }
    assert_eq!(r(&format!("bytes={}", list(17).join(",")), 100), Full);
    assert!(matches!(r(&format!("bytes={}", list(16).join(",")), 100), Parts(p) if p.len() == 16));
    let mut two = hm(&[(header::RANGE, "bytes=0-1")]);
    two.append(header::RANGE, HeaderValue::from_static("bytes=2-3"));
    assert_eq!(plan_ranges(&two, 100), Full);
}

#[test]
fn dates_and_tags() {
    let t = 784111777;
    assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
    assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(t));
    assert_eq!(parse_http_date("yesterday"), None);
    let m = |v: &str, strong| {
        tag_list_matches(
            &hm(&[(header::IF_MATCH, v)]),
            header::IF_MATCH,
            "ab",
            strong,
        )
    };
    assert_eq!(m("W/\"ab\"", false), Some(true));
    assert_eq!(m("W/\"ab\"", true), Some(false));
    assert_eq!(m("\"x\", W/\"y\" ,\"ab\"", true), Some(true));
    assert_eq!(m("ab", false), Some(false));
    let pre = |k: HeaderName, v: &str, safe| preconditions(&hm(&[(k, v)]), "ab", 1000, safe);
    let failed = Some(StatusCode::PRECONDITION_FAILED);
    assert_eq!(pre(header::IF_MATCH, "W/\"ab\"", true), failed);
    assert_eq!(pre(header::IF_MATCH, "\"ab\"", true), None);
    assert_eq!(
        pre(header::IF_UNMODIFIED_SINCE, &http_date(999), true),
        failed
    );
    assert_eq!(pre(header::IF_NONE_MATCH, "*", false), failed);
    let both = [
        (header::IF_NONE_MATCH, "\"zz\""),
        (header::IF_MODIFIED_SINCE, &http_date(5000)),
    ];
    assert_eq!(preconditions(&hm(&both), "ab", 1000, true), None);
}
