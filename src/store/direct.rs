//! Staging files written with `O_DIRECT`: on this kind of machine, copying a large upload
//! into the page cache costs more CPU than hashing it (fresh page-cache memory is slow to
//! fault in), and the bytes are not read again soon. Aligned 1 MiB writes go straight to
//! the device; the unaligned tail is padded, and the file cut to its length at the end.
//! Filesystems without `O_DIRECT` (tmpfs) get an ordinary buffered file.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Direct I/O wants buffers, lengths and offsets in multiples of the logical block size;
/// 4 KiB covers every common device.
const ALIGN: usize = 4096;

/// A zeroed buffer whose usable part starts on an `ALIGN` boundary (found with
/// `align_offset`, so no unsafe allocation is needed).
pub struct AlignedBuf {
    raw: Vec<u8>,
    start: usize,
    len: usize,
}

impl AlignedBuf {
    pub fn new(len: usize) -> Self {
        let raw = vec![0u8; len + ALIGN];
        let start = raw.as_ptr().align_offset(ALIGN).min(ALIGN);
        Self { raw, start, len }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.raw[self.start..self.start + self.len]
    }

    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.raw[self.start..self.start + self.len]
    }
}

/// A new staging file, direct when the filesystem allows it.
pub struct DirectFile {
    file: File,
    direct: bool,
    written: u64,
}

impl DirectFile {
    pub fn create(path: &Path) -> io::Result<Self> {
        let flags = rustix::fs::OFlags::DIRECT.bits() as i32;
        let direct = File::options()
            .write(true)
            .create_new(true)
            .custom_flags(flags)
            .open(path);
        let (file, direct) = match direct {
            Ok(file) => (file, true),
            Err(error) if error.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {
                (
                    File::options().write(true).create_new(true).open(path)?,
                    false,
                )
            }
            Err(error) => return Err(error),
        };
        Ok(Self {
            file,
            direct,
            written: 0,
        })
    }

    /// An existing file to be continued at `offset`: direct when the offset is aligned
    /// and the filesystem allows it, else buffered.
    pub fn append(path: &Path, offset: u64) -> io::Result<Self> {
        let open = |flags: i32| File::options().write(true).custom_flags(flags).open(path);
        let direct = if offset % ALIGN as u64 == 0 {
            open(rustix::fs::OFlags::DIRECT.bits() as i32).ok()
        } else {
            None
        };
        let (mut file, direct) = match direct {
            Some(file) => (file, true),
            None => (open(0)?, false),
        };
        file.seek(SeekFrom::Start(offset))?;
        Ok(Self {
            file,
            direct,
            written: offset,
        })
    }

    /// Makes everything durable: drops the tail's padding, then `fsync`.
    pub fn finish(self) -> io::Result<()> {
        self.settle(self.written)
    }

    /// Makes exactly `len` bytes durable (dropping padding and anything past `len`).
    pub fn settle(&self, len: u64) -> io::Result<()> {
        if self.direct || len != self.written {
            self.file.set_len(len)?;
        }
        self.file.sync_all()
    }
}

impl Write for DirectFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    /// Aligned whole blocks go out as they are; anything else (the last chunk) is copied
    /// into an aligned buffer padded with zeros to a whole block.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let aligned = buf.as_ptr().align_offset(ALIGN) == 0 && buf.len() % ALIGN == 0;
        if self.direct && self.written % ALIGN as u64 != 0 {
            // Only the last write may be padded: the file position is past `written` now.
            return Err(io::Error::other("direct write after the padded tail"));
        }
        if !self.direct || aligned {
            self.file.write_all(buf)?;
        } else {
            let mut padded = AlignedBuf::new(buf.len().div_ceil(ALIGN) * ALIGN);
            padded.bytes_mut()[..buf.len()].copy_from_slice(buf);
            self.file.write_all(padded.bytes())?;
        }
        self.written += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_padded_tail_is_cut_back_to_the_exact_length() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("f");
        let mut file = DirectFile::create(&path)?;
        let mut block = AlignedBuf::new(2 * ALIGN);
        block.bytes_mut().fill(7);
        file.write_all(block.bytes())?;
        file.write_all(b"tail")?;
        file.finish()?;
        let bytes = std::fs::read(&path)?;
        assert_eq!(bytes.len(), 2 * ALIGN + 4);
        assert!(bytes[..2 * ALIGN].iter().all(|b| *b == 7));
        assert_eq!(&bytes[2 * ALIGN..], b"tail");
        Ok(())
    }
}
