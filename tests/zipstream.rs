//! Streamed folder zips: exact content, UTF-8 names, zip-slip defence, bounded memory and
//! truncation on errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::time::Instant;

use bytes::Bytes;
use hoard::http::zipstream::{stream_zip, ZipItem};
use http_body_util::combinators::BoxBody;
use http_body_util::BodyExt;
use rand::RngCore;
use tokio::io::AsyncReadExt;
use zip::ZipArchive;

const MODIFIED: i64 = 1_718_000_000; // 2024-06-10

fn blob(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

fn file(path: &str, blob: &Path, size: u64) -> ZipItem {
    ZipItem {
        path: path.into(),
        blob: Some(hoard::blob::BlobAt::File(blob.to_path_buf())),
        size,
        modified: MODIFIED,
    }
}

fn folder(path: &str) -> ZipItem {
    ZipItem {
        path: path.into(),
        blob: None,
        size: 0,
        modified: MODIFIED,
    }
}

async fn collect(items: Vec<ZipItem>) -> Vec<u8> {
    stream_zip(items).into_vec().await.unwrap()
}

/// Reads the body frame by frame, never holding more than one; returns the byte count after
/// checking it against the announced length.
async fn drain(items: Vec<ZipItem>) -> std::io::Result<u64> {
    let mut body: BoxBody<Bytes, std::io::Error> = stream_zip(items).into();
    let announced = http_body::Body::size_hint(&body).exact().unwrap();
    let mut total = 0u64;
    while let Some(frame) = body.frame().await {
        total += frame?.into_data().unwrap().len() as u64;
    }
    assert_eq!(total, announced, "Content-Length");
    Ok(total)
}

fn names(archive: &[u8]) -> Vec<String> {
    let zip = ZipArchive::new(Cursor::new(archive)).unwrap();
    zip.file_names().map(String::from).collect()
}

/// Peak resident memory of this process in KiB (Linux), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn archive_round_trips_names_sizes_and_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut random = vec![0u8; 3 << 20];
    rand::rng().fill_bytes(&mut random);
    let report = "年度报告 🎉\n".repeat(1000).into_bytes();
    let expected: Vec<(&str, Vec<u8>)> = vec![
        ("empty.txt", Vec::new()),
        ("photos/2024/random.bin", random),
        ("报告/2024 年.txt", report),
    ];
    let mut items: Vec<ZipItem> = expected
        .iter()
        .enumerate()
        .map(|(i, (path, data))| {
            let b = blob(dir.path(), &format!("blob{i}"), data);
            file(path, &b, data.len() as u64)
        })
        .collect();
    items.push(folder("空的 📁/"));

    let bytes = collect(items).await;
    let mut zip = ZipArchive::new(Cursor::new(&bytes)).unwrap();
    assert_eq!(zip.len(), 4);
    for (path, data) in &expected {
        let mut entry = zip.by_name(path).unwrap();
        assert!(entry.is_file());
        assert_eq!(entry.size(), data.len() as u64, "{path}");
        assert_eq!(entry.compression(), zip::CompressionMethod::Stored);
        let mut got = Vec::new();
        entry.read_to_end(&mut got).unwrap();
        assert!(got == *data, "content of {path}");
    }
    let dir_entry = zip.by_name("空的 📁/").unwrap();
    assert!(dir_entry.is_dir());
    drop(dir_entry);
    let mut listed = names(&bytes);
    listed.sort();
    assert_eq!(
        listed,
        [
            "empty.txt",
            "photos/2024/random.bin",
            "报告/2024 年.txt",
            "空的 📁/"
        ]
    );
    // The UT field carries the exact mtime.
    let entry = zip.by_name("empty.txt").unwrap();
    let ut = entry.extra_data_fields().find_map(|f| match f {
        zip::ExtraField::ExtendedTimestamp(t) => t.mod_time(),
        _ => None,
    });
    assert_eq!(ut, Some(MODIFIED as u32));

    // The system unzip must agree, when installed.
    let have_unzip = std::process::Command::new("unzip")
        .arg("-v")
        .output()
        .is_ok();
    if !have_unzip {
        // .ci/run installs unzip; a developer machine without it still gets the reader checks.
        eprintln!("skipping `unzip -t`: no unzip on PATH (apt-get install unzip)");
        return;
    }
    let archive = dir.path().join("out.zip");
    std::fs::write(&archive, &bytes).unwrap();
    let out = std::process::Command::new("unzip")
        .arg("-t")
        .arg(&archive)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "unzip -t failed: {log}");
    assert!(log.contains("No errors detected"), "{log}");
    let out = std::process::Command::new("unzip")
        .arg("-q")
        .arg(&archive)
        .arg("-d")
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let extracted = dir.path().join("x/报告/2024 年.txt");
    assert_eq!(std::fs::read(extracted).unwrap(), expected[2].1);
    assert!(dir.path().join("x/空的 📁").is_dir());
}

/// Process-wide figures (peak RSS, bytes read) only mean something in a process running one
/// test: the first call re-runs this binary on just `test` and reports whether the caller is
/// that child (run the body) or the parent (the child's verdict has been asserted).
fn in_own_process(test: &str) -> bool {
    if std::env::var_os("ZIPSTREAM_ALONE").is_some() {
        return true;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("ZIPSTREAM_ALONE", "1")
        .output()
        .unwrap();
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{stdout}"
    );
    false
}

/// Bytes this process has read through `read(2)` and friends (Linux).
fn read_chars() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    let line = io.lines().find(|l| l.starts_with("rchar:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn sparse(dir: &Path, size: u64) -> PathBuf {
    let path = dir.join("sparse");
    std::fs::File::create(&path).unwrap().set_len(size).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn sparse_600_mib_streams_in_bounded_memory() {
    if !in_own_process("sparse_600_mib_streams_in_bounded_memory") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let size = 600u64 << 20;
    let path = sparse(dir.path(), size);
    let name = "big/sparse.bin";
    let started = Instant::now();
    let total = drain(vec![file(name, &path, size)]).await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    eprintln!("600 MiB zipped in {secs:.2}s ({:.0} MiB/s)", 600.0 / secs);
    // local header 30 + name + UT 9, data, descriptor 16, central header 46 + name + UT 9,
    // end record 22.
    let n = name.len() as u64;
    assert_eq!(total, size + 2 * n + 30 + 9 + 16 + 46 + 9 + 22);
    match peak_rss_kib() {
        Some(kib) => {
            eprintln!("peak RSS {} MiB", kib >> 10);
            assert!(kib < 32 << 10, "peak RSS {kib} KiB");
        }
        None => eprintln!("no /proc/self/status: peak RSS not checked"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn abandoned_download_stops_reading() {
    if !in_own_process("abandoned_download_stops_reading") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = sparse(dir.path(), 600 << 20);
    let Some(before) = read_chars() else {
        eprintln!("no /proc/self/io: abandonment not checked");
        return;
    };
    let mut reader = stream_zip(vec![file("s.bin", &path, 600 << 20)]).into_async_read();
    let mut buf = vec![0u8; 64 << 10];
    assert!(reader.read(&mut buf).await.unwrap() > 0);
    drop(reader);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let read = read_chars().unwrap() - before;
    eprintln!("{} MiB read before the writer stopped", read >> 20);
    assert!(read < 32 << 20, "{read} bytes read after the client left");
}

#[tokio::test(flavor = "multi_thread")]
async fn escaping_paths_are_not_emitted() {
    let dir = tempfile::tempdir().unwrap();
    let b = blob(dir.path(), "b", b"payload");
    let items = vec![
        file("../../etc/evil.txt", &b, 7),
        file("/abs/olute.txt", &b, 7),
        file("a/./../b\\..\\c.txt", &b, 7),
        file("..", &b, 7),
        folder("../up/"),
    ];
    let bytes = collect(items).await;
    let mut listed = names(&bytes);
    listed.sort();
    assert_eq!(
        listed,
        ["a/b_.._c.txt", "abs/olute.txt", "etc/evil.txt", "up/"]
    );
    for name in &listed {
        assert!(!name.starts_with('/') && !name.contains('\\'), "{name}");
        assert!(!name.split('/').any(|s| s == ".."), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn io_error_mid_stream_truncates_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = vec![0u8; 5 << 20];
    rand::rng().fill_bytes(&mut big);
    let first = blob(dir.path(), "first", &big);
    let short = blob(dir.path(), "short", b"abc");
    let missing = dir.path().join("missing");
    let ok = file("first.bin", &first, big.len() as u64);
    for bad in [
        file("gone.bin", &missing, 10),
        file("short.bin", &short, 10),
    ] {
        let err = drain(vec![ok.clone(), bad]).await;
        assert!(
            err.is_err(),
            "a failed blob must fail the body, got {err:?}"
        );
        assert!(stream_zip(vec![ok.clone(), folder("x/")])
            .into_vec()
            .await
            .is_ok());
    }
}

/// An entry over 4 GiB and one starting past 4 GiB need ZIP64 records. The archive is written
/// sparsely (zero frames become holes), so this costs no disk.
#[tokio::test(flavor = "multi_thread")]
async fn zip64_past_4_gib() {
    use std::io::{Seek, SeekFrom, Write};
    let dir = tempfile::tempdir().unwrap();
    let size = (4u64 << 30) + (64 << 20);
    let big = sparse(dir.path(), size);
    let small = blob(dir.path(), "small", b"after the 4 GiB mark");
    let items = vec![file("big.bin", &big, size), file("small.txt", &small, 20)];
    let started = Instant::now();
    let archive = dir.path().join("out.zip");
    let mut out = std::fs::File::create(&archive).unwrap();
    let mut reader = stream_zip(items).into_async_read();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        if buf[..n].iter().all(|&b| b == 0) {
            out.seek(SeekFrom::Current(n as i64)).unwrap();
        } else {
            out.write_all(&buf[..n]).unwrap();
        }
    }
    let len = out.stream_position().unwrap();
    out.set_len(len).unwrap();
    drop(out);
    eprintln!(
        "{len} bytes streamed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    let mut zip = ZipArchive::new(std::fs::File::open(&archive).unwrap()).unwrap();
    assert_eq!(zip.by_name("big.bin").unwrap().size(), size);
    let mut text = String::new();
    let mut entry = zip.by_name("small.txt").unwrap();
    assert!(entry.header_start() > u64::from(u32::MAX));
    entry.read_to_string(&mut text).unwrap();
    assert_eq!(text, "after the 4 GiB mark");
    drop(entry);
    let started = Instant::now();
    let mut entry = zip.by_name("big.bin").unwrap();
    let copied = std::io::copy(&mut entry, &mut std::io::sink()).unwrap();
    assert_eq!(copied, size); // and the CRC matched, or the reader would have failed
    eprintln!("read back in {:.1}s", started.elapsed().as_secs_f64());
    if std::process::Command::new("unzip")
        .arg("-v")
        .output()
        .is_ok()
    {
        let started = Instant::now();
        let out = std::process::Command::new("unzip")
            .arg("-t")
            .arg(&archive)
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && log.contains("No errors detected"),
            "{log}"
        );
        eprintln!("unzip -t in {:.1}s", started.elapsed().as_secs_f64());
    } else {
        eprintln!("skipping `unzip -t`: no unzip on PATH");
    }
}

/// 65 535 entries or more need the ZIP64 end records.
#[tokio::test(flavor = "multi_thread")]
async fn zip64_for_70_000_entries() {
    let items: Vec<ZipItem> = (0..70_000).map(|i| folder(&format!("d{i}/"))).collect();
    let bytes = collect(items).await;
    let zip = ZipArchive::new(Cursor::new(&bytes)).unwrap();
    assert_eq!(zip.len(), 70_000);
    assert!(zip.file_names().any(|n| n == "d69999/"));
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("many.zip");
    std::fs::write(&archive, &bytes).unwrap();
    if std::process::Command::new("unzip")
        .arg("-v")
        .output()
        .is_ok()
    {
        let out = std::process::Command::new("unzip")
            .arg("-t")
            .arg(&archive)
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && log.contains("No errors detected"),
            "{}",
            &log[log.len().saturating_sub(2000)..]
        );
    } else {
        eprintln!("skipping `unzip -t`: no unzip on PATH");
    }
}

/// Over real HTTP/1.1 the archive length is announced, and a failing blob cuts the transfer
/// short of it, so the client can tell, instead of ending it cleanly.
#[tokio::test(flavor = "multi_thread")]
async fn over_http_length_is_announced_and_failures_truncate() {
    use poem::listener::{Acceptor, Listener, TcpListener};
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let mut data = vec![0u8; 3 << 20];
    rand::rng().fill_bytes(&mut data);
    let good = file("good.bin", &blob(dir.path(), "good", &data), 3 << 20);
    let gone = file("gone.bin", &dir.path().join("gone"), 10);
    let serve = |items: Vec<ZipItem>| {
        poem::endpoint::make(move |_| {
            let items = items.clone();
            async move { stream_zip(items) }
        })
    };
    let route = poem::Route::new()
        .at("/good", serve(vec![good.clone()]))
        .at("/bad", serve(vec![good, gone]));
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(route));
    for (path, complete) in [("/good", true), ("/bad", false)] {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        s.write_all(request.as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw).await; // an aborted transfer may end in a reset
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
        let body = &raw[split + 4..];
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap_or_else(|| panic!("no content-length in {head}"))
            .parse()
            .unwrap();
        assert!(head.starts_with("http/1.1 200"), "{head}");
        if complete {
            assert_eq!(body.len(), length);
            assert_eq!(names(body), ["good.bin"]);
        } else {
            assert!(body.len() < length, "{} of {length} bytes", body.len());
        }
    }
}
