//! The folder-listing query (`hoard::db::entries::children`) against a temp database with a
//! 100-entry and a 100,000-entry folder (plus 10,000 entries elsewhere, as a real drive has),
//! first page by name and a deep page; then the same after swapping `entries_listing` for a
//! partial index that matches the query's `ORDER BY` (the fix proposed in bench/README.md).
//!
//!     cargo bench --bench listing

mod common;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use hoard::db::entries::{children, Listing, SortKey};
use hoard::db::Db;

use common::or_die;

const SETUP: &str = "
INSERT INTO users (username, email, password_hash, display_name, created_at, updated_at)
  VALUES ('bench', 'bench@example.com', 'x', 'bench', 0, 0);
INSERT INTO blobs (sha256, size, refs, created_at) VALUES ('00', 1024, 210100, 0);
INSERT INTO entries (id, owner_id, parent_id, name, kind, created_at, updated_at)
  VALUES (1, 1, NULL, 'hundred', 'folder', 0, 0), (2, 1, NULL, 'huge', 'folder', 0, 0),
         (3, 1, NULL, 'other', 'folder', 0, 0);
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 99)
INSERT INTO entries (owner_id, parent_id, name, kind, size, sha256, mime_type, created_at, updated_at)
  SELECT 1, 1, printf('f%05d.txt', x), 'file', 1024, '00', 'text/plain', 0, 0 FROM n;
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 99999)
INSERT INTO entries (owner_id, parent_id, name, kind, size, sha256, mime_type, created_at, updated_at)
  SELECT 1, 2, printf('f%06d.txt', x), 'file', 1024, '00', 'text/plain', 0, 0 FROM n;
WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x < 9999)
INSERT INTO entries (owner_id, parent_id, name, kind, size, sha256, mime_type, created_at, updated_at)
  SELECT 1, 3, printf('g%05d.txt', x), 'file', 1024, '00', 'text/plain', 0, 0 FROM n;
";

const FIXED_INDEX: &str = "
DROP INDEX entries_listing;
CREATE INDEX entries_listing ON entries (owner_id, parent_id, kind DESC, name COLLATE NOCASE, name, id)
  WHERE trash_root IS NULL;
";

fn page(limit: i64, offset: i64) -> Listing {
    Listing {
        sort: SortKey::Name,
        descending: false,
        limit,
        offset,
    }
}

fn bench(c: &mut Criterion) {
    let dir = or_die(tempfile::tempdir(), "temp dir");
    let db = or_die(Db::open(&dir.path().join("hoard.db")), "open db");
    {
        let conn = or_die(db.connection(), "connection");
        or_die(
            conn.execute_batch(&format!("BEGIN; {SETUP} COMMIT;")),
            "fill db",
        );
    }
    for variant in ["schema", "fixed_index"] {
        if variant == "fixed_index" {
            let conn = or_die(db.connection(), "connection");
            or_die(conn.execute_batch(FIXED_INDEX), "swap index");
        }
        let mut group = c.benchmark_group(format!("children/{variant}"));
        group.sample_size(20);
        let cases = [
            ("folder_100/first_page_100", 1, page(100, 0)),
            ("folder_100k/first_page_100", 2, page(100, 0)),
            ("folder_100k/page_1000_at_50000", 2, page(1000, 50_000)),
        ];
        for (label, parent, listing) in cases {
            // Connections are per thread in the server; one kept for the whole case here
            // (statements stay prepared, as with prepare_cached in the pool).
            let conn = or_die(db.connection(), "connection");
            group.bench_function(label, |b| {
                b.iter(|| children(&conn, 1, black_box(Some(parent)), &listing))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
