use std::process::ExitCode;

fn main() -> ExitCode {
    bound_malloc_retention();
    hoard::cli::main()
}

/// glibc raises its mmap threshold every time a large buffer is freed; after that, the
/// 1 MiB transfer buffers come from malloc arenas that never shrink, and a soak of 64–192
/// clients (tests/soak.rs) grew the server to 1.5–2.5 GB of RSS. A fixed threshold (which
/// also fixes the trim threshold) keeps buffers of 1 MiB and more in their own mappings,
/// returned to the system on free: the same soak peaks at ~127 MB, downloads cost the same.
/// The trim threshold goes up to match: at glibc's 128 KiB, every freed network read
/// buffer shrank an arena and the next one faulted its pages in again (page faults and
/// `madvise` were 15–18 % of an upload's CPU).
fn bound_malloc_retention() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters, and runs before any other thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 20);
    }
}
