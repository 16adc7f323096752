//! The bytes of one unfinished resumable upload on disk, `tmp/uploads/<id>`: appended to
//! in place, fsync'd before an offset is acknowledged, cut back to the acknowledged offset
//! before every append (a request that died mid-chunk may have left a tail).

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::store::{Digests, DirectFile, Sink};

const HEAD: usize = 8192;

/// A checksum a client sent with one PATCH (`Upload-Checksum`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksum {
    Sha1(Vec<u8>),
    Sha256(Vec<u8>),
}

#[derive(Clone)]
enum Checker {
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Checker {
    fn new(checksum: &Checksum) -> Self {
        match checksum {
            Checksum::Sha1(_) => Self::Sha1(Sha1::new()),
            Checksum::Sha256(_) => Self::Sha256(Sha256::new()),
        }
    }

    fn update(&mut self, chunk: &[u8]) {
        match self {
            Self::Sha1(h) => h.update(chunk),
            Self::Sha256(h) => h.update(chunk),
        }
    }

    fn matches(self, expected: &Checksum) -> bool {
        let digest = match self {
            Self::Sha1(h) => h.finalize().to_vec(),
            Self::Sha256(h) => h.finalize().to_vec(),
        };
        match expected {
            Checksum::Sha1(want) | Checksum::Sha256(want) => digest == *want,
        }
    }
}

/// The whole-file hash so far and, for a PATCH with a checksum, that PATCH's own digest.
#[derive(Clone)]
pub struct AppendDigests {
    pub whole: Sha256,
    check: Option<Checker>,
}

impl Digests for AppendDigests {
    fn feed(&mut self, chunk: &[u8]) {
        self.whole.update(chunk);
        if let Some(check) = &mut self.check {
            check.update(chunk);
        }
    }
}

/// The upload's file, open at its end, with its digests.
pub type Appender = Sink<AppendDigests>;

impl Sink<AppendDigests> {
    /// Opens `path` to append after `offset` acknowledged bytes: drops any tail beyond it
    /// and, when `hashed` does not cover exactly that prefix (a restart, an aborted request),
    /// hashes the prefix again from disk.
    pub fn open(
        path: &Path,
        offset: u64,
        hashed: Option<Sha256>,
        checksum: Option<&Checksum>,
    ) -> io::Result<Self> {
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(offset == 0)
            .truncate(false)
            .open(path)?;
        let len = file.metadata()?.len();
        if len < offset {
            return Err(io::Error::other("upload file is shorter than its offset"));
        }
        // Only a request that died mid-chunk leaves a tail: no inode change otherwise.
        if len > offset {
            file.set_len(offset)?;
        }
        let whole = match hashed {
            Some(hasher) => hasher,
            None => hash_prefix(&mut file, offset)?,
        };
        let digests = AppendDigests {
            whole,
            check: checksum.map(Checker::new),
        };
        Ok(Sink::new(DirectFile::append(path, offset)?, digests))
    }

    /// Whether this PATCH's bytes match the client's checksum (true without one).
    pub fn checksum_matches(&mut self, expected: Option<&Checksum>) -> bool {
        match (self.digests.check.take(), expected) {
            (Some(check), Some(expected)) => check.matches(expected),
            _ => true,
        }
    }

    /// Keeps exactly `len` bytes, durably.
    pub fn settle(&self, len: u64) -> io::Result<()> {
        self.file.settle(len)
    }
}

fn hash_prefix(file: &mut File, len: u64) -> io::Result<Sha256> {
    let mut hasher = Sha256::new();
    file.seek(SeekFrom::Start(0))?;
    let mut limited = file.take(len);
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = limited.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher)
}

/// The first bytes of a finished upload, for sniffing its type.
pub fn head(path: &Path) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD);
    File::open(path)?.take(HEAD as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Creates the empty file of a new upload, durably (its directory entry too).
pub fn create(path: &Path) -> io::Result<()> {
    File::options()
        .write(true)
        .create_new(true)
        .open(path)?
        .sync_all()?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

pub fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// Upload ids that have a file in `dir`.
pub fn ids_on_disk(dir: &Path) -> io::Result<Vec<(i64, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(id) = entry.file_name().to_str().and_then(|n| n.parse().ok()) {
            found.push((id, entry.path()));
        }
    }
    Ok(found)
}
