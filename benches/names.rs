//! Name and path validation (`FileName::parse`, `parse_path`): run on every upload, rename
//! and by-path request.
//!
//!     cargo bench --bench names

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use hoard::service::drive::names::{parse_path, FileName};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("names");
    let cases = [
        ("ascii_short", "report-2026.pdf".to_string()),
        ("ascii_255", "a".repeat(251) + ".txt"),
        (
            "nfd_accents",
            "Cafe\u{301} cre\u{300}me bru\u{302}le\u{301}e.txt".to_string(),
        ),
        (
            "cjk",
            "\u{6587}\u{4ef6}\u{540d}\u{79f0}\u{6d4b}\u{8bd5}.docx".to_string(),
        ),
        ("invalid_slash", "a/b.txt".to_string()),
    ];
    for (label, name) in &cases {
        group.bench_function(format!("file_name_parse/{label}"), |b| {
            b.iter(|| FileName::parse(black_box(name)))
        });
    }
    let path = "/photos/2026/holidays/Cafe\u{301}/IMG_0001.jpg";
    group.bench_function("parse_path/5_segments", |b| {
        b.iter(|| parse_path(black_box(path)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
