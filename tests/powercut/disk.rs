//! The "disk" of a power cut: a file system (ext4 or btrfs) in an image file on tmpfs,
//! loop-mounted. The image file holds exactly the blocks the file system has written to
//! its device; what is only in the mounted file system's page cache is not in it, so a copy
//! of the image taken while the server is frozen is what a power cut would leave.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fs {
    Ext4,
    Btrfs,
}

/// An image file and the directory it is mounted on.
pub struct Disk {
    pub fs: Fs,
    pub image: PathBuf,
    pub mnt: PathBuf,
    _dir: TempDir,
}

/// 256 MiB: btrfs's smallest default layout fits, and the workload stays far below it.
const IMAGE_BYTES: u64 = 256 << 20;

impl Disk {
    /// A new file system in a sparse image under /dev/shm (tmpfs: the device's writes cost
    /// no real I/O, so many cuts fit in CI's time), mounted.
    pub fn new(fs: Fs) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("hoard-powercut-")
            .tempdir_in("/dev/shm")
            .expect("/dev/shm is a tmpfs");
        let image = dir.path().join("disk.img");
        fs::File::create(&image)
            .unwrap()
            .set_len(IMAGE_BYTES)
            .unwrap();
        match fs {
            Fs::Ext4 => run("mkfs.ext4", &["-q", "-F", path_str(&image)]),
            Fs::Btrfs => run("mkfs.btrfs", &["-q", "-f", path_str(&image)]),
        }
        let mnt = dir.path().join("mnt");
        fs::create_dir(&mnt).unwrap();
        mount(&image, &mnt);
        Self {
            fs,
            image,
            mnt,
            _dir: dir,
        }
    }

    /// Copies the image to `to` as it is on the "device" now. The device keeps receiving
    /// the kernel's writeback while the copy runs, so a copy only counts when a second copy
    /// right after it is identical: then no block changed behind the first copy's reading
    /// position, and it is one moment's state, not a mix of two.
    pub fn snapshot(&self, to: &Path) {
        let second = to.with_extension("check");
        for _ in 0..50 {
            copy(&self.image, to);
            copy(&self.image, &second);
            let same = Command::new("cmp")
                .args(["-s"])
                .arg(to)
                .arg(&second)
                .status();
            if same.map(|s| s.success()).unwrap_or(false) {
                fs::remove_file(&second).unwrap();
                return;
            }
        }
        panic!("the image kept changing under 50 pairs of copies");
    }
}

impl Drop for Disk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
    }
}

/// A copy of an image, mounted on its own directory; unmounted (and its loop device
/// released) when dropped.
pub struct Copy {
    pub mnt: PathBuf,
}

impl Copy {
    /// Replays the copy's journal (or log tree) by mounting it once, checks it with the file
    /// system's own checker (`e2fsck -fn`, `btrfs check --readonly`) and mounts it again.
    /// Err: the checker's report.
    pub fn checked(fs: Fs, image: &Path, mnt: &Path) -> Result<Self, String> {
        fs::create_dir_all(mnt).unwrap();
        mount(image, mnt);
        run("umount", &[path_str(mnt)]);
        let out = match fs {
            Fs::Ext4 => Command::new("e2fsck").arg("-fn").arg(image).output(),
            Fs::Btrfs => Command::new("btrfs")
                .args(["check", "--readonly"])
                .arg(image)
                .output(),
        }
        .unwrap();
        if !out.status.success() {
            return Err(format!(
                "{fs:?} checker: {}\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        mount(image, mnt);
        Ok(Self {
            mnt: mnt.to_owned(),
        })
    }
}

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mnt).status();
    }
}

fn mount(image: &Path, mnt: &Path) {
    run("mount", &["-o", "loop", path_str(image), path_str(mnt)]);
}

fn copy(from: &Path, to: &Path) {
    run("cp", &["--sparse=always", path_str(from), path_str(to)]);
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
