//! The data directory: its layout, first-start creation, the JWT secret file, and the
//! disk checks behind `/health` and the admin stats.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::secret::ServerSecret;

/// Paths inside the data directory.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    /// Creates the directory tree if needed (`blobs/`, `tmp/`, `tmp/uploads/`, `thumbs/`).
    pub fn open(root: &Path) -> io::Result<Self> {
        let dir = Self {
            root: root.to_path_buf(),
        };
        for sub in [
            dir.root.clone(),
            dir.blobs(),
            dir.tmp(),
            dir.uploads(),
            dir.thumbs(),
        ] {
            fs::create_dir_all(&sub)?;
        }
        Ok(dir)
    }

    pub fn database(&self) -> PathBuf {
        self.root.join("hoard.db")
    }

    pub fn blobs(&self) -> PathBuf {
        self.root.join("blobs")
    }

    pub fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// The bytes of unfinished resumable uploads, one file per upload id.
    pub fn uploads(&self) -> PathBuf {
        self.tmp().join("uploads")
    }

    /// Damaged blobs that `hoard check --repair` moved aside: user data, never deleted.
    pub fn quarantine(&self) -> PathBuf {
        self.root.join("quarantine")
    }

    pub fn thumbs(&self) -> PathBuf {
        self.root.join("thumbs")
    }

    pub fn jwt_secret(&self) -> PathBuf {
        self.root.join("jwt.secret")
    }

    /// The configured secret, or the one in `jwt.secret`, generating it (0600) on first start.
    pub fn load_or_create_secret(&self, configured: &str) -> io::Result<ServerSecret> {
        if !configured.is_empty() {
            return Ok(ServerSecret::new(configured));
        }
        let path = self.jwt_secret();
        match fs::read_to_string(&path) {
            Ok(text) if text.trim().len() >= 32 => return Ok(ServerSecret::new(text.trim())),
            Ok(_) => {
                return Err(io::Error::other(format!(
                    "{} is shorter than 32 bytes",
                    path.display()
                )))
            }
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            Err(_) => {}
        }
        let secret = crate::secret::random_secret(48);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        file.write_all(secret.as_bytes())?;
        file.sync_all()?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600))?;
        Ok(ServerSecret::new(secret))
    }

    /// `hoard.lock`: the advisory lock that keeps `hoard migrate-blobs` and `hoard serve`
    /// apart. Its content means nothing.
    pub fn lock_file(&self) -> PathBuf {
        self.root.join("hoard.lock")
    }

    /// Takes the data directory's lock without waiting: shared (every `hoard serve`) or
    /// exclusive (`hoard migrate-blobs`, which needs the server stopped). None when it is
    /// held the other way. The kernel releases it when the holder exits, however it exits.
    pub fn try_lock(&self, exclusive: bool) -> io::Result<Option<DirLock>> {
        use rustix::fs::FlockOperation::{NonBlockingLockExclusive, NonBlockingLockShared};
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(self.lock_file())?;
        let operation = if exclusive {
            NonBlockingLockExclusive
        } else {
            NonBlockingLockShared
        };
        match rustix::fs::flock(&file, operation) {
            Ok(()) => Ok(Some(DirLock { _file: file })),
            Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Proves the data directory is writable: creates and removes a probe file in `tmp/`,
    /// one name per call (concurrent health checks must not remove each other's probe).
    pub fn probe_writable(&self) -> io::Result<()> {
        static PROBES: AtomicU64 = AtomicU64::new(0);
        let n = PROBES.fetch_add(1, Ordering::Relaxed);
        let probe = self
            .tmp()
            .join(format!(".health-{}-{n}", std::process::id()));
        fs::write(&probe, b"ok")?;
        fs::remove_file(&probe)
    }
}

/// The data directory's lock ([`DataDir::try_lock`]), held until dropped.
#[derive(Debug)]
pub struct DirLock {
    _file: fs::File,
}

/// Bytes available to unprivileged users on the filesystem holding `path`.
pub fn free_bytes(path: &Path) -> io::Result<u64> {
    let stat = rustix::fs::statvfs(path).map_err(io::Error::from)?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}
