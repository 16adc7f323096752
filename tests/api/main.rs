//! One integration-test binary. Most tests run the real app in-process against a real
//! SQLite file in a temp dir; `e2e` and `cli` spawn the real `hoard` binary.

// Tests panic on purpose when something is off.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod admin;
mod auth;
mod cli;
mod e2e;
mod errors;
mod jwt;
mod logout;
mod openapi;
mod profile;
mod sessions;
