//! Test files of seeded pseudo-random bytes, and their sha256; a real PNG.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

pub const MIB: u64 = 1 << 20;

/// Writes `size` bytes of a seeded xorshift stream (distinct seeds never dedup); returns
/// their sha256.
pub fn write_random(path: &Path, size: u64, seed: u64) -> String {
    let mut out = BufWriter::new(File::create(path).unwrap());
    let (mut state, mut hasher) = (seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1, Sha256::new());
    let (mut chunk, mut left) = (vec![0u8; MIB as usize], size);
    while left > 0 {
        for word in chunk.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let n = left.min(MIB) as usize;
        out.write_all(&chunk[..n]).unwrap();
        hasher.update(&chunk[..n]);
        left -= n as u64;
    }
    out.flush().unwrap();
    hex(&hasher.finalize())
}

/// (sha256 hex, size) of a file; ("", 0) when it does not exist.
pub fn sha256_of(path: &Path) -> (String, u64) {
    let Ok(mut file) = File::open(path) else {
        return (String::new(), 0);
    };
    let (mut hasher, mut buf, mut size) = (Sha256::new(), vec![0u8; MIB as usize], 0u64);
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    (hex(&hasher.finalize()), size)
}

/// The sha256 of `bytes`, as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A real PNG of the given size (a gradient).
pub fn png_bytes(width: u32, height: u32) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(pixels)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode PNG");
    out
}
