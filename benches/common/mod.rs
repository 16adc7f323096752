//! Shared set-up for the criterion benches (`mod common;` in each bench; not a bench itself).
#![allow(dead_code)]

use std::fmt::Display;

/// `Ok` value or a panic naming what failed (the crate denies unwrap/expect).
pub fn or_die<T, E: Display>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{what}: {error}"),
    }
}

/// A current-thread tokio runtime for driving async service calls from criterion.
pub fn runtime() -> tokio::runtime::Runtime {
    or_die(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        "tokio runtime",
    )
}
