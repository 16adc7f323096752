//! davfs2 (Debian `davfs2`) mounts `/dav/` through /dev/fuse with a per-mount config
//! (`buf_size 64` for Linux ≥ 6.16, no questions, uploads at close, LOCK while writing, its
//! own cache); the kernel's file calls (mkdir, write, overwrite, rename, unlink, read)
//! become WebDAV requests.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::random::{sha256_hex, sha256_of, write_random, MIB};
use crate::world::{bounded, require, succeed, wait_for, World};

const FOLDER: &str = "Dokumente 📂";
const BIG: &str = "groß 200 MiB.bin";

#[test]
fn a_davfs2_mount_writes_reads_renames_deletes_and_carries_200_mib() {
    require("mount.davfs", "davfs2");
    assert!(
        Path::new("/dev/fuse").exists(),
        "/dev/fuse is missing: davfs2 needs FUSE (modprobe fuse)"
    );
    let world = World::new("davfs_user");
    let mount = Mount::new(&world, "first-mount");

    // mkdir → MKCOL; write → LOCK, PUT, UNLOCK at close; read back through the mount.
    let folder = mount.point.join(FOLDER);
    fs::create_dir(&folder).unwrap();
    let bytes: Vec<u8> = "Grüße aus davfs2 ✓\n"
        .bytes()
        .chain((0..100_000u32).map(|n| (n * 31 % 251) as u8))
        .collect();
    let sha = sha256_hex(&bytes);
    fs::write(folder.join("notiz ü.txt"), &bytes).unwrap();
    assert!(fs::read(folder.join("notiz ü.txt")).unwrap() == bytes);
    let note = format!("/{FOLDER}/notiz ü.txt");
    wait_for("the note on the server", Duration::from_secs(60), || {
        world
            .entry(&note)
            .is_some_and(|e| e["sha256"] == sha.as_str())
    });
    let (status, got) = world.dav("GET", &note, &[]);
    assert!(status == 200 && got == bytes, "GET {note}: {status}");

    // An editor saving over it → PUT of the new bytes into the same entry.
    let id = world.entry(&note).unwrap()["id"].clone();
    let bytes = [&bytes[..], "… edited\n".as_bytes()].concat();
    let sha = sha256_hex(&bytes);
    fs::write(folder.join("notiz ü.txt"), &bytes).unwrap();
    wait_for("the edit on the server", Duration::from_secs(60), || {
        world
            .entry(&note)
            .is_some_and(|e| e["sha256"] == sha.as_str() && e["id"] == id)
    });

    // rename → MOVE.
    fs::rename(
        folder.join("notiz ü.txt"),
        folder.join("umbenannt 名前.txt"),
    )
    .unwrap();
    let renamed = format!("/{FOLDER}/umbenannt 名前.txt");
    wait_for("the rename on the server", Duration::from_secs(60), || {
        world.entry(&note).is_none()
            && world
                .entry(&renamed)
                .is_some_and(|e| e["sha256"] == sha.as_str())
    });

    // rm → DELETE, which puts it in the trash.
    fs::remove_file(folder.join("umbenannt 名前.txt")).unwrap();
    wait_for(
        "the deleted file in the trash",
        Duration::from_secs(60),
        || world.entry(&renamed).is_none() && world.trashed_paths().contains(&renamed),
    );

    // 200 MiB of random bytes, then read back through a second mount with an empty cache.
    let big_sha = write_random(&mount.point.join(BIG), 200 * MIB, 15);
    let big = format!("/{BIG}");
    wait_for("the 200 MiB upload", Duration::from_secs(240), || {
        world
            .entry(&big)
            .is_some_and(|e| e["sha256"] == big_sha.as_str())
    });
    assert_eq!(world.entry(&big).unwrap()["size"], 200 * MIB);
    mount.unmount();

    let fresh = Mount::new(&world, "second-mount");
    assert_eq!(
        sha256_of(&fresh.point.join(BIG)),
        (big_sha, 200 * MIB),
        "the 200 MiB file read back through a fresh mount"
    );
    let listed: Vec<String> = fs::read_dir(fresh.point.join(FOLDER))
        .unwrap()
        .map(|item| item.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(listed.is_empty(), "the folder is empty again: {listed:?}");
    fresh.unmount();
    world.finish();
}

/// A davfs2 mount of the world's `/dav/`, with its own config, secrets and cache; unmounted
/// when dropped (lazily if need be) so a failing test never leaves it behind.
struct Mount {
    point: PathBuf,
    mounted: bool,
}

impl Mount {
    fn new(world: &World, name: &str) -> Self {
        let base = world.scratch(name);
        let (point, cache) = (base.join("mnt"), base.join("cache"));
        fs::create_dir_all(&point).unwrap();
        fs::create_dir_all(&cache).unwrap();
        // mount.davfs runs as the `davfs2` user once mounted: it must reach and write its cache.
        for (dir, mode) in [(world.dir.path(), 0o755), (&base, 0o755), (&cache, 0o777)] {
            fs::set_permissions(dir, fs::Permissions::from_mode(mode)).unwrap();
        }
        let url = world.dav_url("/");
        let secrets = base.join("secrets");
        fs::write(
            &secrets,
            format!("{url} {} {}\n", world.user, world.app_password),
        )
        .unwrap();
        fs::set_permissions(&secrets, fs::Permissions::from_mode(0o600)).unwrap();
        let conf = base.join("davfs2.conf");
        let settings = [
            // Linux ≥ 6.16: with the default 16 KiB, reading a directory fails with EINVAL.
            "buf_size 64".to_owned(),
            "ask_auth 0".to_owned(),
            // Upload at close() rather than 10 s later.
            "delay_upload 0".to_owned(),
            // LOCK before writing, as desktops do.
            "use_locks 1".to_owned(),
            format!("secrets {}", secrets.display()),
            format!("cache_dir {}", cache.display()),
        ];
        fs::write(&conf, settings.join("\n") + "\n").unwrap();
        succeed(
            "mount -t davfs",
            bounded(60, "mount")
                .args(["-t", "davfs", "-o"])
                .arg(format!("conf={}", conf.display()))
                .arg(&url)
                .arg(&point),
        );
        Self {
            point,
            mounted: true,
        }
    }

    /// `umount`, which waits for davfs2 to finish its uploads; asserts that it worked (after
    /// a lazy unmount, so the failure leaves nothing mounted).
    fn unmount(mut self) {
        self.mounted = false;
        assert!(
            unmount(&self.point),
            "umount {} failed or hung",
            self.point.display()
        );
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        if self.mounted {
            unmount(&self.point);
        }
    }
}

/// `umount POINT` bounded in time, else `umount -l POINT`; whether the plain one worked.
fn unmount(point: &Path) -> bool {
    let plain = bounded(180, "umount")
        .arg(point)
        .status()
        .is_ok_and(|s| s.success());
    if !plain {
        let _ = Command::new("umount").arg("-l").arg(point).status();
    }
    plain
}
