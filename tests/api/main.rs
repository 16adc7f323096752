//! One integration-test binary. Most tests run the real app in-process against a real
//! SQLite file in a temp dir; `e2e` and `cli` spawn the real `hoard` binary.

mod helpers;

mod admin;
mod auth;
mod cli;
mod e2e;
mod errors;
mod jwt;
mod openapi;
mod profile;
mod sessions;
