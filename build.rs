//! Links the `hoard` binary with identical code folding: the linker (LLD, Rust's default on
//! x86_64 Linux) keeps one copy of functions whose machine code is the same — many
//! monomorphized copies — which keeps SPEC §15's 25 MiB with single sign-on's HTTP client
//! in (−510 KB measured 2026-12-07; `safe` folded only 9 KB, rustc marks too few functions
//! as address-insignificant). Folded functions share an address; Rust promises nothing
//! about function-pointer equality, and nothing in Hoard compares them. Test binaries are
//! linked as before; the suite runs against this binary.

fn main() {
    println!("cargo:rustc-link-arg-bins=-Wl,--icf=all");
    println!("cargo:rerun-if-changed=build.rs");
}
