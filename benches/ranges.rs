//! The byte responder's per-request work before any body byte: `Range` parsing and
//! planning, conditionals, headers, and the blob's open + fstat (`hoard::http::byte_serving::serve`; the
//! body is never polled, so no file data is read). The Range parser itself
//! (`plan_ranges`/`resolve`) is private; see bench/README.md.
//!
//!     cargo bench --bench ranges

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use hoard::http::byte_serving::{serve, Resource};
use poem::http::Method;
use poem::Request;

use common::{or_die, runtime};

const SIZE: u64 = 1 << 30;

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let dir = or_die(tempfile::tempdir(), "temp dir");
    let path = dir.path().join("blob");
    // A sparse 1 GiB file: serve() only opens and stats it.
    let file = or_die(std::fs::File::create(&path), "create blob");
    or_die(file.set_len(SIZE), "size blob");
    let resource = Resource {
        blob: hoard::blob::BlobAt::File(path),
        size: SIZE,
        sha256: "ab".repeat(32),
        modified: 1_700_000_000,
        content_type: "application/octet-stream".into(),
        disposition: Some("attachment; filename=\"big.bin\"".into()),
        headers: Vec::new(),
    };
    let cases = [
        ("no_range", None),
        ("single_64k", Some("bytes=123456789-123522324")),
        ("suffix", Some("bytes=-65536")),
        ("open_ended", Some("bytes=1000000-")),
        (
            "multi_4",
            Some("bytes=0-99,1000-1999,50000-59999,900000000-900065535"),
        ),
        ("invalid", Some("bytes=abc-def")),
    ];
    let mut group = c.benchmark_group("bytes_serve");
    for (label, range) in cases {
        group.bench_function(label, |b| {
            b.iter(|| {
                let mut req = Request::builder().method(Method::GET).uri_str("/f");
                if let Some(range) = range {
                    req = req.header("range", range);
                }
                let req = req.finish();
                let resp = rt.block_on(serve(&req, black_box(resource.clone())));
                black_box(resp.map(|r| r.status()))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
